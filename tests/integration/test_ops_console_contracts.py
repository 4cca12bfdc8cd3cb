"""Contract tests for the per-person reads the ops console added to existing stores: the twin and
DynamoDB (moto over HTTP) agree — a person's calls as Helper and as caller (newest first, others'
left out), every flag about a Helper (open and closed), and the reports a person filed and those of
what they publish, each one Query of an index."""
from __future__ import annotations

import pytest

from chalicelib.adapters.calls import InMemoryCallStore
from chalicelib.adapters.ops_watch import InMemoryOpsFlagStore
from chalicelib.adapters.reports import InMemoryReportStore
from chalicelib.domain import calls as rules
from chalicelib.domain.ops_watch import OpsFlag
from chalicelib.domain.plans import UPGRADED
from chalicelib.domain.reports import Report
from tests.support.stack import own_tables

pytestmark = pytest.mark.integration


@pytest.fixture
def tables(app_env):
    """The console's tables of this test alone on the stack's moto (a prefix of its own)."""
    from chalicelib.adapters.tables.calls import CallRecord, CallSlotRecord, OpsFlagRecord
    from chalicelib.adapters.tables.reports import ReportCaseRecord, ReportRecord

    with own_tables(app_env.settings(), CallRecord, CallSlotRecord, OpsFlagRecord, ReportRecord, ReportCaseRecord,
                    prefix="oc") as connection:
        yield connection


@pytest.fixture(params=["twin", "dynamo"])
def stores(request):
    if request.param == "twin":
        return InMemoryCallStore(), InMemoryOpsFlagStore(), InMemoryReportStore()
    from chalicelib.adapters.calls import DynamoCallStore
    from chalicelib.adapters.ops_watch import DynamoOpsFlagStore
    from chalicelib.adapters.reports import DynamoReportStore

    connection = request.getfixturevalue("tables")
    return DynamoCallStore(connection), DynamoOpsFlagStore(), DynamoReportStore(connection)


def test_a_persons_calls_are_theirs_as_helper_and_as_caller_newest_first(stores):
    calls = stores[0]
    for n, (caller, helper) in enumerate([("bob", "ada"), ("ada", "cy"), ("bob", "cy"), ("cy", "ada")]):
        calls.create(rules.ring(call_id=f"call-{n}", caller_id=caller, helper_id=helper, caller_connection="c",
                                plan=UPGRADED, now=1_800_000_000 + n), None)
    assert [c.call_id for c in calls.recent_for("ada")] == ["call-3", "call-1", "call-0"]
    assert [c.call_id for c in calls.recent_for("ada", limit=2)] == ["call-3", "call-1"]
    assert calls.recent_for("nobody") == []


def test_every_flag_about_a_helper_is_found_open_or_closed(stores):
    flags = stores[1]
    for n, helper in enumerate(["ada", "ada", "bob"]):
        flags.raise_once(OpsFlag(flag_id=f"free_sessions:{helper}:2026-W{n:02d}", helper_id=helper,
                                 reason="free_sessions", detail=f"{25 + n} free sessions",
                                 flagged_at=1_800_000_000 + n))
    assert flags.close("free_sessions:ada:2026-W00", at=1_800_000_100, by="ops-1", note="A charity week.")
    found = flags.for_helper("ada")
    assert [(f.flag_id, f.state.value) for f in found] == [("free_sessions:ada:2026-W01", "open"),
                                                           ("free_sessions:ada:2026-W00", "closed")]
    assert flags.for_helper("nobody") == []


def test_reports_a_person_filed_and_of_what_they_publish(stores):
    reports = stores[2]
    filed = [Report(kind="review", subject_id="r1", owner_id="ada", reporter_id="bob", reason="spam", note="",
                    created_at=1_800_000_000),
             Report(kind="post", subject_id="p1", owner_id="ada", reporter_id="cy", reason="spam", note="Ads",
                    created_at=1_800_000_005),
             Report(kind="product", subject_id="x1", owner_id="cy", reporter_id="bob", reason="spam", note="",
                    created_at=1_800_000_010)]
    for report in filed:
        assert reports.file(report)
    assert [(r.kind, r.subject_id) for r in reports.filed_by("bob")] == [("product", "x1"), ("review", "r1")]
    assert [(r.reporter_id, r.subject_id) for r in reports.about_owner("ada")] == [("cy", "p1"), ("bob", "r1")]
    assert reports.about_owner("ada", limit=1)[0].note == "Ads"
    assert reports.filed_by("ada") == [] and reports.about_owner("bob") == []
