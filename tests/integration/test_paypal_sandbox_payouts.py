"""The local PayPal sandbox's Payouts v1 (the SDK has no payouts, so plain HTTP with a bearer
token): batches created PENDING, processed in the background or at the next GET once due, items
that succeed or fail as the control route says, PayPal's duplicate sender_batch_id error, the
webhooks that follow, and state across restarts. Every answer is checked against PayPal's spec."""
from __future__ import annotations

import json

import pytest
import requests

from infra.local.paypal_sandbox import PayPalSandbox
from infra.local.paypal_specs import paypal_specs
from tests.integration.test_paypal_sandbox import CLIENT_ID, SECRET
from tests.integration.test_paypal_sandbox_orders import bearer
from tests.integration.test_paypal_sandbox_webhooks import Receiver, verify

pytestmark = pytest.mark.integration
PAYOUTS = "payments_payouts_batch_v1"
BATCH, ITEM = "/v1/payments/payouts/{id}", "/v1/payments/payouts-item/{payout_item_id}"


@pytest.fixture
def sandbox(tmp_path):
    box = PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET, state_path=tmp_path / "paypal.json",
                        payout_delay_seconds=60).start()  # processed when a test says so
    yield box
    box.stop()
    assert box.failures == [], "the sandbox answered 500"


def checked(template: str, method: str, answer: requests.Response) -> dict:
    body = answer.json()
    paypal_specs()[PAYOUTS].validate_response(template, method, answer.status_code, body)
    return body


def payout_body(*receivers: str, sender_batch_id: str = "payout-2024-06-07", value: str = "80.00") -> dict:
    return {"sender_batch_header": {"sender_batch_id": sender_batch_id, "email_subject": "You have a payout!",
                                    "recipient_type": "EMAIL"},
            "items": [{"recipient_type": "EMAIL", "receiver": receiver, "note": "Your earnings this week",
                       "sender_item_id": f"item-{n}", "amount": {"value": value, "currency": "USD"}}
                      for n, receiver in enumerate(receivers or ("ada@example.com",))]}


def post_payout(box: PayPalSandbox, body: dict, **headers: str) -> requests.Response:
    return requests.post(f"{box.url}/v1/payments/payouts", json=body, headers={**bearer(box), **headers}, timeout=10)


def show(box: PayPalSandbox, batch_id: str, **query) -> dict:
    answer = requests.get(f"{box.url}/v1/payments/payouts/{batch_id}", params=query, headers=bearer(box), timeout=5)
    return checked(BATCH, "get", answer)


def process(box: PayPalSandbox, batch_id: str) -> None:
    assert requests.post(f"{box.url}/sandbox/payouts/{batch_id}/process", timeout=5).json()["processed"] is True


def test_a_batch_is_pending_then_pays_every_receiver(sandbox) -> None:
    made = post_payout(sandbox, payout_body("ada@example.com", "grace@example.com"))
    assert made.status_code == 201
    created = checked("/v1/payments/payouts", "post", made)
    header = created["batch_header"]
    assert header["batch_status"] == "PENDING" and len(header["payout_batch_id"]) == 13
    assert header["sender_batch_header"] == payout_body()["sender_batch_header"]
    assert created["links"] == [{"href": f"{sandbox.url}/v1/payments/payouts/{header['payout_batch_id']}",
                                 "rel": "self", "method": "GET", "encType": "application/json"}]

    batch_id = header["payout_batch_id"]
    pending = show(sandbox, batch_id)
    assert pending["batch_header"]["batch_status"] == "PENDING"
    assert [i["transaction_status"] for i in pending["items"]] == ["PENDING", "PENDING"]
    process(sandbox, batch_id)
    done = show(sandbox, batch_id, total_required="true")
    assert done["batch_header"]["batch_status"] == "SUCCESS" and done["batch_header"]["time_completed"]
    assert done["batch_header"]["amount"] == {"currency": "USD", "value": "160.00"}
    assert done["batch_header"]["fees"] == {"currency": "USD", "value": "0.00"}  # no payout fee locally
    assert (done["total_items"], done["total_pages"]) == (2, 1)
    for item, receiver in zip(done["items"], ("ada@example.com", "grace@example.com")):
        assert item["transaction_status"] == "SUCCESS" and item["transaction_id"]
        assert item["payout_item"]["receiver"] == receiver and item["payout_item"]["amount"]["value"] == "80.00"
        assert item["payout_item_fee"] == {"currency": "USD", "value": "0.00"} and "errors" not in item
        one = requests.get(f"{sandbox.url}/v1/payments/payouts-item/{item['payout_item_id']}",
                           headers=bearer(sandbox), timeout=5)
        shown = checked(ITEM, "get", one)
        assert shown["sender_batch_id"] == "payout-2024-06-07" and shown["transaction_status"] == "SUCCESS"
    assert requests.post(f"{sandbox.url}/sandbox/payouts/{batch_id}/process", timeout=5).json()["processed"] is False


