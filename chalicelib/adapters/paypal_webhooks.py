"""PayPal webhooks verified offline by their signature, as PayPal documents it: the message
`transmission_id|transmission_time|webhook_id|crc32(body)` is signed with SHA256withRSA by the
key of the certificate at `PAYPAL-CERT-URL`. No call to PayPal's verify-webhook-signature API:
one certificate download per certificate URL (cached), nothing per event.

Anyone can post an unsigned event naming any certificate URL on PayPal's hosts, so downloads are
bounded, per warm Lambda: certificates are kept by URL (least recently used out), a failed
download or an unusable certificate is remembered for `failure_seconds` (a repeat is refused
without a download), and at most `fetches_per_minute` downloads happen, whatever the URLs.
Every refusal, a certificate that could not be fetched included, is an `InvalidWebhook` (a 400:
PayPal redelivers any event not answered 2xx, so a genuine one passes later).

What `WebhookVerifier.verify` checks, in order:
1. the five PAYPAL-* headers are there (names in any case) and `PAYPAL-AUTH-ALGO` is SHA256withRSA;
2. the certificate URL is on an allowed prefix, compared as parsed scheme, host, port and path
   (no user info; `https://api.paypal.com.evil.com/` is not `https://api.paypal.com/`);
3. the transmission time is an RFC 3339 instant no older than `max_age_seconds` and no further
   ahead than `max_future_seconds` (replays of one event id are the service's job);
4. the signature is valid base64;
5. the certificate (PEM chain or DER) is valid now, every certificate of a chain too, and each
   is issued by the next one in the file; the chain is not traced to a root store: trust rests
   on the certificate coming from PayPal's own host, over HTTPS with the fetcher's TLS checks;
6. the signature verifies (RSA PKCS#1 v1.5, SHA-256) over the message built with *our* webhook
   id and the CRC32 of the raw body as received (so a changed body or another webhook's
   delivery fails here);
7. the body is a JSON object with a string `id` and `event_type`: the event, returned.
"""
from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import zlib
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

PAYPAL_CERT_URL_PREFIXES = (
    "https://api.paypal.com/",
    "https://api.sandbox.paypal.com/",
    "https://api-m.paypal.com/",
    "https://api-m.sandbox.paypal.com/",
)
AUTH_ALGO = "SHA256withRSA"
TRANSMISSION_ID = "paypal-transmission-id"
TRANSMISSION_TIME = "paypal-transmission-time"
TRANSMISSION_SIG = "paypal-transmission-sig"
CERT_URL = "paypal-cert-url"
AUTH_ALGO_HEADER = "paypal-auth-algo"
REQUIRED_HEADERS = (TRANSMISSION_ID, TRANSMISSION_TIME, TRANSMISSION_SIG, CERT_URL, AUTH_ALGO_HEADER)
MAX_HEADER_LENGTH = 2048
MAX_CERTIFICATE_BYTES = 64 * 1024
MAX_REMEMBERED_FAILURES = 64
_DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidWebhook(Exception):
    """The delivery is not a genuine PayPal webhook for us; `reason` says why, briefly."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CertificateUnavailable(InvalidWebhook):
    """PayPal's certificate could not be fetched now (or too many were, this minute); PayPal
    redelivers, so a genuine event may pass later."""


@dataclass(frozen=True)
class _Origin:
    """Where a URL points: the parts a certificate URL is checked by."""

    scheme: str
    host: str
    port: int
    path: str


def _origin(url: str) -> _Origin | None:
    """A URL as scheme, host, port and path, or None when it is not a plain http(s) URL."""
    if not isinstance(url, str) or not url.isascii() or any(c in url for c in "\\ \t\r\n"):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    return _Origin(scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme], parts.path or "/")


def cert_url_allowed(url: str, prefixes: tuple[str, ...]) -> bool:
    """Whether `url` lies under one of `prefixes`: same scheme, host and port, and a path that
    starts with the prefix's path (a prefix path is taken as a folder: it ends with `/`)."""
    candidate = _origin(url)
    if candidate is None:
        return False
    for prefix in prefixes:
        allowed = _origin(prefix)
        if allowed is None:
            continue
        folder = allowed.path if allowed.path.endswith("/") else allowed.path + "/"
        if (candidate.scheme, candidate.host, candidate.port) == (
                allowed.scheme, allowed.host, allowed.port) and candidate.path.startswith(folder):
            return True
    return False


