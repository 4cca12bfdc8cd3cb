"""The local PayPal sandbox's webhooks: registered through PayPal's routes (or `register_webhook`),
delivered by POST from a background thread to a small local receiver, signed as PayPal documents
(verified here independently with `cryptography` and the certificate from PAYPAL-CERT-URL),
retried with backoff, logged, resent with a new transmission id, and kept across restarts."""
from __future__ import annotations

import base64
import json
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from chalicelib.adapters.paypal import build_paypal_client
from infra.local.paypal_sandbox import PayPalSandbox
from infra.local.paypal_specs import paypal_specs
from tests.integration.test_paypal_sandbox import CLIENT_ID, SECRET, settings_for
from tests.integration.test_paypal_sandbox_orders import (
    bearer,
    captured,
    create,
    order_body,
    press,
    read_page,
    refund,
)

pytestmark = pytest.mark.integration
WEBHOOKS = "notifications_webhooks_v1"
FAST_RETRIES = (0.05, 0.1, 0.15)


class Receiver:
    """A webhook endpoint on loopback: records every delivery, answers the scripted statuses
    first (then 200)."""

    def __init__(self, statuses: tuple[int, ...] = ()) -> None:
        self.script = list(statuses)
        self.deliveries: list[dict] = []
        self.condition = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.condition:
                    status = receiver.script.pop(0) if receiver.script else 200
                    receiver.deliveries.append({"headers": {k.upper(): v for k, v in self.headers.items()},
                                                "body": body, "at": time.monotonic(), "answered": status})
                    receiver.condition.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/paypal"

    def wait(self, count: int, timeout: float = 5.0) -> list[dict]:
        with self.condition:
            assert self.condition.wait_for(lambda: len(self.deliveries) >= count, timeout), \
                f"{len(self.deliveries)} of {count} deliveries arrived"
            return list(self.deliveries)

    def events(self, count: int) -> list[dict]:
        return [json.loads(d["body"]) for d in self.wait(count)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(*statuses: int) -> Receiver:
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def sandbox(tmp_path):
    box = PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET, state_path=tmp_path / "paypal.json",
                        webhook_retry_delays=FAST_RETRIES).start()
    yield box
    box.stop()
    assert box.failures == [], "the sandbox answered 500"


@pytest.fixture
def sdk(sandbox):
    return build_paypal_client(settings_for(sandbox))


def verify(delivery: dict, webhook_id: str) -> None:
    """Checks a delivery's signature the way PayPal tells receivers to, with nothing from the sandbox
    but the certificate at PAYPAL-CERT-URL: SHA256withRSA over
    `transmission_id|transmission_time|webhook_id|crc32(raw body)`."""
    headers, body = delivery["headers"], delivery["body"]
    assert headers["PAYPAL-AUTH-ALGO"] == "SHA256withRSA"
    pem = requests.get(headers["PAYPAL-CERT-URL"], timeout=5)  # no token needed
    assert pem.status_code == 200
    certificate = x509.load_pem_x509_certificate(pem.content)
    certificate.verify_directly_issued_by(certificate)  # self-signed
    now = time.time()
    assert certificate.not_valid_before_utc.timestamp() < now < certificate.not_valid_after_utc.timestamp()
    crc = zlib.crc32(body) & 0xFFFFFFFF
    message = f"{headers['PAYPAL-TRANSMISSION-ID']}|{headers['PAYPAL-TRANSMISSION-TIME']}|{webhook_id}|{crc}"
    certificate.public_key().verify(base64.b64decode(headers["PAYPAL-TRANSMISSION-SIG"]), message.encode(),
                                    padding.PKCS1v15(), hashes.SHA256())


def deliveries(box: PayPalSandbox, **query) -> list[dict]:
    return requests.get(f"{box.url}/sandbox/webhooks/deliveries", params=query, timeout=5).json()["deliveries"]


# -- registration -------------------------------------------------------------------------

