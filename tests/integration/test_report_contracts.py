"""Contract tests for the report store: the in-memory twin and DynamoDB (moto over HTTP) pass the
same tests — a person reports a thing once, the reports of one thing are one queue item counted by
reason, the queue is the longest waiting first across kinds and pages on, a decision closes the
item once, a kept thing reported again is back in the queue, and a person's reports are counted
over a window."""
from __future__ import annotations

import pytest

from chalicelib.adapters.reports import InMemoryReportStore
from chalicelib.domain.reports import HIDDEN, KEPT, OPEN, Report
from tests.support.stack import own_tables

pytestmark = pytest.mark.integration

NOW = 1_800_000_000


@pytest.fixture
def tables(app_env):
    """The report tables of this test alone on the stack's moto (a prefix of their own)."""
    from chalicelib.adapters.tables.reports import ReportCaseRecord, ReportRecord

    with own_tables(app_env.settings(), ReportRecord, ReportCaseRecord, prefix="rp") as connection:
        yield connection


@pytest.fixture(params=["in-memory", "dynamodb"])
def reports(request):
    if request.param == "in-memory":
        return InMemoryReportStore()
    from chalicelib.adapters.reports import DynamoReportStore

    return DynamoReportStore(request.getfixturevalue("tables"))


def report(who: str, at: int, *, kind: str = "post", subject_id: str = "ada/p1", reason: str = "spam",
           note: str = "") -> Report:
    return Report(kind=kind, subject_id=subject_id, owner_id="ada", reporter_id=who, reason=reason, note=note,
                  created_at=at)


def test_a_person_reports_a_thing_once_and_its_reports_are_one_item_counted_by_reason(reports):
    assert reports.file(report("bob", NOW + 1, note="Ads everywhere"))
    assert not reports.file(report("bob", NOW + 2, reason="offensive"))  # the same person: refused, nothing counted
    assert reports.file(report("cy", NOW + 3, reason="offensive"))
    assert reports.file(report("dee", NOW + 4))
    case = reports.case("post", "ada/p1")
    assert (case.state, case.open_count, case.total, case.reasons, case.opened_at, case.last_at) == (
        OPEN, 3, 3, {"spam": 2, "offensive": 1}, NOW + 1, NOW + 4)
    assert [(r.reporter_id, r.reason, r.note) for r in reports.reports_of("post", "ada/p1")] == [
        ("dee", "spam", ""), ("cy", "offensive", ""), ("bob", "spam", "Ads everywhere")]
    assert reports.case("post", "ada/p2") is None and reports.reports_of("event", "e1") == []
    assert reports.reported("post", "ada/p1", "cy") and not reports.reported("post", "ada/p1", "eve")
    assert not reports.reported("post", "ada/p2", "cy")


def test_the_queue_is_the_longest_waiting_first_across_kinds_and_pages_on(reports):
    reports.file(report("bob", NOW + 5, kind="review", subject_id="c1", reason="fake"))
    reports.file(report("bob", NOW + 1, kind="product", subject_id="ada/lamp"))
    reports.file(report("cy", NOW + 3, kind="event", subject_id="e1"))
    reports.file(report("cy", NOW + 9, kind="product", subject_id="ada/lamp"))  # the same item, still first
    queue, _ = reports.open_cases(limit=10)
    assert [(c.kind, c.subject_id, c.open_count) for c in queue] == [
        ("product", "ada/lamp", 2), ("event", "e1", 1), ("review", "c1", 1)]
    first, after = reports.open_cases(limit=1)
    assert [c.kind for c in first] == ["product"] and after is not None
    rest, _ = reports.open_cases(limit=5, after=after)
    assert [c.kind for c in rest] == ["event", "review"]
    assert reports.open_count() == 3


def test_a_decision_closes_the_item_once_and_a_kept_thing_reported_again_is_back(reports):
    reports.file(report("bob", NOW + 1))
    reports.file(report("cy", NOW + 2, reason="offensive"))
    case = reports.case("post", "ada/p1")
    assert reports.decide(case, state=KEPT, decided_by="olga", decided_at=NOW + 10, note="Opinion")
    assert not reports.decide(case, state=HIDDEN, decided_by="olga", decided_at=NOW + 11, note="again")
    kept = reports.case("post", "ada/p1")
    assert (kept.state, kept.open_count, kept.reasons, kept.opened_at, kept.decided_by, kept.decided_at,
            kept.decision_note, kept.total) == (KEPT, 0, {}, None, "olga", NOW + 10, "Opinion", 2)
    assert reports.open_cases(limit=10)[0] == [] and reports.open_count() == 0
    assert not reports.file(report("bob", NOW + 20))  # still once per person, decided or not
    assert reports.file(report("dee", NOW + 30, reason="misleading"))
    again = reports.case("post", "ada/p1")
    assert (again.state, again.open_count, again.total, again.reasons, again.opened_at, again.decision_note) == (
        OPEN, 1, 3, {"misleading": 1}, NOW + 30, "Opinion")
    assert [c.subject_id for c in reports.open_cases(limit=10)[0]] == ["ada/p1"]
    assert reports.decide(again, state=HIDDEN, decided_by="olga", decided_at=NOW + 40, note="False claims")
    assert reports.case("post", "ada/p1").state == HIDDEN


def test_a_persons_reports_are_counted_over_a_window(reports):
    for n in range(4):
        reports.file(report("bob", NOW + n * 100, subject_id=f"ada/p{n}"))
    reports.file(report("cy", NOW + 50, subject_id="ada/p9"))
    assert reports.filed_since("bob", NOW - 1) == 4
    assert reports.filed_since("bob", NOW + 150) == 2
    assert reports.filed_since("cy", NOW) == 1 and reports.filed_since("nobody", 0) == 0


def test_a_persons_latest_reports_come_newest_first(reports):
    for n in range(3):
        reports.file(report("bob", NOW + n, subject_id=f"ada/p{n}", reason=("spam", "offensive", "other")[n]))
    reports.file(report("cy", NOW + 9, subject_id="ada/p0"))
    assert [(r.subject_id, r.reason) for r in reports.filed_by("bob", limit=2)] == [
        ("ada/p2", "other"), ("ada/p1", "offensive")]
    assert reports.filed_by("nobody") == []
