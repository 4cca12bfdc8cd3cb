"""Ops' watch with every adapter's in-memory twin: refund review reminders and free-session
flags are sent once however often (or however concurrently) the jobs run, a retried session
start counts once, weeks are ISO weeks in Pacific time, and ops' flag routes refuse everyone else."""
from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.accounts import InMemoryAccountStore
from chalicelib.adapters.mailer import InMemoryMailer
from chalicelib.adapters.ops_watch import InMemoryFreeSessionCounter, InMemoryOpsFlagStore
from chalicelib.adapters.refunds import InMemoryRefundRequestStore
from chalicelib.domain.accounts import Principal, Profile
from chalicelib.domain.calls import CallState
from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound
from chalicelib.domain.ops_watch import (
    FlagAlreadyClosed,
    FlagState,
    is_overdue,
    pacific_time,
    reminder_due,
    should_flag,
    week_id,
    weeks_to_watch,
)
from chalicelib.domain.payments import RefundRequest
from chalicelib.domain.refunds import RefundState, review_deadline
from chalicelib.services import ops_watch
from chalicelib.services.calls import act, start_call
from chalicelib.settings import Settings
from tests.support.twins import CALLER, HELPER, call_desk_twin

LA = ZoneInfo("America/Los_Angeles")
HOUR = 3600
SETTINGS = Settings(ops_email="ops@example.test")


def at(*fields) -> int:
    """Seconds since the epoch of a wall-clock time in Los Angeles."""
    return int(datetime(*fields, tzinfo=LA).timestamp())


def utc(*fields) -> int:
    return int(datetime(*fields, tzinfo=ZoneInfo("UTC")).timestamp())


NOW = at(2026, 12, 7, 9, 0)  # a Monday morning in Los Angeles


# -- weeks -----------------------------------------------------------------------------------

@pytest.mark.parametrize("instant, week", [
    (at(2026, 12, 7, 0, 0), "2026-W50"),  # Monday, midnight: the week starts
    (at(2026, 12, 6, 23, 59, 59), "2026-W49"),  # Sunday, the last second of the week before
    (at(2026, 12, 31, 12, 0), "2026-W53"),  # 2026 has 53 ISO weeks
    (at(2027, 1, 1, 12, 0), "2026-W53"),  # New Year's Day is still in 2026's last ISO week
    (at(2027, 1, 3, 23, 59, 59), "2026-W53"),
    (at(2027, 1, 4, 0, 0), "2027-W01"),
    (at(2025, 12, 29, 0, 0), "2026-W01"),  # and the other way: a December Monday in next year's week 1
])
def test_a_week_is_the_iso_week_in_los_angeles(instant, week):
    assert week_id(instant) == week


def test_the_week_turns_at_midnight_in_los_angeles_not_in_utc():
    # 2027-01-04 00:00 PST is 08:00 UTC: at 07:59 UTC it is still Sunday night in Los Angeles
    assert week_id(utc(2027, 1, 4, 7, 59, 59)) == "2026-W53"
    assert week_id(utc(2027, 1, 4, 8, 0)) == "2027-W01"


def test_the_week_turns_at_local_midnight_across_daylight_saving_changes():
    # Summer time starts Sunday 2026-03-08: the next Monday midnight is 07:00 UTC (PDT)
    assert week_id(utc(2026, 3, 9, 6, 59, 59)) == "2026-W10"
    assert week_id(utc(2026, 3, 9, 7, 0)) == "2026-W11"
    # and ends Sunday 2026-11-01 (that day has 25 hours): Monday midnight is 08:00 UTC (PST)
    assert week_id(utc(2026, 11, 2, 7, 59, 59)) == "2026-W44"
    assert week_id(utc(2026, 11, 2, 8, 0)) == "2026-W45"
    assert week_id(at(2026, 11, 1, 1, 30)) == "2026-W44"  # the hour that happens twice


def test_the_watch_looks_at_this_week_and_the_one_before_across_the_new_year():
    assert weeks_to_watch(at(2027, 1, 4, 0, 5)) == ("2027-W01", "2026-W53")
    assert weeks_to_watch(at(2026, 1, 1, 12, 0)) == ("2026-W01", "2025-W52")
    assert weeks_to_watch(NOW) == ("2026-W50", "2026-W49")


def test_week_ids_refuse_what_is_not_a_time():
    with pytest.raises(InvalidInput):
        week_id(1.5)
    with pytest.raises(InvalidInput):
        week_id(True)