def test_webhooks_are_registered_through_paypals_routes(sandbox, receivers) -> None:
    spec = paypal_specs()[WEBHOOKS]
    headers = bearer(sandbox)
    url = f"{sandbox.url}/v1/notifications/webhooks"
    hook = receivers()
    made = requests.post(url, json={"url": hook.url, "event_types": [
        {"name": "PAYMENT.CAPTURE.COMPLETED"}, {"name": "PAYMENT.CAPTURE.REFUNDED"}]}, headers=headers, timeout=5)
    assert made.status_code == 201
    spec.validate_response("/v1/notifications/webhooks", "post", 201, made.json())
    webhook = made.json()
    assert webhook["url"] == hook.url and webhook["id"].isalnum()
    assert [t["name"] for t in webhook["event_types"]] == ["PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.REFUNDED"]

    listed = requests.get(url, headers=headers, timeout=5)
    spec.validate_response("/v1/notifications/webhooks", "get", 200, listed.json())
    assert [w["id"] for w in listed.json()["webhooks"]] == [webhook["id"]]
    shown = requests.get(f"{url}/{webhook['id']}", headers=headers, timeout=5)
    spec.validate_response("/v1/notifications/webhooks/{webhook_id}", "get", 200, shown.json())

    for body, name in (({"url": hook.url, "event_types": [{"name": "*"}]}, "WEBHOOK_URL_ALREADY_EXISTS"),
                       ({"url": "ftp://example.com/x", "event_types": [{"name": "*"}]}, "VALIDATION_ERROR"),
                       ({"url": hook.url + "2", "event_types": [{"name": "NOT.AN.EVENT"}]}, "VALIDATION_ERROR"),
                       ({"url": hook.url + "3", "event_types": []}, "VALIDATION_ERROR")):
        refused = requests.post(url, json=body, headers=headers, timeout=5)
        assert refused.status_code == 400 and refused.json()["name"] == name
        spec.validate_response("/v1/notifications/webhooks", "post", 400, refused.json())
    for n in range(9):
        assert requests.post(url, json={"url": f"{hook.url}/{n}", "event_types": [{"name": "*"}]},
                             headers=headers, timeout=5).status_code == 201
    over = requests.post(url, json={"url": f"{hook.url}/10", "event_types": [{"name": "*"}]}, headers=headers, timeout=5)
    assert over.json()["name"] == "WEBHOOK_NUMBER_LIMIT_EXCEEDED"

    assert requests.delete(f"{url}/{webhook['id']}", headers=headers, timeout=5).status_code == 204
    gone = requests.get(f"{url}/{webhook['id']}", headers=headers, timeout=5)
    assert gone.status_code == 404
    spec.validate_response("/v1/notifications/webhooks/{webhook_id}", "get", 404, gone.json())
    assert requests.get(url, timeout=5).status_code == 401  # PayPal's routes need the token


def test_register_webhook_gives_one_id_per_url(sandbox) -> None:
    first = sandbox.register_webhook("http://127.0.0.1:8000/webhooks/paypal")
    assert sandbox.register_webhook("http://127.0.0.1:8000/webhooks/paypal", ["PAYMENT.CAPTURE.COMPLETED"]) == first
    assert sandbox.state.webhooks[first]["event_types"] == ["PAYMENT.CAPTURE.COMPLETED"]
    by_route = requests.post(f"{sandbox.url}/sandbox/webhooks", json={"url": "http://127.0.0.1:8000/webhooks/paypal"},
                             timeout=5)
    assert by_route.json() == {"id": first}
    assert sandbox.register_webhook("http://127.0.0.1:8001/webhooks/paypal") != first
    with pytest.raises(Exception):
        sandbox.register_webhook("not a url")


# -- delivery and signatures --------------------------------------------------------------

