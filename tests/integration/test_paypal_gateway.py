"""The payment gateway contract: one class of tests, run against the in-memory twin and against
the real `PayPalGateway` (the official SDK over HTTP) talking to the local PayPal sandbox.
Every request the SDK sends is checked against PayPal's request schema, every answer the
sandbox gives against the response schema (checkout_orders_v2, payments_payment_v2)."""
from __future__ import annotations

import html
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

import pytest
import requests

from chalicelib.adapters.paypal import (
    InMemoryPayPalGateway,
    OrderNotApproved,
    PaymentDeclined,
    PaymentGateway,
    PayPalGateway,
    PayPalNotFound,
    PayPalRejected,
    PayPalUnavailable,
    paypal_fee_cents,
)
from chalicelib.settings import Settings
from infra.local.paypal_sandbox import PayPalSandbox
from infra.local.paypal_specs import UnknownOperation, paypal_specs

CLIENT_ID = "AbCdInterKanectGatewayClient"
SECRET = "EFgh-interkanect-gateway-secret"
pytestmark = pytest.mark.integration


# -- recording what the SDK sends and what comes back -------------------------------------

@dataclass
class Exchange:
    method: str
    path: str
    headers: dict
    body: object
    status: int | None = None
    answer: object = None


@dataclass
class Recorder:
    """The SDK's HttpCallBack: sees each request before it leaves and each response after."""

    exchanges: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_before_request(self, request) -> None:
        body = request.parameters
        if isinstance(body, (str, bytes)) and body:
            body = json.loads(body)
        with self._lock:
            self.exchanges.append(Exchange(str(request.http_method), urlsplit(request.query_url).path,
                                           dict(request.headers), body or None))

    def on_after_response(self, response) -> None:
        method, path = str(response.request.http_method), urlsplit(response.request.query_url).path
        try:
            answer = json.loads(response.text) if response.text else None
        except ValueError:
            answer = response.text
        with self._lock:
            for exchange in reversed(self.exchanges):
                if (exchange.method, exchange.path, exchange.status) == (method, path, None):
                    exchange.status, exchange.answer = response.status_code, answer
                    break

    def spec_violations(self) -> list[str]:
        """Every request of ours and answer of the sandbox that PayPal's spec would not take."""
        found = []
        specs = paypal_specs()
        for x in self.exchanges:
            if x.path.startswith("/v1/oauth2/"):
                continue
            try:
                spec = specs.for_path(x.path, x.method)
            except UnknownOperation as error:
                found.append(str(error))
                continue
            if x.body is not None or _body_required(spec, x.path, x.method):
                for problem in spec.request_errors(x.path, x.method, x.body):
                    found.append(f"request {x.method} {x.path}: {problem}")
            if x.status is not None and x.status != 401:
                for problem in spec.response_errors(x.path, x.method, x.status, x.answer):
                    found.append(f"sandbox answer {x.status} to {x.method} {x.path}: {problem}")
        return found


def _body_required(spec, path: str, method: str) -> bool:
    """OpenAPI 3.0: a request body is optional unless `requestBody.required` is true (the
    capture takes none: PayPal's own examples send it empty)."""
    operation = spec.operation(path, method)
    body = spec.document["paths"][operation.path][operation.method].get("requestBody") or {}
    if "$ref" in body:
        body = spec.document["components"]["requestBodies"][body["$ref"].rsplit("/", 1)[1]]
    return body.get("required") is True


# -- the two sides of the contract --------------------------------------------------------

@dataclass
class PayPalSide:
    """A gateway and the hands of the people around it: the payer who approves, and PayPal
    declining, failing or reversing (the twin's hooks, the sandbox's `/sandbox` controls)."""

    name: str
    gateway: PaymentGateway
    approve: Callable[[str], None]
    decline_next: Callable[[str], None] = lambda route: None  # "capture" | "refund"
    unavailable_next: Callable[[str], None] = lambda route: None
    reverse: Callable[[str], None] = lambda capture_id: None
    recorder: Recorder | None = None


