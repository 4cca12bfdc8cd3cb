"""Payouts: earnings released once their refund window has closed, a payout run on each payout
day (PayPal Payouts batches to each helper's storefront email), and each item's outcome from
polling and from PayPal's PAYMENT.PAYOUTS-ITEM webhooks. The job runs often and decides.

Every step can be cut short (a Lambda timeout, a crash) and run again, or run twice at once:
ledger transactions are posted once by id, items are created once per helper and run (and only
while the run collects), PayPal batches have a deterministic sender_batch_id and
PayPal-Request-Id, and state changes are conditional writes. `desk.checkpoint(step)` is called
between steps; tests stop the job there."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any, Callable

from chalicelib.adapters.ledger import LedgerStore
from chalicelib.adapters.ops_stats import tally
from chalicelib.adapters.payments import PaymentStore, StorefrontStore
from chalicelib.adapters.payouts import PayoutItemStore, PayoutRunStore
from chalicelib.adapters.refunds import RefundRequestStore
from chalicelib.domain import ledger as books
from chalicelib.domain.calls import CallState
from chalicelib.domain.errors import Forbidden, ServiceUnavailable
from chalicelib.domain.fees import PaymentKind
from chalicelib.domain.ledger import line_position
from chalicelib.domain.payments import Payment, PaymentState, split_of
from chalicelib.domain.payout_schedule import (
    PayoutSchedule,
    due_payout_day,
    local_date,
    pay_by,
    previous_payout_day,
)
from chalicelib.domain.payouts import (
    CANCEL_FIRST,
    MAX_BATCH_ITEMS,
    ItemState,
    PayoutItem,
    PayoutRun,
    RunState,
    chunks,
    outcome_of,
    paid_late,
    parse_item_id,
    payout_amount,
    release_decision,
    sender_batch_id,
)
from chalicelib.domain.refunds import RefundState
from chalicelib.services.emails import tell
from chalicelib.services.webhooks import Handler
from chalicelib.observability import PAYOUTS, count, logger
from chalicelib.settings import Settings

RELEASE_PAGE = 100
BLOCKING_REFUND_STATES = (RefundState.OPEN, RefundState.APPROVED, RefundState.FAILED)


@dataclass(frozen=True)
class PayoutDesk:
    """What paying out touches."""

    payments: PaymentStore
    refunds: RefundRequestStore
    calls: Any  # adapters.calls.CallStore
    ledger: LedgerStore
    storefronts: StorefrontStore
    gateway: Any  # adapters.paypal.PaymentGateway (payouts part)
    runs: PayoutRunStore
    items: PayoutItemStore
    schedule: PayoutSchedule
    settings: Settings
    mailer: Any
    accounts: Any
    batch_size: int = MAX_BATCH_ITEMS
    checkpoint: Callable[[str], None] = field(default=lambda step: None)
    # When the buyer's refund window closes for a kind of payment other capabilities sell (the
    # store's), by payment; sessions' windows are this module's own.
    holds: dict[PaymentKind, Callable[[Payment], int | None]] = field(default_factory=dict)
    notices: Any = None  # () -> services.notices.NoticeDesk: emails become notices (services/emails.py)
    stats: Any = None  # adapters.ops_stats: the ops dashboard's daily counters; None: not kept
    # The Helpers' pages (adapters.helper_pages), for their standing: a disqualified Helper's money
    # stays payable (held for ops, not lost) until restored. None: nobody is held.
    pages: Any = None


# -- releasing earnings ------------------------------------------------------------------------

def _helper_cents_left(payment: Payment) -> int:
    if payment.helper_cents is None:
        return 0
    return payment.helper_cents - books.returned_share(split_of(payment), min(payment.refunded_cents,
                                                                              payment.amount_cents))


def _session_window_closes(payment: Payment, *, desk: PayoutDesk) -> int | None:
    """A session's refund window closes `refund_request_hours` after the call ended (unknown
    while it goes on); a payment without a call (a call long forgotten) counts from its capture."""
    hours = desk.settings.refund_request_hours * 3600
    call = desk.calls.get(payment.call_id) if payment.call_id else None
    if payment.call_id and call is not None:
        return call.ended_at + hours if call.state is CallState.ENDED and call.ended_at is not None else None
    return payment.captured_at + hours if payment.captured_at is not None else None


def release_one(payment: Payment, desk: PayoutDesk, now: int) -> int:
    """Releases one payment's helper share if it is time; returns the cents released."""
    payment = desk.payments.get(payment.payment_id) or payment  # the index may lag a refund just posted
    if payment.release_at is None or payment.release_at > now:
        return 0  # released, or put off, since the index was read
    if payment.helper_id is None or payment.capture_id is None:
        desk.payments.set_release_at(payment, None)
        return 0
    hold = desk.holds.get(payment.kind) or partial(_session_window_closes, desk=desk)
    request = desk.refunds.get(payment.payment_id)
    decision = release_decision(
        captured=payment.state in (PaymentState.CAPTURED, PaymentState.REFUNDED),
        helper_cents_left=_helper_cents_left(payment), window_closes_at=hold(payment),
        refund_open=request is not None and request.state in BLOCKING_REFUND_STATES, now=now)
    if decision.release_cents:
        desk.ledger.post(books.release_transaction(
            release_id=payment.capture_id, helper_id=payment.helper_id, cents=decision.release_cents,
            occurred_at=now, memo={"payment_id": payment.payment_id, "payment_kind": payment.kind.value}))
        desk.checkpoint("released")
    desk.payments.set_release_at(payment, decision.next_check)
    return decision.release_cents


