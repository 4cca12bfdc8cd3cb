"""Contract tests for the ops dashboard's daily counters: the in-memory twin and DynamoDB (moto over
HTTP) pass the same tests — counters start at zero, each ADD is atomic (threads racing lose
nothing), a day reads with one GetItem and a week with one BatchGetItem, unknown counters are refused."""
from __future__ import annotations

import threading

import pytest

from chalicelib.adapters.ops_stats import COUNTERS, DayStats, InMemoryOpsStats
from tests.support.stack import own_tables

pytestmark = pytest.mark.integration


@pytest.fixture
def dynamo(app_env):
    """The ops_stats table of this test alone on the stack's moto (a prefix of its own)."""
    from chalicelib.adapters.ops_stats import DynamoOpsStats
    from chalicelib.adapters.tables.ops_stats import OpsDayRecord

    with own_tables(app_env.settings(), OpsDayRecord, prefix="os"):
        yield DynamoOpsStats()


@pytest.fixture(params=["twin", "dynamo"])
def stats(request):
    return InMemoryOpsStats() if request.param == "twin" else request.getfixturevalue("dynamo")


def test_a_day_nothing_happened_on_reads_as_zeros(stats):
    assert stats.get("2026-12-01") == DayStats("2026-12-01")
    assert stats.get_many(["2026-12-01", "2026-12-02"]) == {d: DayStats(d) for d in ("2026-12-01", "2026-12-02")}


def test_counters_add_up_per_day_and_only_the_named_ones_move(stats):
    stats.add("2026-12-06", {"payments": 1, "revenue_cents": 2500, "platform_fee_cents": 500, "paid_sessions": 1})
    stats.add("2026-12-06", {"payments": 1, "revenue_cents": 1000, "platform_fee_cents": 200})
    stats.add("2026-12-05", {"calls_rung": 3})
    today = stats.get("2026-12-06")
    assert (today.payments, today.revenue_cents, today.platform_fee_cents, today.paid_sessions) == (2, 3500, 700, 1)
    assert today.calls_rung == 0 and stats.get("2026-12-05").calls_rung == 3


def test_a_week_reads_every_day_asked_for_in_one_batch(stats):
    days = [f"2026-11-{d:02d}" for d in range(24, 31)]
    for n, day in enumerate(days):
        stats.add(day, {"calls_answered": n + 1})
    week = stats.get_many(days)
    assert list(week) == days and [week[d].calls_answered for d in days] == [1, 2, 3, 4, 5, 6, 7]


def test_concurrent_adds_lose_nothing(stats):
    def bump():
        for _ in range(5):
            stats.add("2026-12-07", {"refunds": 1, "refund_cents": 100})

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    day = stats.get("2026-12-07")
    assert (day.refunds, day.refund_cents) == (20, 2000)


def test_unknown_counters_are_refused_and_zero_adds_write_nothing(stats):
    with pytest.raises(ValueError):
        stats.add("2026-12-08", {"bogus": 1})
    stats.add("2026-12-08", {"payouts": 0})
    assert stats.get("2026-12-08") == DayStats("2026-12-08")
    assert set(DayStats("x").counters()) == set(COUNTERS)
