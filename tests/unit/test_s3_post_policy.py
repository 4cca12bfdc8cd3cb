"""The local stack holds a browser's form upload to its signed POST policy as S3 does
(infra/local/s3_post_policy.py): the type, the size, the key, the expiry and every other condition."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest

from infra.local.s3_post_policy import FormUpload, check, form_post_bucket

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
MB = 1024 * 1024
BUCKET = "interkanect-uploads"
KEY = "media/products/u1/brass-lamp/p1.png"
REDIRECT = "http://127.0.0.1:8080/my-store.html?product=brass-lamp"


def encoded(conditions: list, expiration: str = "2026-12-04T12:10:00Z") -> str:
    return base64.b64encode(json.dumps({"expiration": expiration, "conditions": conditions}).encode()).decode()


def picture_policy(**changes) -> str:
    """What `S3UploadStorage.presigned_post` signs for a picture (boto3 adds the bucket and key)."""
    conditions = [{"Content-Type": "image/png"}, ["content-length-range", 1, 5 * MB],
                  {"success_action_redirect": REDIRECT}, {"bucket": BUCKET}, {"key": KEY}]
    return encoded(changes.get("conditions", conditions), changes.get("expiration", "2026-12-04T12:10:00Z"))


def form(policy: str | None = None, *, size: int = 1000, file_name: str | None = "lamp.png", bucket: str = BUCKET,
         **fields: str) -> FormUpload:
    sent = {"Content-Type": "image/png", "success_action_redirect": REDIRECT, "key": KEY,
            "AWSAccessKeyId": "local", "signature": "c2lnbmVk"}
    if policy is not None:
        sent["policy"] = policy
    sent.update(fields)
    return FormUpload(bucket=bucket, fields=sent, file_name=file_name,
                      file_size=None if file_name is None else size)


def test_a_picture_within_its_policy_is_let_through():
    assert check(form(picture_policy()), now=NOW) is None
    assert check(form(picture_policy(), size=5 * MB), now=NOW) is None
    assert check(form(picture_policy(), size=1), now=NOW) is None


def test_a_file_beyond_the_size_is_entity_too_large_as_s3_answers():
    refusal = check(form(picture_policy(), size=6 * MB), now=NOW)
    assert (refusal.status, refusal.code) == (400, "EntityTooLarge")
    assert refusal.message == "Your proposed upload exceeds the maximum allowed size"
    assert dict(refusal.details) == {"ProposedSize": str(6 * MB), "MaxSizeAllowed": str(5 * MB)}
    xml = refusal.xml("R1").decode()
    assert "<Code>EntityTooLarge</Code>" in xml and f"<MaxSizeAllowed>{5 * MB}</MaxSizeAllowed>" in xml
    assert "<RequestId>R1</RequestId>" in xml


def test_an_empty_file_is_entity_too_small():
    refusal = check(form(picture_policy(), size=0), now=NOW)
    assert (refusal.status, refusal.code) == (400, "EntityTooSmall")
    assert dict(refusal.details) == {"ProposedSize": "0", "MinSizeAllowed": "1"}


def test_a_content_type_other_than_the_signed_one_is_denied_naming_the_condition():
    refusal = check(form(picture_policy(), **{"Content-Type": "text/html"}), now=NOW)
    assert (refusal.status, refusal.code) == (403, "AccessDenied")
    assert refusal.message == ('Invalid according to Policy: Policy Condition failed: '
                               '["eq", "$Content-Type", "image/png"]')


def test_the_type_is_checked_before_the_size():
    refusal = check(form(picture_policy(), size=6 * MB, **{"Content-Type": "text/html"}), now=NOW)
    assert refusal.code == "AccessDenied"


def test_another_key_or_bucket_is_denied():
    assert check(form(picture_policy(), key="media/avatars/someone-else.png"), now=NOW).message.endswith(
        f'["eq", "$key", "{KEY}"]')
    assert check(form(picture_policy(), bucket="interkanect-files"), now=NOW).message.endswith(
        f'["eq", "$bucket", "{BUCKET}"]')


def test_an_expired_policy_is_denied():
    refusal = check(form(picture_policy()), now=NOW + timedelta(minutes=10))
    assert (refusal.status, refusal.code, refusal.message) == (
        403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    assert check(form(picture_policy(expiration="2026-12-04T12:10:00.000Z")), now=NOW) is None


def test_a_field_the_policy_does_not_name_is_denied_unless_it_is_a_signature_or_ignored():
    refusal = check(form(picture_policy(), **{"x-amz-meta-owner": "me"}), now=NOW)
    assert refusal.message == "Invalid according to Policy: Extra input fields: x-amz-meta-owner"
    assert check(form(picture_policy(), **{"x-ignore-note": "any"}), now=NOW) is None
    sigv4 = picture_policy(conditions=[
        {"Content-Type": "image/png"}, ["content-length-range", 1, 5 * MB], {"success_action_redirect": REDIRECT},
        {"bucket": BUCKET}, {"key": KEY}, {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
        {"x-amz-credential": "local/20261204/us-east-1/s3/aws4_request"}, {"x-amz-date": "20261204T120000Z"}])
    signed = {"x-amz-algorithm": "AWS4-HMAC-SHA256",
              "x-amz-credential": "local/20261204/us-east-1/s3/aws4_request",
              "x-amz-date": "20261204T120000Z", "x-amz-signature": "abc"}
    assert check(form(sigv4, **signed), now=NOW) is None


def test_field_names_are_case_insensitive_and_values_are_not():
    assert check(form(picture_policy(), **{"Content-Type": "IMAGE/PNG"}), now=NOW).code == "AccessDenied"
    upload = form(picture_policy())
    renamed = {("content-type" if name == "Content-Type" else name): value
               for name, value in upload.fields.items()}
    assert check(FormUpload(BUCKET, renamed, upload.file_name, upload.file_size), now=NOW) is None


def test_starts_with_conditions_and_the_filename_placeholder():
    policy = picture_policy(conditions=[
        ["starts-with", "$key", "media/products/u1/"], ["starts-with", "$Content-Type", "image/"],
        ["starts-with", "$success_action_redirect", ""], {"bucket": BUCKET}, ["content-length-range", 1, 5 * MB]])
    assert check(form(policy, key="media/products/u1/${filename}"), now=NOW) is None
    assert check(form(policy, key="media/products/u2/x.png"), now=NOW).message.endswith(
        '["starts-with", "$key", "media/products/u1/"]')
    # the placeholder takes the file's base name only
    assert check(form(policy, key="media/products/${filename}", file_name="u1/x.png"),
                 now=NOW).code == "AccessDenied"
    assert check(form(policy, **{"Content-Type": "image/png, text/html"}), now=NOW).code == "AccessDenied"
    assert check(form(policy, **{"Content-Type": "image/png,image/webp"}), now=NOW) is None


def test_a_missing_field_fails_its_exact_condition():
    upload = form(picture_policy())
    without = {name: value for name, value in upload.fields.items() if name != "success_action_redirect"}
    refusal = check(FormUpload(BUCKET, without, upload.file_name, upload.file_size), now=NOW)
    assert refusal.message.endswith(f'["eq", "$success_action_redirect", "{REDIRECT}"]')


def test_a_form_without_a_policy_is_an_anonymous_upload_the_private_bucket_denies():
    refusal = check(form(None), now=NOW)
    assert (refusal.status, refusal.code, refusal.message) == (403, "AccessDenied", "Access Denied")


def test_a_form_without_a_file_is_an_invalid_argument():
    refusal = check(form(picture_policy(), file_name=None), now=NOW)
    assert (refusal.status, refusal.code) == (400, "InvalidArgument")
    assert dict(refusal.details)["ArgumentName"] == "file"


@pytest.mark.parametrize("policy", [
    "not base64!", base64.b64encode(b"[1, 2]").decode(), base64.b64encode(b"{not json").decode(),
    base64.b64encode(json.dumps({"conditions": []}).encode()).decode(),
    encoded([], expiration="tomorrow"),
    base64.b64encode(json.dumps({"expiration": "2026-12-04T12:10:00Z"}).encode()).decode(),
    encoded([["content-length-range", 5, 1]]), encoded([["eq", "key", KEY]]), encoded([["between", "$key", KEY]]),
    encoded([{"key": 5}]),
])
def test_a_malformed_policy_is_an_invalid_policy_document(policy):
    refusal = check(form(policy), now=NOW)
    assert (refusal.status, refusal.code) == (400, "InvalidPolicyDocument")
    assert refusal.message.startswith("Invalid Policy: ")


def test_the_error_is_s3s_xml_with_the_message_escaped():
    policy = picture_policy(conditions=[{"bucket": BUCKET}, {"key": "x<b>&y"}, {"Content-Type": "image/png"},
                                        {"success_action_redirect": REDIRECT}])
    xml = check(form(policy), now=NOW).xml("ABC").decode()
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>')
    assert '["eq", "$key", "x&lt;b&gt;&amp;y"]</Message>' in xml
    assert xml.endswith("<RequestId>ABC</RequestId><HostId>ABC</HostId></Error>")


@pytest.mark.parametrize(("path", "host", "bucket"), [
    ("/interkanect-uploads", "127.0.0.1:4566", "interkanect-uploads"),
    ("/interkanect-files/", "localhost:4566", "interkanect-files"),
    ("/", "interkanect-files.s3.amazonaws.com", "interkanect-files"),
    ("/", "interkanect-files.localhost:4566", "interkanect-files"),
    ("/", "127.0.0.1:4566", None),  # Cognito, DynamoDB, ... post to the root
    ("/", "localhost:4566", None),
    ("/interkanect-files/some/key", "127.0.0.1:4566", None),  # no POST Object
    ("/moto-api/reset", "127.0.0.1:4566", None),
])
def test_the_bucket_of_a_form_post(path, host, bucket):
    assert form_post_bucket(path, host) == bucket