def test_batches_process_in_the_background_after_the_delay() -> None:
    with PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET, payout_delay_seconds=0.05) as box:
        batch_id = post_payout(box, payout_body()).json()["batch_header"]["payout_batch_id"]
        assert box.drain(5)
        assert box.state.payouts[batch_id]["status"] == "SUCCESS"
        assert show(box, batch_id)["items"][0]["transaction_status"] == "SUCCESS"
        assert box.failures == []


def test_a_due_batch_is_processed_at_the_next_get(tmp_path) -> None:
    now = [1_800_000_000.0]
    box = PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET, clock=lambda: now[0], payout_delay_seconds=600)
    box.start()
    try:
        box.payouts.jobs.stop()  # no background worker: only the GET can do it
        batch_id = post_payout(box, payout_body()).json()["batch_header"]["payout_batch_id"]
        assert show(box, batch_id)["batch_header"]["batch_status"] == "PENDING"
        now[0] += 601
        assert show(box, batch_id)["batch_header"]["batch_status"] == "SUCCESS"
    finally:
        box.stop()
    assert box.failures == []


def test_receivers_told_to_fail_end_failed_returned_or_unclaimed_with_webhooks(sandbox) -> None:
    receiver = Receiver()
    try:
        webhook_id = sandbox.register_webhook(receiver.url)
        for email, outcome in (("locked@example.com", "FAILED"), ("gone@example.com", "RETURNED"),
                               ("new@example.com", "UNCLAIMED")):
            answer = requests.post(f"{sandbox.url}/sandbox/payouts/receivers", json={"email": email, "outcome": outcome},
                                   timeout=5)
            assert answer.status_code == 200
        assert requests.get(f"{sandbox.url}/sandbox/payouts/receivers", timeout=5).json()["receivers"] == {
            "locked@example.com": "FAILED", "gone@example.com": "RETURNED", "new@example.com": "UNCLAIMED"}
        receivers = ("ada@example.com", "Locked@Example.com", "gone@example.com", "new@example.com")
        batch_id = post_payout(sandbox, payout_body(*receivers)).json()["batch_header"]["payout_batch_id"]
        process(sandbox, batch_id)
        done = show(sandbox, batch_id)
        assert done["batch_header"]["batch_status"] == "SUCCESS"  # processed, though some items failed
        statuses = [i["transaction_status"] for i in done["items"]]
        assert statuses == ["SUCCESS", "FAILED", "RETURNED", "UNCLAIMED"]
        errors = [i.get("errors", {}).get("name") for i in done["items"]]
        assert errors == [None, "RECEIVER_ACCOUNT_LOCKED", "RECEIVER_UNREGISTERED", "RECEIVER_UNREGISTERED"]
        assert "transaction_id" not in done["items"][1]

        events = [json.loads(d["body"]) for d in receiver.wait(5)]
        assert [e["event_type"] for e in events] == [
            "PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "PAYMENT.PAYOUTS-ITEM.FAILED", "PAYMENT.PAYOUTS-ITEM.RETURNED",
            "PAYMENT.PAYOUTS-ITEM.UNCLAIMED", "PAYMENT.PAYOUTSBATCH.SUCCESS"]
        for delivery in receiver.deliveries:
            verify(delivery, webhook_id)
        assert events[0]["resource"]["payout_item"]["receiver"] == "ada@example.com"
        assert events[0]["resource_type"] == "payouts_item" and events[4]["resource_type"] == "payouts"
        assert events[4]["resource"]["batch_header"]["payout_batch_id"] == batch_id
        assert "items" not in events[4]["resource"]

        unclaimed = done["items"][3]["payout_item_id"]
        cancelled = requests.post(f"{sandbox.url}/v1/payments/payouts-item/{unclaimed}/cancel",
                                  headers=bearer(sandbox), timeout=5)
        assert checked("/v1/payments/payouts-item/{payout_item_id}/cancel", "post", cancelled)[
            "transaction_status"] == "RETURNED"
        again = requests.post(f"{sandbox.url}/v1/payments/payouts-item/{unclaimed}/cancel",
                              headers=bearer(sandbox), timeout=5)
        assert again.status_code == 400 and again.json()["name"] == "ITEM_INCORRECT_STATUS"
        assert [e["event_type"] for e in (json.loads(d["body"]) for d in receiver.wait(6))][-1] == \
            "PAYMENT.PAYOUTS-ITEM.CANCELED"
        requests.post(f"{sandbox.url}/sandbox/payouts/receivers", json={"email": "gone@example.com",
                                                                       "outcome": "SUCCESS"}, timeout=5)
        assert "gone@example.com" not in sandbox.state.receiver_outcomes
        assert requests.post(f"{sandbox.url}/sandbox/payouts/receivers", json={"email": "x", "outcome": "FAILED"},
                             timeout=5).status_code == 400
    finally:
        receiver.close()


