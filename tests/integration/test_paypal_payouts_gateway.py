"""The payouts contract: one class of tests, run against the in-memory twin and against the real
`PayPalGateway` (Payouts v1 over plain HTTPS with the SDK's token) talking to the local PayPal
sandbox, whose batches wait PENDING until a test processes them. Every request the gateway sends
is checked against PayPal's request schema (payments_payouts_batch_v1), every sandbox answer
against the response schema. Then what only the real gateway meets: a scripted PayPal that
times out, drops tokens, answers HTML or redirects."""
from __future__ import annotations

import itertools
import json
import re
import socket
from dataclasses import dataclass
from typing import Callable

import pytest
import requests

from chalicelib.adapters.paypal import (
    DuplicatePayoutBatch,
    InMemoryPayPalGateway,
    PayoutBatch,
    PayoutGateway,
    PayoutItemResult,
    PayoutRequestItem,
    PayPalGateway,
    PayPalNotFound,
    PayPalRejected,
    PayPalUnavailable,
    payout_batch_from_paypal,
    payout_item_from_paypal,
)
from chalicelib.settings import Settings
from infra.local.paypal_sandbox import PayPalSandbox
from infra.local.paypal_specs import paypal_specs
from tests.integration.test_paypal_gateway import CLIENT_ID, SECRET, Recorder, control
from tests.support.scripted_paypal import error, gateway_for, running_scripted_paypal

pytestmark = pytest.mark.integration
PAYOUTS = "payments_payouts_batch_v1"
SANDBOX_ROUTES = {"create": "payouts", "get": "GET /v1/payments/payouts/{payout_batch_id}",
                  "get-item": "GET /v1/payments/payouts-item/{payout_item_id}"}
_serial = itertools.count(1)


# -- the two sides of the contract --------------------------------------------------------

@dataclass
class PayoutSide:
    """A gateway and PayPal's hands around it: receivers whose payouts fail, batches processed,
    outages, a declined batch, a token PayPal forgets (the twin's hooks, the sandbox's controls)."""

    name: str
    gateway: PayoutGateway
    receiver_outcome: Callable[[str, str], None]
    process: Callable[[str], None]
    unavailable_next: Callable[[str], None]  # "create" | "get" | "get-item"
    decline_next_batch: Callable[[], None]
    drop_token: Callable[[], None] = lambda: None
    batches_made: Callable[[], int] = lambda: 0
    recorder: Recorder | None = None


@pytest.fixture(scope="module")
def sandbox():
    box = PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET, payout_delay_seconds=600).start()
    yield box
    box.stop()
    assert box.failures == [], "the sandbox answered 500"


def sandbox_gateway(box: PayPalSandbox, recorder: Recorder | None = None, **options) -> PayPalGateway:
    settings = Settings(paypal_base_url=box.url, paypal_client_id=CLIENT_ID, paypal_client_secret=SECRET)
    return PayPalGateway(settings, http_call_back=recorder, timeout=10, **options)


def forget_tokens(box: PayPalSandbox) -> None:
    """PayPal drops every token it issued (revoked, or expired early)."""
    with box.state.lock:
        box.state.tokens.clear()


@pytest.fixture(params=["memory", "sandbox"])
def paypal(request):
    if request.param == "memory":
        twin = InMemoryPayPalGateway()
        yield PayoutSide(
            "memory", twin, receiver_outcome=twin.payout_receiver_outcome,
            process=lambda batch_id: twin.process_payouts(),
            unavailable_next=lambda route: twin.unavailable_next(),
            decline_next_batch=twin.decline_next_payout_batch,
            batches_made=lambda: len(twin.payout_batches))
        return
    box = request.getfixturevalue("sandbox")
    recorder = Recorder()
    yield PayoutSide(
        "sandbox", sandbox_gateway(box, recorder),
        receiver_outcome=lambda email, outcome: control(box, "/payouts/receivers",
                                                        {"email": email, "outcome": outcome}),
        process=lambda batch_id: control(box, f"/payouts/{batch_id}/process"),
        unavailable_next=lambda route: control(box, "/failures", {"route": SANDBOX_ROUTES[route],
                                                                  "mode": "unavailable"}),
        decline_next_batch=lambda: control(box, "/failures", {"route": "payouts", "mode": "declined"}),
        drop_token=lambda: forget_tokens(box),
        batches_made=lambda: len(box.state.payouts),
        recorder=recorder)
    requests.delete(f"{box.url}/sandbox/failures", timeout=10)
    assert recorder.spec_violations() == []