def test_checkout_events_arrive_signed_as_paypal_documents(sandbox, sdk, receivers) -> None:
    hook = receivers()
    webhook_id = sandbox.register_webhook(hook.url)
    order = create(sdk)
    _, form = read_page(sandbox, order["id"])
    press(sandbox, form, "Approve and pay")
    done = sdk.orders.capture_order({"id": order["id"], "prefer": "return=representation"})
    capture_id = json.loads(done.text)["purchase_units"][0]["payments"]["captures"][0]["id"]
    refunded = refund(sdk, capture_id, {"amount": {"currency_code": "USD", "value": "5.00"}})

    got = hook.wait(3)
    events = [json.loads(d["body"]) for d in got]
    assert [e["event_type"] for e in events] == [
        "CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.REFUNDED"]
    for delivery, event in zip(got, events):
        verify(delivery, webhook_id)
        assert delivery["headers"]["PAYPAL-CERT-URL"].startswith(f"{sandbox.url}/v1/notifications/certs/CERT-")
        assert delivery["headers"]["CONTENT-TYPE"] == "application/json"
        assert event["id"].startswith("WH-") and event["event_version"] == "1.0"
        assert event["resource_version"] == "2.0" and event["create_time"].endswith("Z") and event["summary"]
        assert [l["rel"] for l in event["links"]] == ["self", "resend"]
        assert paypal_specs()[WEBHOOKS].component_errors("event", event) == []
        with pytest.raises(InvalidSignature):  # the signature binds the webhook id and the body
            verify(delivery, "SOMEOTHERWEBHOOK")
        with pytest.raises(InvalidSignature):
            verify({**delivery, "body": delivery["body"].replace(b'"USD"', b'"EUR"')}, webhook_id)

    approved, completed, refund_event = events
    assert approved["resource_type"] == "checkout-order" and approved["resource"]["id"] == order["id"]
    assert approved["resource"]["status"] == "APPROVED" and approved["resource"]["purchase_units"][0]["custom_id"] == "p-1"
    paypal_specs()["checkout_orders_v2"].validate_response("/v2/checkout/orders/{id}", "get", 200, approved["resource"])
    resource = completed["resource"]
    assert completed["resource_type"] == "capture" and resource["id"] == capture_id
    assert resource["supplementary_data"]["related_ids"]["order_id"] == order["id"] and resource["custom_id"] == "p-1"
    assert resource["seller_receivable_breakdown"]["paypal_fee"]["value"] == "1.36"
    assert completed["summary"] == "Payment completed for $25.00 USD"
    paypal_specs()["payments_payment_v2"].validate_response("/v2/payments/captures/{capture_id}", "get", 200, resource)
    assert refund_event["resource"]["id"] == refunded["id"] and refund_event["resource_type"] == "refund"
    paypal_specs()["payments_payment_v2"].validate_response("/v2/payments/refunds/{refund_id}", "get", 200,
                                                            refund_event["resource"])
    assert sandbox.drain(5)
    log = deliveries(sandbox)
    assert [(d["event_type"], d["status"], d["attempts"], d["http_status"], d["url"]) for d in log] == [
        (e["event_type"], "SUCCESS", 1, 200, hook.url) for e in events]
    assert [d["transmission_id"] for d in log] == [d["headers"]["PAYPAL-TRANSMISSION-ID"] for d in got]


def test_a_webhook_gets_only_the_event_types_it_asked_for(sandbox, sdk, receivers) -> None:
    everything, captures = receivers(), receivers()
    sandbox.register_webhook(everything.url)
    only = sandbox.register_webhook(captures.url, ["PAYMENT.CAPTURE.COMPLETED"])
    captured(sandbox, sdk)
    assert sandbox.drain(5)
    assert [e["event_type"] for e in everything.events(2)] == ["CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.COMPLETED"]
    assert [e["event_type"] for e in captures.events(1)] == ["PAYMENT.CAPTURE.COMPLETED"]
    verify(captures.deliveries[0], only)
    assert len(captures.deliveries) == 1


def test_failed_deliveries_are_retried_with_backoff_then_given_up(sandbox, sdk, receivers) -> None:
    flaky, broken = receivers(500, 503), receivers(500, 500, 500, 500, 500)
    flaky_id = sandbox.register_webhook(flaky.url, ["CHECKOUT.ORDER.APPROVED"])
    sandbox.register_webhook(broken.url, ["CHECKOUT.ORDER.APPROVED"])
    sandbox.register_webhook("http://127.0.0.1:9/nobody-listens", ["CHECKOUT.ORDER.APPROVED"])
    order = create(sdk)
    sandbox.approve_order(order["id"])
    assert sandbox.drain(5)

    tries = flaky.wait(3)
    assert [t["answered"] for t in tries] == [500, 503, 200]
    gaps = [later["at"] - earlier["at"] for earlier, later in zip(tries, tries[1:])]
    assert gaps[0] >= FAST_RETRIES[0] * 0.9 and gaps[1] >= FAST_RETRIES[1] * 0.9
    assert len({t["headers"]["PAYPAL-TRANSMISSION-ID"] for t in tries}) == 3  # each try is a new transmission
    assert len({t["body"] for t in tries}) == 1
    for attempt in tries:
        verify(attempt, flaky_id)
    assert len(broken.wait(4)) == 4  # the first try and the three retries

    log = {d["url"]: d for d in deliveries(sandbox, event_type="CHECKOUT.ORDER.APPROVED")}
    assert (log[flaky.url]["status"], log[flaky.url]["attempts"], log[flaky.url]["http_status"]) == ("SUCCESS", 3, 200)
    assert (log[broken.url]["status"], log[broken.url]["attempts"], log[broken.url]["http_status"]) == ("FAILED", 4, 500)
    nobody = log["http://127.0.0.1:9/nobody-listens"]
    assert nobody["status"] == "FAILED" and nobody["http_status"] is None and "Connection" in nobody["error"]
    assert deliveries(sandbox, status="FAILED") == [log[broken.url], nobody]