def release_earnings(*, desk: PayoutDesk, now: int, pages: int = 50) -> int:
    """Every payment whose helper share may be due (a Query on the sparse release index, oldest
    first), released or told when to look again; returns the cents released."""
    released = 0
    for _ in range(pages):
        due = desk.payments.due_for_release(now, limit=RELEASE_PAGE)
        for payment in due:
            released += release_one(payment, desk, now)
        if len(due) < RELEASE_PAGE:
            break
    return released


# -- the run ----------------------------------------------------------------------------------

def run_payouts(*, desk: PayoutDesk, now: int) -> dict:
    """The scheduled job: releases what is due, starts or resumes the run of the latest payout
    day, and follows up the outcome of every open run's items."""
    released = release_earnings(desk=desk, now=now)
    day = due_payout_day(desk.schedule, now)
    if day is not None:
        _start(day.isoformat(), pay_by(desk.schedule, day), desk, now)
    from chalicelib.adapters.paypal import PayPalProblem

    states = {}
    for run in desk.runs.open_runs():  # today's, and any earlier run an outage left unfinished
        try:
            run = track_run(_advance(run, desk, now), desk=desk, now=now)
        except (PayPalProblem, ServiceUnavailable) as problem:  # PayPal down or refusing: the next tick retries
            logger().error("payout run stalled", extra={"run_id": run.run_id, "error": str(problem)})
            run = desk.runs.get(run.run_id) or run
        states[run.run_id] = run.state.value
    return {"released_cents": released, "payout_day": day.isoformat() if day else None, "runs": states}


def _start(run_id: str, deadline: int, desk: PayoutDesk, now: int) -> PayoutRun:
    run = desk.runs.get(run_id)
    if run is None:
        run = desk.runs.create(PayoutRun(run_id=run_id, state=RunState.COLLECTING, version=0, started_at=now,
                                         updated_at=now, pay_by=deadline))
        desk.checkpoint("run created")
    return run


def _move(run: PayoutRun, desk: PayoutDesk, now: int, **changes: Any) -> PayoutRun:
    """Saves the run's next step; if another job moved it meanwhile, theirs is read instead."""
    if desk.runs.save(run.with_changes(updated_at=now, **changes)):
        desk.checkpoint("run saved")
    stored = desk.runs.get(run.run_id)
    assert stored is not None
    return stored