def emails(*names: str) -> list[str]:
    """Receivers no other test uses (the sandbox, and its receiver outcomes, last the module)."""
    serial = next(_serial)
    return [f"{name}.{serial}@example.com" for name in names]


def items_for(receivers: list[str], *, cents: int = 8000) -> list[PayoutRequestItem]:
    return [PayoutRequestItem(sender_item_id=f"item-{n}", receiver=receiver, amount_cents=cents + n,
                              note="Your earnings this week") for n, receiver in enumerate(receivers)]


def send(gateway: PayoutGateway, receivers: list[str] | None = None, *, sender_batch_id: str | None = None,
         request_id: str | None = None, items: list[PayoutRequestItem] | None = None) -> PayoutBatch:
    """A batch of three items (8000, 8001 and 8002 cents) unless told otherwise."""
    serial = next(_serial)
    return gateway.create_payout_batch(
        sender_batch_id=sender_batch_id or f"run-{serial}-0", currency="USD",
        items=items or items_for(receivers or emails("ada", "grace", "alan")),
        email_subject="Your interKanect payout", email_message="Your earnings on interKanect.",
        request_id=request_id or f"payout-run-{serial}")


def paid(side: PayoutSide, receivers: list[str]) -> PayoutBatch:
    """A batch to `receivers`, processed, as PayPal then shows it."""
    batch = send(side.gateway, receivers)
    side.process(batch.payout_batch_id)
    return side.gateway.get_payout_batch(batch.payout_batch_id)


