"""Contract tests: ops' watch stores, in memory and on DynamoDB (moto over HTTP), pass the same
tests — free sessions counted once per call (even at once), a week's heavy hosts found by a Query,
flags raised once and closed once, refund reminders claimed once — and the two jobs, run twice
and at once against either, send one email per request or flag."""
import threading
import uuid

import pytest

from chalicelib.adapters.mailer import InMemoryMailer
from chalicelib.adapters.ops_watch import (
    DynamoFreeSessionCounter,
    DynamoOpsFlagStore,
    InMemoryFreeSessionCounter,
    InMemoryOpsFlagStore,
)
from chalicelib.adapters.refunds import InMemoryRefundRequestStore
from chalicelib.domain.ops_watch import FlagState, OpsFlag, week_id
from chalicelib.domain.payments import RefundRequest
from chalicelib.domain.refunds import RefundState
from chalicelib.services import ops_watch
from chalicelib.settings import Settings

pytestmark = pytest.mark.integration
# Long ago, so that requests and counts other tests leave in the shared tables never fall in the
# jobs' windows here (each test still looks only at its own ids).
NOW = 1_000_000_000  # Sat Sep 08, 2001, 6:46 PM PDT
WEEK = week_id(NOW)
HOUR = 3600
SETTINGS = Settings(ops_email="ops@example.test")