def test_a_reused_sender_batch_id_is_refused_as_paypal_does(sandbox) -> None:
    first = post_payout(sandbox, payout_body()).json()["batch_header"]["payout_batch_id"]
    again = post_payout(sandbox, payout_body("grace@example.com"))
    assert again.status_code == 400
    error = checked("/v1/payments/payouts", "post", again)
    assert error["name"] == "USER_BUSINESS_ERROR" and error["debug_id"] and error["information_link"]
    detail = error["details"][0]
    assert (detail["field"], detail["issue"]) == ("SENDER_BATCH_ID", "Batch with given sender_batch_id already exists")
    assert detail["link"][0]["href"] == f"{sandbox.url}/v1/payments/payouts/{first}"
    assert len(sandbox.state.payouts) == 1


def test_a_repeated_request_id_replays_the_batch(sandbox) -> None:
    first = post_payout(sandbox, payout_body(), **{"PayPal-Request-Id": "payouts-2024-06-07"})
    again = post_payout(sandbox, payout_body(), **{"PayPal-Request-Id": "payouts-2024-06-07"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert len(sandbox.state.payouts) == 1


@pytest.mark.parametrize("change, field", [
    (lambda b: b.pop("sender_batch_header"), "sender_batch_header"),
    (lambda b: b.update(items=[]), "items"),
    (lambda b: b["items"][0].update(receiver="not-an-email"), "items[0].receiver"),
    (lambda b: b["items"][0].pop("receiver"), "items[0].receiver"),
    (lambda b: b["items"][0].update(amount={"value": "0.00", "currency": "USD"}), "items[0].amount.value"),
    (lambda b: b["items"][0].update(amount={"value": "1.001", "currency": "USD"}), "items[0].amount.value"),
    (lambda b: b["items"][0].update(amount={"value": 5, "currency": "USD"}), "items[0].amount"),
    (lambda b: b["items"][0].update(amount={"value": "5.00", "currency": "ABC"}), "items[0].amount.currency"),
    (lambda b: b["items"].append({**b["items"][0], "sender_item_id": "other",
                                  "amount": {"value": "1.00", "currency": "EUR"}}), "items[1].amount.currency"),
    (lambda b: b["items"].append(dict(b["items"][0])), "items[1].sender_item_id"),
    (lambda b: b["items"][0].update(recipient_type="CARRIER_PIGEON"), "items[0].recipient_type"),
    (lambda b: b["sender_batch_header"].update(email_subject="x" * 256), "sender_batch_header.email_subject"),
    (lambda b: b.update(items=[b["items"][0]] * 15_001), "items"),
])
def test_payout_requests_are_checked(sandbox, change, field) -> None:
    body = payout_body()
    change(body)
    answer = post_payout(sandbox, body)
    assert answer.status_code == 400
    error = checked("/v1/payments/payouts", "post", answer)
    assert error["name"] == "VALIDATION_ERROR" and error["details"][0]["field"] == field
    assert sandbox.state.payouts == {}


def test_a_batch_of_15000_items_is_taken_and_paged() -> None:
    body = payout_body(sender_batch_id="big")
    body["items"] = [{"receiver": f"helper{n}@example.com", "amount": {"value": "1.00", "currency": "USD"}}
                     for n in range(15_000)]
    with PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET, payout_delay_seconds=60) as box:
        batch_id = post_payout(box, body).json()["batch_header"]["payout_batch_id"]
        page = show(box, batch_id, page=11, page_size=100, total_required="true")
        assert (page["total_items"], page["total_pages"], len(page["items"])) == (15_000, 150, 100)
        assert page["items"][0]["payout_item"]["receiver"] == "helper1000@example.com"
        assert [l["rel"] for l in page["links"]] == ["self", "next", "previous"]
        assert page["batch_header"]["amount"]["value"] == "15000.00"
        assert show(box, batch_id, page=150, page_size=100)["links"][-1]["rel"] == "previous"
        assert box.failures == []


def test_payouts_errors_unknown_ids_and_mocks(sandbox) -> None:
    for template, path in ((BATCH, "/v1/payments/payouts/NOPE"), (ITEM, "/v1/payments/payouts-item/NOPE")):
        answer = requests.get(f"{sandbox.url}{path}", headers=bearer(sandbox), timeout=5)
        assert answer.status_code == 404 and checked(template, "get", answer)["name"] == "INVALID_RESOURCE_ID"
    mocked = post_payout(sandbox, payout_body(), **{"PayPal-Mock-Response": json.dumps(
        {"mock_application_codes": "INSUFFICIENT_FUNDS"})})
    assert mocked.status_code == 422 and checked("/v1/payments/payouts", "post", mocked)["name"] == "INSUFFICIENT_FUNDS"
    not_json = requests.post(f"{sandbox.url}/v1/payments/payouts", data="{nope", timeout=5,
                             headers={**bearer(sandbox), "Content-Type": "application/json"})
    assert not_json.status_code == 400 and checked("/v1/payments/payouts", "post", not_json)["name"] == "MALFORMED_REQUEST"
    assert sandbox.state.payouts == {}


def test_a_declined_batch_is_denied(sandbox) -> None:
    sandbox.fail_next("payouts", "declined")
    batch_id = post_payout(sandbox, payout_body()).json()["batch_header"]["payout_batch_id"]
    process(sandbox, batch_id)
    done = show(sandbox, batch_id)
    assert done["batch_header"]["batch_status"] == "DENIED"
    assert [i["transaction_status"] for i in done["items"]] == ["FAILED"]
    assert [e["event_type"] for e in sandbox.webhooks.events()] == ["PAYMENT.PAYOUTSBATCH.DENIED"]
    sandbox.fail_next("payouts", "unavailable", 1)
    unavailable = post_payout(sandbox, payout_body(sender_batch_id="next"))
    assert unavailable.status_code == 503 and unavailable.json()["name"] == "SERVICE_UNAVAILABLE"


def test_payouts_survive_a_restart_and_pending_ones_resume(tmp_path) -> None:
    state = tmp_path / "paypal.json"
    first = PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET, state_path=state, payout_delay_seconds=60).start()
    batch_id = post_payout(first, payout_body()).json()["batch_header"]["payout_batch_id"]
    first.stop()
    second = PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET, state_path=state,
                           payout_delay_seconds=0.01).start()
    try:
        assert second.drain(5)
        assert show(second, batch_id)["batch_header"]["batch_status"] == "SUCCESS"
        duplicate = post_payout(second, payout_body())
        assert duplicate.json()["name"] == "USER_BUSINESS_ERROR"  # sender_batch_ids are remembered too
    finally:
        second.stop()
    assert first.failures == second.failures == []