def _advance(run: PayoutRun, desk: PayoutDesk, now: int) -> PayoutRun:
    if run.state is RunState.COLLECTING:
        items = collect(run, desk=desk, now=now)
        if paid_late(item_count=len(items), pay_by=run.pay_by, at=now):
            logger().error("payout run late", extra={"run_id": run.run_id, "pay_by": run.pay_by,
                                                     "item_count": len(items)})
        run = _move(run, desk, now, state=RunState.SENDING, item_count=len(items),
                    total_cents=sum(item.amount_cents for item in items))
    if run.state is RunState.SENDING:
        run = send(run, desk=desk, now=now)
    return run


def _reserve(item: PayoutItem, run: PayoutRun, desk: PayoutDesk) -> None:
    """The item's money leaves payable for in-transit (once, by the item's id). All of a run's
    postings carry the run's start time, so its lines on in-transit are one prefix."""
    desk.ledger.post(books.payout_transaction(item_id=item.item_id, run_id=item.run_id, helper_id=item.helper_id,
                                              cents=item.amount_cents, occurred_at=run.started_at,
                                              memo={"receiver": item.receiver}))
    desk.checkpoint("payout posted")


def _posting_prefix(run: PayoutRun) -> str:
    return line_position(run.started_at, f"payout:{run.run_id}.", 0)[:-len("#000")]


def collect(run: PayoutRun, *, desk: PayoutDesk, now: int) -> list[PayoutItem]:
    """An item for every helper whose payable balance reaches the minimum and who has a
    storefront; returns the run's items. Pages through the payable accounts' sparse index."""
    items = {item.helper_id: item for item in desk.items.for_run(run.run_id)}
    if items:  # resumed: a crash may have come between an item and its ledger posting
        posted = desk.ledger.transaction_ids_at(books.PAYOUTS_IN_TRANSIT, _posting_prefix(run))
        for item in items.values():
            if f"payout:{item.item_id}" not in posted:
                _reserve(item, run, desk)
    after = None
    while True:
        accounts = desk.ledger.payable_accounts(after=after, limit=1000)
        if not accounts:
            break
        after = accounts[-1]
        fresh = [a for a in accounts if books.helper_of(a) not in items]
        for start in range(0, len(fresh), 100):
            group = fresh[start:start + 100]
            balances = desk.ledger.balances(group)
            owed = {books.helper_of(a): payout_amount(balances[a].credit_balance, desk.schedule.minimum_cents)
                    for a in group}
            owed = {helper: cents for helper, cents in owed.items() if cents > 0}
            for helper_id in _held(owed, desk):
                logger().info("payout held: helper disqualified", extra={"helper_id": helper_id})
                del owed[helper_id]
            storefronts = desk.storefronts.get_many(owed)
            for helper_id, cents in owed.items():
                storefront = storefronts.get(helper_id)
                if storefront is None:
                    logger().warning("payable helper without storefront", extra={"helper_id": helper_id})
                    continue
                item = PayoutItem(run_id=run.run_id, helper_id=helper_id, amount_cents=cents,
                                  currency=desk.settings.currency, receiver=storefront.paypal_email,
                                  state=ItemState.RESERVED, created_at=now, updated_at=now)
                outcome = desk.items.create(item)
                if outcome == "run_closed":
                    return desk.items.for_run(run.run_id)  # another job finished collecting
                if outcome == "exists":
                    item = desk.items.get(run.run_id, helper_id) or item
                else:
                    desk.checkpoint("item created")
                _reserve(item, run, desk)
                items[helper_id] = item
        if len(accounts) < 1000:
            break
    return sorted(items.values(), key=lambda item: item.helper_id)


def _held(owed: dict[str, int], desk: PayoutDesk) -> list[str]:
    """The Helpers among `owed` whose payouts ops holds: disqualified (services.standing)."""
    if desk.pages is None or not owed:
        return []
    return [user_id for user_id, page in desk.pages.get_many(list(owed)).items() if page.disqualified is not None]


