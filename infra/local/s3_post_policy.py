"""S3's POST policy, checked as S3 checks a browser's form upload (POST Object), for the local stack:
moto stores whatever a form POST carries and ignores the signed policy, so without this an HTML
page could be stored locally as a "picture", or a file beyond its size.

Pure: `check` takes what the form carried and the time, and returns S3's refusal or None. The
signature is not verified (moto takes any credentials); the policy's conditions are.
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping
from xml.sax.saxutils import escape

# Form fields a policy need not name (SigV4's and SigV2's signature fields, the file itself).
UNNAMED_FIELDS = frozenset({"policy", "file", "x-amz-signature", "awsaccesskeyid", "signature"})
IGNORED_PREFIX = "x-ignore-"
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
IP_ADDRESS = re.compile(r"\d+\.\d+\.\d+\.\d+")


@dataclass(frozen=True)
class Refusal:
    """An S3 error answer: its status, code, message and the extra elements S3 adds."""

    status: int
    code: str
    message: str
    details: tuple[tuple[str, str], ...] = ()

    def xml(self, request_id: str) -> bytes:
        extra = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in self.details)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{self.code}</Code><Message>{escape(self.message)}</Message>{extra}"
                f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>").encode()


@dataclass(frozen=True)
class FormUpload:
    """What a POST Object form carried: the bucket it went to, its fields (every one but the
    file, names as sent) and the file, if there was one."""

    bucket: str
    fields: Mapping[str, str]
    file_name: str | None
    file_size: int | None  # None: the form had no file


class InvalidPolicy(ValueError):
    pass


def denied(reason: str) -> Refusal:
    return Refusal(403, "AccessDenied", f"Invalid according to Policy: {reason}")


def form_post_bucket(path: str, host: str) -> str | None:
    """The bucket a POST to `path` on `host` uploads to, or None when it is no POST Object:
    path style `/<bucket>` or virtual-hosted `<bucket>.<host>` with the path `/`."""
    segments = [s for s in path.split("/") if s]
    if len(segments) == 1:
        return segments[0] if BUCKET_NAME.fullmatch(segments[0]) else None
    if segments:
        return None
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else ""
    label, dot, _ = name.partition(".")
    if not dot or IP_ADDRESS.fullmatch(name) or not BUCKET_NAME.fullmatch(label):
        return None
    return label


def decode(policy: str) -> tuple[datetime, list[Any]]:
    """The policy's expiration and conditions, from the form's base64 JSON."""
    try:
        document = json.loads(base64.b64decode(policy, validate=True))
    except (binascii.Error, ValueError) as error:
        raise InvalidPolicy("Invalid Policy: Invalid JSON.") from error
    if not isinstance(document, dict):
        raise InvalidPolicy("Invalid Policy: Invalid JSON.")
    if "expiration" not in document:
        raise InvalidPolicy("Invalid Policy: Policy missing expiration.")
    expiration = document["expiration"]
    try:
        expires = datetime.fromisoformat(expiration) if isinstance(expiration, str) else None
    except ValueError:
        expires = None
    if expires is None:
        raise InvalidPolicy(f"Invalid Policy: Invalid 'expiration' value: '{expiration}'")
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=timezone.utc)
    conditions = document.get("conditions")
    if not isinstance(conditions, list):
        raise InvalidPolicy("Invalid Policy: Policy missing conditions.")
    return expires, conditions


def _field_of(name: object, condition: Any) -> str:
    if not isinstance(name, str) or not name.startswith("$") or len(name) < 2:
        raise InvalidPolicy(f"Invalid Policy: Invalid Condition: {json.dumps(condition)}")
    return name[1:]


def _normalized(condition: Any) -> tuple[str, str, Any, Any]:
    """(operator, field, argument, argument) of one condition, in the list form S3 reports."""
    if isinstance(condition, dict) and len(condition) == 1:
        ((name, value),) = condition.items()
        if not isinstance(value, str):
            raise InvalidPolicy("Invalid Policy: Invalid Simple-Condition: value must be a string.")
        return "eq", name, value, None
    if isinstance(condition, list) and len(condition) == 3 and isinstance(condition[0], str):
        operator = condition[0].lower()
        if operator in ("eq", "starts-with") and isinstance(condition[2], str):
            return operator, _field_of(condition[1], condition), condition[2], None
        if operator == "content-length-range":
            low, high = (int(v) if isinstance(v, str) and v.isdigit() else v for v in condition[1:])
            if all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) and 0 <= low <= high:
                return operator, "", low, high
    raise InvalidPolicy(f"Invalid Policy: Invalid Condition: {json.dumps(condition)}")


def _failed(operator: str, field: str, argument: str) -> Refusal:
    return denied(f"Policy Condition failed: {json.dumps([operator, '$' + field, argument])}")


def _holds(operator: str, field: str, value: str, argument: str) -> bool:
    if operator == "eq":
        return value == argument
    if field.lower() == "content-type":  # each of a comma-separated list must start so
        return all(part.strip().startswith(argument) for part in value.split(","))
    return value.startswith(argument)


def check(upload: FormUpload, *, now: datetime) -> Refusal | None:
    """S3's answer to the upload when it would refuse it, else None: a signed policy, not
    expired, naming every field the form sent, each of its conditions met, the file's size in
    its `content-length-range`."""
    fields = {name.lower(): value for name, value in upload.fields.items()}
    if "policy" not in fields:  # an anonymous upload; the local buckets are private
        return Refusal(403, "AccessDenied", "Access Denied")
    if upload.file_size is None:
        return Refusal(400, "InvalidArgument", "POST requires exactly one file upload per request.",
                       (("ArgumentName", "file"), ("ArgumentValue", "0")))
    try:
        expires, conditions = decode(fields["policy"])
        checks = [_normalized(condition) for condition in conditions]
    except InvalidPolicy as error:
        return Refusal(400, "InvalidPolicyDocument", str(error))
    if now >= expires:
        return denied("Policy expired.")
    if "key" in fields and upload.file_name is not None:
        fields["key"] = fields["key"].replace("${filename}", upload.file_name.rpartition("/")[2])
    fields["bucket"] = upload.bucket
    named = {field.lower() for _, field, _, _ in checks}
    extra = [name for name in upload.fields
             if name.lower() not in named | UNNAMED_FIELDS and not name.lower().startswith(IGNORED_PREFIX)]
    if extra:
        return denied(f"Extra input fields: {', '.join(extra)}")
    for operator, field, argument, high in checks:
        if operator != "content-length-range" and not _holds(operator, field, fields.get(field.lower(), ""),
                                                             argument):
            return _failed(operator, field, argument)
    for operator, _, low, high in checks:
        if operator != "content-length-range":
            continue
        if upload.file_size > high:
            return Refusal(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size",
                           (("ProposedSize", str(upload.file_size)), ("MaxSizeAllowed", str(high))))
        if upload.file_size < low:
            return Refusal(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size",
                           (("ProposedSize", str(upload.file_size)), ("MinSizeAllowed", str(low))))
    return None
