"""The local stack's S3 holds a browser's form upload to its signed POST policy, as S3 does (moto
alone stores anything): presigned by boto3 through the app's own adapter, posted as a browser's
form is, with `requests`."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import boto3
import pytest
import requests
from botocore.config import Config

from chalicelib.adapters.uploads import S3UploadStorage

pytestmark = pytest.mark.integration

MB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
PDF = b"%PDF-1.7\n" + bytes(300)
UPLOADS_BUCKET = "interkanect-uploads"
FILES_BUCKET = "interkanect-files"


def s3_client(stack: dict, signature_version: str | None = None):
    config = Config(signature_version=signature_version) if signature_version else None
    return boto3.client("s3", endpoint_url=stack["aws"], region_name=stack["region"], config=config,
                        aws_access_key_id="local", aws_secret_access_key="local")


def stored(client, bucket: str, key: str) -> bool:
    try:
        client.head_object(Bucket=bucket, Key=key)
    except client.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] in ("404", "NoSuchKey")
        return False
    return True


def s3_error(answer: requests.Response) -> dict[str, str]:
    assert answer.headers["Content-Type"] == "application/xml"
    return {child.tag: child.text for child in ElementTree.fromstring(answer.content)}


@pytest.fixture(params=["s3v2", "s3v4"])
def pictures(local_stack, request):
    """The uploads bucket as the app presigns into it, with either signature's form fields."""
    client = s3_client(local_stack, None if request.param == "s3v2" else request.param)
    return client, S3UploadStorage(client, UPLOADS_BUCKET)


def presigned_picture(storage: S3UploadStorage, key: str, site: str) -> dict:
    return storage.presigned_post(key=key, content_type="image/png", max_bytes=5 * MB,
                                  redirect=f"{site}/my-store.html?product=brass-lamp")


def test_a_png_within_its_policy_is_stored_and_the_browser_sent_back(local_stack, pictures):
    client, storage = pictures
    key = f"media/products/u1/brass-lamp/ok-{id(storage)}.png"
    post = presigned_picture(storage, key, local_stack["site"])
    sent = requests.post(post["url"], data=post["fields"], files={"file": ("lamp.png", PNG, "image/png")},
                         allow_redirects=False, timeout=30)
    assert sent.status_code == 303, sent.text
    assert sent.headers["Location"].startswith(f"{local_stack['site']}/my-store.html?product=brass-lamp")
    assert storage.describe(key).head == PNG[:32]
    assert client.get_object(Bucket=UPLOADS_BUCKET, Key=key)["Body"].read() == PNG


def test_a_file_beyond_the_policys_size_is_refused_and_nothing_is_stored(local_stack, pictures):
    client, storage = pictures
    key = f"media/products/u1/brass-lamp/big-{id(storage)}.png"
    post = presigned_picture(storage, key, local_stack["site"])
    too_big = PNG + bytes(6 * MB - len(PNG))
    sent = requests.post(post["url"], data=post["fields"], files={"file": ("lamp.png", too_big, "image/png")},
                         allow_redirects=False, timeout=60)
    assert sent.status_code == 400
    error = s3_error(sent)
    assert error["Code"] == "EntityTooLarge"
    assert (error["ProposedSize"], error["MaxSizeAllowed"]) == (str(6 * MB), str(5 * MB))
    assert not stored(client, UPLOADS_BUCKET, key)


def test_an_html_page_posted_as_another_type_than_signed_is_refused_and_nothing_is_stored(local_stack, pictures):
    client, storage = pictures
    key = f"media/products/u1/brass-lamp/page-{id(storage)}.png"
    post = presigned_picture(storage, key, local_stack["site"])
    page = b"<!doctype html><script>alert(1)</script>"
    sent = requests.post(post["url"], data={**post["fields"], "Content-Type": "text/html"},
                         files={"file": ("lamp.html", page, "text/html")}, allow_redirects=False, timeout=30)
    assert sent.status_code == 403
    error = s3_error(sent)
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == ('Invalid according to Policy: Policy Condition failed: '
                                '["eq", "$Content-Type", "image/png"]')
    assert not stored(client, UPLOADS_BUCKET, key)


def test_another_key_than_signed_is_refused(local_stack, pictures):
    client, storage = pictures
    key = f"media/products/u1/brass-lamp/mine-{id(storage)}.png"
    post = presigned_picture(storage, key, local_stack["site"])
    elsewhere = "media/avatars/someone-else.png"
    sent = requests.post(post["url"], data={**post["fields"], "key": elsewhere},
                         files={"file": ("lamp.png", PNG, "image/png")}, allow_redirects=False, timeout=30)
    assert sent.status_code == 403 and s3_error(sent)["Code"] == "AccessDenied"
    assert not stored(client, UPLOADS_BUCKET, elsewhere) and not stored(client, UPLOADS_BUCKET, key)


def test_a_store_file_goes_to_the_private_files_bucket_and_leaves_as_an_attachment_with_nosniff(local_stack):
    client = s3_client(local_stack, "s3v4")
    files = S3UploadStorage(client, FILES_BUCKET, download_origin=local_stack["downloads"])
    key = "files/u1/guide/f1"
    post = files.presigned_post(key=key, content_type="application/pdf", max_bytes=500 * MB,
                                redirect=f"{local_stack['site']}/my-store.html?product=guide")
    sent = requests.post(post["url"], data=post["fields"], files={"file": ("guide.pdf", PDF, "application/pdf")},
                         allow_redirects=False, timeout=30)
    assert sent.status_code == 303, sent.text
    found = files.describe(key)
    assert (found.size, found.content_type, found.head) == (len(PDF), "application/pdf", PDF[:32])
    link = files.download_url(key, filename="Guide.pdf", content_type="application/pdf", seconds=300)
    assert link.startswith(f"{local_stack['downloads']}/{FILES_BUCKET}/{key}?")  # not moto, not the site
    download = requests.get(link, timeout=30)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["Content-Disposition"].startswith('attachment; filename="Guide.pdf"')
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