def send(run: PayoutRun, *, desk: PayoutDesk, now: int) -> PayoutRun:
    """A PayPal batch per chunk of the run's items (in helper order: the same chunks on every
    resume), each recorded on the run; a chunk PayPal already has is found by its sender_batch_id."""
    from chalicelib.adapters.paypal import DuplicatePayoutBatch, PayoutRequestItem

    items = desk.items.for_run(run.run_id)
    batches = chunks(items, desk.batch_size)
    for number, chunk in enumerate(batches):
        key = str(number)
        if key in run.batches:
            continue
        batch_id = sender_batch_id(run.run_id, number)
        try:
            batch = desk.gateway.create_payout_batch(
                sender_batch_id=batch_id, currency=desk.settings.currency, request_id=f"payout-{batch_id}",
                email_subject=f"Your {desk.settings.brand_name} payout",
                email_message=f"Your earnings on {desk.settings.brand_name} up to {run.run_id}.",
                items=[PayoutRequestItem(sender_item_id=item.item_id, receiver=item.receiver,
                                         amount_cents=item.amount_cents,
                                         note=f"{desk.settings.brand_name} payout for {run.run_id}")
                       for item in chunk])
            paypal_batch_id = batch.payout_batch_id
        except DuplicatePayoutBatch as duplicate:
            if not duplicate.payout_batch_id:
                raise ServiceUnavailable(f"PayPal has batch {batch_id} but did not say which.") from None
            paypal_batch_id = duplicate.payout_batch_id
        desk.checkpoint("batch created")
        run = _move(run, desk, now, batches={**run.batches, key: paypal_batch_id})
    if run.state is RunState.SENDING and len(run.batches) >= len(batches):
        run = _move(run, desk, now, state=RunState.SENT if items else RunState.DONE,
                    **({} if items else {"finished_at": now}))
    return run


# -- outcomes ---------------------------------------------------------------------------------

def track_run(run: PayoutRun, *, desk: PayoutDesk, now: int) -> PayoutRun:
    """Polls each of the run's batches, page by page, and applies every item's outcome; the run
    is done once none is still under way at PayPal."""
    if run.state is not RunState.SENT:
        return run
    waiting = {item.item_id: item for item in desk.items.for_run(run.run_id) if item.state is ItemState.RESERVED}
    under_way, seen = 0, set()
    for paypal_batch_id in run.batches.values():
        page = 1
        while waiting:
            batch = desk.gateway.get_payout_batch(paypal_batch_id, page=page, page_size=1000)
            for result in batch.items:
                seen.add(result.sender_item_id)
                item = waiting.get(result.sender_item_id or "")
                if item is not None and apply_item_outcome(result, desk=desk, now=now, item=item) \
                        is ItemState.RESERVED:
                    under_way += 1
            if not batch.has_more:
                break
            page += 1
    missing = set(waiting) - seen
    if missing:  # never expected: PayPal does not list an item we sent; ops must look
        logger().error("payout items missing at PayPal", extra={"run_id": run.run_id, "count": len(missing)})
    if under_way or missing:
        return run
    return _move(run, desk, now, state=RunState.DONE, finished_at=now)


def apply_item_outcome(result: Any, *, desk: PayoutDesk, now: int, item: PayoutItem | None = None
                       ) -> ItemState | None:
    """One item's outcome at PayPal (from polling or a webhook), applied once: paid, or its money
    back to payable (an unclaimed item is cancelled at PayPal first) and the helper told."""
    from chalicelib.adapters.paypal import PayPalRejected

    if item is None:
        ids = parse_item_id(result.sender_item_id)
        item = desk.items.get(*ids) if ids else None
    if item is None:
        return None
    if item.state is not ItemState.RESERVED:
        return item.state
    status = (result.status or "").upper()
    if status in CANCEL_FIRST and result.payout_item_id:
        try:
            result = desk.gateway.cancel_payout_item(result.payout_item_id)
        except PayPalRejected:  # cancelled already, or claimed meanwhile: PayPal knows which
            result = desk.gateway.get_payout_item(result.payout_item_id)
        status = (result.status or "").upper()
        if status in CANCEL_FIRST:
            status = "CANCELED"  # PayPal took the cancel; the money is back with us
    outcome = outcome_of(status)
    if outcome is ItemState.RESERVED:
        return outcome
    memo = {"payout_item_id": result.payout_item_id or "", "status": status}
    if outcome is ItemState.PAID:
        desk.ledger.post(books.payout_paid_transaction(item_id=item.item_id, helper_id=item.helper_id,
                                                       cents=item.amount_cents, fee_cents=result.fee_cents or 0,
                                                       occurred_at=now, memo=memo))
    else:
        desk.ledger.post(books.payout_return_transaction(item_id=item.item_id, helper_id=item.helper_id,
                                                         cents=item.amount_cents, occurred_at=now, memo=memo))
    desk.checkpoint("outcome posted")
    error = " ".join(filter(None, [result.error_name, result.error_message])) or None
    ended = item.with_changes(state=outcome, updated_at=now, payout_item_id=result.payout_item_id,
                              paypal_status=status, fee_cents=result.fee_cents, error=error)
    if desk.items.transition(ended, expected=[ItemState.RESERVED]):
        desk.checkpoint("item ended")
        if outcome is ItemState.PAID:
            count(PAYOUTS)
            tally(desk.stats, at=now, payouts=1, payout_cents=item.amount_cents)
        if outcome is ItemState.RETURNED:
            tell(desk, item.helper_id, "payout_returned", amount_cents=item.amount_cents, receiver=item.receiver,
                 status=status, error=error)
    return outcome