def fetch_certificate(url: str, *, timeout: float = 5.0) -> bytes:
    """Downloads a certificate (the production `fetch`): no redirects, so the allowed host is the
    host that answers; at most 64 KB."""
    import urllib.request

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(_NoRedirect)
    with opener.open(urllib.request.Request(url, headers={"Accept": "*/*"}), timeout=timeout) as answer:
        if answer.status != 200:
            raise OSError(f"{url} answered {answer.status}")
        data = answer.read(MAX_CERTIFICATE_BYTES + 1)
    if len(data) > MAX_CERTIFICATE_BYTES:
        raise OSError(f"{url} sent more than {MAX_CERTIFICATE_BYTES} bytes")
    return data


def _parse_time(value: str) -> float:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidWebhook("transmission time is not an RFC 3339 date-time") from None
    if moment.tzinfo is None:
        raise InvalidWebhook("transmission time has no time zone")
    return moment.timestamp()


class WebhookVerifier:
    """Checks that a webhook delivery was signed by PayPal for our webhook id, recently."""

    def __init__(self, *, webhook_id: str, fetch: Callable[[str], bytes],
                 allowed_cert_urls: tuple[str, ...] = PAYPAL_CERT_URL_PREFIXES,
                 clock: Callable[[], float] = time.time, max_age_seconds: int = 900,
                 max_future_seconds: int = 300, cache_size: int = 8, failure_seconds: float = 60,
                 fetches_per_minute: int = 10) -> None:
        if not webhook_id:
            raise ValueError("a webhook id is needed to verify PayPal's signatures")
        self.webhook_id = webhook_id
        self.allowed_cert_urls = tuple(allowed_cert_urls)
        self._fetch = fetch
        self._clock = clock
        self._max_age = max_age_seconds
        self._max_future = max_future_seconds
        self._cache_size = max(1, cache_size)
        self._certificates: OrderedDict[str, list[Any]] = OrderedDict()
        self._failure_seconds = failure_seconds
        self._failures: OrderedDict[str, tuple[float, InvalidWebhook]] = OrderedDict()  # url -> (until, why)
        self._fetches_per_minute = max(1, fetches_per_minute)
        self._fetched_at: deque[float] = deque()
        self._lock = threading.Lock()

    def verify(self, headers: Mapping[str, str], raw_body: bytes) -> dict:
        """The event, parsed, when the delivery is PayPal's; else raises InvalidWebhook."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        found = self._headers(headers)
        if found[AUTH_ALGO_HEADER].lower() != AUTH_ALGO.lower():
            raise InvalidWebhook(f"unsupported signature algorithm {found[AUTH_ALGO_HEADER][:40]!r}")
        cert_url = found[CERT_URL]
        if not cert_url_allowed(cert_url, self.allowed_cert_urls):
            raise InvalidWebhook("certificate URL is not PayPal's")
        transmission_id, transmission_time = found[TRANSMISSION_ID], found[TRANSMISSION_TIME]
        if "|" in transmission_id or "|" in transmission_time:
            raise InvalidWebhook("transmission id or time holds a '|'")
        self._check_time(_parse_time(transmission_time))
        try:
            signature = base64.b64decode(found[TRANSMISSION_SIG], validate=True)
        except (binascii.Error, ValueError):
            raise InvalidWebhook("signature is not base64") from None
        if not signature:
            raise InvalidWebhook("signature is empty")
        if not isinstance(raw_body, (bytes, bytearray)):
            raise InvalidWebhook("body is not bytes")

        leaf = self._certificate(cert_url)
        key = leaf.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise InvalidWebhook("certificate key is not RSA")
        crc = zlib.crc32(bytes(raw_body)) & 0xFFFFFFFF
        message = f"{transmission_id}|{transmission_time}|{self.webhook_id}|{crc}".encode()
        try:
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise InvalidWebhook("signature does not match") from None
        return self._event(raw_body)

    # -- the steps ------------------------------------------------------------------------
    @staticmethod
    def _headers(headers: Mapping[str, str]) -> dict[str, str]:
        lowered: dict[str, str] = {}
        for name, value in (headers or {}).items():
            if isinstance(name, str) and name.lower() in REQUIRED_HEADERS and isinstance(value, str):
                lowered[name.lower()] = value.strip()
        missing = [name.upper() for name in REQUIRED_HEADERS if not lowered.get(name)]
        if missing:
            raise InvalidWebhook(f"missing header {', '.join(missing)}")
        if any(len(value) > MAX_HEADER_LENGTH for value in lowered.values()):
            raise InvalidWebhook("header too long")
        return lowered

    def _check_time(self, sent_at: float) -> None:
        now = self._clock()
        if sent_at < now - self._max_age:
            raise InvalidWebhook("transmission is too old")
        if sent_at > now + self._max_future:
            raise InvalidWebhook("transmission time is in the future")

    def _certificate(self, url: str) -> Any:
        """The leaf certificate at `url`, valid now: from the cache, else downloaded (within the
        budget) unless the last try failed less than `failure_seconds` ago."""
        now = self._clock()
        with self._lock:
            chain = self._certificates.get(url)
            if chain is not None:
                self._certificates.move_to_end(url)
            failed = self._failures.get(url)
        if chain is not None and self._valid_now(chain):
            return chain[0]  # (one expired while cached is fetched again, in case PayPal replaced it)
        if failed is not None and failed[0] > now:
            raise type(failed[1])(failed[1].reason)
        self._take_fetch(now)
        try:
            chain = self._load(url)
            if not self._valid_now(chain):
                raise InvalidWebhook("certificate is expired or not yet valid")
        except InvalidWebhook as failure:
            self._remember(self._failures, url, (now + self._failure_seconds, failure), MAX_REMEMBERED_FAILURES)
            raise
        with self._lock:
            self._failures.pop(url, None)
        self._remember(self._certificates, url, chain, self._cache_size)
        return chain[0]

    def _take_fetch(self, now: float) -> None:
        """Counts a download against the budget of the last minute, or refuses it."""
        with self._lock:
            while self._fetched_at and self._fetched_at[0] <= now - 60:
                self._fetched_at.popleft()
            if len(self._fetched_at) >= self._fetches_per_minute:
                raise CertificateUnavailable("too many certificate downloads this minute")
            self._fetched_at.append(now)

    def _remember(self, cache: OrderedDict, url: str, value: Any, size: int) -> None:
        with self._lock:
            cache[url] = value
            cache.move_to_end(url)
            while len(cache) > size:
                cache.popitem(last=False)

    def _load(self, url: str) -> list[Any]:
        from cryptography import x509
        from cryptography.exceptions import InvalidSignature

        from http.client import HTTPException

        try:
            data = self._fetch(url)
        except (OSError, ValueError, HTTPException) as error:  # urllib, socket and requests errors are OSErrors
            raise CertificateUnavailable(f"certificate could not be fetched ({type(error).__name__})") \
                from error
        if not isinstance(data, (bytes, bytearray)) or not data or len(data) > MAX_CERTIFICATE_BYTES:
            raise InvalidWebhook("certificate download is empty or too large")
        try:
            chain = (x509.load_pem_x509_certificates(bytes(data)) if b"-----BEGIN" in data
                     else [x509.load_der_x509_certificate(bytes(data))])
        except ValueError:
            raise InvalidWebhook("certificate is not readable") from None
        for issued, issuer in zip(chain, chain[1:]):
            try:
                issued.verify_directly_issued_by(issuer)
            except (ValueError, TypeError, InvalidSignature):
                raise InvalidWebhook("certificate chain is broken") from None
        return chain

    def _valid_now(self, chain: list[Any]) -> bool:
        now = self._clock()
        return all(cert.not_valid_before_utc.timestamp() <= now <= cert.not_valid_after_utc.timestamp()
                   for cert in chain)

    @staticmethod
    def _event(raw_body: bytes) -> dict:
        try:
            event = json.loads(bytes(raw_body).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise InvalidWebhook("body is not JSON") from None
        if not isinstance(event, dict):
            raise InvalidWebhook("body is not a JSON object")
        if not isinstance(event.get("id"), str) or not isinstance(event.get("event_type"), str):
            raise InvalidWebhook("body is not a webhook event (no id or event_type)")
        return event