@pytest.fixture(scope="module")
def sandbox():
    box = PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET).start()
    yield box
    box.stop()
    assert box.failures == [], "the sandbox answered 500"


def control(box: PayPalSandbox, path: str, body: dict | None = None) -> dict:
    """A test control of the sandbox (`/sandbox/...`, no token)."""
    answer = requests.post(f"{box.url}/sandbox{path}", json=body, timeout=10)
    assert answer.status_code in (200, 201, 202), answer.text
    return answer.json()


def approve_in_sandbox(box: PayPalSandbox) -> Callable[[str], None]:
    return lambda order_id: control(box, f"/orders/{order_id}/approve")


@pytest.fixture(params=["memory", "sandbox"])
def paypal(request):
    if request.param == "memory":
        twin = InMemoryPayPalGateway()
        yield PayPalSide(
            "memory", twin, approve=lambda order_id: twin.approve(order_id),
            decline_next=lambda route: (twin.decline_next_capture() if route == "capture"
                                        else twin.decline_next_refund()),
            unavailable_next=lambda route: twin.unavailable_next(),
            reverse=lambda capture_id: twin.reverse(capture_id))
        return
    box = request.getfixturevalue("sandbox")
    recorder = Recorder()
    settings = Settings(paypal_base_url=box.url, paypal_client_id=CLIENT_ID, paypal_client_secret=SECRET)
    gateway = PayPalGateway(settings, http_call_back=recorder, timeout=10)
    yield PayPalSide(
        "sandbox", gateway, approve=approve_in_sandbox(box),
        decline_next=lambda route: control(box, "/failures", {"route": route, "mode": "declined"}),
        unavailable_next=lambda route: control(box, "/failures", {"route": route, "mode": "unavailable"}),
        reverse=lambda capture_id: control(box, f"/captures/{capture_id}/reverse"),
        recorder=recorder)
    requests.delete(f"{box.url}/sandbox/failures", timeout=10)
    assert recorder.spec_violations() == []


_orders = iter(range(10**9))


def new_order(side: PayPalSide, *, amount_cents: int = 3000, request_id: str | None = None,
              custom_id: str = "pay-1"):
    return side.gateway.create_order(
        request_id=request_id or f"order-{next(_orders)}", amount_cents=amount_cents, currency="USD",
        description="30 minutes with Ada", reference_id="call-1", custom_id=custom_id,
        return_url="http://127.0.0.1:8080/pay/return", cancel_url="http://127.0.0.1:8080/pay/cancel",
        brand_name="interKanect")


def captured(side: PayPalSide, *, amount_cents: int = 3000):
    order = new_order(side, amount_cents=amount_cents)
    side.approve(order.order_id)
    return side.gateway.capture_order(order_id=order.order_id, request_id=f"capture-{order.order_id}")