@pytest.mark.parametrize("count, flagged", [(0, False), (24, False), (25, True), (26, True)])
def test_a_helper_is_flagged_from_the_threshold_on(count, flagged):
    assert should_flag(count, 25) is flagged


@pytest.mark.parametrize("threshold", [0, -1, True, 2.5])
def test_a_threshold_is_a_whole_number_of_one_or_more(threshold):
    with pytest.raises(InvalidInput):
        should_flag(3, threshold)


# -- refund review reminders ---------------------------------------------------------------

def refund(request_id=None, *, deadline, state=RefundState.OPEN, reminded_at=None, refund_cents=23_64):
    return RefundRequest(request_id=request_id or uuid.uuid4().hex, payment_id="pay", payer_id="caller-1",
                         helper_id="helper-1", paid_cents=25_00, refund_cents=refund_cents, currency="USD",
                         reason="The helper never showed up.", state=state, requested_at=deadline - 10 * 24 * HOUR,
                         deadline=deadline, reminded_at=reminded_at)


@pytest.fixture
def refunds():
    return InMemoryRefundRequestStore()


def remind(refunds, mailer, now=NOW, settings=SETTINGS):
    return ops_watch.remind_refund_deadlines(refunds=refunds, mailer=mailer, settings=settings, now=now)


def test_a_reminder_is_due_from_the_given_hours_before_the_deadline():
    request = refund(deadline=NOW + 48 * HOUR)
    assert reminder_due(request, NOW, 48)
    assert not reminder_due(request, NOW - 1, 48)
    assert reminder_due(request, NOW + 100 * HOUR, 48)  # overdue and never reminded
    assert not reminder_due(request.with_changes(reminded_at=NOW - HOUR), NOW, 48)
    assert not reminder_due(request.with_changes(state=RefundState.DENIED), NOW, 48)
    assert not is_overdue(request, NOW) and is_overdue(request, NOW + 48 * HOUR)


def test_ops_is_reminded_once_of_each_review_nearing_its_deadline(refunds):
    mailer = InMemoryMailer()
    soon = refund("soon", deadline=NOW + 47 * HOUR)
    edge = refund("edge", deadline=NOW + 48 * HOUR)
    later = refund("later", deadline=NOW + 48 * HOUR + 1)
    for request in (soon, edge, later):
        refunds.create(request)

    assert remind(refunds, mailer) == ["soon", "edge"]
    assert remind(refunds, mailer) == []  # the second run sends nothing
    assert [e.subject for e in mailer.sent] == ["Refund review due soon: soon", "Refund review due soon: edge"]
    assert all(e.to == "ops@example.test" for e in mailer.sent)
    assert refunds.get("soon").reminded_at == NOW and refunds.get("later").reminded_at is None

    assert remind(refunds, mailer, now=NOW + 1) == ["later"]  # its turn comes a second later


def test_the_reminder_names_the_request_the_amount_and_the_deadline_in_pacific_time(refunds):
    mailer = InMemoryMailer()
    deadline = review_deadline(at(2026, 11, 25, 10, 0))  # 7 business days, Thanksgiving skipped
    refunds.create(refund("pay-42", deadline=deadline, refund_cents=23_64))
    remind(refunds, mailer, now=deadline - 24 * HOUR)
    text = mailer.sent[0].text
    assert "pay-42" in text and "$23.64" in text
    assert "Deadline: end of Mon Dec 07, 2026 (PST)" in text


def test_times_for_ops_read_in_pacific_time_and_midnight_as_the_end_of_the_day_before():
    assert pacific_time(at(2026, 12, 8, 0, 0)) == "end of Mon Dec 07, 2026 (PST)"
    assert pacific_time(at(2026, 7, 1, 0, 0)) == "end of Tue Jun 30, 2026 (PDT)"
    assert pacific_time(utc(2026, 12, 11, 18, 30)) == "Fri Dec 11, 2026 10:30 AM PST"


def test_a_review_past_its_deadline_and_never_reminded_is_reminded_once_as_overdue(refunds):
    mailer = InMemoryMailer()
    refunds.create(refund("late", deadline=NOW - HOUR))
    assert remind(refunds, mailer) == ["late"]
    assert remind(refunds, mailer, now=NOW + 24 * HOUR) == []
    assert [e.subject for e in mailer.sent] == ["Refund review overdue: late"]
    assert "(passed)" in mailer.sent[0].text


