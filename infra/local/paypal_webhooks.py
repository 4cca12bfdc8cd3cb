"""Webhooks of the local PayPal sandbox, signed as PayPal signs them.

The sandbox holds an RSA key and a self-signed X.509 certificate (made on first use, kept in the
state file so certificate URLs survive restarts), served without a token at
`GET /v1/notifications/certs/CERT-xxxxxxxx-xxxxxxxx-xxxxxxxx` (PEM; the name is taken from the
certificate's SHA-256 fingerprint, in the shape of PayPal's own certificate names).

Every event goes to each webhook subscribed to its type (or to `*`), by POST, from a background
thread, with PayPal's headers:

    PAYPAL-TRANSMISSION-ID    a fresh UUID per transmission (a resend gets a new one)
    PAYPAL-TRANSMISSION-TIME  RFC 3339, e.g. 2024-05-01T12:00:00Z
    PAYPAL-TRANSMISSION-SIG   base64(RSASSA-PKCS1-v1_5-SHA256(key, message))
    PAYPAL-CERT-URL           {sandbox_url}/v1/notifications/certs/CERT-...
    PAYPAL-AUTH-ALGO          SHA256withRSA

where `message = f"{transmission_id}|{transmission_time}|{webhook_id}|{crc32(raw body)}"`, the
CRC32 written as an unsigned decimal, and `webhook_id` the id of the webhook being delivered to.
A delivery that fails (no connection, or a non-2xx answer) is tried again after each of
`retry_delays` (default 0.2 s, 1 s, 3 s), then marked FAILED. Every delivery is logged (event,
webhook, url, status, attempts, last HTTP status or error) and saved with the state.
"""
from __future__ import annotations

import base64
import json
import logging
import threading
import urllib.error
import urllib.request
import uuid
import zlib
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterable
from urllib.parse import urlsplit

from infra.local.paypal_core import (
    WEBHOOKS_DOCS,
    BackgroundJobs,
    PayPalError,
    SandboxRequest,
    SandboxResponse,
    paypal_id,
    rfc3339,
    v1_error,
)

if TYPE_CHECKING:
    from infra.local.paypal_sandbox import PayPalSandbox

log = logging.getLogger("local-stack.paypal.webhooks")

AUTH_ALGO = "SHA256withRSA"
MAX_WEBHOOKS = 10  # PayPal allows 10 webhooks per REST app
CERT_LIFETIME_DAYS = 365
CERT_RENEW_DAYS = 30
EVENT_TYPES: dict[str, str] = {
    "CHECKOUT.ORDER.APPROVED": "An order has been approved by buyer.",
    "CHECKOUT.ORDER.COMPLETED": "Checkout payment is created and approved by buyer.",
    "CHECKOUT.ORDER.VOIDED": "A checkout order is voided.",
    "PAYMENT.CAPTURE.COMPLETED": "A payment capture completes.",
    "PAYMENT.CAPTURE.DENIED": "A payment capture is denied.",
    "PAYMENT.CAPTURE.DECLINED": "A payment capture is declined.",
    "PAYMENT.CAPTURE.PENDING": "The state of a payment capture changes to pending.",
    "PAYMENT.CAPTURE.REFUNDED": "A merchant refunds a payment capture.",
    "PAYMENT.CAPTURE.REVERSED": "PayPal reverses a payment capture.",
    "PAYMENT.PAYOUTSBATCH.DENIED": "A batch payout payment is denied.",
    "PAYMENT.PAYOUTSBATCH.PROCESSING": "The state of a batch payout payment changes to processing.",
    "PAYMENT.PAYOUTSBATCH.SUCCESS": "A batch payout payment completes successfully.",
    "PAYMENT.PAYOUTS-ITEM.BLOCKED": "A payouts item was blocked.",
    "PAYMENT.PAYOUTS-ITEM.CANCELED": "A payouts item was canceled.",
    "PAYMENT.PAYOUTS-ITEM.DENIED": "A payouts item was denied.",
    "PAYMENT.PAYOUTS-ITEM.FAILED": "A payouts item has failed.",
    "PAYMENT.PAYOUTS-ITEM.HELD": "A payouts item is held.",
    "PAYMENT.PAYOUTS-ITEM.REFUNDED": "A payouts item was refunded.",
    "PAYMENT.PAYOUTS-ITEM.RETURNED": "A payouts item is returned.",
    "PAYMENT.PAYOUTS-ITEM.SUCCEEDED": "A payouts item has succeeded.",
    "PAYMENT.PAYOUTS-ITEM.UNCLAIMED": "A payouts item is unclaimed.",
    "CUSTOMER.DISPUTE.CREATED": "A dispute is created.",
    "CUSTOMER.DISPUTE.RESOLVED": "A dispute is resolved.",
    "CUSTOMER.DISPUTE.UPDATED": "A dispute is updated.",
}


