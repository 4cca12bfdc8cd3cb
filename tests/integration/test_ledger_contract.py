"""Contract tests: the in-memory ledger and the DynamoDB ledger (moto over HTTP) pass the same
tests — idempotent atomic posting, balances, statements newest first with paging, DynamoDB's
100-item transaction limit, and concurrent duplicate posts that count once."""
import threading
import uuid

import pytest

from chalicelib.adapters.ledger import (
    MAX_TRANSACT_ITEMS,
    DynamoLedgerStore,
    InMemoryLedgerStore,
    TransactionTooLarge,
    transact_items_needed,
)
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.fees import FeeSchedule, PaymentKind, split_payment
from chalicelib.domain.ledger import (
    PAYPAL,
    PAYPAL_FEES,
    Balance,
    Direction,
    LedgerTransaction,
    Leg,
    capture_transaction,
    helper_payable,
    helper_pending,
    lines_of,
    refund_transaction,
    release_transaction,
)

pytestmark = pytest.mark.integration
DEBIT, CREDIT = Direction.DEBIT, Direction.CREDIT
SCHEDULE = FeeSchedule.default()
FREE_25 = split_payment(amount_cents=25_00, paypal_fee_cents=1_36, rule=SCHEDULE.rule("free", "session"))


def unique(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@pytest.fixture(params=["in-memory", "dynamodb"])
def ledger(request):
    if request.param == "in-memory":
        return InMemoryLedgerStore()
    from pynamodb.connection import Connection

    from chalicelib.adapters.tables import bind_tables

    settings = request.getfixturevalue("app_env").settings()
    bind_tables(settings)
    return DynamoLedgerStore(Connection(region=settings.region, host=settings.aws_endpoint_url))


def capture(helper, *, capture_id=None, split=FREE_25, occurred_at=1_800_000_000, memo=None):
    return capture_transaction(capture_id=capture_id or unique("CAP"), split=split, helper_id=helper,
                               kind=PaymentKind.SESSION, occurred_at=occurred_at, memo=memo or {})


def spread(debit_accounts, extra_legs=0):
    """A balanced transaction: one cent debited to each of `debit_accounts` fresh accounts (plus
    `extra_legs` more on the first of them), all credited to one more account."""
    names = [unique("acct-") for _ in range(debit_accounts)]
    legs = [Leg(name, DEBIT, 1) for name in names] + [Leg(names[0], DEBIT, 1) for _ in range(extra_legs)]
    legs.append(Leg(unique("acct-"), CREDIT, len(legs)))
    return LedgerTransaction(unique("spread:"), "test", 1_800_000_000, tuple(legs))


def test_a_transaction_is_posted_once_and_read_back_as_posted(ledger):
    helper = unique("h")
    txn = capture(helper, memo={"payment_id": "pay-1", "minutes": 30})
    assert ledger.transaction(txn.transaction_id) is None
    assert ledger.post(txn) is True
    assert ledger.post(txn) is False
    assert ledger.transaction(txn.transaction_id) == txn
    assert ledger.transaction(txn.transaction_id).memo["minutes"] == 30
    assert ledger.balance(helper_pending(helper)) == Balance(0, 20_00)


def test_a_replay_with_another_time_or_memo_is_still_the_same_transaction(ledger):
    helper = unique("h")
    capture_id = unique("CAP")
    assert ledger.post(capture(helper, capture_id=capture_id)) is True
    assert ledger.post(capture(helper, capture_id=capture_id, occurred_at=1_900_000_000, memo={"x": "y"})) is False
    assert ledger.balance(helper_pending(helper)).credit_balance == 20_00
    assert len(ledger.lines(helper_pending(helper))) == 1


def test_balances_follow_captures_refunds_and_releases(ledger):
    helper = unique("h")
    pending, payable = helper_pending(helper), helper_payable(helper)
    first, second = capture(helper), capture(helper)
    paypal_before = ledger.balance(PAYPAL)
    assert ledger.post(first) and ledger.post(second)
    assert ledger.post(release_transaction(release_id=unique("r"), helper_id=helper, cents=20_00,
                                           occurred_at=1_800_000_100))
    refund = refund_transaction(refund_id=unique("REF"), capture_id=first.memo["capture_id"], split=FREE_25,
                                refunded_cents=23_64, helper_id=helper, helper_account=payable,
                                occurred_at=1_800_000_200, memo={})
    assert ledger.post(refund) and not ledger.post(refund)
    balances = ledger.balances([pending, payable, PAYPAL, unique("never-used")])
    assert balances[pending] == Balance(debits_cents=20_00, credits_cents=40_00)
    assert balances[payable] == Balance(debits_cents=20_00, credits_cents=20_00)
    assert balances[PAYPAL].debit_balance - paypal_before.debit_balance == 23_64
    assert list(balances)[-1].startswith("never-used") and list(balances.values())[-1] == Balance(0, 0)


def test_an_account_never_posted_to_has_a_zero_balance_and_no_lines(ledger):
    account = helper_pending(unique("nobody"))
    assert ledger.balance(account) == Balance(0, 0)
    assert ledger.balances([]) == {}
    assert ledger.lines(account) == []


def test_lines_come_newest_first_page_by_page(ledger):
    helper = unique("h")
    account = helper_pending(helper)
    posted = [capture(helper, occurred_at=1_800_000_000 + minute * 60) for minute in (3, 1, 2, 5, 4)]
    for txn in posted:
        assert ledger.post(txn)
    expected = sorted((line for txn in posted for line in lines_of(txn) if line.account == account),
                      key=lambda line: line.occurred_at, reverse=True)
    first_page = ledger.lines(account, limit=2)
    assert [line.occurred_at for line in first_page] == [1_800_000_300, 1_800_000_240]
    rest = ledger.lines(account, limit=10, before=first_page[-1].position)
    assert first_page + rest == expected
    line = rest[0]
    assert (line.account, line.direction, line.amount_cents, line.kind) == (account, CREDIT, 20_00, "capture")
    assert line.memo["helper_id"] == helper and line.transaction_id.startswith("capture:")


def test_a_page_holds_1_to_1000_lines(ledger):
    for bad in (0, 1001, True):
        with pytest.raises(InvalidInput) as raised:
            ledger.lines(PAYPAL, limit=bad)
        assert raised.value.field == "limit"


def test_two_legs_on_one_account_update_its_balance_once(ledger):
    account, other = unique("acct-"), unique("acct-")
    txn = LedgerTransaction(unique("same:"), "test", 1_800_000_000,
                            (Leg(account, DEBIT, 5), Leg(account, CREDIT, 3), Leg(other, CREDIT, 2)))
    assert ledger.post(txn)
    assert ledger.balance(account) == Balance(5, 3)
    assert len(ledger.lines(account)) == 2


def test_a_transaction_of_exactly_100_items_fits(ledger):
    txn = spread(48, extra_legs=1)  # 1 transaction + 50 lines + 49 balances
    assert transact_items_needed(txn) == MAX_TRANSACT_ITEMS
    assert ledger.post(txn) is True
    balances = ledger.balances(txn.accounts)
    assert sum(b.debits_cents for b in balances.values()) == sum(b.credits_cents for b in balances.values()) == 49
    assert len(ledger.lines(txn.legs[0].account)) == 2


def test_a_transaction_over_dynamodbs_100_item_limit_is_refused_before_any_write(ledger):
    txn = spread(49)  # 1 transaction + 50 lines + 50 balances
    assert transact_items_needed(txn) == 101
    with pytest.raises(TransactionTooLarge):
        ledger.post(txn)
    assert ledger.transaction(txn.transaction_id) is None
    assert ledger.balance(txn.legs[0].account) == Balance(0, 0)


def test_eight_concurrent_posts_of_one_transaction_count_once(ledger):
    helper = unique("h")
    ledger.balance(PAYPAL)  # connections warmed up before the race
    txn = capture(helper)
    start = threading.Barrier(8)
    results, errors = [], []

    def post():
        start.wait()
        try:
            results.append(ledger.post(txn))
        except Exception as error:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(results) == [False] * 7 + [True]
    assert ledger.balance(helper_pending(helper)) == Balance(0, 20_00)
    assert len(ledger.lines(helper_pending(helper))) == 1


def test_concurrent_different_transactions_on_the_same_accounts_all_count(ledger):
    helper = unique("h")
    ledger.balance(PAYPAL)
    txns = [capture(helper) for _ in range(8)]
    fees_before = ledger.balance(PAYPAL_FEES)
    start = threading.Barrier(len(txns))
    results = []

    def post(txn):
        start.wait()
        results.append(ledger.post(txn))

    threads = [threading.Thread(target=post, args=(txn,)) for txn in txns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [True] * 8
    assert ledger.balance(helper_pending(helper)).credit_balance == 8 * 20_00
    assert ledger.balance(PAYPAL_FEES).debits_cents - fees_before.debits_cents == 8 * 1_36
    assert {line.transaction_id for line in ledger.lines(helper_pending(helper))} == {t.transaction_id for t in txns}


# How the DynamoDB store reads a cancelled transaction (real DynamoDB reports conflicts that
# moto, which applies one request at a time, never produces)


def cancelled(*codes):
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

    reasons = [CancellationReason(code) if code else None for code in codes]
    cause = VerboseClientError({"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}},
                               "TransactWriteItems", cancellation_reasons=reasons)
    return TransactWriteError("cancelled", cause=cause)


def scripted_store(outcomes):
    """A DynamoLedgerStore whose writes fail as scripted (None: the write succeeds)."""
    naps = []
    store = DynamoLedgerStore(connection=None, sleep=naps.append)
    attempts = iter(outcomes)

    def write(txn):
        outcome = next(attempts)
        if outcome is not None:
            raise outcome

    store._write = write
    return store, naps


def test_dynamo_post_retries_a_conflict_on_the_balances_then_posts():
    store, naps = scripted_store([cancelled(None, None, "TransactionConflict"), cancelled("TransactionConflict"), None])
    assert store.post(capture("h")) is True
    assert len(naps) == 2


def test_dynamo_post_reports_a_replay_found_after_a_conflict():
    store, _ = scripted_store([cancelled("TransactionConflict"), cancelled("ConditionalCheckFailed", None)])
    assert store.post(capture("h")) is False


def test_dynamo_post_gives_up_on_endless_conflicts_with_a_retryable_error():
    from chalicelib.adapters.ledger import POST_ATTEMPTS
    from chalicelib.domain.errors import ServiceUnavailable

    store, naps = scripted_store([cancelled(None, "TransactionConflict")] * POST_ATTEMPTS)
    with pytest.raises(ServiceUnavailable):
        store.post(capture("h"))
    assert len(naps) == POST_ATTEMPTS - 1


def test_dynamo_post_does_not_hide_other_failures():
    from pynamodb.exceptions import TransactWriteError

    store, _ = scripted_store([cancelled(None, "ValidationError")])
    with pytest.raises(TransactWriteError):
        store.post(capture("h"))
    other = TransactWriteError("throttled", cause=None)
    store, _ = scripted_store([other])
    with pytest.raises(TransactWriteError):
        store.post(capture("h"))