PAYOUT_ITEM_EVENTS = ("SUCCEEDED", "FAILED", "RETURNED", "UNCLAIMED", "BLOCKED", "CANCELED", "DENIED", "HELD",
                      "REFUNDED")


def on_payout_item_webhook(resource: dict, now: int, *, desk: PayoutDesk) -> str:
    """PAYMENT.PAYOUTS-ITEM.* from PayPal: the item's outcome, applied once."""
    from chalicelib.adapters.paypal import payout_item_from_paypal

    outcome = apply_item_outcome(payout_item_from_paypal(resource), desk=desk, now=now)
    return "unknown payout item" if outcome is None else f"payout item {outcome.value}"


def webhook_handlers(desk: PayoutDesk) -> dict[str, Handler]:
    """PayPal's events about payout items, for `services.webhooks`."""
    handle = partial(on_payout_item_webhook, desk=desk)
    return {f"PAYMENT.PAYOUTS-ITEM.{outcome}": handle for outcome in PAYOUT_ITEM_EVENTS}


# -- what ops sees ------------------------------------------------------------------------------

def run_view(run: PayoutRun, items: list[PayoutItem]) -> dict:
    """A run as ops watches it: its state and deadline, and how its items ended."""
    by_state = {state: [item for item in items if item.state is state] for state in ItemState}
    return {
        "run_id": run.run_id, "state": run.state.value, "started_at": run.started_at, "pay_by": run.pay_by,
        "finished_at": run.finished_at,
        "late": run.finished_at is not None and paid_late(item_count=run.item_count, pay_by=run.pay_by,
                                                          at=run.finished_at) or None,
        "item_count": run.item_count, "total_cents": run.total_cents, "batches": dict(run.batches),
        **{f"{state.value}_count": len(found) for state, found in by_state.items()},
        "returned": [{"helper_id": item.helper_id, "amount_cents": item.amount_cents, "receiver": item.receiver,
                      "paypal_status": item.paypal_status, "error": item.error}
                     for item in by_state[ItemState.RETURNED]][:100],
    }


def payouts_overview(*, is_ops: bool, desk: PayoutDesk, now: int, recent: int = 6) -> list[dict]:
    """The open runs and those of the last `recent` payout days, newest first (ops only)."""
    if not is_ops:
        raise Forbidden("Only ops watches payouts.")
    runs = {run.run_id: run for run in desk.runs.open_runs()}
    day = local_date(desk.schedule, now)
    for _ in range(recent):
        day = previous_payout_day(desk.schedule, day)
        if day.isoformat() not in runs and (run := desk.runs.get(day.isoformat())) is not None:
            runs[run.run_id] = run
        day -= timedelta(days=1)
    return [run_view(run, desk.items.for_run(run.run_id)) for run in sorted(runs.values(), key=lambda r: r.run_id,
                                                                            reverse=True)]
