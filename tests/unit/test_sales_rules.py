"""The Sales report's arithmetic: a period split into whole months and edge days, buckets by day,
ISO week and month, conversion in basis points, and bad periods refused."""
from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import sales
from chalicelib.domain.errors import InvalidInput


@pytest.mark.parametrize("start, end, months, edges", [
    ("2026-01-01", "2026-12-31", ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07",
                                  "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"], []),
    ("2026-01-15", "2026-03-10", ["2026-02"], [("2026-01-15", "2026-01-31"), ("2026-03-01", "2026-03-10")]),
    ("2026-02-01", "2026-02-28", ["2026-02"], []),
    ("2024-02-01", "2024-02-28", [], [("2024-02-01", "2024-02-28")]),  # a leap year's February is not whole
    ("2026-03-05", "2026-03-20", [], [("2026-03-05", "2026-03-20")]),
    ("2026-12-31", "2027-01-31", ["2027-01"], [("2026-12-31", "2026-12-31")]),
])
def test_a_period_is_its_whole_months_and_the_days_at_its_edges(start, end, months, edges):
    found_months, found_edges = sales.split_period(date.fromisoformat(start), date.fromisoformat(end))
    assert found_months == months
    assert [(a.isoformat(), b.isoformat()) for a, b in found_edges] == edges


def test_buckets_cover_the_period_by_day_iso_week_and_month():
    start, end = date(2026, 1, 28), date(2026, 3, 2)
    assert len(sales.buckets(start, end, "day")) == 34
    weeks = sales.buckets(start, end, "week")
    assert weeks[0] == date(2026, 1, 26) and all(w.weekday() == 0 for w in weeks) and weeks[-1] == date(2026, 3, 2)
    assert sales.buckets(start, end, "month") == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]


def test_conversion_is_orders_per_view_in_basis_points_rounded_half_up():
    assert sales.Figures(orders=1, views=3).conversion_basis_points == 3333
    assert sales.Figures(orders=2, views=3).conversion_basis_points == 6667
    assert sales.Figures(orders=0, views=0).conversion_basis_points is None
    assert sales.Figures(gross_cents=1000, fee_cents=200, returned_cents=300).net_cents == 500


@pytest.mark.parametrize("first, last, by", [("2026-13-01", None, "day"), ("2026-02-01", "2026-01-01", "day"),
                                             ("2020-01-01", "2026-01-01", "day"), (None, None, "year"),
                                             ("20260101", None, "day")])
def test_a_bad_period_is_refused_with_its_field(first, last, by):
    with pytest.raises(InvalidInput):
        sales.check_period(first, last, by, today=date(2026, 12, 6))


def test_the_default_period_is_the_last_thirty_days_by_day():
    assert sales.check_period(None, None, None, today=date(2026, 12, 6)) == (date(2026, 11, 7), date(2026, 12, 6),
                                                                            "day")


def test_whole_calendar_years_are_read_as_years_and_the_other_months_in_runs():
    months = [f"2025-{m:02d}" for m in range(11, 13)] + [f"2026-{m:02d}" for m in range(1, 13)] + ["2027-01"]
    assert sales.whole_years(months) == (["2026"], [["2025-11", "2025-12"], ["2027-01"]])
    assert sales.whole_years(["2026-03", "2026-04"]) == ([], [["2026-03", "2026-04"]])
    assert sales.whole_years([]) == ([], [])
