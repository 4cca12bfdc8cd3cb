"""The real PayPal gateway (the official SDK over HTTP) against a scripted PayPal on loopback:
each PayPal answer, outage and refusal leaves as one of our PayPalProblem classes, never as an
SDK exception; the requests carry PayPal-Request-Id and Prefer and match PayPal's spec."""
from __future__ import annotations

import json
import socket

import pytest

from chalicelib.adapters.paypal import (
    OrderNotApproved,
    PaymentDeclined,
    PayPalCredentialsRejected,
    PayPalGateway,
    PayPalNotFound,
    PayPalProblem,
    PayPalRejected,
    PayPalUnavailable,
)
from chalicelib.settings import Settings
from infra.local.paypal_specs import paypal_specs
from tests.support.scripted_paypal import error, gateway_for, running_scripted_paypal

ORDER_ID = "5O190127TN364715T"
CAPTURE_ID = "3C679366HH908993F"
REFUND_ID = "1JU08902781691411"


def order_body(status: str = "PAYER_ACTION_REQUIRED", *, capture: dict | None = None) -> dict:
    unit = {"reference_id": "call-1", "custom_id": "pay-1",
            "amount": {"currency_code": "USD", "value": "30.00"}}
    if capture:
        unit["payments"] = {"captures": [capture]}
    return {"id": ORDER_ID, "status": status, "intent": "CAPTURE", "purchase_units": [unit],
            "payment_source": {"paypal": {"account_id": "QYR5Z8XDVJNXQ"}},
            "links": [{"href": f"https://api-m.sandbox.paypal.com/v2/checkout/orders/{ORDER_ID}",
                       "rel": "self", "method": "GET"},
                      {"href": f"https://www.sandbox.paypal.com/checkoutnow?token={ORDER_ID}",
                       "rel": "payer-action", "method": "GET"}]}


def capture_body(status: str = "COMPLETED", value: str = "30.00") -> dict:
    return {"id": CAPTURE_ID, "status": status, "amount": {"currency_code": "USD", "value": value},
            "custom_id": "pay-1", "create_time": "2027-01-15T08:00:00Z",
            "seller_receivable_breakdown": {
                "gross_amount": {"currency_code": "USD", "value": value},
                "paypal_fee": {"currency_code": "USD", "value": "1.54"},
                "net_amount": {"currency_code": "USD", "value": "28.46"}},
            "links": [{"href": f"https://api-m.sandbox.paypal.com/v2/checkout/orders/{ORDER_ID}",
                       "rel": "up", "method": "GET"}]}


@pytest.fixture
def paypal():
    yield from running_scripted_paypal()


def create(gateway: PayPalGateway, **changes):
    request = dict(request_id="order-pay-1", amount_cents=3000, currency="USD",
                   description="30 minutes with Ada", reference_id="call-1", custom_id="pay-1",
                   return_url="http://127.0.0.1:8080/pay/return", cancel_url="http://127.0.0.1:8080/pay/cancel",
                   brand_name="interKanect")
    return gateway.create_order(**{**request, **changes})


# -- what we send -------------------------------------------------------------------------

def test_create_order_sends_a_spec_valid_body_with_request_id_and_prefer(paypal) -> None:
    paypal.answer("POST /v2/checkout/orders", (201, order_body()))
    order = create(gateway_for(paypal))
    assert order.order_id == ORDER_ID and order.status == "PAYER_ACTION_REQUIRED"
    assert order.approve_url == f"https://www.sandbox.paypal.com/checkoutnow?token={ORDER_ID}"
    assert (order.amount_cents, order.currency, order.custom_id, order.payer_id) == \
        (3000, "USD", "pay-1", "QYR5Z8XDVJNXQ")
    [sent] = paypal.calls("POST /v2/checkout/orders")
    assert sent["headers"]["PayPal-Request-Id"] == "order-pay-1"
    assert sent["headers"]["Prefer"] == "return=representation"
    assert sent["headers"]["Authorization"] == "Bearer A21AA-scripted"
    body = json.loads(sent["body"])
    paypal_specs()["checkout_orders_v2"].validate_request("/v2/checkout/orders", "post", body)
    assert body["intent"] == "CAPTURE"
    assert body["purchase_units"] == [{"amount": {"currency_code": "USD", "value": "30.00"},
                                       "reference_id": "call-1", "description": "30 minutes with Ada",
                                       "custom_id": "pay-1"}]
    context = body["payment_source"]["paypal"]["experience_context"]
    assert context["user_action"] == "PAY_NOW" and context["shipping_preference"] == "NO_SHIPPING"
    assert context["brand_name"] == "interKanect"
    assert context["return_url"].endswith("/pay/return") and context["cancel_url"].endswith("/pay/cancel")