def test_decided_requests_are_not_reminded(refunds):
    mailer = InMemoryMailer()
    request = refund("decided", deadline=NOW + HOUR)
    refunds.create(request)
    refunds.transition(request.with_changes(state=RefundState.DENIED, decided_at=NOW), expected=[RefundState.OPEN])
    assert remind(refunds, mailer) == [] and mailer.sent == []
    assert refunds.mark_reminded("decided", NOW) is False
    assert refunds.mark_reminded("unknown", NOW) is False


def test_the_reminder_hours_are_a_setting(refunds):
    mailer = InMemoryMailer()
    refunds.create(refund("in-3-days", deadline=NOW + 72 * HOUR))
    assert remind(refunds, mailer) == []
    assert remind(refunds, mailer, settings=Settings(refund_reminder_hours=72)) == ["in-3-days"]


def test_concurrent_reminder_runs_send_one_email_per_request(refunds):
    mailer = InMemoryMailer()
    for n in range(20):
        refunds.create(refund(f"r{n}", deadline=NOW + (n + 1) * HOUR))
    start = threading.Barrier(8)
    results: list[list[str]] = []

    def run():
        start.wait()
        results.append(remind(refunds, mailer))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r for result in results for r in result) == sorted(f"r{n}" for n in range(20))
    assert sorted(e.subject for e in mailer.sent) == sorted(f"Refund review due soon: r{n}" for n in range(20))


class FailingMailer(InMemoryMailer):
    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def send(self, email):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("SES is unreachable")
        super().send(email)


def test_a_reminder_that_could_not_be_sent_is_sent_by_the_next_run(refunds):
    mailer = FailingMailer(failures=1)
    refunds.create(refund("r1", deadline=NOW + HOUR))
    with pytest.raises(ConnectionError):
        remind(refunds, mailer)
    assert refunds.get("r1").reminded_at is None
    assert remind(refunds, mailer, now=NOW + 60) == ["r1"]
    assert len(mailer.sent) == 1
    assert refunds.clear_reminded("r1", NOW) is False  # only the claim of that very run is taken back


# -- counting free sessions ------------------------------------------------------------------



@pytest.fixture
def counts():
    return InMemoryFreeSessionCounter()


def call_desk(free_sessions):
    return call_desk_twin(now=NOW, free_sessions=free_sessions)


def agree(desk, *, price_cents, minutes=15, now=NOW):
    call = start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk, now=now)
    step = dict(call_id=call.call_id, desk=desk, now=now)
    act(action="answer", user_id=HELPER, connection_id="c-helper", message={}, **step)
    terms = {"price_cents": price_cents, "minutes": minutes}
    act(action="propose", user_id=HELPER, connection_id="c-helper", message=terms, **step)
    return act(action="accept", user_id=CALLER, connection_id="c-caller", message=terms, **step)


def test_a_free_session_counts_in_the_helpers_week(counts):
    desk = call_desk(counts)
    call = agree(desk, price_cents=0)
    assert call.state is CallState.IN_SESSION
    assert counts.count("2026-W50", HELPER) == 1
    act(action="end", user_id=CALLER, connection_id="c-caller", message={}, call_id=call.call_id, desk=desk,
        now=NOW + 60)
    agree(desk, price_cents=0, now=NOW + 120)
    assert counts.count("2026-W50", HELPER) == 2


def test_a_retried_start_of_the_same_call_counts_once(counts):
    assert ops_watch.record_free_session(helper_id=HELPER, call_id="call-1", now=NOW, counts=counts) is True
    assert ops_watch.record_free_session(helper_id=HELPER, call_id="call-1", now=NOW + 5, counts=counts) is False
    assert counts.count("2026-W50", HELPER) == 1


def test_concurrent_starts_of_the_same_call_count_once(counts):
    start = threading.Barrier(8)

    def run():
        start.wait()
        ops_watch.record_free_session(helper_id=HELPER, call_id="call-1", now=NOW, counts=counts)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counts.count("2026-W50", HELPER) == 1