def crc32_decimal(body: bytes) -> int:
    """The CRC32 of the raw body as PayPal puts it in the signed message: unsigned, decimal."""
    return zlib.crc32(body) & 0xFFFFFFFF


def signed_message(transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> bytes:
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{crc32_decimal(body)}".encode()


class Signer:
    """The sandbox's webhook signing key and its self-signed certificate."""

    def __init__(self, key_pem: str | None = None, cert_pem: str | None = None) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        if key_pem:
            self.key = serialization.load_pem_private_key(key_pem.encode(), password=None)
        else:
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = x509.load_pem_x509_certificate(cert_pem.encode()) if cert_pem else None
        now = datetime.now(timezone.utc)
        if cert is None or cert.not_valid_after_utc - now < timedelta(days=CERT_RENEW_DAYS) or \
                cert.public_key().public_numbers() != self.key.public_key().public_numbers():
            cert = self._certificate(now)
        self.certificate = cert
        fingerprint = cert.fingerprint(hashes.SHA256()).hex()
        self.cert_name = f"CERT-{fingerprint[:8]}-{fingerprint[8:16]}-{fingerprint[16:24]}"
        self.cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        self.key_pem = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode()

    def _certificate(self, now: datetime) -> Any:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.x509.oid import NameOID

        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "interKanect local PayPal sandbox"),
                          x509.NameAttribute(NameOID.COMMON_NAME, "webhook message verification")])
        return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=CERT_LIFETIME_DAYS))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             key_cert_sign=False, crl_sign=False, encipher_only=False,
                                             decipher_only=False), critical=True)
                .sign(self.key, hashes.SHA256()))

    def sign(self, message: bytes) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        return base64.b64encode(self.key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()

    def verify(self, message: bytes, signature: str) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            self.key.public_key().verify(base64.b64decode(signature, validate=True), message,
                                         padding.PKCS1v15(), hashes.SHA256())
            return True
        except (InvalidSignature, ValueError):
            return False


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is a failed delivery, as at PayPal


def validation_error(field: str, issue: str, status: int = 400) -> PayPalError:
    return v1_error(status, "VALIDATION_ERROR", "Invalid data provided", docs=WEBHOOKS_DOCS,
                    details=[{"field": field, "location": "body", "issue": issue}])


def webhook_not_found() -> PayPalError:
    return v1_error(404, "INVALID_RESOURCE_ID", "Resource id is invalid.", docs=WEBHOOKS_DOCS,
                    details=[{"issue": "Resource id is invalid.", "location": "path"}])


class Webhooks:
    """Webhook registrations (PayPal's routes and `register_webhook`), events, and their signed,
    retried deliveries on a background thread."""

    def __init__(self, sandbox: "PayPalSandbox", *, retry_delays: Iterable[float] = (0.2, 1.0, 3.0),
                 timeout_seconds: float = 5.0, workers: int = 1) -> None:
        self.sandbox = sandbox
        self.retry_delays = tuple(float(d) for d in retry_delays)
        self.timeout_seconds = timeout_seconds
        self.jobs = BackgroundJobs("paypal-webhooks", workers)
        self._signer: Signer | None = None
        self._signer_lock = threading.Lock()
        self._index: dict[str, dict] = {}  # delivery id -> its entry in the state's delivery log
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)

    def register(self, router: Any) -> None:
        router.add("POST", "/v1/notifications/webhooks", self.create, idempotent=True)
        router.add("GET", "/v1/notifications/webhooks", self.list_webhooks)
        router.add("GET", "/v1/notifications/webhooks/{webhook_id}", self.show)
        router.add("DELETE", "/v1/notifications/webhooks/{webhook_id}", self.delete)
        router.add("GET", "/v1/notifications/webhooks-event-types", self.event_types)
        router.add("GET", "/v1/notifications/webhooks-events", self.list_events)
        router.add("GET", "/v1/notifications/webhooks-events/{event_id}", self.show_event)
        router.add("POST", "/v1/notifications/webhooks-events/{event_id}/resend", self.resend_route,
                   idempotent=True)
        router.add("POST", "/v1/notifications/verify-webhook-signature", self.verify_route, idempotent=True)
        router.add("GET", "/v1/notifications/certs/{name}", self.certificate, authenticated=False)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Starts delivering, and picks up deliveries a previous run left unfinished."""
        self._signer = None  # the state (and so the key) may have been loaded anew
        self.jobs.start()
        with self.sandbox.state.lock:
            self._index = {d["delivery_id"]: d for d in self.sandbox.state.deliveries}
            pending = [d["delivery_id"] for d in self.sandbox.state.deliveries if d["status"] == "PENDING"]
        for delivery_id in pending:
            self.jobs.schedule(0, lambda d=delivery_id: self._attempt(d))

    def stop(self) -> None:
        self.jobs.stop()
        self.jobs.clear()

    @property
    def signer(self) -> Signer:
        """The signing key and certificate: made on first use, then kept with the state."""
        with self._signer_lock:
            if self._signer is None:
                signing = dict(self.sandbox.state.signing)
                self._signer = Signer(signing.get("key_pem"), signing.get("cert_pem"))
                with self.sandbox.state.lock:
                    self.sandbox.state.signing.update(key_pem=self._signer.key_pem, cert_pem=self._signer.cert_pem)
            return self._signer

    @property
    def cert_url(self) -> str:
        return f"{self.sandbox.url}/v1/notifications/certs/{self.signer.cert_name}"

    # -- registrations ---------------------------------------------------------------------
    def _event_type_names(self, given: Any, field: str = "event_types") -> list[str]:
        if not isinstance(given, list) or not given:
            raise validation_error(field, "At least one event type is required.")
        names = []
        for index, entry in enumerate(given):
            name = entry.get("name") if isinstance(entry, dict) else entry
            if not isinstance(name, str) or (name != "*" and name not in EVENT_TYPES):
                raise validation_error(f"{field}[{index}].name", "Event type is not supported.")
            if name not in names:
                names.append(name)
        return names

    def _check_url(self, url: Any) -> str:
        if not isinstance(url, str) or not url:
            raise validation_error("url", "A webhook URL is required.")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2048 or \
                any(c in url for c in " \r\n\t"):
            raise validation_error("url", "The webhook URL is not a valid http(s) URL.")
        return url  # PayPal wants https; the local sandbox takes http on loopback too

    def register_webhook(self, url: str, event_types: Iterable[str] = ("*",)) -> str:
        """The id of the webhook for `url`, created if there is none (its event types are set to
        `event_types` either way). For the local stack launcher: the id is the app's
        IK_PAYPAL_WEBHOOK_ID, and stays the same across restarts for the same URL."""
        url = self._check_url(url)
        names = self._event_type_names([{"name": n} for n in event_types])
        with self.sandbox.state.lock:
            for webhook in self.sandbox.state.webhooks.values():
                if webhook["url"] == url:
                    webhook["event_types"] = names
                    return webhook["id"]
            webhook = {"id": paypal_id(17), "url": url, "event_types": names,
                       "created_at": self.sandbox.clock()}
            self.sandbox.state.webhooks[webhook["id"]] = webhook
            return webhook["id"]

    def unregister_webhook(self, webhook_id: str) -> bool:
        with self.sandbox.state.lock:
            return self.sandbox.state.webhooks.pop(webhook_id, None) is not None

    def webhook_json(self, webhook: dict) -> dict:
        path = f"{self.sandbox.url}/v1/notifications/webhooks/{webhook['id']}"
        return {
            "id": webhook["id"], "url": webhook["url"],
            "event_types": [{"name": name, "description": EVENT_TYPES.get(name, "ALL"), "status": "ENABLED"}
                            for name in webhook["event_types"]],
            "links": [{"href": path, "rel": "self", "method": "GET"},
                      {"href": path, "rel": "update", "method": "PATCH"},
                      {"href": path, "rel": "delete", "method": "DELETE"}],
        }

    def create(self, request: SandboxRequest) -> SandboxResponse:
        """`POST /v1/notifications/webhooks` `{url, event_types: [{name}]}`."""
        body = request.json_object(docs=WEBHOOKS_DOCS)
        url = self._check_url(body.get("url"))
        names = self._event_type_names(body.get("event_types"))
        with self.sandbox.state.lock:
            hooks = self.sandbox.state.webhooks
            if any(w["url"] == url for w in hooks.values()):
                raise v1_error(400, "WEBHOOK_URL_ALREADY_EXISTS", "Webhook URL already exists",
                               docs=WEBHOOKS_DOCS)
            if len(hooks) >= MAX_WEBHOOKS:
                raise v1_error(400, "WEBHOOK_NUMBER_LIMIT_EXCEEDED", "Maximum number of webhooks exceeded",
                               docs=WEBHOOKS_DOCS)
            webhook = {"id": paypal_id(17), "url": url, "event_types": names, "created_at": self.sandbox.clock()}
            hooks[webhook["id"]] = webhook
            return SandboxResponse(201, self.webhook_json(webhook))

    def list_webhooks(self, request: SandboxRequest) -> SandboxResponse:
        with self.sandbox.state.lock:
            hooks = sorted(self.sandbox.state.webhooks.values(), key=lambda w: w.get("created_at", 0))
            return SandboxResponse(200, {"webhooks": [self.webhook_json(w) for w in hooks]})

    def _webhook(self, webhook_id: str) -> dict:
        webhook = self.sandbox.state.webhooks.get(webhook_id)
        if webhook is None:
            raise webhook_not_found()
        return webhook

    def show(self, request: SandboxRequest) -> SandboxResponse:
        with self.sandbox.state.lock:
            return SandboxResponse(200, self.webhook_json(self._webhook(request.params["webhook_id"])))

    def delete(self, request: SandboxRequest) -> SandboxResponse:
        with self.sandbox.state.lock:
            self._webhook(request.params["webhook_id"])
            del self.sandbox.state.webhooks[request.params["webhook_id"]]
        return SandboxResponse(204)

    def event_types(self, request: SandboxRequest) -> SandboxResponse:
        return SandboxResponse(200, {"event_types": [
            {"name": name, "description": text, "status": "ENABLED", "resource_versions": ["1.0", "2.0"]}
            for name, text in EVENT_TYPES.items()]})

    def certificate(self, request: SandboxRequest) -> SandboxResponse:
        """`GET /v1/notifications/certs/{name}`: the signing certificate (PEM), no token needed."""
        if request.params["name"] != self.signer.cert_name:
            raise webhook_not_found()
        return SandboxResponse(200, self.signer.cert_pem, {"Cache-Control": "max-age=86400"},
                               "application/x-pem-file")

    # -- events ----------------------------------------------------------------------------
    def emit(self, event_type: str, resource: dict, *, resource_type: str, summary: str,
             resource_version: str = "2.0") -> str:
        """Records an event and queues its delivery to every webhook subscribed to its type."""
        event_id = f"WH-{paypal_id(17)}-{paypal_id(17)}"
        base = f"{self.sandbox.url}/v1/notifications/webhooks-events/{event_id}"
        event = {
            "id": event_id, "event_version": "1.0", "create_time": rfc3339(self.sandbox.clock()),
            "resource_type": resource_type, "resource_version": resource_version, "event_type": event_type,
            "summary": summary, "resource": resource,
            "links": [{"href": base, "rel": "self", "method": "GET", "encType": "application/json"},
                      {"href": f"{base}/resend", "rel": "resend", "method": "POST",
                       "encType": "application/json"}],
        }
        with self.sandbox.state.lock:
            self.sandbox.state.events[event_id] = {"event": event, "body": json.dumps(event),
                                                   "created_at": self.sandbox.clock()}
            targets = [w["id"] for w in self.sandbox.state.webhooks.values()
                       if "*" in w["event_types"] or event_type in w["event_types"]]
        for webhook_id in targets:
            self._deliver(event_id, webhook_id, resend=False)
        return event_id

    def resend(self, event_id: str, webhook_ids: Iterable[str] | None = None) -> list[dict]:
        """Delivers a recorded event again (new transmission id and time, same body) to the given
        webhooks, or to every webhook now subscribed to its type. Raises LookupError."""
        with self.sandbox.state.lock:
            record = self.sandbox.state.events.get(event_id)
            if record is None:
                raise LookupError(event_id)
            event_type = record["event"]["event_type"]
            hooks = self.sandbox.state.webhooks
            if webhook_ids is None:
                targets = [w["id"] for w in hooks.values()
                           if "*" in w["event_types"] or event_type in w["event_types"]]
            else:
                targets = [w for w in webhook_ids if w in hooks]
        return [self._deliver(event_id, webhook_id, resend=True) for webhook_id in targets]

    def _deliver(self, event_id: str, webhook_id: str, *, resend: bool) -> dict:
        with self.sandbox.state.lock:
            record = self.sandbox.state.events[event_id]
            delivery = {
                "delivery_id": f"DL-{paypal_id(17)}", "event_id": event_id,
                "event_type": record["event"]["event_type"], "webhook_id": webhook_id,
                "url": self.sandbox.state.webhooks[webhook_id]["url"], "status": "PENDING", "attempts": 0,
                "http_status": None, "error": None, "transmission_id": None, "resend": resend,
                "create_time": rfc3339(self.sandbox.clock()), "last_attempt_time": None,
            }
            self.sandbox.state.deliveries.append(delivery)
            self._index[delivery["delivery_id"]] = delivery
        self.jobs.schedule(0, lambda: self._attempt(delivery["delivery_id"]))
        return dict(delivery)

    def _find(self, delivery_id: str) -> dict | None:
        return self._index.get(delivery_id)

    def _attempt(self, delivery_id: str) -> None:
        """One transmission of a delivery; schedules the next try on failure."""
        with self.sandbox.state.lock:
            delivery = self._find(delivery_id)
            if delivery is None or delivery["status"] != "PENDING":
                return
            webhook = self.sandbox.state.webhooks.get(delivery["webhook_id"])
            record = self.sandbox.state.events.get(delivery["event_id"])
            if webhook is None or record is None:
                delivery.update(status="FAILED", error="the webhook was deleted")
                return
            url, body = webhook["url"], record["body"].encode("utf-8")
        transmission_id = str(uuid.uuid4())
        transmission_time = rfc3339(self.sandbox.clock())
        signature = self.signer.sign(signed_message(transmission_id, transmission_time, webhook["id"], body))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "PayPal/interKanect-local-sandbox",
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": transmission_time,
            "PAYPAL-TRANSMISSION-SIG": signature,
            "PAYPAL-CERT-URL": self.cert_url,
            "PAYPAL-AUTH-ALGO": AUTH_ALGO,
        }
        status, error = self._post(url, body, headers)
        with self.sandbox.state.lock:
            attempts = delivery["attempts"] + 1
            delivered = status is not None and 200 <= status < 300
            delivery.update(attempts=attempts, http_status=status, error=error, transmission_id=transmission_id,
                            last_attempt_time=transmission_time)
            if delivered:
                delivery["status"] = "SUCCESS"
            elif attempts > len(self.retry_delays):
                delivery["status"] = "FAILED"
        if not delivered and attempts <= len(self.retry_delays):
            self.jobs.schedule(self.retry_delays[attempts - 1], lambda: self._attempt(delivery_id))
        log.debug("webhook %s to %s: %s (attempt %s)", delivery["event_type"], url, status or error, attempts)

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout_seconds) as answer:
                answer.read(64 * 1024)
                return answer.status, None
        except urllib.error.HTTPError as refused:
            refused.close()
            return refused.code, None
        except (OSError, ValueError) as failure:  # refused, reset, timed out, bad URL
            return None, f"{type(failure).__name__}: {failure}"

    def deliveries(self, *, event_id: str | None = None, event_type: str | None = None,
                   status: str | None = None) -> list[dict]:
        with self.sandbox.state.lock:
            return [dict(d) for d in self.sandbox.state.deliveries
                    if (event_id is None or d["event_id"] == event_id)
                    and (event_type is None or d["event_type"] == event_type)
                    and (status is None or d["status"] == status)]

    def events(self, event_type: str | None = None) -> list[dict]:
        """Recorded events, oldest first (as delivered: PayPal's envelope)."""
        with self.sandbox.state.lock:
            records = sorted(self.sandbox.state.events.values(), key=lambda r: r["created_at"])
            return [json.loads(r["body"]) for r in records
                    if event_type is None or r["event"]["event_type"] == event_type]

    # -- PayPal's event and verification routes --------------------------------------------
    def list_events(self, request: SandboxRequest) -> SandboxResponse:
        wanted = request.query_value("event_type")
        try:
            size = max(1, min(300, int(request.query_value("page_size") or 10)))
        except ValueError:
            raise validation_error("page_size", "page_size is a number from 1 to 300.") from None
        events = list(reversed(self.events(wanted)))[:size]
        return SandboxResponse(200, {"events": events, "count": len(events)})

    def show_event(self, request: SandboxRequest) -> SandboxResponse:
        with self.sandbox.state.lock:
            record = self.sandbox.state.events.get(request.params["event_id"])
            if record is None:
                raise webhook_not_found()
            return SandboxResponse(200, json.loads(record["body"]))

    def resend_route(self, request: SandboxRequest) -> SandboxResponse:
        """`POST /v1/notifications/webhooks-events/{event_id}/resend` `{webhook_ids?}` -> 202, the event."""
        body = request.json_object(optional=True, docs=WEBHOOKS_DOCS)
        ids = body.get("webhook_ids")
        if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
            raise validation_error("webhook_ids", "webhook_ids is a list of webhook ids.")
        try:
            self.resend(request.params["event_id"], ids)
        except LookupError:
            raise webhook_not_found() from None
        with self.sandbox.state.lock:
            return SandboxResponse(202, json.loads(self.sandbox.state.events[request.params["event_id"]]["body"]))

    def verify_route(self, request: SandboxRequest) -> SandboxResponse:
        """`POST /v1/notifications/verify-webhook-signature`: SUCCESS when the signature is the
        sandbox's, for that webhook, over the event exactly as the sandbox sent it."""
        body = request.json_object(docs=WEBHOOKS_DOCS)
        for name in ("auth_algo", "cert_url", "transmission_id", "transmission_sig", "transmission_time",
                     "webhook_id"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise validation_error(name, f"{name} is required.")
        event = body.get("webhook_event")
        if not isinstance(event, dict):
            raise validation_error("webhook_event", "webhook_event is required.")
        with self.sandbox.state.lock:
            record = self.sandbox.state.events.get(str(event.get("id")))
            known_hook = body["webhook_id"] in self.sandbox.state.webhooks
        verified = (record is not None and known_hook and record["event"] == event
                    and body["auth_algo"] == AUTH_ALGO and body["cert_url"] == self.cert_url
                    and self.signer.verify(signed_message(body["transmission_id"], body["transmission_time"],
                                                          body["webhook_id"], record["body"].encode("utf-8")),
                                           body["transmission_sig"]))
        return SandboxResponse(200, {"verification_status": "SUCCESS" if verified else "FAILURE"})
