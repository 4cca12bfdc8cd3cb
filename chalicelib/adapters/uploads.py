"""Uploads: presigned S3 POSTs the browser sends straight to S3 (avatars and product pictures
in the uploads bucket, a store's files in the private files bucket), what arrived, and short-lived
download links that always leave as attachments."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class StoredObject:
    """What storage knows of an uploaded file."""

    size: int
    content_type: str
    head: bytes  # the first bytes, to check the file really is the image it claims to be


@dataclass(frozen=True)
class StoredBytes:
    """An uploaded file read whole, with the type it was uploaded as."""

    data: bytes
    content_type: str


class UploadStorage(Protocol):
    def presigned_post(self, *, key: str, content_type: str, max_bytes: int, redirect: str) -> dict: ...
    def describe(self, key: str) -> StoredObject | None: ...
    def read(self, key: str, *, max_bytes: int) -> StoredBytes | None: ...
    def put(self, key: str, data: bytes, *, content_type: str) -> None: ...
    def delete(self, key: str) -> None: ...
    def download_url(self, key: str, *, filename: str, content_type: str, seconds: int) -> str: ...


def served_from(url: str, origin: str) -> str:
    """`url` with its scheme and host swapped for `origin`'s, the path and query kept: a
    presigned S3 GET fetched through the downloads distribution, which sends it on to S3 with the
    bucket's own Host (the one it was signed for), so the signature still holds."""
    from urllib.parse import urlsplit, urlunsplit

    if not origin:
        return url
    parts, served = urlsplit(url), urlsplit(origin)
    return urlunsplit((served.scheme, served.netloc, parts.path, parts.query, ""))


def attachment(filename: str) -> str:
    """A Content-Disposition that saves the file under its name (RFC 6266: an ASCII fallback and
    the UTF-8 name), never shows it in the browser."""
    from urllib.parse import quote

    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class S3UploadStorage:
    def __init__(self, client: Any, bucket: str, download_origin: str = "") -> None:
        self._client = client
        self._bucket = bucket
        self._download_origin = download_origin  # "": links go to S3 itself

    def presigned_post(self, *, key: str, content_type: str, max_bytes: int, redirect: str) -> dict:
        """A POST policy S3 enforces: this key, this type, at most `max_bytes`, 10 minutes."""
        return self._client.generate_presigned_post(
            Bucket=self._bucket, Key=key,
            Fields={"Content-Type": content_type, "success_action_redirect": redirect},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes],
                        {"success_action_redirect": redirect}],
            ExpiresIn=600,
        )

    def _get(self, key: str, last_byte: int) -> dict | None:
        """The object from its first byte to `last_byte`; None when there is no such object."""
        try:
            return self._client.get_object(Bucket=self._bucket, Key=key, Range=f"bytes=0-{last_byte}")
        except self._client.exceptions.NoSuchKey:
            return None
        except self._client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "InvalidRange"):
                return None
            raise

    def describe(self, key: str) -> StoredObject | None:
        answer = self._get(key, 31)
        if answer is None:
            return None
        total = answer.get("ContentRange", "").rpartition("/")[2]
        size = int(total) if total.isdigit() else int(answer.get("ContentLength", 0))
        return StoredObject(size=size, content_type=answer.get("ContentType", ""), head=answer["Body"].read())

    def read(self, key: str, *, max_bytes: int) -> StoredBytes | None:
        """The object's bytes and type; None when there is none or it is larger than `max_bytes` (one
        byte more is asked for, so a larger object is known without reading all of it)."""
        answer = self._get(key, max_bytes)
        if answer is None:
            return None
        data = answer["Body"].read()
        return StoredBytes(data, answer.get("ContentType", "")) if len(data) <= max_bytes else None

    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        """A file the app made (a redrawn picture), kept for a year in browsers: its key is new
        whenever its content is."""
        self._client.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type,
                                CacheControl="public, max-age=31536000, immutable")

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self._bucket, Key=key)

    def download_url(self, key: str, *, filename: str, content_type: str, seconds: int) -> str:
        """A presigned GET of the object that S3 answers as an attachment of the checked type,
        through the download origin when there is one (it adds `nosniff`, which S3 cannot)."""
        return served_from(self._client.generate_presigned_url(
            "get_object", ExpiresIn=seconds,
            Params={"Bucket": self._bucket, "Key": key, "ResponseContentType": content_type,
                    "ResponseContentDisposition": attachment(filename)}), self._download_origin)


class InMemoryUploadStorage:
    def __init__(self, download_origin: str = "") -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self._download_origin = download_origin

    def presigned_post(self, *, key: str, content_type: str, max_bytes: int, redirect: str) -> dict:
        return {"url": "memory://uploads", "fields": {"key": key, "Content-Type": content_type,
                                                      "success_action_redirect": redirect}}

    def describe(self, key: str) -> StoredObject | None:
        if key not in self.objects:
            return None
        data, content_type = self.objects[key]
        return StoredObject(size=len(data), content_type=content_type, head=data[:32])

    def read(self, key: str, *, max_bytes: int) -> StoredBytes | None:
        if key not in self.objects or len(self.objects[key][0]) > max_bytes:
            return None
        return StoredBytes(*self.objects[key])

    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        self.objects[key] = (data, content_type)

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def download_url(self, key: str, *, filename: str, content_type: str, seconds: int) -> str:
        from urllib.parse import urlencode

        return served_from(f"memory://uploads/{key}?" + urlencode(
            {"disposition": attachment(filename), "type": content_type, "expires": seconds}), self._download_origin)
