"""Payouts, as pure rules: a run per payout day, an item per paid helper, how PayPal's item
statuses end an item, when a helper's earnings may be released (the refund window has closed
and no refund request is open), and what a run pays (the payable balance, at least the
schedule's minimum; a negative balance waits and carries forward).

A run's steps, each safe to repeat after a crash or next to a concurrent run:
`collecting` (an item and its ledger `payout` per helper) -> `sending` (a PayPal batch per
chunk of at most 15,000 items, in item order, so the chunks are the same however often the
run is resumed) -> `sent` (waiting for PayPal's outcome per item) -> `done`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Mapping

from chalicelib.domain.errors import InvalidInput

MAX_BATCH_ITEMS = 15_000  # PayPal's limit on the items of one payout batch
MAX_SENDER_ITEM_ID = 63  # PayPal's limit on sender_item_id
RELEASE_RECHECK_SECONDS = 3600  # a session still running, or a refund request open: look again in an hour


class RunState(str, Enum):
    COLLECTING = "collecting"
    SENDING = "sending"
    SENT = "sent"
    DONE = "done"


class ItemState(str, Enum):
    RESERVED = "reserved"  # in the run, the helper's payable moved to in-transit
    PAID = "paid"  # PayPal paid it
    RETURNED = "returned"  # failed, returned or unclaimed: the money is payable again


# PayPal's transaction_status of an item, and what it means for us.
PAID_STATUSES = frozenset({"SUCCESS"})
RETURNED_STATUSES = frozenset({"FAILED", "RETURNED", "UNCLAIMED", "BLOCKED", "REFUNDED", "REVERSED", "DENIED",
                               "CANCELED", "CANCELLED"})
CANCEL_FIRST = frozenset({"UNCLAIMED"})  # cancelled at PayPal first, so it cannot be claimed later too


def paid_late(*, item_count: int, pay_by: int, at: int) -> bool:
    """A run is late when it pays someone after its pay-by time. A run with nothing to pay is
    never late: a new deployment's first run (created for the latest payout day, hours or days
    after its pay-by time, with an empty ledger) kept nobody waiting."""
    return item_count > 0 and at > pay_by


def outcome_of(status: str) -> ItemState:
    """RESERVED while PayPal is still at it (PENDING, ONHOLD, NEW), else PAID or RETURNED."""
    status = (status or "").upper()
    if status in PAID_STATUSES:
        return ItemState.PAID
    if status in RETURNED_STATUSES:
        return ItemState.RETURNED
    return ItemState.RESERVED


@dataclass(frozen=True)
class PayoutRun:
    """One payout day's run."""

    run_id: str  # the payout day, ISO
    state: RunState
    version: int
    started_at: int
    updated_at: int
    pay_by: int
    item_count: int = 0
    total_cents: int = 0
    batches: Mapping[str, str] = field(default_factory=dict)  # chunk number -> PayPal's payout_batch_id
    finished_at: int | None = None

    def with_changes(self, **changes: object) -> "PayoutRun":
        return replace(self, **changes)


@dataclass(frozen=True)
class PayoutItem:
    """What one Helper is paid in one run."""

    run_id: str
    helper_id: str
    amount_cents: int
    currency: str
    receiver: str
    state: ItemState
    created_at: int
    updated_at: int
    payout_item_id: str | None = None
    paypal_status: str | None = None
    fee_cents: int | None = None
    error: str | None = None

    @property
    def item_id(self) -> str:
        return item_id(self.run_id, self.helper_id)

    def with_changes(self, **changes: object) -> "PayoutItem":
        return replace(self, **changes)


def item_id(run_id: str, helper_id: str) -> str:
    """PayPal's sender_item_id for a helper in a run (unique per helper and run)."""
    value = f"{run_id}.{helper_id}"
    if len(value) > MAX_SENDER_ITEM_ID:
        raise InvalidInput("A payout item id is at most 63 characters.", field="helper_id")
    return value


def parse_item_id(value: object) -> tuple[str, str] | None:
    """(run_id, helper_id) from a sender_item_id of ours, or None."""
    if not isinstance(value, str) or "." not in value:
        return None
    run_id, helper_id = value.split(".", 1)
    return (run_id, helper_id) if run_id and helper_id else None


def sender_batch_id(run_id: str, chunk: int) -> str:
    """The same id for the same chunk of the same run, however often the run is resumed."""
    return f"ik-{run_id}-{chunk}"


def chunks(items: list, size: int = MAX_BATCH_ITEMS) -> list[list]:
    if not 1 <= size <= MAX_BATCH_ITEMS:
        raise InvalidInput(f"A payout batch holds 1 to {MAX_BATCH_ITEMS} items.", field="size")
    return [items[start:start + size] for start in range(0, len(items), size)]


def payout_amount(balance_cents: int, minimum_cents: int) -> int:
    """What a run pays a helper: the whole payable balance once it reaches the minimum; nothing
    for less, or for a negative balance (it carries forward against later earnings)."""
    return balance_cents if balance_cents >= max(minimum_cents, 1) else 0


@dataclass(frozen=True)
class ReleaseDecision:
    """What the release job does with one payment's helper share."""

    release_cents: int  # moved from pending to payable now (0: nothing)
    next_check: int | None  # when to look again; None: the payment is done waiting


def release_decision(*, captured: bool, helper_cents_left: int, window_closes_at: int | None, refund_open: bool,
                     now: int) -> ReleaseDecision:
    """A helper's share becomes payable once the buyer's refund window has closed
    (`window_closes_at`) and no refund request is open; what refunds took back is not released.

    `captured` is False once the payment was reversed (a chargeback took the pending share) or
    otherwise ended; `window_closes_at` is None while it cannot be known yet (a call not over, a
    parcel not shipped): the job looks again later."""
    if not captured or helper_cents_left <= 0:
        return ReleaseDecision(0, None)
    if window_closes_at is None:
        return ReleaseDecision(0, now + RELEASE_RECHECK_SECONDS)
    if now < window_closes_at:
        return ReleaseDecision(0, window_closes_at)
    if refund_open:
        return ReleaseDecision(0, now + RELEASE_RECHECK_SECONDS)
    return ReleaseDecision(helper_cents_left, None)
