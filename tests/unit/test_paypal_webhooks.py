"""PayPal webhook signatures, verified offline with a key pair and certificates made in the test:
the good delivery passes; a changed body, another webhook id, a certificate from elsewhere, an
expired certificate, a stale transmission or a missing header do not."""
from __future__ import annotations

import base64
import datetime as dt
import json
import zlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from chalicelib.adapters.paypal_webhooks import (
    PAYPAL_CERT_URL_PREFIXES,
    CertificateUnavailable,
    InvalidWebhook,
    WebhookVerifier,
    cert_url_allowed,
)

WEBHOOK_ID = "8PT597110X687430LKGECATA"
NOW = 1_800_000_000.0
CERT_URL = "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"
EVENT = {"id": "WH-7Y7254563A4550640-11V2185806837105M", "event_type": "PAYMENT.CAPTURE.COMPLETED",
         "resource_type": "capture", "resource": {"id": "42311647XV020574X", "status": "COMPLETED"}}


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificate(key, *, issuer_key=None, issuer_name: str | None = None,
                     subject: str = "messageverificationcerts.paypal.com",
                     valid_from: float = NOW - 86400, valid_to: float = NOW + 86400 * 365) -> x509.Certificate:
    return (x509.CertificateBuilder()
            .subject_name(_name(subject))
            .issuer_name(_name(issuer_name or subject))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(dt.datetime.fromtimestamp(valid_from, dt.timezone.utc))
            .not_valid_after(dt.datetime.fromtimestamp(valid_to, dt.timezone.utc))
            .sign(issuer_key or key, hashes.SHA256()))


def pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def paypal(key):
    """PayPal's side: the certificate it serves and a signer for deliveries."""

    class PayPal:
        certificates = {CERT_URL: pem(make_certificate(key))}
        fetched: list[str] = []

        def fetch(self, url: str) -> bytes:
            self.fetched.append(url)
            return self.certificates[url]

        def deliver(self, body: bytes, *, webhook_id: str = WEBHOOK_ID, sent_at: float = NOW,
                    cert_url: str = CERT_URL, signer=None) -> dict[str, str]:
            transmission_id = "69cd13f0-d67a-11e5-baa3-778b53f4ae55"
            stamp = dt.datetime.fromtimestamp(sent_at, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            message = f"{transmission_id}|{stamp}|{webhook_id}|{zlib.crc32(body)}".encode()
            signature = (signer or key).sign(message, padding.PKCS1v15(), hashes.SHA256())
            return {
                "PAYPAL-TRANSMISSION-ID": transmission_id,
                "PAYPAL-TRANSMISSION-TIME": stamp,
                "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
                "PAYPAL-CERT-URL": cert_url,
                "PAYPAL-AUTH-ALGO": "SHA256withRSA",
            }

    return PayPal()


def verifier_for(paypal, **options) -> WebhookVerifier:
    return WebhookVerifier(webhook_id=WEBHOOK_ID, fetch=paypal.fetch, clock=lambda: NOW, **options)


BODY = json.dumps(EVENT, separators=(",", ":")).encode()


def test_a_delivery_signed_by_paypal_for_our_webhook_gives_the_event(paypal) -> None:
    assert verifier_for(paypal).verify(paypal.deliver(BODY), BODY) == EVENT


def test_header_names_are_read_in_any_case(paypal) -> None:
    headers = {name.lower().title(): value for name, value in paypal.deliver(BODY).items()}
    assert verifier_for(paypal).verify(headers, BODY)["id"] == EVENT["id"]


def test_the_certificate_is_fetched_once_per_url(paypal) -> None:
    verifier = verifier_for(paypal)
    for _ in range(3):
        verifier.verify(paypal.deliver(BODY), BODY)
    assert paypal.fetched == [CERT_URL]


def test_the_certificate_cache_is_bounded(paypal, key) -> None:
    urls = [f"https://api.paypal.com/v1/notifications/certs/CERT-{n}" for n in range(4)]
    for url in urls:
        paypal.certificates[url] = paypal.certificates[CERT_URL]
    verifier = verifier_for(paypal, cache_size=2)
    for url in urls + urls[:1]:
        verifier.verify(paypal.deliver(BODY, cert_url=url), BODY)
    assert paypal.fetched == urls + urls[:1]  # the first was pushed out, so fetched again


def test_a_changed_body_fails(paypal) -> None:
    headers = paypal.deliver(BODY)
    tampered = BODY.replace(b"COMPLETED", b"REFUNDED!")
    with pytest.raises(InvalidWebhook, match="signature does not match"):
        verifier_for(paypal).verify(headers, tampered)


def test_a_delivery_for_another_webhook_fails(paypal) -> None:
    with pytest.raises(InvalidWebhook, match="signature does not match"):
        verifier_for(paypal).verify(paypal.deliver(BODY, webhook_id="ANOTHERWEBHOOK1"), BODY)


def test_a_signature_by_another_key_fails(paypal) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(InvalidWebhook, match="signature does not match"):
        verifier_for(paypal).verify(paypal.deliver(BODY, signer=stranger), BODY)


@pytest.mark.parametrize("cert_url", [
    "https://evil.example.com/v1/notifications/certs/CERT-1",
    "https://api.paypal.com.evil.com/v1/notifications/certs/CERT-1",
    "https://api.paypal.com@evil.com/v1/notifications/certs/CERT-1",
    "https://evil.com\\@api.paypal.com/v1/notifications/certs/CERT-1",
    "https://evilapi.paypal.com/v1/notifications/certs/CERT-1",
    "http://api.paypal.com/v1/notifications/certs/CERT-1",
    "https://api.paypal.com:8443/v1/notifications/certs/CERT-1",
    "ftp://api.paypal.com/v1/notifications/certs/CERT-1",
    "//api.paypal.com/v1/notifications/certs/CERT-1",
    "file:///etc/passwd",
])
def test_a_certificate_from_anywhere_but_paypal_is_never_fetched(paypal, cert_url) -> None:
    paypal.certificates[cert_url] = paypal.certificates[CERT_URL]
    with pytest.raises(InvalidWebhook, match="certificate URL is not PayPal's"):
        verifier_for(paypal).verify(paypal.deliver(BODY, cert_url=cert_url), BODY)
    assert paypal.fetched == []


@pytest.mark.parametrize("url, allowed", [
    ("https://api.paypal.com/v1/notifications/certs/X", True),
    ("HTTPS://API.PAYPAL.COM/v1/notifications/certs/X", True),
    ("https://api.paypal.com:443/v1/certs/X", True),
    ("https://api-m.sandbox.paypal.com/v1/notifications/certs/X", True),
    ("https://api.sandbox.paypal.com/x", True),
    ("https://api.paypal.com.evil.com/x", False),
    ("https://api.paypal.com./x", False),
    ("https://user:pw@api.paypal.com/x", False),
    ("https://api.paypal.com:bad/x", False),
    ("https://api.paypal.com/x y", False),
    ("https://аpi.paypal.com/x", False),  # a Cyrillic 'а'
    ("", False),
])
def test_certificate_urls_are_compared_by_scheme_host_port_and_path(url, allowed) -> None:
    assert cert_url_allowed(url, PAYPAL_CERT_URL_PREFIXES) is allowed


def test_the_local_sandbox_is_allowed_only_when_the_settings_add_it(paypal) -> None:
    local = "http://127.0.0.1:54321/v1/notifications/certs/CERT-local"
    paypal.certificates[local] = paypal.certificates[CERT_URL]
    headers = paypal.deliver(BODY, cert_url=local)
    with pytest.raises(InvalidWebhook, match="not PayPal's"):
        verifier_for(paypal).verify(headers, BODY)
    with_local = verifier_for(paypal, allowed_cert_urls=PAYPAL_CERT_URL_PREFIXES + ("http://127.0.0.1:54321/",))
    assert with_local.verify(headers, BODY) == EVENT
    assert not cert_url_allowed("http://127.0.0.1:54322/v1/x", ("http://127.0.0.1:54321/",))
    assert not cert_url_allowed("http://127.0.0.1:54321/v1/x", ("http://127.0.0.1:54321/v2/",))
    assert cert_url_allowed("http://127.0.0.1:54321/v2/certs/x", ("http://127.0.0.1:54321/v2",))
    assert not cert_url_allowed("http://127.0.0.1:54321/v2evil/x", ("http://127.0.0.1:54321/v2",))


@pytest.mark.parametrize("valid_from, valid_to", [
    (NOW - 86400 * 400, NOW - 86400),  # expired
    (NOW + 86400, NOW + 86400 * 400),  # not yet valid
])
def test_a_certificate_outside_its_validity_fails(paypal, key, valid_from, valid_to) -> None:
    paypal.certificates[CERT_URL] = pem(make_certificate(key, valid_from=valid_from, valid_to=valid_to))
    with pytest.raises(InvalidWebhook, match="expired or not yet valid"):
        verifier_for(paypal).verify(paypal.deliver(BODY), BODY)


def test_a_cached_certificate_that_expires_is_no_longer_trusted(paypal, key) -> None:
    now = [NOW]
    paypal.certificates[CERT_URL] = pem(make_certificate(key, valid_to=NOW + 3600))
    verifier = WebhookVerifier(webhook_id=WEBHOOK_ID, fetch=paypal.fetch, clock=lambda: now[0])
    verifier.verify(paypal.deliver(BODY), BODY)
    now[0] += 7200
    with pytest.raises(InvalidWebhook, match="expired"):
        verifier.verify(paypal.deliver(BODY, sent_at=now[0]), BODY)
    assert paypal.fetched == [CERT_URL, CERT_URL]  # looked again before giving up


def test_a_certificate_chain_must_link_up(paypal, key) -> None:
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = make_certificate(ca_key, subject="DigiCert Test CA")
    leaf = make_certificate(key, issuer_key=ca_key, issuer_name="DigiCert Test CA")
    paypal.certificates[CERT_URL] = pem(leaf, ca)
    assert verifier_for(paypal).verify(paypal.deliver(BODY), BODY) == EVENT

    impostor = make_certificate(rsa.generate_private_key(public_exponent=65537, key_size=2048),
                                subject="DigiCert Test CA")
    paypal.certificates[CERT_URL] = pem(leaf, impostor)
    with pytest.raises(InvalidWebhook, match="chain is broken"):
        verifier_for(paypal).verify(paypal.deliver(BODY), BODY)


def test_a_der_certificate_is_read_too(paypal, key) -> None:
    paypal.certificates[CERT_URL] = make_certificate(key).public_bytes(serialization.Encoding.DER)
    assert verifier_for(paypal).verify(paypal.deliver(BODY), BODY) == EVENT


@pytest.mark.parametrize("served, reason", [
    (b"", "empty or too large"),
    (b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n", "not readable"),
    (b"\x30\x03garbage", "not readable"),
])
def test_an_unreadable_certificate_fails(paypal, served, reason) -> None:
    paypal.certificates[CERT_URL] = served
    with pytest.raises(InvalidWebhook, match=reason):
        verifier_for(paypal).verify(paypal.deliver(BODY), BODY)


def test_a_certificate_without_an_rsa_key_fails(paypal) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    paypal.certificates[CERT_URL] = pem(make_certificate(ec_key))
    with pytest.raises(InvalidWebhook, match="not RSA"):
        verifier_for(paypal).verify(paypal.deliver(BODY), BODY)


class Clock:
    """A clock the test moves."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingFetcher:
    """PayPal's certificate host as the verifier reaches it: serves what it has, else fails (a
    404 is an OSError from urllib), and counts every download."""

    def __init__(self, paypal) -> None:
        self.paypal, self.fetched, self.down = paypal, [], False

    def __call__(self, url: str) -> bytes:
        self.fetched.append(url)
        if self.down or url not in self.paypal.certificates:
            raise OSError(f"{url} answered 404")
        return self.paypal.certificates[url]


def made_up(n: int) -> str:
    return f"https://api.paypal.com/v1/notifications/certs/CERT-made-up-{n}"


def test_a_certificate_that_cannot_be_fetched_is_remembered_for_a_short_time_then_tried_again(paypal) -> None:
    # Given PayPal's certificate host is down
    fetch, clock = CountingFetcher(paypal), Clock()
    fetch.down = True
    verifier = WebhookVerifier(webhook_id=WEBHOOK_ID, fetch=fetch, clock=clock, failure_seconds=60)
    with pytest.raises(CertificateUnavailable, match="could not be fetched"):
        verifier.verify(paypal.deliver(BODY), BODY)
    # When deliveries naming it come again within the minute, even once the host is back
    fetch.down = False
    clock.now += 59
    with pytest.raises(CertificateUnavailable, match="could not be fetched"):
        verifier.verify(paypal.deliver(BODY, sent_at=clock.now), BODY)
    assert fetch.fetched == [CERT_URL]  # the failure was remembered: no second download
    # Then after that it is fetched again, and the (redelivered) event passes
    clock.now += 2
    assert verifier.verify(paypal.deliver(BODY, sent_at=clock.now), BODY) == EVENT
    assert fetch.fetched == [CERT_URL, CERT_URL]


def test_an_unusable_certificate_is_remembered_too(paypal) -> None:
    paypal.certificates[made_up(1)] = b"not a certificate"
    fetch = CountingFetcher(paypal)
    verifier = WebhookVerifier(webhook_id=WEBHOOK_ID, fetch=fetch, clock=lambda: NOW)
    for _ in range(3):
        with pytest.raises(InvalidWebhook, match="not readable"):
            verifier.verify(paypal.deliver(BODY, cert_url=made_up(1)), BODY)
    assert fetch.fetched == [made_up(1)]


def test_events_naming_different_certificate_urls_cost_at_most_the_downloads_allowed_per_minute(paypal) -> None:
    # Given the genuine certificate was fetched for a genuine event
    fetch, clock = CountingFetcher(paypal), Clock()
    verifier = WebhookVerifier(webhook_id=WEBHOOK_ID, fetch=fetch, clock=clock, fetches_per_minute=10)
    assert verifier.verify(paypal.deliver(BODY), BODY) == EVENT
    # When unsigned events name 50 different certificate URLs on PayPal's host
    refusals = []
    for n in range(50):
        with pytest.raises(CertificateUnavailable) as refused:
            verifier.verify(paypal.deliver(BODY, cert_url=made_up(n)), BODY)
        refusals.append(refused.value.reason)
    # Then 10 downloads were made in that minute (the genuine one included), the rest refused unfetched
    assert len(fetch.fetched) == 10
    assert refusals.count("too many certificate downloads this minute") == 50 - 9
    # and genuine events go on passing with the cached certificate
    assert verifier.verify(paypal.deliver(BODY), BODY) == EVENT
    clock.now += 61  # a minute on, downloads are allowed again
    with pytest.raises(CertificateUnavailable, match="could not be fetched"):
        verifier.verify(paypal.deliver(BODY, sent_at=clock.now, cert_url=made_up(99)), BODY)
    assert len(fetch.fetched) == 11


def test_remembered_failures_are_bounded(paypal) -> None:
    from chalicelib.adapters.paypal_webhooks import MAX_REMEMBERED_FAILURES

    fetch = CountingFetcher(paypal)
    verifier = WebhookVerifier(webhook_id=WEBHOOK_ID, fetch=fetch, clock=lambda: NOW, fetches_per_minute=1000,
                               failure_seconds=3600)
    urls = [made_up(n) for n in range(MAX_REMEMBERED_FAILURES + 1)]
    for url in urls + urls[-1:] + urls[:1]:
        with pytest.raises(CertificateUnavailable):
            verifier.verify(paypal.deliver(BODY, cert_url=url), BODY)
    # the newest was remembered; the oldest was pushed out, so it was fetched again
    assert fetch.fetched == urls + urls[:1]


@pytest.mark.parametrize("sent_at, reason", [
    (NOW - 901, "too old"),
    (NOW - 86400 * 3, "too old"),
    (NOW + 301, "in the future"),
])
def test_a_transmission_outside_the_time_window_fails(paypal, sent_at, reason) -> None:
    with pytest.raises(InvalidWebhook, match=reason):
        verifier_for(paypal).verify(paypal.deliver(BODY, sent_at=sent_at), BODY)


def test_a_transmission_just_inside_the_window_passes(paypal) -> None:
    verifier = verifier_for(paypal)
    assert verifier.verify(paypal.deliver(BODY, sent_at=NOW - 899), BODY) == EVENT
    assert verifier.verify(paypal.deliver(BODY, sent_at=NOW + 299), BODY) == EVENT


@pytest.mark.parametrize("header", ["PAYPAL-TRANSMISSION-ID", "PAYPAL-TRANSMISSION-TIME",
                                    "PAYPAL-TRANSMISSION-SIG", "PAYPAL-CERT-URL", "PAYPAL-AUTH-ALGO"])
def test_a_missing_or_empty_header_fails(paypal, header) -> None:
    headers = paypal.deliver(BODY)
    without = {k: v for k, v in headers.items() if k != header}
    with pytest.raises(InvalidWebhook, match=f"missing header {header}"):
        verifier_for(paypal).verify(without, BODY)
    with pytest.raises(InvalidWebhook, match=f"missing header {header}"):
        verifier_for(paypal).verify({**headers, header: "  "}, BODY)


@pytest.mark.parametrize("header, value, reason", [
    ("PAYPAL-TRANSMISSION-SIG", "not*base64!", "not base64"),
    ("PAYPAL-TRANSMISSION-SIG", "====", "not base64"),
    ("PAYPAL-AUTH-ALGO", "SHA1withRSA", "unsupported signature algorithm"),
    ("PAYPAL-TRANSMISSION-TIME", "yesterday", "not an RFC 3339"),
    ("PAYPAL-TRANSMISSION-TIME", "2027-01-15T08:00:00", "no time zone"),
    ("PAYPAL-TRANSMISSION-ID", "a|b", "holds a '|'"),
    ("PAYPAL-CERT-URL", "x" * 3000, "too long"),
])
def test_malformed_headers_fail(paypal, header, value, reason) -> None:
    headers = {**paypal.deliver(BODY), header: value}
    with pytest.raises(InvalidWebhook, match=reason):
        verifier_for(paypal).verify(headers, BODY)


@pytest.mark.parametrize("body, reason", [
    (b"not json", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b'{"id": "WH-1"}', "not a webhook event"),
])
def test_a_signed_body_that_is_not_an_event_fails(paypal, body, reason) -> None:
    with pytest.raises(InvalidWebhook, match=reason):
        verifier_for(paypal).verify(paypal.deliver(body), body)


def test_the_crc_is_the_unsigned_crc32_of_the_raw_bytes(paypal) -> None:
    # a body whose CRC32 has the top bit set: signed as an unsigned decimal, as PayPal does
    body = next(b for b in (json.dumps({**EVENT, "n": n}).encode() for n in range(64))
                if zlib.crc32(b) >= 2 ** 31)
    assert verifier_for(paypal).verify(paypal.deliver(body), body)["id"] == EVENT["id"]


def test_a_verifier_needs_a_webhook_id(paypal) -> None:
    with pytest.raises(ValueError):
        WebhookVerifier(webhook_id="", fetch=paypal.fetch)