@pytest.mark.parametrize("cents, value", [(1, "0.01"), (99, "0.99"), (100, "1.00"), (123456789, "1234567.89")])
def test_amounts_go_to_paypal_as_exact_decimal_strings(paypal, cents, value) -> None:
    paypal.answer("POST /v2/checkout/orders", (201, order_body()))
    create(gateway_for(paypal), amount_cents=cents)
    body = json.loads(paypal.calls("POST /v2/checkout/orders")[0]["body"])
    assert body["purchase_units"][0]["amount"]["value"] == value


@pytest.mark.parametrize("changes", [
    {"amount_cents": 0}, {"amount_cents": -5}, {"amount_cents": 12.5}, {"amount_cents": True},
    {"amount_cents": "30.00"}, {"currency": "usd"}, {"request_id": ""}, {"request_id": "x" * 109},
    {"custom_id": ""}, {"custom_id": "c" * 128}, {"return_url": "/pay/return"},
    {"cancel_url": "javascript:alert(1)"},
])
def test_a_bad_order_request_is_refused_before_anything_is_sent(paypal, changes) -> None:
    with pytest.raises((ValueError, TypeError)):
        create(gateway_for(paypal), **changes)
    assert paypal.requests == []


def test_a_long_description_is_clipped_to_paypal_limit(paypal) -> None:
    paypal.answer("POST /v2/checkout/orders", (201, order_body()))
    create(gateway_for(paypal), description="d" * 300)
    body = json.loads(paypal.calls("POST /v2/checkout/orders")[0]["body"])
    assert len(body["purchase_units"][0]["description"]) == 127


def test_refund_sends_a_spec_valid_body_with_request_id_and_prefer(paypal) -> None:
    route = f"POST /v2/payments/captures/{CAPTURE_ID}/refund"
    paypal.answer(route, (201, {"id": REFUND_ID, "status": "COMPLETED", "custom_id": "refund-1",
                                "amount": {"currency_code": "USD", "value": "10.01"}}))
    refund = gateway_for(paypal).refund_capture(capture_id=CAPTURE_ID, amount_cents=1001, currency="USD",
                                                request_id="refund-1", note="Sorry about that",
                                                custom_id="refund-1")
    assert refund.refund_id == REFUND_ID and refund.amount_cents == 1001
    assert refund.capture_id == CAPTURE_ID and refund.status == "COMPLETED" and refund.custom_id == "refund-1"
    [sent] = paypal.calls(route)
    assert sent["headers"]["PayPal-Request-Id"] == "refund-1"
    assert sent["headers"]["Prefer"] == "return=representation"
    body = json.loads(sent["body"])
    paypal_specs()["payments_payment_v2"].validate_request(
        "/v2/payments/captures/{capture_id}/refund", "post", body)
    assert body == {"amount": {"currency_code": "USD", "value": "10.01"},
                    "custom_id": "refund-1", "note_to_payer": "Sorry about that"}


def test_capture_reads_the_fee_breakdown(paypal) -> None:
    route = f"POST /v2/checkout/orders/{ORDER_ID}/capture"
    paypal.answer(route, (201, order_body("COMPLETED", capture=capture_body())))
    order = gateway_for(paypal).capture_order(order_id=ORDER_ID, request_id="capture-pay-1")
    assert order.status == "COMPLETED"
    assert order.capture is not None
    assert (order.capture.capture_id, order.capture.status, order.capture.amount_cents) == \
        (CAPTURE_ID, "COMPLETED", 3000)
    assert (order.capture.paypal_fee_cents, order.capture.net_cents) == (154, 2846)
    assert order.capture.order_id == ORDER_ID and order.capture.custom_id == "pay-1"
    [sent] = paypal.calls(route)
    assert sent["headers"]["PayPal-Request-Id"] == "capture-pay-1"
    assert sent["headers"]["Prefer"] == "return=representation"
    assert sent["body"] in (b"", b"{}")


