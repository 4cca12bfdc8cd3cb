"""Payouts v1 of the local PayPal sandbox: batch payouts to PayPal accounts by email (or phone,
or PayPal id), processed in the background.

A batch is PENDING when created. `payout_delay_seconds` later (or at the first GET after that
time) it is processed: every item becomes SUCCESS, except items whose receiver was told to fail
through `POST /sandbox/payouts/receivers` (FAILED, RETURNED or UNCLAIMED, with PayPal's item
errors); the batch becomes SUCCESS (a processed batch is SUCCESS even when some items failed,
as at PayPal). Webhooks follow: one PAYMENT.PAYOUTS-ITEM.<outcome> per item, then
PAYMENT.PAYOUTSBATCH.SUCCESS. A `sender_batch_id` is taken once (PayPal's USER_BUSINESS_ERROR
for a reused one). PayPal's per-item payout fee is 0.00 here (real fees depend on the
account's country and the receiver's), so the batch's `fees` is 0.00 too.
"""
from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from infra.local.paypal_core import (
    PAYOUTS_DOCS,
    BackgroundJobs,
    PayPalError,
    SandboxRequest,
    SandboxResponse,
    internal_server_error,
    new_debug_id,
    paypal_id,
    rfc3339,
    service_unavailable,
    v1_error,
)
from infra.local.paypal_money import CURRENCY_DECIMALS, AmountProblem, display, parse_value, payout_money

if TYPE_CHECKING:
    from infra.local.paypal_sandbox import PayPalSandbox

MAX_ITEMS = 15_000
RECIPIENT_TYPES = ("EMAIL", "PHONE", "PAYPAL_ID")
OUTCOMES = ("SUCCESS", "FAILED", "RETURNED", "UNCLAIMED")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ITEM_EVENTS = {"SUCCESS": "SUCCEEDED", "FAILED": "FAILED", "RETURNED": "RETURNED", "UNCLAIMED": "UNCLAIMED"}
ITEM_ERRORS = {
    "FAILED": ("RECEIVER_ACCOUNT_LOCKED", "Receiver's account is locked or inactive. The payout was not sent."),
    "UNCLAIMED": ("RECEIVER_UNREGISTERED", "The recipient for this payout does not have an account. A link to "
                  "sign up for an account was sent to the recipient. However, if the recipient does not claim "
                  "this payout within 30 days, the funds will be returned to your account."),
    "RETURNED": ("RECEIVER_UNREGISTERED", "The recipient did not claim this payout within 30 days, so the funds "
                 "were returned to your account."),
}
MOCKS = {  # PayPal-Mock-Response codes the create-payout route answers (v1 names)
    "INSUFFICIENT_FUNDS": (422, "Sender does not have sufficient funds. Please add funds and retry."),
    "USER_BUSINESS_ERROR": (400, "User business error."),
    "VALIDATION_ERROR": (400, "Invalid request - see details."),
    "AUTHORIZATION_ERROR": (403, "Authorization error occurred."),
    "SENDER_ACCOUNT_UNVERIFIED": (403, "To send a payout, you must have a verified PayPal account."),
    "RATE_LIMIT_REACHED": (429, "Too many requests. Blocked due to rate limiting."),
}


def validation_error(field: str, issue: str) -> PayPalError:
    return v1_error(400, "VALIDATION_ERROR", "Invalid request - see details", docs=PAYOUTS_DOCS,
                    details=[{"field": field, "location": "body", "issue": issue}])


def not_found() -> PayPalError:
    return v1_error(404, "INVALID_RESOURCE_ID", "Requested resource ID was not found.", docs=PAYOUTS_DOCS)