def test_an_event_is_resent_with_a_new_transmission(sandbox, sdk, receivers) -> None:
    hook = receivers()
    webhook_id = sandbox.register_webhook(hook.url)
    order = create(sdk)
    sandbox.approve_order(order["id"])
    first = hook.wait(1)[0]
    event_id = json.loads(first["body"])["id"]

    again = requests.post(f"{sandbox.url}/sandbox/webhooks/events/{event_id}/resend", timeout=5)
    assert again.status_code == 202 and again.json()["deliveries"][0]["resend"] is True
    by_paypal = requests.post(f"{sandbox.url}/v1/notifications/webhooks-events/{event_id}/resend",
                              json={"webhook_ids": [webhook_id]}, headers=bearer(sandbox), timeout=5)
    assert by_paypal.status_code == 202 and by_paypal.json()["id"] == event_id
    paypal_specs()[WEBHOOKS].validate_response("/v1/notifications/webhooks-events/{event_id}/resend", "post", 202,
                                               by_paypal.json())
    got = hook.wait(3)
    assert {d["body"] for d in got} == {first["body"]}  # the same event, byte for byte
    assert len({d["headers"]["PAYPAL-TRANSMISSION-ID"] for d in got}) == 3
    for delivery in got:
        verify(delivery, webhook_id)
    assert requests.post(f"{sandbox.url}/sandbox/webhooks/events/WH-NOPE/resend", timeout=5).status_code == 404
    assert len(deliveries(sandbox, event_id=event_id)) == 3


def test_paypals_verify_route_checks_a_delivery(sandbox, sdk, receivers) -> None:
    hook = receivers()
    webhook_id = sandbox.register_webhook(hook.url)
    sandbox.approve_order(create(sdk)["id"])
    delivery = hook.wait(1)[0]
    headers = delivery["headers"]
    claim = {"auth_algo": headers["PAYPAL-AUTH-ALGO"], "cert_url": headers["PAYPAL-CERT-URL"],
             "transmission_id": headers["PAYPAL-TRANSMISSION-ID"], "transmission_sig": headers["PAYPAL-TRANSMISSION-SIG"],
             "transmission_time": headers["PAYPAL-TRANSMISSION-TIME"], "webhook_id": webhook_id,
             "webhook_event": json.loads(delivery["body"])}
    paypal_specs()[WEBHOOKS].validate_request("/v1/notifications/verify-webhook-signature", "post", claim)
    url = f"{sandbox.url}/v1/notifications/verify-webhook-signature"
    for changed, status in (({}, "SUCCESS"), ({"transmission_id": "4ac1a8e0-0000-0000-0000-000000000000"}, "FAILURE"),
                            ({"webhook_id": "SOMEOTHERWEBHOOK"}, "FAILURE")):
        answer = requests.post(url, json={**claim, **changed}, headers=bearer(sandbox), timeout=5)
        paypal_specs()[WEBHOOKS].validate_response("/v1/notifications/verify-webhook-signature", "post", 200,
                                                   answer.json())
        assert answer.json() == {"verification_status": status}


def test_a_chargeback_reverses_the_capture(sandbox, sdk, receivers) -> None:
    hook = receivers()
    sandbox.register_webhook(hook.url, ["PAYMENT.CAPTURE.REVERSED"])
    cap = captured(sandbox, sdk, "20.00")
    refund(sdk, cap["id"], {"amount": {"currency_code": "USD", "value": "5.00"}})
    reversed_ = requests.post(f"{sandbox.url}/sandbox/captures/{cap['id']}/reverse", timeout=5)
    assert reversed_.status_code == 200
    event = hook.events(1)[0]
    assert event["event_type"] == "PAYMENT.CAPTURE.REVERSED" and event["resource_type"] == "refund"
    resource = event["resource"]
    assert resource["amount"] == {"currency_code": "USD", "value": "15.00"}  # what was left of the capture
    assert resource["note_to_payer"] == "Payment reversed" and resource == reversed_.json()
    assert {l["rel"]: l["href"] for l in resource["links"]}["up"] == f"{sandbox.url}/v2/payments/captures/{cap['id']}"
    paypal_specs()["payments_payment_v2"].validate_response("/v2/payments/refunds/{refund_id}", "get", 200, resource)

    shown = requests.get(f"{sandbox.url}/v2/payments/captures/{cap['id']}", headers=bearer(sandbox), timeout=5).json()
    paypal_specs()["payments_payment_v2"].validate_response("/v2/payments/captures/{capture_id}", "get", 200, shown)
    assert shown["status"] == "REFUNDED" and shown["status_details"] == {"reason": "CHARGEBACK"}
    no_refund = requests.post(f"{sandbox.url}/v2/payments/captures/{cap['id']}/refund", json={},
                              headers=bearer(sandbox), timeout=5)
    assert no_refund.json()["details"][0]["issue"] == "REFUND_NOT_PERMITTED_DUE_TO_CHARGEBACK"
    assert requests.post(f"{sandbox.url}/sandbox/captures/{cap['id']}/reverse", timeout=5).status_code == 422
    assert requests.post(f"{sandbox.url}/sandbox/captures/NOPE/reverse", timeout=5).status_code == 404