class TestPayoutGatewayContract:
    """What the payouts service may rely on, whichever gateway it is given."""

    def test_a_new_batch_is_pending_and_answers_with_its_header_only(self, paypal) -> None:
        batch = send(paypal.gateway, sender_batch_id="run-2027-01-15-0")
        assert batch.status == "PENDING" and batch.sender_batch_id == "run-2027-01-15-0"
        assert re.fullmatch(r"[A-Z0-9]{8,30}", batch.payout_batch_id)
        assert (batch.items, batch.page, batch.has_more) == ((), 1, False)

    def test_a_pending_batch_shows_its_items_pending(self, paypal) -> None:
        receivers = emails("ada", "grace", "alan")
        batch = send(paypal.gateway, receivers)
        shown = paypal.gateway.get_payout_batch(batch.payout_batch_id)
        assert (shown.payout_batch_id, shown.status, shown.page, shown.has_more) == \
            (batch.payout_batch_id, "PENDING", 1, False)
        assert shown.sender_batch_id == batch.sender_batch_id
        assert [(i.sender_item_id, i.receiver, i.amount_cents, i.currency, i.status) for i in shown.items] == [
            ("item-0", receivers[0], 8000, "USD", "PENDING"), ("item-1", receivers[1], 8001, "USD", "PENDING"),
            ("item-2", receivers[2], 8002, "USD", "PENDING")]
        assert all(i.payout_batch_id == batch.payout_batch_id and i.error_name is None for i in shown.items)
        assert len({i.payout_item_id for i in shown.items}) == 3

    def test_a_processed_batch_paid_every_item_and_each_item_reads_the_same(self, paypal) -> None:
        done = paid(paypal, emails("ada", "grace", "alan"))
        assert done.status == "SUCCESS"
        assert [i.status for i in done.items] == ["SUCCESS"] * 3
        for item in done.items:
            assert item.fee_cents == 0 and item.error_name is None and item.error_message is None
            assert paypal.gateway.get_payout_item(item.payout_item_id) == item

    def test_a_reused_sender_batch_id_is_refused_naming_the_original_batch(self, paypal) -> None:
        first = send(paypal.gateway, sender_batch_id=f"run-dup-{next(_serial)}")
        made = paypal.batches_made()
        with pytest.raises(DuplicatePayoutBatch) as info:
            send(paypal.gateway, emails("grace"), sender_batch_id=first.sender_batch_id)
        assert info.value.payout_batch_id == first.payout_batch_id
        assert isinstance(info.value, PayPalRejected) and not isinstance(info.value, PayPalNotFound)
        assert (info.value.status, info.value.name) == (400, "USER_BUSINESS_ERROR")
        assert paypal.batches_made() == made

    def test_the_same_request_id_gives_the_same_batch_and_pays_once(self, paypal) -> None:
        receivers = emails("ada", "grace", "alan")
        first = send(paypal.gateway, receivers, sender_batch_id="run-once", request_id=f"payout-once-{paypal.name}")
        made = paypal.batches_made()
        again = send(paypal.gateway, receivers, sender_batch_id="run-once", request_id=f"payout-once-{paypal.name}")
        assert again == first and paypal.batches_made() == made

    def test_receivers_paypal_cannot_pay_end_failed_unclaimed_or_returned(self, paypal) -> None:
        ok, locked, new, gone = emails("ok", "locked", "new", "gone")
        paypal.receiver_outcome(locked, "FAILED")
        paypal.receiver_outcome(new, "UNCLAIMED")
        paypal.receiver_outcome(gone, "RETURNED")
        done = paid(paypal, [ok, locked.upper(), new, gone])
        assert done.status == "SUCCESS"  # processed, though some items failed
        assert [(i.status, i.error_name) for i in done.items] == [
            ("SUCCESS", None), ("FAILED", "RECEIVER_ACCOUNT_LOCKED"), ("UNCLAIMED", "RECEIVER_UNREGISTERED"),
            ("RETURNED", "RECEIVER_UNREGISTERED")]
        assert all(i.error_message for i in done.items[1:])
        assert done.items[1].receiver == locked.upper()

    def test_an_unclaimed_item_can_be_cancelled_once_and_nothing_else_can(self, paypal) -> None:
        ok, new = emails("ok", "new")
        paypal.receiver_outcome(new, "UNCLAIMED")
        pending = send(paypal.gateway, [ok, new])
        waiting = paypal.gateway.get_payout_batch(pending.payout_batch_id).items[1]
        with pytest.raises(PayPalRejected) as info:
            paypal.gateway.cancel_payout_item(waiting.payout_item_id)
        assert (info.value.status, info.value.name) == (400, "ITEM_INCORRECT_STATUS")
        paypal.process(pending.payout_batch_id)
        succeeded, unclaimed = paypal.gateway.get_payout_batch(pending.payout_batch_id).items
        cancelled = paypal.gateway.cancel_payout_item(unclaimed.payout_item_id)
        assert cancelled.status == "RETURNED" and cancelled.payout_item_id == unclaimed.payout_item_id
        assert (cancelled.sender_item_id, cancelled.amount_cents, cancelled.receiver) == ("item-1", 8001, new)
        assert paypal.gateway.get_payout_item(unclaimed.payout_item_id).status == "RETURNED"
        for item in (unclaimed, succeeded):
            with pytest.raises(PayPalRejected) as info:
                paypal.gateway.cancel_payout_item(item.payout_item_id)
            assert info.value.name == "ITEM_INCORRECT_STATUS" and not isinstance(info.value, PayPalNotFound)

    def test_items_come_a_page_at_a_time(self, paypal) -> None:
        batch = send(paypal.gateway)
        first = paypal.gateway.get_payout_batch(batch.payout_batch_id, page=1, page_size=2)
        assert ([i.sender_item_id for i in first.items], first.page, first.has_more) == \
            (["item-0", "item-1"], 1, True)
        second = paypal.gateway.get_payout_batch(batch.payout_batch_id, page=2, page_size=2)
        assert ([i.sender_item_id for i in second.items], second.page, second.has_more) == (["item-2"], 2, False)
        beyond = paypal.gateway.get_payout_batch(batch.payout_batch_id, page=3, page_size=2)
        assert (beyond.items, beyond.has_more, beyond.status) == ((), False, "PENDING")
        exact = paypal.gateway.get_payout_batch(batch.payout_batch_id, page=1, page_size=3)
        assert len(exact.items) == 3 and not exact.has_more

    def test_paypal_down_changes_nothing_and_the_same_request_id_then_sends_once(self, paypal) -> None:
        made = paypal.batches_made()
        retry = dict(sender_batch_id=f"run-down-{paypal.name}", request_id=f"payout-down-{paypal.name}")
        paypal.unavailable_next("create")
        with pytest.raises(PayPalUnavailable) as info:
            send(paypal.gateway, **retry)
        assert info.value.status == 503 and paypal.batches_made() == made
        batch = send(paypal.gateway, **retry)
        assert batch.status == "PENDING" and paypal.batches_made() == made + 1

    def test_paypal_down_when_asked_about_a_batch_or_an_item_is_unavailable(self, paypal) -> None:
        batch_id = send(paypal.gateway).payout_batch_id
        item_id = paypal.gateway.get_payout_batch(batch_id).items[0].payout_item_id
        paypal.unavailable_next("get")
        with pytest.raises(PayPalUnavailable):
            paypal.gateway.get_payout_batch(batch_id)
        paypal.unavailable_next("get-item")
        with pytest.raises(PayPalUnavailable):
            paypal.gateway.get_payout_item(item_id)
        assert paypal.gateway.get_payout_item(item_id).status == "PENDING"

    def test_a_batch_paypal_declines_is_denied_with_every_item_failed(self, paypal) -> None:
        paypal.decline_next_batch()
        done = paid(paypal, emails("ada", "grace"))
        assert done.status == "DENIED" and [i.status for i in done.items] == ["FAILED", "FAILED"]

    def test_unknown_batches_and_items_are_not_found(self, paypal) -> None:
        with pytest.raises(PayPalNotFound) as info:
            paypal.gateway.get_payout_batch("5UXD2E8A7EBQJ")
        assert info.value.status == 404
        with pytest.raises(PayPalNotFound):
            paypal.gateway.get_payout_item("8AELMXH8UB2P8")
        with pytest.raises(PayPalNotFound):
            paypal.gateway.cancel_payout_item("8AELMXH8UB2P8")

    def test_a_token_paypal_dropped_is_fetched_again(self, paypal) -> None:
        batch = send(paypal.gateway)
        paypal.drop_token()
        assert paypal.gateway.get_payout_batch(batch.payout_batch_id).payout_batch_id == batch.payout_batch_id
        paypal.drop_token()
        assert send(paypal.gateway).status == "PENDING"

    def test_notes_and_messages_go_on_one_line(self, paypal) -> None:
        receivers = emails("ada")
        batch = send(paypal.gateway, items=[PayoutRequestItem("item-0", receivers[0], 500, note="Thanks!\nSee you\r\nsoon")])
        assert paypal.gateway.get_payout_batch(batch.payout_batch_id).items[0].amount_cents == 500

    @pytest.mark.parametrize("change", [
        {"items": []},
        {"items": [PayoutRequestItem(f"i{n}", "ada@example.com", 100) for n in range(15_001)]},
        {"items": [PayoutRequestItem("i", "not-an-email", 100)]},
        {"items": [PayoutRequestItem("i", "a" * 120 + "@example.com", 100)]},
        {"items": [PayoutRequestItem("i", "ada@example.com", 0)]},
        {"items": [PayoutRequestItem("i", "ada@example.com", 12.5)]},
        {"items": [PayoutRequestItem("i", "ada@example.com", True)]},
        {"items": [PayoutRequestItem("x" * 64, "ada@example.com", 100)]},
        {"items": [PayoutRequestItem("", "ada@example.com", 100)]},
        {"items": [PayoutRequestItem("i\n", "ada@example.com", 100)]},
        {"items": [PayoutRequestItem("i", "ada@example.com", 100), PayoutRequestItem("i", "bo@example.com", 100)]},
        {"items": [{"sender_item_id": "i", "receiver": "ada@example.com", "amount_cents": 100}]},
        {"sender_batch_id": ""}, {"sender_batch_id": "s" * 257}, {"sender_batch_id": "run\n1"},
        {"currency": "usd"}, {"request_id": ""}, {"request_id": "r" * 109},
    ])
    def test_a_bad_batch_is_refused_before_anything_is_sent(self, paypal, change) -> None:
        request = dict(sender_batch_id="run-bad", items=[PayoutRequestItem("i", "ada@example.com", 100)],
                       currency="USD", email_subject="s", email_message="m", request_id="payout-bad")
        made = paypal.batches_made()
        with pytest.raises(ValueError):
            paypal.gateway.create_payout_batch(**{**request, **change})
        assert paypal.batches_made() == made
        if paypal.recorder:
            assert [x for x in paypal.recorder.exchanges if x.path.startswith("/v1/payments")] == []

    @pytest.mark.parametrize("page, page_size, batch_id", [
        (0, 10, "5UXD2E8A7EBQJ"), (1001, 10, "5UXD2E8A7EBQJ"), (1, 0, "5UXD2E8A7EBQJ"), (1, 1001, "5UXD2E8A7EBQJ"),
        (True, 10, "5UXD2E8A7EBQJ"), (1, 10, "../orders"), (1, 10, ""),
    ])
    def test_a_bad_page_or_id_is_refused_before_anything_is_sent(self, paypal, page, page_size, batch_id) -> None:
        with pytest.raises(ValueError):
            paypal.gateway.get_payout_batch(batch_id, page=page, page_size=page_size)
        with pytest.raises(ValueError):
            paypal.gateway.get_payout_item("x/y")
        if paypal.recorder:
            assert [x for x in paypal.recorder.exchanges if x.path.startswith("/v1/payments")] == []