def test_get_capture_finds_its_order_in_the_related_ids(paypal) -> None:
    capture = {**capture_body("PARTIALLY_REFUNDED"), "links": [],
               "supplementary_data": {"related_ids": {"order_id": ORDER_ID}}}
    paypal.answer(f"GET /v2/payments/captures/{CAPTURE_ID}", (200, capture))
    found = gateway_for(paypal).get_capture(CAPTURE_ID)
    assert found.status == "PARTIALLY_REFUNDED" and found.order_id == ORDER_ID
    assert "PayPal-Request-Id" not in paypal.requests[-1]["headers"]


def test_an_id_that_is_not_paypal_is_never_put_in_a_path(paypal) -> None:
    gateway = gateway_for(paypal)
    for bad in ("../token", "A/B", "", "x" * 65):
        with pytest.raises(ValueError):
            gateway.get_order(bad)
    assert paypal.requests == []


# -- what PayPal answers ------------------------------------------------------------------

def test_capture_before_approval_is_order_not_approved(paypal) -> None:
    paypal.answer(f"POST /v2/checkout/orders/{ORDER_ID}/capture",
                  error(422, "UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED"))
    with pytest.raises(OrderNotApproved) as info:
        gateway_for(paypal).capture_order(order_id=ORDER_ID, request_id="capture-1")
    assert (info.value.status, info.value.issue, info.value.debug_id) == (422, "ORDER_NOT_APPROVED", "f00dcafe12345")


@pytest.mark.parametrize("issue", ["INSTRUMENT_DECLINED", "TRANSACTION_REFUSED", "PAYER_CANNOT_PAY"])
def test_a_declined_instrument_is_payment_declined(paypal, issue) -> None:
    paypal.answer(f"POST /v2/checkout/orders/{ORDER_ID}/capture", error(422, "UNPROCESSABLE_ENTITY", issue))
    with pytest.raises(PaymentDeclined) as info:
        gateway_for(paypal).capture_order(order_id=ORDER_ID, request_id="capture-1")
    assert info.value.issue == issue and issue in str(info.value)


def test_a_capture_that_comes_back_declined_is_payment_declined_with_the_order(paypal) -> None:
    declined = {k: v for k, v in capture_body("DECLINED").items() if k != "seller_receivable_breakdown"}
    paypal.answer(f"POST /v2/checkout/orders/{ORDER_ID}/capture",
                  (201, order_body("COMPLETED", capture=declined)))
    with pytest.raises(PaymentDeclined) as info:
        gateway_for(paypal).capture_order(order_id=ORDER_ID, request_id="capture-1")
    assert info.value.order is not None and info.value.order.capture.status == "DECLINED"


def test_an_order_captured_already_is_read_back_not_captured_twice(paypal) -> None:
    paypal.answer(f"POST /v2/checkout/orders/{ORDER_ID}/capture",
                  error(422, "UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED"))
    paypal.answer(f"GET /v2/checkout/orders/{ORDER_ID}", (200, order_body("COMPLETED", capture=capture_body())))
    order = gateway_for(paypal).capture_order(order_id=ORDER_ID, request_id="capture-2")
    assert order.status == "COMPLETED" and order.capture.capture_id == CAPTURE_ID
    assert len(paypal.calls(f"POST /v2/checkout/orders/{ORDER_ID}/capture")) == 1


def test_a_minimal_answer_is_completed_by_reading_the_order(paypal) -> None:
    paypal.answer("POST /v2/checkout/orders", (201, {"id": ORDER_ID, "status": "PAYER_ACTION_REQUIRED",
                                                     "links": order_body()["links"]}))
    paypal.answer(f"GET /v2/checkout/orders/{ORDER_ID}", (200, order_body()))
    assert create(gateway_for(paypal)).amount_cents == 3000