def unique(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def dynamo_tables(request):
    from chalicelib.adapters.tables import bind_tables

    bind_tables(request.getfixturevalue("app_env").settings())


@pytest.fixture(params=["in-memory", "dynamodb"])
def counts(request):
    if request.param == "in-memory":
        return InMemoryFreeSessionCounter()
    dynamo_tables(request)
    return DynamoFreeSessionCounter()


@pytest.fixture(params=["in-memory", "dynamodb"])
def flags(request):
    if request.param == "in-memory":
        return InMemoryOpsFlagStore()
    dynamo_tables(request)
    return DynamoOpsFlagStore()


@pytest.fixture(params=["in-memory", "dynamodb"])
def refunds(request):
    if request.param == "in-memory":
        return InMemoryRefundRequestStore()
    return request.getfixturevalue("app_env").refund_requests()


def at_once(count, work):
    """Runs `work()` on `count` threads released together; returns what each returned."""
    start, results = threading.Barrier(count), []

    def run():
        start.wait()
        results.append(work())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# -- free-session counts -----------------------------------------------------------------------

def test_a_call_is_counted_once_in_its_week(counts):
    helper = unique("h")
    record = dict(week=WEEK, helper_id=helper, expires_at=NOW + 60 * 24 * HOUR)
    assert counts.count(WEEK, helper) == 0
    assert counts.record(call_id="call-1", **record) is True
    assert counts.record(call_id="call-1", **record) is False  # a retried start
    assert counts.record(call_id="call-2", **record) is True
    assert counts.count(WEEK, helper) == 2
    assert counts.count("2001-W37", helper) == 0 and WEEK == "2001-W36"


def test_concurrent_records_of_one_call_count_once_and_of_many_calls_count_each(counts):
    helper = unique("h")
    record = dict(week=WEEK, helper_id=helper, expires_at=NOW)
    assert sorted(at_once(6, lambda: counts.record(call_id="same", **record))) == [False] * 5 + [True]
    calls = iter(range(8))
    lock = threading.Lock()

    def another():
        with lock:
            n = next(calls)
        return counts.record(call_id=f"call-{n}", **record)

    assert at_once(8, another) == [True] * 8
    assert counts.count(WEEK, helper) == 9


def test_heavy_hosts_of_a_week_are_found_from_the_threshold_on(counts):
    week = f"test-{uuid.uuid4().hex[:8]}"  # a partition of this test's own
    for helper, sessions in (("a-24", 24), ("b-25", 25), ("c-26", 26)):
        for n in range(sessions):
            counts.record(week=week, helper_id=helper, call_id=f"{helper}-{n}", expires_at=NOW)
    assert counts.at_least(week, 25) == [("b-25", 25), ("c-26", 26)]
    assert counts.at_least(week, 27) == []
    assert counts.at_least(f"{week}-other", 1) == []


# -- flags -------------------------------------------------------------------------------------

def a_flag(helper, flagged_at=NOW):
    return OpsFlag(flag_id=f"free_sessions:{helper}:{WEEK}", helper_id=helper, reason="free_sessions",
                   detail="Hosted 25 free sessions.", flagged_at=flagged_at)


def mine(store, helpers):
    return [f.helper_id for f in store.open_flags(limit=1000) if f.helper_id in helpers]


def test_a_flag_is_raised_once_and_read_back(flags):
    flag = a_flag(unique("h"))
    assert flags.get(flag.flag_id) is None
    assert flags.raise_once(flag) is True
    assert flags.raise_once(flag) is False
    assert flags.get(flag.flag_id) == flag


def test_concurrent_raises_of_one_flag_succeed_once(flags):
    flag = a_flag(unique("h"))
    assert sorted(at_once(6, lambda: flags.raise_once(flag))) == [False] * 5 + [True]


def test_open_flags_are_newest_first_and_a_flag_is_closed_once(flags):
    older, newer = a_flag(unique("h"), NOW), a_flag(unique("h"), NOW + 1)
    flags.raise_once(older)
    flags.raise_once(newer)
    helpers = {older.helper_id, newer.helper_id}
    assert mine(flags, helpers) == [newer.helper_id, older.helper_id]

    assert flags.close(older.flag_id, at=NOW + 5, by="ops-1", note="Fine.") is True
    assert flags.close(older.flag_id, at=NOW + 6, by="ops-2", note="Again.") is False
    assert flags.get(older.flag_id) == older.closed(at=NOW + 5, by="ops-1", note="Fine.")
    assert flags.get(older.flag_id).state is FlagState.CLOSED
    assert mine(flags, helpers) == [newer.helper_id]
    assert flags.close(unique("nope"), at=NOW, by="ops-1", note="x") is False


def test_concurrent_closes_succeed_once(flags):
    flag = a_flag(unique("h"))
    flags.raise_once(flag)
    assert sorted(at_once(6, lambda: flags.close(flag.flag_id, at=NOW, by="ops", note="Done."))) == \
        [False] * 5 + [True]


def test_only_the_run_that_raised_an_open_flag_withdraws_it(flags):
    flag = a_flag(unique("h"))
    flags.raise_once(flag)
    assert flags.withdraw(a_flag(flag.helper_id, NOW + 1)) is False  # another run's
    assert flags.withdraw(flag) is True and flags.get(flag.flag_id) is None
    flags.raise_once(flag)
    flags.close(flag.flag_id, at=NOW, by="ops-1", note="Looked.")
    assert flags.withdraw(flag) is False and flags.get(flag.flag_id).state is FlagState.CLOSED


# -- refund reminders --------------------------------------------------------------------------

def a_request(deadline, state=RefundState.OPEN):
    request_id = unique("req-")
    return RefundRequest(request_id=request_id, payment_id=request_id, payer_id="caller-1",
                         helper_id="helper-1", paid_cents=25_00, refund_cents=23_64, currency="USD",
                         reason="The helper never showed up.", state=state, requested_at=deadline - 240 * HOUR,
                         deadline=deadline)


def awaiting(refunds, until, ids):
    return [r.request_id for r in refunds.awaiting_reminder(until, limit=1000) if r.request_id in ids]


def test_reviews_awaiting_a_reminder_are_open_unreminded_and_due_earliest_first(refunds):
    later, sooner, far = a_request(NOW + 2 * HOUR), a_request(NOW + HOUR), a_request(NOW + 100 * HOUR)
    decided = a_request(NOW)
    for request in (later, sooner, far, decided):
        refunds.create(request)
    refunds.transition(decided.with_changes(state=RefundState.DENIED), expected=[RefundState.OPEN])
    ids = {r.request_id for r in (later, sooner, far, decided)}
    assert awaiting(refunds, NOW + 48 * HOUR, ids) == [sooner.request_id, later.request_id]

    assert refunds.mark_reminded(sooner.request_id, NOW) is True
    assert refunds.get(sooner.request_id).reminded_at == NOW
    assert awaiting(refunds, NOW + 48 * HOUR, ids) == [later.request_id]
    assert [r.request_id for r in refunds.queue(limit=1000) if r.request_id in ids] == [
        sooner.request_id, later.request_id, far.request_id]  # still open, still in ops' queue


def test_a_reminder_is_claimed_once_and_never_for_a_decided_or_unknown_request(refunds):
    request, decided = a_request(NOW), a_request(NOW)
    refunds.create(request)
    refunds.create(decided)
    refunds.transition(decided.with_changes(state=RefundState.DENIED), expected=[RefundState.OPEN])
    assert sorted(at_once(6, lambda: refunds.mark_reminded(request.request_id, NOW))) == [False] * 5 + [True]
    assert refunds.mark_reminded(decided.request_id, NOW) is False
    assert refunds.get(decided.request_id).reminded_at is None
    assert refunds.mark_reminded(unique("nope"), NOW) is False
    assert refunds.get(request.request_id).state is RefundState.OPEN


def test_a_change_read_before_the_reminder_keeps_the_reminder(refunds):
    request = a_request(NOW)
    refunds.create(request)
    read_before = refunds.get(request.request_id)
    assert refunds.mark_reminded(request.request_id, NOW) is True
    with_statement = read_before.with_changes(statement="I was there for the whole session.")
    assert refunds.transition(with_statement, expected=[RefundState.OPEN]) is True
    stored = refunds.get(request.request_id)
    assert (stored.statement, stored.reminded_at) == ("I was there for the whole session.", NOW)
    assert refunds.transition(read_before.with_changes(state=RefundState.DENIED), expected=[RefundState.APPROVED]) \
        is False


def test_a_claim_is_taken_back_only_by_its_own_run(refunds):
    request = a_request(NOW)
    refunds.create(request)
    refunds.mark_reminded(request.request_id, NOW)
    assert refunds.clear_reminded(request.request_id, NOW + 1) is False
    assert refunds.clear_reminded(request.request_id, NOW) is True
    assert refunds.get(request.request_id).reminded_at is None
    assert refunds.mark_reminded(request.request_id, NOW + 2) is True


# -- the jobs, on either store -----------------------------------------------------------------

def test_reminder_runs_twice_and_at_once_send_one_email_per_request(refunds):
    requests = [a_request(NOW + n * HOUR) for n in (-1, 1, 2, 47)] + [a_request(NOW + 49 * HOUR)]
    for request in requests:
        refunds.create(request)
    ids = {r.request_id for r in requests}
    mailer = InMemoryMailer()

    def run():
        return ops_watch.remind_refund_deadlines(refunds=refunds, mailer=mailer, settings=SETTINGS, now=NOW)

    reminded = [r for result in at_once(4, run) + [run()] for r in result if r in ids]
    assert sorted(reminded) == sorted(r.request_id for r in requests[:4])
    mine_sent = [e.subject for e in mailer.sent if e.subject.rsplit(" ", 1)[-1] in ids]
    assert sorted(mine_sent) == sorted([f"Refund review overdue: {requests[0].request_id}"] +
                                       [f"Refund review due soon: {r.request_id}" for r in requests[1:4]])


def test_flag_runs_twice_and_at_once_raise_one_flag_and_send_one_email(counts, flags):
    heavy, light = unique("heavy-"), unique("light-")
    for helper, sessions in ((heavy, 25), (light, 24)):
        for n in range(sessions):
            ops_watch.record_free_session(helper_id=helper, call_id=f"{helper}-{n}", now=NOW, counts=counts)
    mailer = InMemoryMailer()

    def run():
        return ops_watch.flag_free_session_hosts(counts=counts, flags=flags, mailer=mailer, settings=SETTINGS,
                                                 now=NOW + HOUR)

    raised = [f.flag_id for result in at_once(4, run) + [run()] for f in result
              if f.helper_id in (heavy, light)]
    assert raised == [f"free_sessions:{heavy}:{WEEK}"]
    assert [e.subject for e in mailer.sent if heavy in e.subject or light in e.subject] == [
        f"Helper flagged: {heavy} hosts many free sessions"]
    assert mine(flags, {heavy, light}) == [heavy]