def test_a_free_extension_of_a_counted_call_is_not_counted_again(counts):
    desk = call_desk(counts)
    call = agree(desk, price_cents=0, minutes=5)
    after = NOW + 5 * 60  # the free time is up: the call negotiates an extension
    step = dict(call_id=call.call_id, desk=desk, now=after)
    terms = {"price_cents": 0, "minutes": 5}
    act(action="propose", user_id=HELPER, connection_id="c-helper", message=terms, **step)
    extended = act(action="accept", user_id=CALLER, connection_id="c-caller", message=terms, **step)
    assert extended.state is CallState.IN_SESSION and extended.minutes_used == 10
    assert counts.count("2026-W50", HELPER) == 1


def test_paid_sessions_are_not_counted(counts):
    from chalicelib.domain.payments import Storefront

    desk = call_desk(counts)
    desk.storefronts.save(Storefront(user_id=HELPER, paypal_email="ada@paypal.test", name="Ada", created_at=NOW,
                                       updated_at=NOW))
    call = agree(desk, price_cents=25_00)
    assert call.state is CallState.AWAITING_PAYMENT
    assert counts.at_least("2026-W50", 1) == []


def test_a_call_desk_without_a_counter_still_starts_free_sessions():
    call = agree(call_desk(None), price_cents=0)
    assert call.state is CallState.IN_SESSION


class BrokenCounter:
    def record(self, **_):
        raise ConnectionError("DynamoDB is unreachable")


def test_a_failing_counter_does_not_stop_the_session():
    call = agree(call_desk(BrokenCounter()), price_cents=0)
    assert call.state is CallState.IN_SESSION


# -- flagging free-session hosts -------------------------------------------------------------

@pytest.fixture
def flags():
    return InMemoryOpsFlagStore()


def host(counts, helper_id, sessions, *, now=NOW):
    for _ in range(sessions):
        ops_watch.record_free_session(helper_id=helper_id, call_id=uuid.uuid4().hex, now=now, counts=counts)


def flag(counts, flags, mailer, now=NOW, settings=SETTINGS):
    raised = ops_watch.flag_free_session_hosts(counts=counts, flags=flags, mailer=mailer, settings=settings,
                                               now=now)
    return [f.flag_id for f in raised]


def test_helpers_at_the_threshold_are_flagged_once_and_ops_told_once(counts, flags):
    mailer = InMemoryMailer()
    host(counts, "busy", 25)
    host(counts, "almost", 24)
    assert flag(counts, flags, mailer) == ["free_sessions:busy:2026-W50"]
    assert flag(counts, flags, mailer) == []
    host(counts, "busy", 10)
    assert flag(counts, flags, mailer, now=NOW + HOUR) == []  # still one flag for that week
    assert len(mailer.sent) == 1 and mailer.sent[0].to == "ops@example.test"
    assert "busy" in mailer.sent[0].subject and "25 free sessions in 2026-W50" in mailer.sent[0].text
    stored = flags.get("free_sessions:busy:2026-W50")
    assert stored.state is FlagState.OPEN and stored.helper_id == "busy" and stored.flagged_at == NOW


def test_the_threshold_is_a_setting(counts, flags):
    host(counts, "some", 3)
    assert flag(counts, flags, InMemoryMailer(), settings=Settings(free_sessions_flag_per_week=3)) == [
        "free_sessions:some:2026-W50"]


def test_last_weeks_hosts_are_still_flagged_after_the_week_turns(counts, flags):
    mailer = InMemoryMailer()
    host(counts, "sunday", 25, now=at(2027, 1, 3, 23, 0))  # the last hour of 2026-W53
    monday = at(2027, 1, 4, 0, 30)
    assert flag(counts, flags, mailer, now=monday) == ["free_sessions:sunday:2026-W53"]
    host(counts, "sunday", 25, now=monday)  # and again in the new week: a new flag
    assert flag(counts, flags, mailer, now=monday + HOUR) == ["free_sessions:sunday:2027-W01"]
    assert len(mailer.sent) == 2


def test_weeks_long_gone_are_not_looked_at(counts, flags):
    host(counts, "old", 30, now=NOW - 14 * 24 * HOUR)
    assert flag(counts, flags, InMemoryMailer()) == []


def test_concurrent_flag_runs_raise_one_flag_and_send_one_email(counts, flags):
    mailer = InMemoryMailer()
    for helper in ("a", "b", "c"):
        host(counts, helper, 30)
    start = threading.Barrier(6)
    results: list[list[str]] = []

    def run():
        start.wait()
        results.append(flag(counts, flags, mailer))

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(f for result in results for f in result) == [f"free_sessions:{h}:2026-W50" for h in "abc"]
    assert len(mailer.sent) == 3