class Payouts:
    """`POST /v1/payments/payouts`, `GET /v1/payments/payouts/{id}`,
    `GET /v1/payments/payouts-item/{id}`, `POST /v1/payments/payouts-item/{id}/cancel`."""

    def __init__(self, sandbox: "PayPalSandbox", *, delay_seconds: float = 0.5) -> None:
        self.sandbox = sandbox
        self.delay_seconds = delay_seconds
        self.jobs = BackgroundJobs("paypal-payouts")

    def register(self, router: Any) -> None:
        router.add("POST", "/v1/payments/payouts", self.create, idempotent=True, fault="payouts", mocks=self.mocked)
        router.add("GET", "/v1/payments/payouts/{payout_batch_id}", self.show)
        router.add("GET", "/v1/payments/payouts-item/{payout_item_id}", self.show_item)
        router.add("POST", "/v1/payments/payouts-item/{payout_item_id}/cancel", self.cancel_item, idempotent=True)

    def start(self) -> None:
        self.jobs.start()
        with self.sandbox.state.lock:
            pending = [b["id"] for b in self.sandbox.state.payouts.values() if b["status"] == "PENDING"]
        for batch_id in pending:
            self.jobs.schedule(self.delay_seconds, lambda b=batch_id: self.process(b))

    def stop(self) -> None:
        self.jobs.stop()
        self.jobs.clear()

    @property
    def _state(self):
        return self.sandbox.state

    def _link(self, path: str, rel: str) -> dict:
        return {"href": f"{self.sandbox.url}{path}", "rel": rel, "method": "GET", "encType": "application/json"}

    def mocked(self, request: SandboxRequest, codes: list[str] | None) -> PayPalError:
        code = codes[0] if codes else ""
        if code == "INTERNAL_SERVER_ERROR":
            return internal_server_error(PAYOUTS_DOCS)
        if code == "SERVICE_UNAVAILABLE":
            return service_unavailable(PAYOUTS_DOCS)
        if code not in MOCKS:
            return validation_error("PayPal-Mock-Response", f"Unknown mock code {code[:60]!r}.")
        status, message = MOCKS[code]
        return v1_error(status, code, message, docs=PAYOUTS_DOCS)

    # -- create ----------------------------------------------------------------------------
    def _text(self, node: dict, key: str, field: str, high: int, *, required: bool = False) -> str | None:
        value = node.get(key)
        if value is None:
            if required:
                raise validation_error(field, f"{key} is required.")
            return None
        if not isinstance(value, str) or len(value) > high or "\n" in value or "\r" in value:
            raise validation_error(field, f"{key} is a single-line string of at most {high} characters.")
        return value

    def _read(self, body: dict) -> tuple[dict, list[dict], str]:
        header = body.get("sender_batch_header")
        if not isinstance(header, dict):
            raise validation_error("sender_batch_header", "sender_batch_header is required.")
        kept_header = {key: value for key, high in (("sender_batch_id", 256), ("email_subject", 255),
                                                   ("email_message", 1000), ("note", 1000))
                       if (value := self._text(header, key, f"sender_batch_header.{key}", high)) is not None}
        default_type = header.get("recipient_type", "EMAIL")
        if default_type not in RECIPIENT_TYPES:
            raise validation_error("sender_batch_header.recipient_type", "Recipient type is invalid.")
        if "recipient_type" in header:
            kept_header["recipient_type"] = default_type
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise validation_error("items", "At least one payout item is required.")
        if len(items) > MAX_ITEMS:
            raise validation_error("items", f"A payout has at most {MAX_ITEMS} items.")
        currency, kept, sender_ids = None, [], set()
        for index, item in enumerate(items):
            field = f"items[{index}]"
            if not isinstance(item, dict):
                raise validation_error(field, "A payout item is an object.")
            kind = item.get("recipient_type", default_type)
            if not isinstance(kind, str) or kind.upper() not in RECIPIENT_TYPES:
                raise validation_error(f"{field}.recipient_type", "Recipient type is invalid.")
            kind = kind.upper()
            receiver = self._text(item, "receiver", f"{field}.receiver", 127, required=True)
            if kind == "EMAIL" and not EMAIL.match(receiver):
                raise validation_error(f"{field}.receiver", "Receiver is invalid or does not match with type")
            amount = item.get("amount")
            if not isinstance(amount, dict) or not isinstance(amount.get("currency"), str) or \
                    not isinstance(amount.get("value"), str):
                raise validation_error(f"{field}.amount", "Amount needs a currency and a value (a string).")
            code = amount["currency"]
            if code not in CURRENCY_DECIMALS:
                raise validation_error(f"{field}.amount.currency", "Currency is not supported.")
            if currency not in (None, code):
                raise validation_error(f"{field}.amount.currency", "All items in a payout must use the same currency.")
            currency = code
            try:
                minor = parse_value(amount["value"], code, field=f"{field}.amount.value")
            except AmountProblem:
                raise validation_error(f"{field}.amount.value",
                                       "Amount value is not a valid amount for the currency.") from None
            if minor <= 0:
                raise validation_error(f"{field}.amount.value", "Amount value must be greater than zero.")
            note = self._text(item, "note", f"{field}.note", 4000)
            sender_item_id = self._text(item, "sender_item_id", f"{field}.sender_item_id", 63)
            if sender_item_id is not None:
                if sender_item_id in sender_ids:
                    raise validation_error(f"{field}.sender_item_id", "This transaction is duplicated in this "
                                           "batch. Please check the Ref_ID / Sender_Item_ID.")
                sender_ids.add(sender_item_id)
            kept.append({"recipient_type": kind, "receiver": receiver, "amount": minor, "currency": code,
                         **({"note": note} if note else {}),
                         **({"sender_item_id": sender_item_id} if sender_item_id else {})})
        return kept_header, kept, currency

    def create(self, request: SandboxRequest) -> SandboxResponse:
        """`POST /v1/payments/payouts` -> 201 with the PENDING batch header."""
        try:
            body = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            body = None
        if not isinstance(body, dict):
            raise v1_error(400, "MALFORMED_REQUEST", "Incoming JSON request does not map to API request",
                           docs=PAYOUTS_DOCS)
        header, items, currency = self._read(body)
        now = self.sandbox.clock()
        with self._state.lock:
            sender_batch_id = header.get("sender_batch_id")
            if sender_batch_id is not None and sender_batch_id in self._state.sender_batches:
                original = self._state.sender_batches[sender_batch_id]
                raise v1_error(400, "USER_BUSINESS_ERROR", "User business error.", docs=PAYOUTS_DOCS, details=[{
                    "field": "SENDER_BATCH_ID", "location": "body",
                    "issue": "Batch with given sender_batch_id already exists",
                    "link": [{**self._link(f"/v1/payments/payouts/{original}", "self")}]}])
            denied = self.sandbox.take_fault("payouts", "declined")
            batch = {"id": paypal_id(13), "status": "PENDING", "sender_batch_header": header, "item_ids": [],
                     "currency": currency, "total": sum(i["amount"] for i in items), "created_at": now,
                     "due_at": now + self.delay_seconds, "completed_at": None, "deny": denied}
            for item in items:
                record = {**item, "id": paypal_id(13), "batch_id": batch["id"], "status": "PENDING",
                          "transaction_id": None, "activity_id": None, "processed_at": None, "error": None}
                self._state.payout_items[record["id"]] = record
                batch["item_ids"].append(record["id"])
            self._state.payouts[batch["id"]] = batch
            if sender_batch_id is not None:
                self._state.sender_batches[sender_batch_id] = batch["id"]
        self.jobs.schedule(self.delay_seconds, lambda: self.process(batch["id"]))
        return SandboxResponse(201, {
            "batch_header": {"sender_batch_header": header, "payout_batch_id": batch["id"], "batch_status": "PENDING",
                             "time_created": rfc3339(now)},
            "links": [self._link(f"/v1/payments/payouts/{batch['id']}", "self")],
        })

    # -- processing ------------------------------------------------------------------------
    def process(self, batch_id: str) -> bool:
        """Pays out a PENDING batch now (once: False if it was not pending) and sends its webhooks."""
        with self._state.lock:
            batch = self._state.payouts.get(batch_id)
            if batch is None or batch["status"] != "PENDING":
                return False
            now = self.sandbox.clock()
            items = [self._state.payout_items[i] for i in batch["item_ids"]]
            for item in items:
                outcome = "FAILED" if batch.get("deny") else \
                    self._state.receiver_outcomes.get(item["receiver"].lower(), "SUCCESS")
                item.update(status=outcome, processed_at=now, activity_id=paypal_id(17),
                            transaction_id=None if outcome == "FAILED" else paypal_id(17))
                if outcome in ITEM_ERRORS:
                    item["error"] = list(ITEM_ERRORS[outcome])
            batch.update(status="DENIED" if batch.get("deny") else "SUCCESS", completed_at=now)
            item_events = [] if batch.get("deny") else [
                (item["status"], display(item["amount"], item["currency"]), self.item_json(item)) for item in items]
            batch_resource = {key: value for key, value in self.batch_json(batch, page=1, page_size=1).items()
                              if key != "items"}  # PayPal's batch events carry the header, not the items
        for outcome, amount, resource in item_events:
            self.sandbox.webhooks.emit(f"PAYMENT.PAYOUTS-ITEM.{ITEM_EVENTS[outcome]}", resource,
                                       resource_type="payouts_item", resource_version="1.0",
                                       summary=f"A payout item of {amount} is {outcome.lower()}")
        if batch["status"] == "DENIED":
            self.sandbox.webhooks.emit("PAYMENT.PAYOUTSBATCH.DENIED", batch_resource, resource_type="payouts",
                                       resource_version="1.0", summary="Payouts batch got denied.")
        else:
            self.sandbox.webhooks.emit("PAYMENT.PAYOUTSBATCH.SUCCESS", batch_resource, resource_type="payouts",
                                       resource_version="1.0", summary="Payouts batch completed successfully.")
        return True

    def _process_if_due(self, batch_id: str) -> None:
        with self._state.lock:
            batch = self._state.payouts.get(batch_id)
            due = batch is not None and batch["status"] == "PENDING" and self.sandbox.clock() >= batch["due_at"]
        if due:
            self.process(batch_id)

    # -- rendering -------------------------------------------------------------------------
    def item_json(self, item: dict, *, with_sender_batch: bool = False) -> dict:
        shown: dict[str, Any] = {"payout_item_id": item["id"]}
        if item.get("transaction_id"):
            shown["transaction_id"] = item["transaction_id"]
        if item.get("activity_id"):
            shown["activity_id"] = item["activity_id"]
        shown["transaction_status"] = item["status"]
        shown["payout_item_fee"] = payout_money(0, item["currency"])  # 0 locally: see the module docstring
        shown["payout_batch_id"] = item["batch_id"]
        if with_sender_batch:
            batch = self._state.payouts[item["batch_id"]]
            if "sender_batch_id" in batch["sender_batch_header"]:
                shown["sender_batch_id"] = batch["sender_batch_header"]["sender_batch_id"]
        shown["payout_item"] = {"recipient_type": item["recipient_type"],
                                "amount": payout_money(item["amount"], item["currency"]),
                                **({"note": item["note"]} if item.get("note") else {}),
                                "receiver": item["receiver"],
                                **({"sender_item_id": item["sender_item_id"]} if item.get("sender_item_id") else {}),
                                "recipient_wallet": "PAYPAL"}
        if item.get("processed_at"):
            shown["time_processed"] = rfc3339(item["processed_at"])
        if item.get("error"):
            name, message = item["error"]
            shown["errors"] = {"name": name, "message": message, "debug_id": new_debug_id(),
                               "information_link": f"{PAYOUTS_DOCS}#errors", "details": [], "links": []}
        shown["links"] = [self._link(f"/v1/payments/payouts-item/{item['id']}", "item")]
        return shown

    def batch_json(self, batch: dict, *, page: int, page_size: int, total_required: bool = False) -> dict:
        header: dict[str, Any] = {"payout_batch_id": batch["id"], "batch_status": batch["status"],
                                  "time_created": rfc3339(batch["created_at"])}
        if batch.get("completed_at"):
            header["time_completed"] = header["time_closed"] = rfc3339(batch["completed_at"])
        header["sender_batch_header"] = batch["sender_batch_header"]
        header["funding_source"] = "BALANCE"
        header["amount"] = payout_money(batch["total"], batch["currency"])
        header["fees"] = payout_money(0, batch["currency"])
        ids = batch["item_ids"]
        pages = max(1, -(-len(ids) // page_size))
        shown_ids = ids[(page - 1) * page_size: page * page_size]
        path = f"/v1/payments/payouts/{batch['id']}"
        links = [self._link(f"{path}?page_size={page_size}&page={page}", "self")]
        if page < pages:
            links.append(self._link(f"{path}?page_size={page_size}&page={page + 1}", "next"))
        if page > 1:
            links.append(self._link(f"{path}?page_size={page_size}&page={page - 1}", "previous"))
        shown: dict[str, Any] = {}
        if total_required:
            shown.update(total_items=len(ids), total_pages=pages)
        shown["batch_header"] = header
        shown["items"] = [self.item_json(self._state.payout_items[i]) for i in shown_ids]
        shown["links"] = links
        return shown

    # -- reading ---------------------------------------------------------------------------
    def _int(self, request: SandboxRequest, name: str, default: int, high: int) -> int:
        raw = request.query_value(name)
        if raw is None:
            return default
        if not raw.isdigit() or not 1 <= int(raw) <= high:
            raise v1_error(400, "VALIDATION_ERROR", "Invalid request - see details", docs=PAYOUTS_DOCS,
                           details=[{"field": name, "location": "query", "issue": f"{name} is 1 to {high}."}])
        return int(raw)

    def show(self, request: SandboxRequest) -> SandboxResponse:
        """`GET /v1/payments/payouts/{id}` (`page`, `page_size`, `total_required`)."""
        batch_id = request.params["payout_batch_id"]
        page = self._int(request, "page", 1, 1000)
        page_size = self._int(request, "page_size", 1000, 1000)
        total_required = (request.query_value("total_required") or "").lower() == "true"
        self._process_if_due(batch_id)
        with self._state.lock:
            batch = self._state.payouts.get(batch_id)
            if batch is None:
                raise not_found()
            return SandboxResponse(200, self.batch_json(batch, page=page, page_size=page_size,
                                                        total_required=total_required))

    def show_item(self, request: SandboxRequest) -> SandboxResponse:
        with self._state.lock:
            item = self._state.payout_items.get(request.params["payout_item_id"])
            batch_id = item["batch_id"] if item else None
        if batch_id:
            self._process_if_due(batch_id)
        with self._state.lock:
            if item is None:
                raise not_found()
            return SandboxResponse(200, self.item_json(item, with_sender_batch=True))

    def cancel_item(self, request: SandboxRequest) -> SandboxResponse:
        """`POST /v1/payments/payouts-item/{id}/cancel`: an UNCLAIMED item goes back to the sender (RETURNED)."""
        with self._state.lock:
            item = self._state.payout_items.get(request.params["payout_item_id"])
            if item is None:
                raise not_found()
            if item["status"] != "UNCLAIMED":
                raise v1_error(400, "ITEM_INCORRECT_STATUS", "You can only cancel items that have an Unclaimed "
                               "state.", docs=PAYOUTS_DOCS)
            item.update(status="RETURNED", error=list(ITEM_ERRORS["RETURNED"]))
            resource = self.item_json(item, with_sender_batch=True)
        self.sandbox.webhooks.emit("PAYMENT.PAYOUTS-ITEM.CANCELED", resource, resource_type="payouts_item",
                                   resource_version="1.0", summary="A payout item was canceled.")
        return SandboxResponse(200, resource)
