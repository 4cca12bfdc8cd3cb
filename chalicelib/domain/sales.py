"""A seller's sales report, as pure arithmetic over the day counters the store keeps (one per
seller per UTC day, one per product per day): totals for a period, a series by day, ISO week or
month, each product's figures and its conversion (orders per view).

Amounts are integer cents. `gross` is what buyers paid (shipping included in the seller's days),
`fees` the platform's fee and PayPal's fee the seller bore, `refunded` what went back to buyers,
`returned` the seller's share of it; `net = gross - fees - returned` is what the sales earned the
seller, to the cent what the ledger credits them.

The store also keeps the counters per month (and each product's per calendar year), so a period
is read as its whole years and months plus the days at its edges: a year costs the same few
Queries and about the same rows whatever the orders. Views are counted on products only: a
period's views are its products'.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from chalicelib.domain.errors import InvalidInput

GROUPINGS = ("day", "week", "month")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_DAYS = 366 * 2


@dataclass(frozen=True)
class Figures:
    """Counters over some days (a day, a bucket of the series, a product, the period)."""

    orders: int = 0
    units: int = 0
    gross_cents: int = 0
    fee_cents: int = 0
    refunded_cents: int = 0
    returned_cents: int = 0
    views: int = 0

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.fee_cents - self.returned_cents

    @property
    def conversion_basis_points(self) -> int | None:
        """Orders per view, in basis points (a view a product page showed); None without views."""
        if not self.views:
            return None
        return (self.orders * 10_000 * 2 + self.views) // (self.views * 2)  # half up

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(**{name: getattr(self, name) + getattr(other, name) for name in _COUNTERS})

    def view(self, *, with_views: bool = True) -> dict:
        shown = {"orders": self.orders, "units": self.units, "gross_cents": self.gross_cents,
                 "fee_cents": self.fee_cents, "refunded_cents": self.refunded_cents, "net_cents": self.net_cents}
        if with_views:
            shown.update(views=self.views, conversion_basis_points=self.conversion_basis_points)
        return shown


_COUNTERS = ("orders", "units", "gross_cents", "fee_cents", "refunded_cents", "returned_cents", "views")


def figures_of(row: object) -> Figures:
    """The counters of a stored day (adapters.store.SalesDay or anything with those names)."""
    return Figures(**{name: int(getattr(row, name, 0) or 0) for name in _COUNTERS})


def check_period(first: object, last: object, grouping: object, *, today: date) -> tuple[date, date, str]:
    """The period asked for: ISO dates, first <= last, at most two years, not after today
    (defaults: the last 30 days by day)."""
    for value, field in ((first, "from"), (last, "to")):
        if value not in (None, "") and not (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
            raise InvalidInput("Dates are YYYY-MM-DD.", field=field)
    try:
        end = date.fromisoformat(last) if isinstance(last, str) and last else today
        start = date.fromisoformat(first) if isinstance(first, str) and first else end - timedelta(days=29)
    except ValueError:
        raise InvalidInput("Dates are YYYY-MM-DD.", field="from") from None
    if start > end:
        raise InvalidInput("The period starts before it ends.", field="from")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput("A report covers at most two years.", field="from")
    chosen = grouping or "day"
    if chosen not in GROUPINGS:
        raise InvalidInput("Group by day, week or month.", field="by")
    return start, end, str(chosen)


def bucket_of(day: date, grouping: str) -> date:
    """The first day of the bucket `day` falls in: itself, its ISO week's Monday, its month's 1st."""
    if grouping == "week":
        return day - timedelta(days=day.weekday())
    if grouping == "month":
        return day.replace(day=1)
    return day


def buckets(start: date, end: date, grouping: str) -> list[date]:
    """Every bucket of the period in order, empty ones included (a chart shows the gaps)."""
    found, day = [], bucket_of(start, grouping)
    while day <= end:
        found.append(day)
        if grouping == "day":
            day += timedelta(days=1)
        elif grouping == "week":
            day += timedelta(days=7)
        else:
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return found


def series(days: Iterable[object], start: date, end: date, grouping: str) -> list[tuple[date, Figures]]:
    totals = {bucket: Figures() for bucket in buckets(start, end, grouping)}
    for row in days:
        bucket = bucket_of(date.fromisoformat(getattr(row, "day")), grouping)
        if bucket in totals:
            totals[bucket] = totals[bucket] + figures_of(row)
    return list(totals.items())


def by_product(product_days: Iterable[object]) -> dict[str, Figures]:
    """Each product's figures over the days given, best sellers (gross) first."""
    totals: dict[str, Figures] = {}
    for row in product_days:
        slug = getattr(row, "slug")
        totals[slug] = totals.get(slug, Figures()) + figures_of(row)
    return dict(sorted(totals.items(), key=lambda item: (-item[1].gross_cents, -item[1].units, item[0])))


def total(days: Iterable[object]) -> Figures:
    found = Figures()
    for row in days:
        found = found + figures_of(row)
    return found


def _month_end(month_start: date) -> date:
    return (month_start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def split_period(start: date, end: date) -> tuple[list[str], list[tuple[date, date]]]:
    """The period as the whole months inside it ("2026-02") and the ranges of days left at its
    edges (at most two), so a report reads month counters for the middle and day counters only
    for the edges."""
    months, day = [], start if start.day == 1 else _month_end(start) + timedelta(days=1)
    while day <= end and _month_end(day) <= end:
        months.append(day.strftime("%Y-%m"))
        day = _month_end(day) + timedelta(days=1)
    if not months:
        return [], [(start, end)]
    first = date.fromisoformat(f"{months[0]}-01")
    last = _month_end(date.fromisoformat(f"{months[-1]}-01"))
    edges = [(start, first - timedelta(days=1))] if start < first else []
    edges += [(last + timedelta(days=1), end)] if last < end else []
    return months, edges


def as_first_day(row: object) -> object:
    """A month's row read as if its counters were its first day's (for bucketing by month)."""
    day = getattr(row, "day")
    return row if len(day) == 10 else _Dated(row, f"{day}-01")


class _Dated:
    def __init__(self, row: object, day: str) -> None:
        self._row, self.day = row, day

    def __getattr__(self, name: str) -> object:
        return getattr(self._row, name)


def whole_years(months: list[str]) -> tuple[list[str], list[list[str]]]:
    """Of a period's whole months (in order, contiguous), the calendar years they fill ("2026")
    and the runs of months left over (at most two: before and after those years)."""
    years = sorted({month[:4] for month in months if sum(m[:4] == month[:4] for m in months) == 12})
    runs: list[list[str]] = []
    for month in months:
        if month[:4] in years:
            if runs and runs[-1]:
                runs.append([])
            continue
        if not runs:
            runs.append([])
        runs[-1].append(month)
    return years, [run for run in runs if run]

