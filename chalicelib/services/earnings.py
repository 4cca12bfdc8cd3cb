"""What a helper sees of their money: pending and payable balances, money on its way, the next
payout day, their payouts, and a history of every ledger line on their accounts (sessions,
tips, fees, refunds, releases, payouts), page by page or as a CSV file."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

from chalicelib.adapters.ledger import LedgerStore
from chalicelib.adapters.payouts import PayoutItemStore
from chalicelib.domain import ledger as books
from chalicelib.domain.cursors import CursorSeal
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.ledger import LedgerLine
from chalicelib.domain.money import to_paypal_value
from chalicelib.domain.payments import RefundRequest
from chalicelib.domain.payout_schedule import PayoutSchedule, next_payout
from chalicelib.domain.payouts import ItemState, PayoutItem
from chalicelib.domain.refunds import RefundState

MAX_CSV_LINES = 20_000
CSV_COLUMNS = ("date_utc", "transaction_id", "kind", "account", "direction", "amount", "amount_cents", "currency",
               "payment_id", "payment_kind", "gross_cents", "call_id", "payout_item", "status")
KIND_LABELS = {"capture": "Payment received", "refund": "Refund", "reversal": "Reversal (chargeback)",
               "release": "Became payable", "payout": "Payout sent", "payout_paid": "Payout paid",
               "payout_return": "Payout returned"}


def _account_of(line: LedgerLine) -> str:
    return "pending" if line.account.endswith(":pending") else "payable"


def line_view(line: LedgerLine) -> dict:
    """One ledger line as the earnings page shows it: money in (credit) or out (debit) of the
    helper's pending or payable balance, with what the payer paid and what fees took."""
    memo = line.memo
    gross = memo.get("amount_cents") if line.kind == "capture" else None
    view = {
        "position": line.position, "at": line.occurred_at, "kind": line.kind,
        "label": KIND_LABELS.get(line.kind, line.kind), "account": _account_of(line),
        "direction": "in" if line.direction is books.Direction.CREDIT else "out", "amount_cents": line.amount_cents,
        "payment_id": memo.get("payment_id"), "payment_kind": memo.get("payment_kind") or memo.get("kind"),
        "gross_cents": gross, "call_id": memo.get("call_id") or None,
    }
    if isinstance(gross, int) and line.kind == "capture":
        view["fees_cents"] = gross - line.amount_cents  # the platform's fee and PayPal's
    return view


def history(ledger: LedgerStore, helper_id: str, *, limit: int = 50, before: str | None = None) -> list[LedgerLine]:
    """The newest `limit` lines of both helper accounts, merged newest first (`before`: the
    position of the last line already shown)."""
    lines = [line for account in (books.helper_pending(helper_id), books.helper_payable(helper_id))
             for line in ledger.lines(account, limit=limit, before=before)]
    return sorted(lines, key=lambda line: (line.position, line.account), reverse=True)[:limit]


def payout_view(item: PayoutItem) -> dict:
    return {"payout_day": item.run_id, "amount_cents": item.amount_cents, "currency": item.currency,
            "receiver": item.receiver, "state": item.state.value, "paypal_status": item.paypal_status,
            "error": item.error, "created_at": item.created_at, "updated_at": item.updated_at}


def earnings_view(*, helper_id: str, ledger: LedgerStore, items: PayoutItemStore, schedule: PayoutSchedule,
                  currency: str, now: int, cursors: CursorSeal, payout_email: str | None = None,
                  before: str | None = None, limit: int = 50, refunds: Iterable[RefundRequest] = ()) -> dict:
    """Balances, the next payout, payouts and a page of history; `before` is the sealed
    `next_before` of the previous page (the helper's own, refused if altered or someone else's).
    `refunds` are the refund requests about the helper's sessions: the open ones hold those
    sessions' earnings in pending until they are decided."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 200:
        raise InvalidInput("A page holds 1 to 200 lines.", field="limit")
    scope = f"earnings:{helper_id}"
    start = cursors.open(before, scope=scope, field="before")
    pending, payable = books.helper_pending(helper_id), books.helper_payable(helper_id)
    balances = ledger.balances([pending, payable])
    payouts = items.for_helper(helper_id, limit=20)
    day, pay_by = next_payout(schedule, now)
    lines = history(ledger, helper_id, limit=limit, before=start["before"] if start else None)
    return {
        "currency": currency,
        "payout_email": payout_email,  # the storefront's PayPal email; None: no payout can be sent
        "pending_cents": balances[pending].credit_balance,
        "payable_cents": balances[payable].credit_balance,
        "in_transit_cents": sum(i.amount_cents for i in payouts if i.state is ItemState.RESERVED),
        "paid_out_cents": sum(i.amount_cents for i in payouts if i.state is ItemState.PAID),
        "next_payout": {"day": day.isoformat(), "pay_by": pay_by, "minimum_cents": schedule.minimum_cents,
                        "cadence": schedule.cadence.value},
        "payouts": [payout_view(item) for item in payouts],
        "history": [line_view(line) for line in lines],
        "next_before": cursors.seal({"before": lines[-1].position}, scope=scope) if len(lines) == limit else None,
        "held_by_refunds": held_by_refunds(refunds),
    }


def held_by_refunds(refunds: Iterable[RefundRequest]) -> dict | None:
    """The open refund requests that keep sessions' earnings pending: how many, what those
    sessions were paid, and the first deadline by which one is decided; None when there are none."""
    open_requests = [r for r in refunds if r.state is RefundState.OPEN]
    if not open_requests:
        return None
    return {"count": len(open_requests), "paid_cents": sum(r.paid_cents for r in open_requests),
            "decide_by": min(r.deadline for r in open_requests)}


_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def safe_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not run as a formula (a plain number, "-1.50", is kept)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.fullmatch(value):
        return "'" + value
    return "" if value is None else value


def all_lines(ledger: LedgerStore, helper_id: str, *, most: int = MAX_CSV_LINES) -> Iterator[LedgerLine]:
    """Every line of both helper accounts, oldest first (a Query page of 1,000 at a time)."""
    found: list[LedgerLine] = []
    for account in (books.helper_pending(helper_id), books.helper_payable(helper_id)):
        before = None
        while len(found) < most:
            page = ledger.lines(account, limit=1000, before=before)
            found.extend(page)
            if len(page) < 1000:
                break
            before = page[-1].position
    return iter(sorted(found, key=lambda line: (line.position, line.account))[-most:])


def earnings_csv(*, helper_id: str, ledger: LedgerStore, currency: str) -> str:
    """The helper's ledger lines as CSV (UTF-8, a header row, amounts both in dollars and cents)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in all_lines(ledger, helper_id):
        view = line_view(line)
        writer.writerow([safe_cell(value) for value in (
            datetime.fromtimestamp(line.occurred_at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            line.transaction_id, line.kind, view["account"], line.direction.value,
            to_paypal_value(line.amount_cents), line.amount_cents, currency,
            view["payment_id"], view["payment_kind"], view["gross_cents"], view["call_id"],
            line.memo.get("item_id"), line.memo.get("status"))])
    return out.getvalue()