class TestPaymentGatewayContract:
    """What the payment services may rely on, whichever gateway they are given."""

    def test_a_new_order_waits_for_the_payer_at_its_approve_url(self, paypal) -> None:
        order = new_order(paypal, amount_cents=1234, custom_id="pay-42")
        assert order.status == "PAYER_ACTION_REQUIRED"
        assert re.fullmatch(r"[A-Z0-9]{17}", order.order_id)
        assert order.approve_url and order.order_id in order.approve_url
        assert (order.amount_cents, order.currency, order.custom_id) == (1234, "USD", "pay-42")
        assert order.capture is None and order.payer_id is None
        assert paypal.gateway.get_order(order.order_id) == order

    def test_creating_again_with_the_same_request_id_gives_the_same_order(self, paypal) -> None:
        first = new_order(paypal, request_id="order-once")
        assert new_order(paypal, request_id="order-once").order_id == first.order_id
        assert new_order(paypal).order_id != first.order_id

    def test_capture_before_approval_is_refused(self, paypal) -> None:
        order = new_order(paypal)
        with pytest.raises(OrderNotApproved) as info:
            paypal.gateway.capture_order(order_id=order.order_id, request_id=f"early-{order.order_id}")
        assert info.value.issue == "ORDER_NOT_APPROVED"
        assert paypal.gateway.get_order(order.order_id).status == "PAYER_ACTION_REQUIRED"
        paypal.approve(order.order_id)
        assert paypal.gateway.capture_order(order_id=order.order_id,
                                            request_id=f"later-{order.order_id}").status == "COMPLETED"

    def test_a_refusal_is_the_answer_to_its_request_id_so_a_new_attempt_needs_a_new_id(self, paypal) -> None:
        order = new_order(paypal)
        with pytest.raises(OrderNotApproved):
            paypal.gateway.capture_order(order_id=order.order_id, request_id=f"capture-{order.order_id}")
        paypal.approve(order.order_id)
        with pytest.raises(OrderNotApproved):  # the stored 422, replayed for the same id
            paypal.gateway.capture_order(order_id=order.order_id, request_id=f"capture-{order.order_id}")
        done = paypal.gateway.capture_order(order_id=order.order_id, request_id=f"capture-{order.order_id}-2")
        assert done.status == "COMPLETED"

    def test_an_approved_order_names_its_payer(self, paypal) -> None:
        order = new_order(paypal)
        paypal.approve(order.order_id)
        approved = paypal.gateway.get_order(order.order_id)
        assert approved.status == "APPROVED" and approved.payer_id
        assert approved.capture is None

    def test_capture_brings_the_fee_breakdown(self, paypal) -> None:
        order = captured(paypal, amount_cents=3000)
        capture = order.capture
        assert order.status == "COMPLETED" and capture is not None
        assert capture.status == "COMPLETED" and capture.amount_cents == 3000
        assert capture.paypal_fee_cents == paypal_fee_cents(3000) == 154
        assert capture.net_cents == 3000 - 154
        assert capture.order_id == order.order_id and capture.custom_id == "pay-1"
        assert capture.create_time and capture.create_time.endswith("Z")
        assert paypal.gateway.get_order(order.order_id).capture == capture

    def test_capturing_again_gives_the_same_capture_and_moves_no_money(self, paypal) -> None:
        order = new_order(paypal)
        paypal.approve(order.order_id)
        first = paypal.gateway.capture_order(order_id=order.order_id, request_id="capture-same")
        replay = paypal.gateway.capture_order(order_id=order.order_id, request_id="capture-same")
        other = paypal.gateway.capture_order(order_id=order.order_id, request_id="capture-other")
        assert first.capture == replay.capture == other.capture
        assert first.status == replay.status == other.status == "COMPLETED"

    def test_racing_captures_capture_once(self, paypal) -> None:
        order = new_order(paypal)
        paypal.approve(order.order_id)
        results, barrier = [], threading.Barrier(6)

        def capture(n: int) -> None:
            barrier.wait()
            results.append(paypal.gateway.capture_order(order_id=order.order_id, request_id=f"race-{n % 3}"))

        threads = [threading.Thread(target=capture, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(results) == 6 and len({r.capture.capture_id for r in results}) == 1

    def test_get_capture_finds_the_capture_and_its_order(self, paypal) -> None:
        order = captured(paypal)
        found = paypal.gateway.get_capture(order.capture.capture_id)
        assert found.capture_id == order.capture.capture_id and found.status == "COMPLETED"
        assert found.amount_cents == 3000 and found.paypal_fee_cents == 154 and found.net_cents == 2846
        assert found.order_id == order.order_id and found.custom_id == "pay-1"

    def test_refunds_up_to_the_captured_amount(self, paypal) -> None:
        capture_id = captured(paypal, amount_cents=3000).capture.capture_id
        refund = dict(capture_id=capture_id, currency="USD", note="Sorry about the call")
        first = paypal.gateway.refund_capture(**refund, amount_cents=1000, request_id=f"r1-{capture_id}",
                                              custom_id="refund-1")
        assert first.status == "COMPLETED" and first.amount_cents == 1000
        assert first.capture_id == capture_id and first.custom_id == "refund-1"
        assert re.fullmatch(r"[A-Z0-9]{17}", first.refund_id)
        assert paypal.gateway.get_capture(capture_id).status == "PARTIALLY_REFUNDED"
        again = paypal.gateway.refund_capture(**refund, amount_cents=1000, request_id=f"r1-{capture_id}",
                                              custom_id="refund-1")
        assert again.refund_id == first.refund_id  # the same request id: no second refund
        with pytest.raises(PayPalRejected) as info:
            paypal.gateway.refund_capture(**refund, amount_cents=2001, request_id=f"r2-{capture_id}")
        assert info.value.issue == "REFUND_AMOUNT_EXCEEDED" and info.value.status == 422
        rest = paypal.gateway.refund_capture(**refund, amount_cents=2000, request_id=f"r3-{capture_id}")
        assert rest.amount_cents == 2000 and rest.refund_id != first.refund_id
        assert paypal.gateway.get_capture(capture_id).status == "REFUNDED"
        with pytest.raises(PayPalRejected) as info:
            paypal.gateway.refund_capture(**refund, amount_cents=1, request_id=f"r4-{capture_id}")
        assert info.value.issue == "CAPTURE_FULLY_REFUNDED"

    def test_a_capture_paypal_declines_stays_declined(self, paypal) -> None:
        order = new_order(paypal)
        paypal.approve(order.order_id)
        paypal.decline_next("capture")
        with pytest.raises(PaymentDeclined) as info:
            paypal.gateway.capture_order(order_id=order.order_id, request_id=f"capture-{order.order_id}")
        declined = info.value.order
        assert declined is not None and declined.order_id == order.order_id
        assert declined.capture.status == "DECLINED" and declined.capture.amount_cents == 3000
        with pytest.raises(PaymentDeclined):  # asked again (another request id): still declined
            paypal.gateway.capture_order(order_id=order.order_id, request_id=f"again-{order.order_id}")
        assert paypal.gateway.get_capture(declined.capture.capture_id).status == "DECLINED"
        with pytest.raises(PayPalRejected):
            paypal.gateway.refund_capture(capture_id=declined.capture.capture_id, amount_cents=100,
                                          currency="USD", request_id=f"refund-{order.order_id}", note="")

    def test_a_failed_refund_gives_nothing_back(self, paypal) -> None:
        capture_id = captured(paypal).capture.capture_id
        paypal.decline_next("refund")
        refund = paypal.gateway.refund_capture(capture_id=capture_id, amount_cents=500, currency="USD",
                                               request_id=f"r1-{capture_id}", note="")
        assert refund.status == "FAILED" and refund.amount_cents == 500
        assert paypal.gateway.get_capture(capture_id).status == "COMPLETED"
        retry = paypal.gateway.refund_capture(capture_id=capture_id, amount_cents=3000, currency="USD",
                                              request_id=f"r2-{capture_id}", note="")
        assert retry.status == "COMPLETED" and paypal.gateway.get_capture(capture_id).status == "REFUNDED"

    def test_paypal_down_changes_nothing_and_the_same_request_id_then_captures(self, paypal) -> None:
        order = new_order(paypal)
        paypal.approve(order.order_id)
        paypal.unavailable_next("capture")
        with pytest.raises(PayPalUnavailable) as info:
            paypal.gateway.capture_order(order_id=order.order_id, request_id=f"capture-{order.order_id}")
        assert info.value.status == 503
        assert paypal.gateway.get_order(order.order_id).status == "APPROVED"
        done = paypal.gateway.capture_order(order_id=order.order_id, request_id=f"capture-{order.order_id}")
        assert done.status == "COMPLETED" and done.capture.status == "COMPLETED"

    def test_a_reversed_capture_reads_refunded_for_a_chargeback_and_takes_no_refund(self, paypal) -> None:
        capture_id = captured(paypal).capture.capture_id
        paypal.gateway.refund_capture(capture_id=capture_id, amount_cents=1000, currency="USD",
                                      request_id=f"r1-{capture_id}", note="")
        paypal.reverse(capture_id)
        after = paypal.gateway.get_capture(capture_id)
        assert after.status == "REFUNDED" and after.status_reason == "CHARGEBACK"
        with pytest.raises(PayPalRejected) as info:
            paypal.gateway.refund_capture(capture_id=capture_id, amount_cents=1, currency="USD",
                                          request_id=f"r2-{capture_id}", note="")
        assert info.value.issue == "REFUND_NOT_PERMITTED_DUE_TO_CHARGEBACK"

    def test_unknown_orders_and_captures_are_not_found(self, paypal) -> None:
        with pytest.raises(PayPalNotFound):
            paypal.gateway.get_order("5O190127TN364715T")
        with pytest.raises(PayPalNotFound):
            paypal.gateway.get_capture("3C679366HH908993F")
        with pytest.raises(PayPalNotFound):
            paypal.gateway.capture_order(order_id="5O190127TN364715T", request_id="capture-nothing")
        with pytest.raises(PayPalNotFound):
            paypal.gateway.refund_capture(capture_id="3C679366HH908993F", amount_cents=100, currency="USD",
                                          request_id="refund-nothing", note="")

    def test_an_access_token_is_shared_until_nearly_spent(self, paypal) -> None:
        token = paypal.gateway.access_token()
        assert token.token_type == "Bearer" and token.value.startswith("A21AA")
        assert paypal.gateway.access_token() == token


# -- the sandbox only ---------------------------------------------------------------------

def _form(page: str) -> tuple[str, dict[str, str], list[tuple[str, str]]]:
    """The approval page's form: action, hidden fields and (name, value) of its buttons."""
    action = re.search(r'<form[^>]*action="([^"]*)"', page)
    hidden = dict(re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    buttons = re.findall(r'<button[^>]*name="([^"]+)"[^>]*value="([^"]*)"[^>]*>', page)
    return html.unescape(action.group(1)) if action else "", {
        k: html.unescape(v) for k, v in hidden.items()}, buttons


def test_the_approval_page_approves_and_returns_the_payer(sandbox) -> None:
    recorder = Recorder()
    settings = Settings(paypal_base_url=sandbox.url, paypal_client_id=CLIENT_ID, paypal_client_secret=SECRET)
    gateway = PayPalGateway(settings, http_call_back=recorder)
    order = new_order(PayPalSide("sandbox", gateway, lambda _: None))
    assert urlsplit(order.approve_url).path == "/checkoutnow"
    page = requests.get(order.approve_url, timeout=10)
    assert page.status_code == 200 and "Approve and pay" in page.text and "Cancel and return" in page.text
    action, hidden, buttons = _form(page.text)
    approve = next((b for b in buttons if "approve" in (b[0] + b[1]).lower()), None)
    assert approve is not None, page.text
    target = requests.compat.urljoin(order.approve_url, action or urlsplit(order.approve_url).path)
    answer = requests.post(target, data={**hidden, approve[0]: approve[1]}, allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == "http://127.0.0.1:8080/pay/return"
    assert f"token={order.order_id}" in back.query
    assert gateway.get_order(order.order_id).status == "APPROVED"
    captured_order = gateway.capture_order(order_id=order.order_id, request_id=f"capture-{order.order_id}")
    assert captured_order.capture.status == "COMPLETED"
    assert recorder.spec_violations() == []


def test_cancel_on_the_approval_page_returns_to_cancel_url_unapproved(sandbox) -> None:
    settings = Settings(paypal_base_url=sandbox.url, paypal_client_id=CLIENT_ID, paypal_client_secret=SECRET)
    gateway = PayPalGateway(settings)
    order = new_order(PayPalSide("sandbox", gateway, lambda _: None))
    page = requests.get(order.approve_url, timeout=10)
    action, hidden, buttons = _form(page.text)
    cancel = next((b for b in buttons if "cancel" in (b[0] + b[1]).lower()), None)
    assert cancel is not None, page.text
    target = requests.compat.urljoin(order.approve_url, action or urlsplit(order.approve_url).path)
    answer = requests.post(target, data={**hidden, cancel[0]: cancel[1]}, allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303)
    assert answer.headers["Location"].startswith("http://127.0.0.1:8080/pay/cancel")
    with pytest.raises(OrderNotApproved):
        gateway.capture_order(order_id=order.order_id, request_id=f"capture-{order.order_id}")
