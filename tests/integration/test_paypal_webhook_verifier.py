"""The app's webhook verifier against the webhooks the local PayPal sandbox signs and delivers:
a payment made through the real gateway arrives as signed events that verify (fetching the
sandbox's certificate over HTTP), and only for the webhook they were sent to."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from chalicelib.adapters.paypal import PayPalGateway, capture_from_paypal
from chalicelib.adapters.paypal_webhooks import (
    PAYPAL_CERT_URL_PREFIXES,
    InvalidWebhook,
    WebhookVerifier,
    fetch_certificate,
)
from chalicelib.settings import Settings
from infra.local.paypal_sandbox import PayPalSandbox

CLIENT_ID = "AbCdInterKanectWebhookClient"
SECRET = "EFgh-interkanect-webhook-secret"
pytestmark = pytest.mark.integration


class Receiver(ThreadingHTTPServer):
    """The app's webhook endpoint, reduced to a recorder of (headers, raw body)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.deliveries: list[tuple[dict[str, str], bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/webhooks/paypal"

    def wait_for(self, event_type: str, timeout: float = 10.0) -> tuple[dict[str, str], bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for headers, body in list(self.deliveries):
                if f'"event_type": "{event_type}"'.encode() in body or \
                        f'"event_type":"{event_type}"'.encode() in body:
                    return headers, body
            time.sleep(0.05)
        raise AssertionError(f"no {event_type} delivered; got {len(self.deliveries)} deliveries")


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.deliveries.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def world():
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    box = PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET).start()
    webhook_id = box.register_webhook(receiver.url)
    gateway = PayPalGateway(Settings(paypal_base_url=box.url, paypal_client_id=CLIENT_ID,
                                     paypal_client_secret=SECRET))
    order = gateway.create_order(
        request_id="order-webhooks", amount_cents=4500, currency="USD", description="An hour with Ada",
        reference_id="call-9", custom_id="pay-9", return_url="http://127.0.0.1:8080/pay/return",
        cancel_url="http://127.0.0.1:8080/pay/cancel", brand_name="interKanect")
    requests.post(f"{box.url}/sandbox/orders/{order.order_id}/approve", timeout=10).raise_for_status()
    captured = gateway.capture_order(order_id=order.order_id, request_id="capture-webhooks")
    yield box, receiver, webhook_id, captured
    box.stop()
    receiver.shutdown()
    receiver.server_close()
    assert box.failures == []


def verifier(box: PayPalSandbox, webhook_id: str, **options) -> WebhookVerifier:
    return WebhookVerifier(webhook_id=webhook_id, fetch=fetch_certificate,
                           allowed_cert_urls=PAYPAL_CERT_URL_PREFIXES + (f"{box.url}/",), **options)


def test_a_capture_webhook_from_the_sandbox_verifies_and_reads_as_the_capture(world) -> None:
    box, receiver, webhook_id, captured = world
    headers, body = receiver.wait_for("PAYMENT.CAPTURE.COMPLETED")
    event = verifier(box, webhook_id).verify(headers, body)
    assert event["event_type"] == "PAYMENT.CAPTURE.COMPLETED" and event["id"].startswith("WH-")
    assert capture_from_paypal(event["resource"]) == captured.capture


def test_every_delivered_event_verifies(world) -> None:
    box, receiver, webhook_id, _ = world
    receiver.wait_for("PAYMENT.CAPTURE.COMPLETED")
    check = verifier(box, webhook_id)
    assert receiver.deliveries
    for headers, body in receiver.deliveries:
        assert check.verify(headers, body)["id"]


def test_sandbox_webhooks_fail_for_another_webhook_id_or_without_the_local_prefix(world) -> None:
    box, receiver, webhook_id, _ = world
    headers, body = receiver.wait_for("PAYMENT.CAPTURE.COMPLETED")
    with pytest.raises(InvalidWebhook, match="signature does not match"):
        verifier(box, "SOMEOTHERWEBHOOKID1").verify(headers, body)
    with pytest.raises(InvalidWebhook, match="not PayPal's"):
        WebhookVerifier(webhook_id=webhook_id, fetch=fetch_certificate).verify(headers, body)
    with pytest.raises(InvalidWebhook, match="signature does not match"):
        verifier(box, webhook_id).verify(headers, body.replace(b"4500", b"4501").replace(b"45.00", b"45.01"))


def test_a_certificate_name_the_sandbox_does_not_serve_cannot_be_fetched(world) -> None:
    box, receiver, webhook_id, _ = world
    headers, body = receiver.wait_for("PAYMENT.CAPTURE.COMPLETED")
    cert_key = next(k for k in headers if k.lower() == "paypal-cert-url")
    forged = {**headers, cert_key: f"{box.url}/v1/notifications/certs/CERT-00000000-00000000-00000000"}
    with pytest.raises(InvalidWebhook, match="could not be fetched"):
        verifier(box, webhook_id).verify(forged, body)