# -- the twin's own hooks -----------------------------------------------------------------

def test_the_twin_counts_its_payout_calls_and_shows_its_batches() -> None:
    twin = InMemoryPayPalGateway()
    batch = send(twin, emails("ada", "grace"))
    assert twin.payout_calls == [f"create {batch.sender_batch_id}"]
    assert twin.process_payouts() == [batch.payout_batch_id] and twin.process_payouts() == []
    held = twin.payout_batches[batch.payout_batch_id]
    assert held.status == "SUCCESS" and [i.status for i in held.items] == ["SUCCESS", "SUCCESS"]
    twin.get_payout_batch(batch.payout_batch_id)
    twin.get_payout_item(held.items[0].payout_item_id)
    assert twin.payout_calls[1:] == [f"get {batch.payout_batch_id}", f"get-item {held.items[0].payout_item_id}"]
    with pytest.raises(ValueError):
        twin.payout_receiver_outcome("ada@example.com", "LOST")


# -- the sandbox only ---------------------------------------------------------------------

def test_a_dropped_token_costs_one_401_and_one_new_token(sandbox) -> None:
    recorder = Recorder()
    gateway = sandbox_gateway(sandbox, recorder)
    batch = send(gateway)
    forget_tokens(sandbox)
    before = len(recorder.exchanges)
    gateway.get_payout_batch(batch.payout_batch_id)
    show = ("GET", f"/v1/payments/payouts/{batch.payout_batch_id}")
    assert [(x.method, x.path, x.status) for x in recorder.exchanges[before:]] == [
        (*show, 401), ("POST", "/v1/oauth2/token", 200), (*show, 200)]
    assert len(sandbox.state.tokens) == 1
    assert recorder.spec_violations() == []


