"""A buyer's link to a digital good points at the downloads distribution, never at S3 or the site:
the presigned GET keeps its path and signed query, only its scheme and host change. On AWS it is
signed (SigV4, the Host alone) for the bucket's regional name, the distribution's origin, so S3
checks it as signed when CloudFront passes it on. Presigning is offline: boto3 needs no network."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import boto3
import botocore.auth
import pytest

from chalicelib.adapters.uploads import InMemoryUploadStorage, S3UploadStorage, served_from

BUCKET = "interkanect-dev-filesbucket-1a2b3c4d5e6f"
DOWNLOADS = "https://d1downloads.cloudfront.net"
KEY = "files/u1/guide/f1"


def link(storage) -> str:
    return storage.download_url(KEY, filename="Field guide.pdf", content_type="application/pdf", seconds=300)


@pytest.fixture
def aws_files(monkeypatch):
    """`deps.store_files()` as a Lambda builds it: on AWS (no endpoint) or on the local stack."""
    from chalicelib import deps

    def build(region: str, download_url: str = DOWNLOADS, endpoint: str = ""):
        for name, value in {"AWS_REGION": region, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                            "AWS_SECRET_ACCESS_KEY": "secret", "IK_FILES_BUCKET": BUCKET,
                            "IK_FILES_DOWNLOAD_URL": download_url, "IK_AWS_ENDPOINT_URL": endpoint}.items():
            monkeypatch.setenv(name, value)
        deps.reset()
        return deps.store_files()

    yield build
    deps.reset()


def test_the_link_keeps_the_presigned_path_and_signed_query_and_takes_the_downloads_host(monkeypatch):
    signed_at = datetime(2026, 3, 6, 12, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: signed_at)
    client = boto3.client("s3", region_name="eu-west-3", aws_access_key_id="AKIDEXAMPLE",
                          aws_secret_access_key="secret")
    presigned = urlsplit(link(S3UploadStorage(client, BUCKET)))
    served = urlsplit(link(S3UploadStorage(client, BUCKET, download_origin=DOWNLOADS)))
    assert f"{served.scheme}://{served.netloc}" == DOWNLOADS
    assert (served.path, served.query) == (presigned.path, presigned.query)  # signature and all
    assert not served.fragment
    query = parse_qs(served.query)
    assert query["response-content-type"] == ["application/pdf"]
    assert query["response-content-disposition"][0].startswith('attachment; filename="Field guide.pdf"')


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-3"])
def test_on_aws_the_link_is_signed_for_the_buckets_regional_name_the_distribution_sends(aws_files, region):
    presigned = urlsplit(link(aws_files(region, download_url="")))
    # CloudFormation's RegionalDomainName (the distribution's origin), in us-east-1 too.
    assert (presigned.scheme, presigned.netloc) == ("https", f"{BUCKET}.s3.{region}.amazonaws.com")
    assert presigned.path == f"/{KEY}"
    served = urlsplit(link(aws_files(region)))
    assert f"{served.scheme}://{served.netloc}" == DOWNLOADS and served.path == f"/{KEY}"
    query = parse_qs(served.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-SignedHeaders"] == ["host"]  # what CloudFront adds on the way is not signed
    assert query["X-Amz-Credential"][0].endswith(f"/{region}/s3/aws4_request")


def test_on_the_local_stack_the_link_keeps_motos_path_style_for_the_downloads_server(aws_files):
    files = aws_files("us-east-1", download_url="http://127.0.0.1:8004/", endpoint="http://127.0.0.1:4566")
    served = urlsplit(link(files))
    assert (served.scheme, served.netloc, served.path) == ("http", "127.0.0.1:8004", f"/{BUCKET}/{KEY}")
    assert parse_qs(served.query)["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]  # signed as on AWS


def test_without_a_download_origin_the_presigned_url_is_left_as_it_is():
    assert served_from("https://b.s3.amazonaws.com/k?X-Amz-Signature=1", "") == \
        "https://b.s3.amazonaws.com/k?X-Amz-Signature=1"


def test_the_in_memory_twin_swaps_the_host_the_same_way():
    plain, served = urlsplit(link(InMemoryUploadStorage())), urlsplit(link(InMemoryUploadStorage(DOWNLOADS)))
    assert f"{served.scheme}://{served.netloc}" == DOWNLOADS
    assert (served.path, served.query) == (plain.path, plain.query)