@pytest.mark.parametrize("answer, problem", [
    (error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID"), PayPalNotFound),
    (error(400, "INVALID_REQUEST", "INVALID_PARAMETER_VALUE"), PayPalRejected),
    (error(403, "NOT_AUTHORIZED", "PERMISSION_DENIED"), PayPalRejected),
    (error(422, "UNPROCESSABLE_ENTITY", "REFUND_AMOUNT_EXCEEDED"), PayPalRejected),
    (error(500, "INTERNAL_SERVER_ERROR"), PayPalUnavailable),
    (error(503, "SERVICE_UNAVAILABLE"), PayPalUnavailable),
    (error(429, "RATE_LIMIT_REACHED"), PayPalUnavailable),
    (error(409, "RESOURCE_CONFLICT", "PREVIOUS_REQUEST_IN_PROGRESS"), PayPalUnavailable),
    ((502, b"<html>Bad Gateway</html>"), PayPalUnavailable),
    ((200, b"<html>not json</html>"), PayPalUnavailable),
    ((200, [1, 2, 3]), PayPalUnavailable),
    ((200, {"id": CAPTURE_ID}), PayPalUnavailable),
    ((200, {**capture_body(), "amount": {"currency_code": "USD", "value": "1.234"}}), PayPalUnavailable),
])
def test_paypal_answers_map_to_our_problems(paypal, answer, problem) -> None:
    paypal.answer(f"GET /v2/payments/captures/{CAPTURE_ID}", answer)
    with pytest.raises(problem) as info:
        gateway_for(paypal).get_capture(CAPTURE_ID)
    assert type(info.value) is problem
    if isinstance(answer[1], dict) and "name" in answer[1]:
        assert answer[1]["name"] in str(info.value) and "f00dcafe12345" in str(info.value)
        assert info.value.status == answer[0]


def test_a_failed_call_is_not_retried_by_the_sdk(paypal) -> None:
    paypal.answer(f"POST /v2/checkout/orders/{ORDER_ID}/capture", error(500, "INTERNAL_SERVER_ERROR"))
    with pytest.raises(PayPalUnavailable):
        gateway_for(paypal).capture_order(order_id=ORDER_ID, request_id="capture-1")
    assert len(paypal.calls(f"POST /v2/checkout/orders/{ORDER_ID}/capture")) == 1


def test_a_token_paypal_dropped_is_fetched_again_once(paypal) -> None:
    paypal.answer(f"GET /v2/checkout/orders/{ORDER_ID}",
                  (401, {"error": "invalid_token", "error_description": "Token signature verification failed"}),
                  (200, order_body()))
    gateway = gateway_for(paypal)
    assert gateway.get_order(ORDER_ID).order_id == ORDER_ID
    assert len(paypal.calls("POST /v1/oauth2/token")) == 2
    paypal.answer(f"GET /v2/checkout/orders/{ORDER_ID}", (401, {"error": "invalid_token"}))
    with pytest.raises(PayPalRejected, match="invalid_token"):
        gateway.get_order(ORDER_ID)
    assert len(paypal.calls("POST /v1/oauth2/token")) == 3  # one fresh token per failing call, no loop


def test_token_failures_map_to_our_problems(paypal) -> None:
    paypal.answer("POST /v1/oauth2/token",
                  (401, {"error": "invalid_client", "error_description": "Client Authentication failed"}))
    with pytest.raises(PayPalCredentialsRejected):
        gateway_for(paypal).get_order(ORDER_ID)
    with pytest.raises(PayPalCredentialsRejected):
        gateway_for(paypal).access_token()
    paypal.answer("POST /v1/oauth2/token", (503, b"<html>down</html>"))
    with pytest.raises(PayPalUnavailable):
        gateway_for(paypal).get_order(ORDER_ID)
    with pytest.raises(PayPalUnavailable):
        gateway_for(paypal).access_token()


def test_a_timeout_is_unavailable(paypal) -> None:
    paypal.answer(f"GET /v2/checkout/orders/{ORDER_ID}", (200, order_body()))
    gateway = gateway_for(paypal, timeout=1)
    gateway.access_token()
    paypal.delay = 1.5
    with pytest.raises(PayPalUnavailable, match="could not be reached"):
        gateway.get_order(ORDER_ID)


def test_a_refused_connection_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(paypal_base_url=f"http://127.0.0.1:{port}", paypal_client_id="id",
                        paypal_client_secret="secret")
    gateway = PayPalGateway(settings)
    for attempt in (lambda: gateway.access_token(), lambda: gateway.get_order(ORDER_ID),
                    lambda: gateway.capture_order(order_id=ORDER_ID, request_id="capture-1")):
        with pytest.raises(PayPalUnavailable) as info:
            attempt()
        assert info.value.status is None


def test_every_problem_is_a_paypal_problem() -> None:
    for problem in (OrderNotApproved, PaymentDeclined, PayPalUnavailable, PayPalRejected, PayPalNotFound,
                    PayPalCredentialsRejected):
        assert issubclass(problem, PayPalProblem)