def test_the_batch_we_send_is_what_paypal_documents(sandbox) -> None:
    recorder = Recorder()
    gateway = sandbox_gateway(sandbox, recorder)
    receivers = emails("ada", "grace")
    batch = send(gateway, request_id="payout-documented",
                 items=[PayoutRequestItem("item-0", receivers[0], 1234, note="Line one\nline two"),
                        PayoutRequestItem("item-1", receivers[1], 5)])
    [sent] = [x for x in recorder.exchanges if x.path == "/v1/payments/payouts"]
    assert sent.headers["PayPal-Request-Id"] == "payout-documented"
    assert sent.headers["Authorization"].startswith("Bearer A21AA")
    assert sent.headers["Content-Type"] == "application/json"
    paypal_specs()[PAYOUTS].validate_request("/v1/payments/payouts", "post", sent.body)
    assert sent.body["sender_batch_header"] == {
        "sender_batch_id": batch.sender_batch_id, "recipient_type": "EMAIL",
        "email_subject": "Your interKanect payout", "email_message": "Your earnings on interKanect."}
    assert sent.body["items"] == [
        {"recipient_type": "EMAIL", "amount": {"value": "12.34", "currency": "USD"}, "receiver": receivers[0],
         "sender_item_id": "item-0", "note": "Line one line two"},
        {"recipient_type": "EMAIL", "amount": {"value": "0.05", "currency": "USD"}, "receiver": receivers[1],
         "sender_item_id": "item-1"}]
    item = gateway.get_payout_batch(batch.payout_batch_id).items[0]
    gateway.get_payout_item(item.payout_item_id)
    with pytest.raises(PayPalRejected):
        gateway.cancel_payout_item(item.payout_item_id, request_id="cancel-documented")
    cancel = recorder.exchanges[-1]
    assert cancel.method == "POST" and cancel.headers["PayPal-Request-Id"] == "cancel-documented"
    assert recorder.spec_violations() == []