def test_a_declined_capture_sends_payment_capture_denied(sandbox, sdk, receivers) -> None:
    hook = receivers()
    sandbox.register_webhook(hook.url, ["PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.COMPLETED"])
    sandbox.fail_next("capture", "declined")
    order = create(sdk)
    sandbox.approve_order(order["id"])
    sdk.orders.capture_order({"id": order["id"]})
    event = hook.events(1)[0]
    assert event["event_type"] == "PAYMENT.CAPTURE.DENIED" and event["resource"]["status"] == "DECLINED"
    assert event["resource"]["supplementary_data"]["related_ids"]["order_id"] == order["id"]


def test_paypals_event_routes_list_what_was_sent(sandbox, sdk) -> None:
    spec = paypal_specs()[WEBHOOKS]
    headers = bearer(sandbox)
    captured(sandbox, sdk)  # no webhook: events are recorded all the same
    listed = requests.get(f"{sandbox.url}/v1/notifications/webhooks-events", headers=headers, timeout=5)
    spec.validate_response("/v1/notifications/webhooks-events", "get", 200, listed.json())
    assert [e["event_type"] for e in listed.json()["events"]] == ["PAYMENT.CAPTURE.COMPLETED", "CHECKOUT.ORDER.APPROVED"]
    one = listed.json()["events"][0]
    shown = requests.get(f"{sandbox.url}/v1/notifications/webhooks-events/{one['id']}", headers=headers, timeout=5)
    spec.validate_response("/v1/notifications/webhooks-events/{event_id}", "get", 200, shown.json())
    assert shown.json() == one
    types = requests.get(f"{sandbox.url}/v1/notifications/webhooks-event-types", headers=headers, timeout=5).json()
    spec.validate_response("/v1/notifications/webhooks-event-types", "get", 200, types)
    names = {t["name"] for t in types["event_types"]}
    assert {"CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.REVERSED", "PAYMENT.PAYOUTS-ITEM.UNCLAIMED"} <= names
    assert deliveries(sandbox) == []
    assert requests.get(f"{sandbox.url}/sandbox/webhooks/events", timeout=5).json()["events"][1] == one


# -- across restarts ----------------------------------------------------------------------

def test_webhooks_events_deliveries_and_the_key_survive_a_restart(tmp_path, receivers) -> None:
    state = tmp_path / "paypal.json"
    hook = receivers(500)  # the first try fails; its retry is due long after the restart
    first = PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET, state_path=state, webhook_retry_delays=(30,)).start()
    webhook_id = first.register_webhook(hook.url)
    first.approve_order(create(build_paypal_client(settings_for(first)), order_body())["id"])
    tried = hook.wait(1)[0]
    cert_name = tried["headers"]["PAYPAL-CERT-URL"].rsplit("/", 1)[1]
    first.stop()
    assert json.loads(state.read_text())["deliveries"][0]["status"] == "PENDING"

    second = PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET, state_path=state, port=0).start()
    try:
        assert second.register_webhook(hook.url) == webhook_id
        retried = hook.wait(2)[1]  # picked up at start, not 30 s later
        assert retried["body"] == tried["body"] and retried["headers"]["PAYPAL-CERT-URL"].endswith(cert_name)
        verify(retried, webhook_id)
        assert second.drain(5)
        (delivery,) = deliveries(second)
        assert (delivery["status"], delivery["attempts"]) == ("SUCCESS", 2)
        assert len(second.webhooks.events()) == 1
    finally:
        second.stop()
    assert first.failures == second.failures == []
