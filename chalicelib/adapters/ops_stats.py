"""The ops dashboard's daily counters (DynamoDB, `tables/ops_stats.py`, and an in-memory twin), and
`tally`, the best-effort bump the services call beside `observability.count`: a counter that
could not be raised is logged, never a failed call or payment."""
from __future__ import annotations

import threading
from dataclasses import dataclass, fields, replace
from datetime import datetime, timezone
from typing import Any, Iterable, Protocol

COUNTERS = ("calls_rung", "calls_answered", "payments", "paid_sessions", "revenue_cents", "platform_fee_cents",
            "refunds", "refund_cents", "payouts", "payout_cents")


@dataclass(frozen=True)
class DayStats:
    day: str  # "2026-12-06" (UTC)
    calls_rung: int = 0
    calls_answered: int = 0
    payments: int = 0
    paid_sessions: int = 0
    revenue_cents: int = 0
    platform_fee_cents: int = 0
    refunds: int = 0
    refund_cents: int = 0
    payouts: int = 0
    payout_cents: int = 0

    def counters(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTERS}


assert tuple(f.name for f in fields(DayStats))[1:] == COUNTERS


def day_of(at: int) -> str:
    """The UTC day of a time in epoch seconds."""
    return datetime.fromtimestamp(at, timezone.utc).date().isoformat()


def _checked(counts: dict[str, int]) -> dict[str, int]:
    unknown = set(counts) - set(COUNTERS)
    if unknown:
        raise ValueError(f"unknown ops counters {sorted(unknown)}")
    return {name: int(value) for name, value in counts.items() if value}


class OpsStats(Protocol):
    def add(self, day: str, counts: dict[str, int]) -> None:
        """Raises each named counter of the day by its amount, atomically (the day is made on first use)."""
        ...

    def get(self, day: str) -> DayStats: ...  # zeros for a day nothing happened on
    def get_many(self, days: Iterable[str]) -> dict[str, DayStats]: ...  # every day asked for


class DynamoOpsStats:
    def add(self, day: str, counts: dict[str, int]) -> None:
        from chalicelib.adapters.tables.ops_stats import OpsDayRecord as Record

        wanted = _checked(counts)
        if wanted:
            Record(day).update(actions=[getattr(Record, name).add(value) for name, value in wanted.items()])

    def get(self, day: str) -> DayStats:
        from chalicelib.adapters.tables.ops_stats import OpsDayRecord as Record

        try:
            return _stats(Record.get(day))
        except Record.DoesNotExist:
            return DayStats(day)

    def get_many(self, days: Iterable[str]) -> dict[str, DayStats]:
        """One BatchGetItem (pynamodb asks again for any keys DynamoDB left unprocessed)."""
        from chalicelib.adapters.tables.ops_stats import OpsDayRecord as Record

        wanted = list(dict.fromkeys(days))
        found = {record.day: _stats(record) for record in Record.batch_get(wanted)} if wanted else {}
        return {day: found.get(day) or DayStats(day) for day in wanted}


def _stats(record: Any) -> DayStats:
    return DayStats(record.day, **{name: int(getattr(record, name) or 0) for name in COUNTERS})


class InMemoryOpsStats:
    def __init__(self) -> None:
        self.days: dict[str, DayStats] = {}
        self._lock = threading.Lock()

    def add(self, day: str, counts: dict[str, int]) -> None:
        wanted = _checked(counts)
        with self._lock:
            held = self.days.get(day) or DayStats(day)
            self.days[day] = replace(held, **{name: getattr(held, name) + value for name, value in wanted.items()})

    def get(self, day: str) -> DayStats:
        return self.days.get(day) or DayStats(day)

    def get_many(self, days: Iterable[str]) -> dict[str, DayStats]:
        return {day: self.get(day) for day in dict.fromkeys(days)}


def tally(stats: OpsStats | None, *, at: int | None = None, **counts: int) -> None:
    """Raises the day's counters, best effort: None (no stats kept) does nothing, and a failure is
    logged, never raised, so a figure on the ops dashboard is never worth a failed call or payment."""
    if stats is None:
        return
    try:
        if at is None:
            from chalicelib.clock import now_seconds

            at = now_seconds()
        stats.add(day_of(at), counts)
    except Exception:  # noqa: BLE001 - the dashboard's count is not worth the business event
        from chalicelib.observability import logger

        logger().warning("ops stats not counted", extra={"counters": sorted(counts)}, exc_info=True)