def test_each_cancel_carries_its_own_request_id(sandbox) -> None:
    recorder = Recorder()
    gateway = sandbox_gateway(sandbox, recorder)
    item = gateway.get_payout_batch(send(gateway)
                                    .payout_batch_id).items[0]
    for _ in range(2):
        with pytest.raises(PayPalRejected):
            gateway.cancel_payout_item(item.payout_item_id)
    ids = [x.headers["PayPal-Request-Id"] for x in recorder.exchanges if x.path.endswith("/cancel")]
    assert len(ids) == 2 and ids[0] != ids[1]


def test_payout_item_webhooks_read_as_the_item_does(sandbox) -> None:
    gateway = sandbox_gateway(sandbox)
    receivers = emails("ada", "new")
    control(sandbox, "/payouts/receivers", {"email": receivers[1], "outcome": "UNCLAIMED"})
    batch = send(gateway, receivers)
    control(sandbox, f"/payouts/{batch.payout_batch_id}/process")
    items = {i.payout_item_id: i for i in gateway.get_payout_batch(batch.payout_batch_id).items}
    events = [e for e in sandbox.webhooks.events() if e["event_type"].startswith("PAYMENT.PAYOUTS-ITEM.")
              and e["resource"]["payout_item_id"] in items]
    assert [e["event_type"] for e in events] == ["PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "PAYMENT.PAYOUTS-ITEM.UNCLAIMED"]
    for event in events:
        assert payout_item_from_paypal(event["resource"]) == items[event["resource"]["payout_item_id"]]
    [done] = [e for e in sandbox.webhooks.events("PAYMENT.PAYOUTSBATCH.SUCCESS")
              if e["resource"]["batch_header"]["payout_batch_id"] == batch.payout_batch_id]
    header = payout_batch_from_paypal(done["resource"])
    assert (header.status, header.sender_batch_id, header.items) == ("SUCCESS", batch.sender_batch_id, ())


# -- reading PayPal's answers -------------------------------------------------------------

PAYPAL_ITEM_EVENT_RESOURCE = {  # PayPal's PAYMENT.PAYOUTS-ITEM.SUCCEEDED example (live, with a fee)
    "transaction_id": "1DG93452WK758815H", "payout_item_fee": {"currency": "USD", "value": "0.25"},
    "transaction_status": "SUCCESS", "time_processed": "2018-01-09T03:10:20Z",
    "payout_item": {"recipient_type": "EMAIL", "amount": {"currency": "USD", "value": "9.87"},
                    "note": "Thanks for your patronage!", "receiver": "receiver@example.com",
                    "sender_item_id": "14Feb_234"},
    "payout_item_id": "8AELMXH8UB2P8", "payout_batch_id": "CQMWKDQF5GFLL", "sender_batch_id": "Payouts_2018_100006",
    "links": [{"href": "https://api.paypal.com/v1/payments/payouts-item/8AELMXH8UB2P8", "rel": "self",
               "method": "GET"}],
}


def test_an_item_with_a_fee_and_errors_is_read_exactly() -> None:
    assert payout_item_from_paypal(PAYPAL_ITEM_EVENT_RESOURCE) == PayoutItemResult(
        payout_item_id="8AELMXH8UB2P8", payout_batch_id="CQMWKDQF5GFLL", sender_item_id="14Feb_234",
        status="SUCCESS", amount_cents=987, currency="USD", fee_cents=25, receiver="receiver@example.com",
        error_name=None, error_message=None)
    failed = {**PAYPAL_ITEM_EVENT_RESOURCE, "transaction_status": "blocked",
              "errors": {"name": "RISK_DECLINE", "message": "Transaction was declined", "debug_id": "d"}}
    read = payout_item_from_paypal(failed)
    assert (read.status, read.error_name, read.error_message) == ("BLOCKED", "RISK_DECLINE", "Transaction was declined")
    fresh = {k: v for k, v in PAYPAL_ITEM_EVENT_RESOURCE.items() if k not in ("transaction_status", "payout_item_fee")}
    assert (payout_item_from_paypal(fresh).status, payout_item_from_paypal(fresh).fee_cents) == ("PENDING", None)


@pytest.mark.parametrize("extra, page, page_size, has_more", [
    ({"total_items": 3, "total_pages": 2}, 1, 2, True),
    ({"total_items": 3, "total_pages": 2}, 2, 2, False),
    ({"total_items": 4}, 2, 2, False),
    ({"total_items": 5}, 2, 2, True),
    ({"links": [{"href": "https://api.paypal.com/v1/payments/payouts/B?page=2", "rel": "next"}]}, 1, 2, True),
    ({"links": [{"href": "https://api.paypal.com/v1/payments/payouts/B?page=1", "rel": "self"}]}, 1, 2, False),
])
def test_more_pages_show_in_totals_or_a_next_link(extra, page, page_size, has_more) -> None:
    body = {"batch_header": {"payout_batch_id": "B", "batch_status": "processing",
                             "sender_batch_header": {"sender_batch_id": "run-1"}},
            "items": [{"payout_item_id": "I", "payout_item": {"amount": {"currency": "USD", "value": "1.00"}}}],
            **extra}
    batch = payout_batch_from_paypal(body, page=page, page_size=page_size)
    assert (batch.status, batch.sender_batch_id, batch.has_more, batch.page) == ("PROCESSING", "run-1", has_more, page)
    assert batch.items[0].payout_batch_id == "B" and batch.items[0].amount_cents == 100


# -- a scripted PayPal: what the sandbox does not do --------------------------------------

@pytest.fixture
def scripted():
    yield from running_scripted_paypal()



BATCH_ROUTE = "GET /v1/payments/payouts/5UXD2E8A7EBQJ"
CREATE_ROUTE = "POST /v1/payments/payouts"
ONE_ITEM = [PayoutRequestItem("item-0", "ada@example.com", 100)]


def create(gateway: PayPalGateway):
    return gateway.create_payout_batch(sender_batch_id="run-1-0", items=ONE_ITEM, currency="USD",
                                       email_subject="s", email_message="m", request_id="payout-run-1-0")


def test_a_token_paypal_keeps_refusing_is_fetched_again_once_not_in_a_loop(scripted) -> None:
    scripted.answer(BATCH_ROUTE, (401, {"error": "invalid_token", "error_description": "Token signature"}))
    with pytest.raises(PayPalRejected, match="invalid_token") as info:
        gateway_for(scripted).get_payout_batch("5UXD2E8A7EBQJ")
    assert info.value.status == 401
    assert len(scripted.calls("POST /v1/oauth2/token")) == 2 and len(scripted.calls(BATCH_ROUTE)) == 2


@pytest.mark.parametrize("answer, problem", [
    ((500, {"name": "INTERNAL_SERVER_ERROR", "message": "x", "debug_id": "f00dcafe12345"}), PayPalUnavailable),
    ((502, b"<html>Bad Gateway</html>"), PayPalUnavailable),
    ((429, {"name": "RATE_LIMIT_REACHED", "message": "x", "debug_id": "f00dcafe12345"}), PayPalUnavailable),
    ((200, b"<html>not json</html>"), PayPalUnavailable),
    ((200, [1, 2]), PayPalUnavailable),
    ((200, {"items": []}), PayPalUnavailable),
    ((403, {"name": "AUTHORIZATION_ERROR", "message": "x", "debug_id": "f00dcafe12345"}), PayPalRejected),
    ((302, b"", {"Location": "http://127.0.0.1:9/elsewhere"}), PayPalRejected),
    (error(404, "INVALID_RESOURCE_ID"), PayPalNotFound),
])
def test_paypal_answers_to_payouts_map_to_our_problems(scripted, answer, problem) -> None:
    scripted.answer(BATCH_ROUTE, answer)
    with pytest.raises(problem) as info:
        gateway_for(scripted).get_payout_batch("5UXD2E8A7EBQJ")
    assert type(info.value) is problem
    if isinstance(answer[1], dict) and "debug_id" in answer[1]:
        assert info.value.debug_id == "f00dcafe12345" and info.value.status == answer[0]


def test_a_duplicate_without_a_link_still_says_duplicate(scripted) -> None:
    scripted.answer(CREATE_ROUTE, (400, {"name": "USER_BUSINESS_ERROR", "message": "User business error.",
                                         "debug_id": "f00dcafe12345", "details": [{
                                             "field": "SENDER_BATCH_ID", "location": "body",
                                             "issue": "Batch with given sender_batch_id already exists"}]}))
    with pytest.raises(DuplicatePayoutBatch) as info:
        create(gateway_for(scripted))
    assert info.value.payout_batch_id is None and info.value.debug_id == "f00dcafe12345"
    scripted.answer(CREATE_ROUTE, (400, {"name": "VALIDATION_ERROR", "message": "Invalid request",
                                         "debug_id": "f00dcafe12345", "details": [{
                                             "field": "items[0].receiver", "issue": "Receiver is invalid"}]}))
    with pytest.raises(PayPalRejected) as info:
        create(gateway_for(scripted))
    assert type(info.value) is PayPalRejected


def test_paypal_too_slow_or_gone_is_unavailable(scripted) -> None:
    gateway = gateway_for(scripted, timeout=1)
    gateway.access_token()
    scripted.delay = 1.5
    with pytest.raises(PayPalUnavailable, match="could not be reached"):
        create(gateway)
    scripted.delay = 0
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = PayPalGateway(Settings(paypal_base_url=f"http://127.0.0.1:{port}", paypal_client_id="id",
                                  paypal_client_secret="secret"))
    gone._token, gone._expires_at = gateway._token, gateway._expires_at  # a token from before PayPal went away
    with pytest.raises(PayPalUnavailable, match="could not be reached"):
        gone.get_payout_item("8AELMXH8UB2P8")


def test_the_create_answer_is_read_and_the_request_checked(scripted) -> None:
    scripted.answer(CREATE_ROUTE, (201, {
        "batch_header": {"payout_batch_id": "5UXD2E8A7EBQJ", "batch_status": "PENDING",
                         "sender_batch_header": {"sender_batch_id": "run-1-0", "recipient_type": "EMAIL"}},
        "links": [{"href": f"{scripted.url}/v1/payments/payouts/5UXD2E8A7EBQJ", "rel": "self", "method": "GET"}]}))
    assert create(gateway_for(scripted)) == PayoutBatch("5UXD2E8A7EBQJ", "run-1-0", "PENDING")
    [sent] = scripted.calls(CREATE_ROUTE)
    headers = {name.lower(): value for name, value in sent["headers"].items()}  # HTTP: any case
    assert headers["paypal-request-id"] == "payout-run-1-0"
    assert headers["authorization"] == "Bearer A21AA-scripted"
    assert headers["content-type"] == "application/json"
    paypal_specs()[PAYOUTS].validate_request("/v1/payments/payouts", "post", json.loads(sent["body"]))