def test_a_flag_whose_email_failed_is_raised_and_sent_by_the_next_run(counts, flags):
    mailer = FailingMailer(failures=1)
    host(counts, "busy", 25)
    with pytest.raises(ConnectionError):
        flag(counts, flags, mailer)
    assert flags.get("free_sessions:busy:2026-W50") is None
    assert flag(counts, flags, mailer, now=NOW + HOUR) == ["free_sessions:busy:2026-W50"]
    assert len(mailer.sent) == 1


# -- ops' flags: services ------------------------------------------------------------------

def raised(counts, flags, *helpers_and_times):
    for helper, now in helpers_and_times:
        host(counts, helper, 25, now=now)
        flag(counts, flags, InMemoryMailer(), now=now)


def test_only_ops_sees_and_closes_flags(counts, flags):
    raised(counts, flags, ("busy", NOW))
    with pytest.raises(Forbidden):
        ops_watch.open_flags(is_ops=False, flags=flags)
    with pytest.raises(Forbidden):
        ops_watch.close_flag(flag_id="free_sessions:busy:2026-W50", ops_id="u", is_ops=False, note="Looked.",
                             flags=flags, now=NOW)


def test_open_flags_are_newest_first_and_a_closed_flag_leaves_the_queue(counts, flags):
    raised(counts, flags, ("first", NOW), ("second", NOW + HOUR))
    assert [f.helper_id for f in ops_watch.open_flags(is_ops=True, flags=flags)] == ["second", "first"]
    closed = ops_watch.close_flag(flag_id="free_sessions:first:2026-W50", ops_id="ops-1", is_ops=True,
                                  note="  Tutoring their own class; fine.  ", flags=flags, now=NOW + 2 * HOUR)
    assert closed.state is FlagState.CLOSED and closed.note == "Tutoring their own class; fine."
    assert closed.closed_by == "ops-1" and closed.closed_at == NOW + 2 * HOUR
    assert flags.get(closed.flag_id) == closed
    assert [f.helper_id for f in ops_watch.open_flags(is_ops=True, flags=flags)] == ["second"]


def test_a_flag_is_closed_once(counts, flags):
    raised(counts, flags, ("busy", NOW))
    close = dict(flag_id="free_sessions:busy:2026-W50", ops_id="ops-1", is_ops=True, flags=flags, now=NOW)
    ops_watch.close_flag(note="Warned them.", **close)
    with pytest.raises(FlagAlreadyClosed):
        ops_watch.close_flag(note="Again.", **close)
    assert flags.close("free_sessions:busy:2026-W50", at=NOW, by="ops-2", note="x") is False
    assert flags.get("free_sessions:busy:2026-W50").note == "Warned them."


def test_closing_an_unknown_flag_or_without_a_note_is_refused(flags):
    with pytest.raises(NotFound):
        ops_watch.close_flag(flag_id="nope", ops_id="ops-1", is_ops=True, note="Looked.", flags=flags, now=NOW)
    with pytest.raises(InvalidInput):
        ops_watch.close_flag(flag_id="nope", ops_id="ops-1", is_ops=True, note="   ", flags=flags, now=NOW)
    with pytest.raises(InvalidInput):
        ops_watch.close_flag(flag_id="nope", ops_id="ops-1", is_ops=True, note=None, flags=flags, now=NOW)


# -- ops' flags: the routes ------------------------------------------------------------------

@pytest.fixture(scope="module")
def ops_app():
    """The whole Chalice app (a blueprint answers for one app only), with its token verifier, the
    sign-outs on record and the ops flags store swapped for twins; two signed-in callers."""
    from chalicelib import deps
    from chalicelib.adapters.revocations import InMemoryRevocationStore
    from chalicelib.adapters.tokens import InMemoryTokenVerifier

    verifier = InMemoryTokenVerifier()
    verifier.issue("ops-token", Principal(user_id="ops-1", groups=("ops",)))
    verifier.issue("user-token", Principal(user_id="user-1"))
    current = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(deps, "settings", lambda: Settings())
        patch.setattr(deps, "token_verifier", lambda: verifier)
        revocations = InMemoryRevocationStore()
        patch.setattr(deps, "revocations", lambda: revocations)
        patch.setattr(deps, "ops_flags", lambda: current["flags"], raising=False)
        from chalicelib.adapters.audit import InMemoryAuditLog

        current["audit"] = InMemoryAuditLog()
        patch.setattr(deps, "audit_log", lambda: current["audit"])
        accounts = InMemoryAccountStore()
        accounts.create(Profile(user_id="second", email="second@example.com", username="second_helper",
                                display_name="Second", created_at="2026-01-01T00:00:00Z"))
        patch.setattr(deps, "account_store", lambda: accounts)
        import app as chalice_app

        yield chalice_app.app, current


@pytest.fixture
def ops_api(ops_app, counts, flags):
    from chalice.test import Client

    app, current = ops_app
    current["flags"] = flags
    raised(counts, flags, ("first", NOW), ("second", NOW + HOUR))
    with Client(app) as client:
        yield client


def call(client, method, path, token, body=None):
    response = getattr(client.http, method)(path, headers={"Authorization": f"Bearer {token}",
                                                           "Content-Type": "application/json"},
                                            body=None if body is None else json.dumps(body))
    return response.status_code, response.json_body


def test_ops_lists_open_flags_newest_first(ops_api):
    status, body = call(ops_api, "get", "/ops/flags", "ops-token")
    assert status == 200
    assert [f["helper_id"] for f in body["flags"]] == ["second", "first"]
    assert body["flags"][0]["flag_id"] == "free_sessions:second:2026-W50" and body["flags"][0]["state"] == "open"
    assert [f["username"] for f in body["flags"]] == ["second_helper", None]  # None: no such account


def test_ops_closes_a_flag_once_with_a_note(ops_app, ops_api):
    path = "/ops/flags/free_sessions:first:2026-W50/close"
    status, body = call(ops_api, "post", path, "ops-token", {"note": "A teacher; fine."})
    assert status == 200 and body["state"] == "closed" and body["note"] == "A teacher; fine."
    assert body["closed_by"] == "ops-1"
    [entry] = ops_app[1]["audit"].for_subject("flag:free_sessions:first:2026-W50")  # in the audit log, once
    assert (entry.action, entry.ops_id, entry.reason) == ("close_flag", "ops-1", "A teacher; fine.")
    encoded = "/ops/flags/free_sessions%3Afirst%3A2026-W50/close"  # encodeURIComponent's colons
    status, body = call(ops_api, "post", encoded, "ops-token", {"note": "Again."})
    assert status == 409 and body["error"]["code"] == "flag_already_closed"
    _, listed = call(ops_api, "get", "/ops/flags", "ops-token")
    assert [f["helper_id"] for f in listed["flags"]] == ["second"]


def test_the_flag_routes_refuse_others_unknown_flags_and_bad_bodies(ops_api):
    assert call(ops_api, "get", "/ops/flags", "user-token")[0] == 403
    path = "/ops/flags/free_sessions:first:2026-W50/close"
    assert call(ops_api, "post", path, "user-token", {"note": "Mine now."})[0] == 403
    assert call(ops_api, "post", "/ops/flags/nope/close", "ops-token", {"note": "Looked."})[0] == 404
    status, body = call(ops_api, "post", path, "ops-token", {"note": ""})
    assert status == 400 and body["error"]["field"] == "note"
    assert call(ops_api, "post", path, "ops-token", ["note"])[0] == 400
    assert call(ops_api, "get", "/ops/flags", "forged-token")[0] in (401, 403)


# -- the scheduled jobs' entry points ------------------------------------------------------

def test_the_job_entry_points_take_their_stores_from_deps(monkeypatch, counts, flags, refunds):
    from chalicelib import deps
    from chalicelib.api import ops

    mailer = InMemoryMailer()
    for name, built in (("settings", lambda: SETTINGS), ("mailer", lambda: mailer),
                        ("refund_requests", lambda: refunds), ("free_sessions", lambda: counts),
                        ("ops_flags", lambda: flags)):
        monkeypatch.setattr(deps, name, built, raising=False)
    monkeypatch.setattr(ops, "now_seconds", lambda: NOW)
    refunds.create(refund("soon", deadline=NOW + HOUR))
    host(counts, "busy", 25)

    assert ops.remind_refund_deadlines() == ["soon"]
    assert ops.flag_free_session_hosts() == ["free_sessions:busy:2026-W50"]
    assert (ops.remind_refund_deadlines(), ops.flag_free_session_hosts()) == ([], [])
    assert len(mailer.sent) == 2
