"""The ledger's pure rules: every builder's legs for the FAQ's examples, explicit directions
(a would-be negative amount flips to the other side), and properties of every transaction."""
from fractions import Fraction
from math import floor

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from chalicelib.domain.errors import DomainError, InvalidInput
from chalicelib.domain.fees import FeePayer, FeeRule, FeeSchedule, PaymentKind, Split, split_payment
from chalicelib.domain.ledger import (
    PAYPAL,
    PAYPAL_FEES,
    PLATFORM_REVENUE,
    Balance,
    Direction,
    LedgerTransaction,
    Leg,
    TransactionKind,
    UnbalancedTransaction,
    capture_transaction,
    helper_payable,
    helper_pending,
    is_helper_account,
    lines_of,
    line_position,
    release_transaction,
    returned_share,
    reversal_transaction,
    refund_transaction,
)

DEBIT, CREDIT = Direction.DEBIT, Direction.CREDIT
DEFAULT = FeeSchedule.default()
HELPER = "helper-1"
PENDING, PAYABLE = helper_pending(HELPER), helper_payable(HELPER)
FREE_25 = split_payment(amount_cents=25_00, paypal_fee_cents=1_36, rule=DEFAULT.rule("free", "session"))
UPGRADED_25 = split_payment(amount_cents=25_00, paypal_fee_cents=1_36, rule=DEFAULT.rule("upgraded", "session"))
SMALL_FREE = split_payment(amount_cents=99, paypal_fee_cents=52, rule=DEFAULT.rule("free", "tip"))  # platform -32


def legs(txn):
    return {(leg.account, leg.direction, leg.amount_cents) for leg in txn.legs}


def capture(split=FREE_25, helper_id=HELPER, kind=PaymentKind.SESSION, capture_id="CAP1"):
    return capture_transaction(capture_id=capture_id, split=split, helper_id=helper_id, kind=kind,
                               occurred_at=1_000, memo={"payment_id": "pay-1"})


def refund(split=FREE_25, refunded=None, helper_id=HELPER, account=None, already=0, refund_id="REF1"):
    return refund_transaction(refund_id=refund_id, capture_id="CAP1", split=split,
                              refunded_cents=split.net_cents if refunded is None else refunded,
                              helper_id=helper_id, helper_account=account, occurred_at=2_000, memo={},
                              already_refunded_cents=already)


def reversal(split=FREE_25, reversed_cents=None, helper_id=HELPER, account=None, already=0):
    return reversal_transaction(capture_id="CAP1", split=split,
                                reversed_cents=split.amount_cents if reversed_cents is None else reversed_cents,
                                helper_id=helper_id, helper_account=account, occurred_at=3_000, memo={},
                                already_refunded_cents=already)


def net(txn, account):
    """Credits minus debits on one account in one transaction."""
    return sum(leg.amount_cents if leg.direction is CREDIT else -leg.amount_cents
               for leg in txn.legs if leg.account == account)


# Accounts


def test_helper_accounts_are_named_after_the_helper():
    assert (PENDING, PAYABLE) == ("helper:helper-1:pending", "helper:helper-1:payable")
    assert is_helper_account(PENDING) and is_helper_account(PAYABLE) and not is_helper_account(PAYPAL)


@pytest.mark.parametrize("bad", ["", "a:b", None, 7])
def test_a_helper_id_cannot_make_an_ambiguous_account_name(bad):
    with pytest.raises(InvalidInput):
        helper_pending(bad)


# Captures


def test_a_free_plan_capture_puts_the_net_in_paypal_the_fee_in_expenses_and_80_percent_pending():
    txn = capture()
    assert txn.transaction_id == "capture:CAP1" and txn.kind == "capture" == TransactionKind.CAPTURE
    assert legs(txn) == {(PAYPAL, DEBIT, 23_64), (PAYPAL_FEES, DEBIT, 1_36), (PENDING, CREDIT, 20_00),
                         (PLATFORM_REVENUE, CREDIT, 5_00)}
    assert txn.memo["payment_id"] == "pay-1" and txn.memo["payment_kind"] == "session"
    assert txn.memo["capture_id"] == "CAP1" and txn.memo["helper_id"] == HELPER


def test_an_upgraded_plan_capture_gives_the_helper_the_net():
    assert legs(capture(UPGRADED_25)) == {(PAYPAL, DEBIT, 23_64), (PAYPAL_FEES, DEBIT, 1_36),
                                          (PENDING, CREDIT, 23_64), (PLATFORM_REVENUE, CREDIT, 1_36)}


def test_the_platforms_net_on_a_capture_is_its_revenue_minus_the_fee_and_may_be_a_loss():
    txn = capture(SMALL_FREE)
    assert net(txn, PLATFORM_REVENUE) - (-net(txn, PAYPAL_FEES)) == SMALL_FREE.platform_cents == -32


def test_a_plan_purchase_is_all_the_platforms():
    split = split_payment(amount_cents=15_00, paypal_fee_cents=1_01, rule=DEFAULT.rule("free", PaymentKind.PLAN))
    txn = capture(split, helper_id=None, kind=PaymentKind.PLAN)
    assert legs(txn) == {(PAYPAL, DEBIT, 13_99), (PAYPAL_FEES, DEBIT, 1_01), (PLATFORM_REVENUE, CREDIT, 15_00)}
    assert "helper_id" not in txn.memo


def test_zero_amounts_drop_out_of_the_legs():
    split = split_payment(amount_cents=10_00, paypal_fee_cents=0, rule=DEFAULT.rule("upgraded", "session"))
    assert legs(capture(split)) == {(PAYPAL, DEBIT, 10_00), (PENDING, CREDIT, 10_00)}


def test_a_capture_of_nothing_cannot_be_posted():
    split = split_payment(amount_cents=0, paypal_fee_cents=0, rule=DEFAULT.rule("free", "session"))
    with pytest.raises(UnbalancedTransaction):
        capture(split)


def test_the_events_facts_win_over_a_callers_memo():
    txn = capture_transaction(capture_id="CAP1", split=FREE_25, helper_id=HELPER, kind="tip", occurred_at=1,
                              memo={"capture_id": "forged", "note": "x"})
    assert txn.memo["capture_id"] == "CAP1" and txn.memo["note"] == "x" and txn.memo["payment_kind"] == "tip"


# Refunds


def test_an_approved_refund_on_the_free_plan_takes_back_the_helpers_whole_share():
    txn = refund()
    assert txn.transaction_id == "refund:REF1" and txn.kind == "refund"
    assert legs(txn) == {(PAYPAL, CREDIT, 23_64), (PENDING, DEBIT, 20_00), (PLATFORM_REVENUE, DEBIT, 3_64)}


def test_an_approved_refund_on_the_upgraded_plan_is_all_the_helpers():
    assert legs(refund(UPGRADED_25)) == {(PAYPAL, CREDIT, 23_64), (PENDING, DEBIT, 23_64)}


def test_a_refund_larger_than_the_net_turns_the_platforms_side_into_a_credit():
    # the platform bore a fee bigger than its cut; on refund it gets that loss back from the helper's share
    txn = refund(SMALL_FREE)
    assert legs(txn) == {(PAYPAL, CREDIT, 47), (PENDING, DEBIT, 79), (PLATFORM_REVENUE, CREDIT, 32)}


def test_a_refund_of_the_whole_amount_paid_leaves_the_platform_bearing_the_fee():
    txn = refund(refunded=25_00)
    assert legs(txn) == {(PAYPAL, CREDIT, 25_00), (PENDING, DEBIT, 20_00), (PLATFORM_REVENUE, DEBIT, 5_00)}


def test_a_partial_refund_takes_back_a_proportional_share_rounded_half_up():
    txn = refund(refunded=10_00)  # 2000 * 1000 / 2364 = 846.02
    assert net(txn, PENDING) == -846
    assert net(txn, PAYPAL) == 10_00 and sum(leg.amount_cents for leg in txn.legs if leg.direction is DEBIT) == 10_00


def test_partial_refunds_add_up_to_the_share_of_their_total_without_double_rounding():
    first = refund(refunded=1_01, refund_id="R1")
    second = refund(refunded=1_01, already=1_01, refund_id="R2")
    third = refund(refunded=23_64 - 2_02, already=2_02, refund_id="R3")
    assert -(net(first, PENDING) + net(second, PENDING) + net(third, PENDING)) == 20_00


def test_a_refund_from_released_earnings_comes_out_of_the_payable_account():
    assert (PAYABLE, DEBIT, 20_00) in legs(refund(account=PAYABLE))


def test_a_refund_cannot_take_from_another_helpers_account():
    with pytest.raises(InvalidInput):
        refund(account=helper_pending("someone-else"))
    with pytest.raises(InvalidInput):
        refund(account=PLATFORM_REVENUE)


@pytest.mark.parametrize("refunded, already", [(0, 0), (25_01, 0), (1, 25_00), (-5, 0), (10.0, 0)])
def test_a_refund_is_more_than_nothing_and_at_most_what_was_paid(refunded, already):
    with pytest.raises(InvalidInput):
        refund(refunded=refunded, already=already)


def test_a_refund_of_a_plan_purchase_is_all_the_platforms():
    split = split_payment(amount_cents=15_00, paypal_fee_cents=1_01, rule=DEFAULT.rule("free", PaymentKind.PLAN))
    assert legs(refund(split, helper_id=None)) == {(PAYPAL, CREDIT, 13_99), (PLATFORM_REVENUE, DEBIT, 13_99)}


def test_returned_share_is_capped_and_total_at_the_approved_amount():
    assert returned_share(FREE_25, FREE_25.net_cents) == 20_00
    assert returned_share(FREE_25, FREE_25.amount_cents) == 20_00
    assert returned_share(FREE_25, 0) == 0
    everything_was_fees = Split(amount_cents=49, paypal_fee_cents=49, helper_cents=39, platform_cents=-39)
    assert returned_share(everything_was_fees, 1) == 39


# Reversals (chargebacks) and releases


def test_a_chargeback_takes_the_gross_from_paypal_and_the_whole_share_from_the_helper():
    txn = reversal()
    assert txn.transaction_id == "reversal:CAP1" and txn.kind == "reversal"
    assert legs(txn) == {(PAYPAL, CREDIT, 25_00), (PENDING, DEBIT, 20_00), (PLATFORM_REVENUE, DEBIT, 5_00)}


def test_a_chargeback_on_the_upgraded_plan_costs_the_platform_the_fee():
    assert legs(reversal(UPGRADED_25)) == {(PAYPAL, CREDIT, 25_00), (PENDING, DEBIT, 23_64),
                                           (PLATFORM_REVENUE, DEBIT, 1_36)}


def test_a_chargeback_after_a_refund_takes_only_what_the_helper_still_holds():
    txn = reversal(reversed_cents=25_00 - 10_00, already=10_00, account=PAYABLE)
    assert net(txn, PAYABLE) == -(20_00 - 846)


def test_a_chargeback_after_a_full_refund_leaves_the_helper_alone():
    assert legs(reversal(reversed_cents=1_36, already=23_64)) == {(PAYPAL, CREDIT, 1_36),
                                                                  (PLATFORM_REVENUE, DEBIT, 1_36)}


def test_a_release_moves_pending_earnings_to_payable():
    txn = release_transaction(release_id="2026-11-27", helper_id=HELPER, cents=20_00, occurred_at=5)
    assert txn.transaction_id == "release:2026-11-27" and txn.kind == "release"
    assert legs(txn) == {(PENDING, DEBIT, 20_00), (PAYABLE, CREDIT, 20_00)}


# The transaction itself


def test_a_transaction_whose_debits_and_credits_differ_is_refused():
    with pytest.raises(UnbalancedTransaction) as raised:
        LedgerTransaction("t", "capture", 1, (Leg(PAYPAL, DEBIT, 10), Leg(PLATFORM_REVENUE, CREDIT, 9)))
    assert isinstance(raised.value, DomainError) and raised.value.code == "unbalanced_transaction"


@pytest.mark.parametrize("bad_legs", [
    (),
    (Leg(PAYPAL, DEBIT, 10),),
    (Leg(PAYPAL, DEBIT, 10), "not a leg"),
])
def test_a_transaction_has_at_least_two_legs(bad_legs):
    with pytest.raises(UnbalancedTransaction):
        LedgerTransaction("t", "capture", 1, bad_legs)


@pytest.mark.parametrize("amount", [0, -1, 1.0, True, "1"])
def test_a_leg_moves_a_positive_whole_number_of_cents(amount):
    with pytest.raises(UnbalancedTransaction):
        Leg(PAYPAL, DEBIT, amount)


def test_a_legs_direction_is_a_debit_or_a_credit_never_a_sign():
    assert Leg(PAYPAL, "debit", 1).direction is DEBIT
    with pytest.raises(UnbalancedTransaction):
        Leg(PAYPAL, "+", 1)
    with pytest.raises(UnbalancedTransaction):
        Leg("", DEBIT, 1)


@pytest.mark.parametrize("fields", [
    {"transaction_id": ""}, {"transaction_id": "x" * 501}, {"transaction_id": None}, {"kind": ""}, {"legs": None}, {"occurred_at": -1}, {"occurred_at": 10**12}, {"occurred_at": 1.5},
    {"memo": {"k": 1.5}}, {"memo": {"k": None}}, {"memo": {"": "x"}}, {"memo": {"k": "x" * 1001}},
    {"memo": {str(i): i for i in range(33)}},
])
def test_a_transaction_is_refused_when_malformed(fields):
    base = dict(transaction_id="t", kind="capture", occurred_at=1,
                legs=(Leg(PAYPAL, DEBIT, 1), Leg(PLATFORM_REVENUE, CREDIT, 1)), memo={})
    with pytest.raises(UnbalancedTransaction):
        LedgerTransaction(**{**base, **fields})


def test_a_transactions_memo_cannot_change_after_it_is_made():
    memo = {"note": "a"}
    txn = LedgerTransaction("t", "capture", 1, [Leg(PAYPAL, DEBIT, 1), Leg(PLATFORM_REVENUE, CREDIT, 1)], memo)
    memo["note"] = "b"
    assert txn.memo["note"] == "a" and isinstance(txn.legs, tuple)
    with pytest.raises(TypeError):
        txn.memo["note"] = "c"


def test_lines_carry_each_leg_with_a_position_that_sorts_by_time_then_transaction_then_leg():
    lines = lines_of(capture())
    assert [line.leg_index for line in lines] == [0, 1, 2, 3]
    assert lines[0].position == "000000001000#capture:CAP1#000"
    assert line_position(999, "z", 0) < line_position(1000, "a", 0) < line_position(1000, "a", 10)


def test_a_balance_reads_as_what_the_platform_owes_or_holds():
    balance = Balance(debits_cents=3_00, credits_cents=20_00)
    assert balance.credit_balance == 17_00 and balance.debit_balance == -17_00
    assert balance.plus(Leg(PENDING, DEBIT, 1_00)) == Balance(4_00, 20_00)


# Properties of every builder

rules = st.builds(FeeRule, st.integers(0, 10_000), st.sampled_from(FeePayer))


@st.composite
def splits(draw):
    amount = draw(st.integers(1, 10**8))
    fee = draw(st.integers(0, amount))
    return split_payment(amount_cents=amount, paypal_fee_cents=fee, rule=draw(rules))


def half_up(value):
    return floor(value + Fraction(1, 2))


def assert_well_formed(txn):
    assert txn.total(DEBIT) == txn.total(CREDIT) > 0
    assert all(type(leg.amount_cents) is int and leg.amount_cents > 0 for leg in txn.legs)
    assert all(isinstance(leg.direction, Direction) for leg in txn.legs)


@given(splits(), st.sampled_from([HELPER, None]), st.sampled_from(PaymentKind))
def test_every_capture_balances_and_gives_the_helper_exactly_their_share(split, helper_id, kind):
    txn = capture(split, helper_id=helper_id, kind=kind)
    assert_well_formed(txn)
    assert net(txn, PENDING) == (split.helper_cents if helper_id else 0)
    assert -net(txn, PAYPAL) == split.net_cents
    # the platform's net result is its share of the split (everything, without a helper)
    expected_platform = split.platform_cents + (0 if helper_id else split.helper_cents)
    assert net(txn, PLATFORM_REVENUE) + net(txn, PAYPAL_FEES) == expected_platform


@given(splits(), st.data())
def test_every_refund_balances_and_takes_back_a_capped_proportional_share(split, data):
    refunded = data.draw(st.integers(1, split.amount_cents))
    already = data.draw(st.integers(0, split.amount_cents - refunded))
    account = data.draw(st.sampled_from([PENDING, PAYABLE]))
    txn = refund(split, refunded=refunded, already=already, account=account)
    assert_well_formed(txn)
    assert -net(txn, PAYPAL) == -refunded

    def share(total):
        if total == 0 or split.helper_cents == 0:
            return 0
        if split.net_cents == 0:
            return split.helper_cents
        return min(split.helper_cents, half_up(Fraction(split.helper_cents * total, split.net_cents)))

    assert -net(txn, account) == share(already + refunded) - share(already) >= 0


@given(splits(), st.lists(st.integers(1, 10**8), min_size=1, max_size=6))
def test_a_series_of_partial_refunds_never_takes_back_more_than_the_helper_got(split, parts):
    total, returned = 0, 0
    for index, part in enumerate(parts):
        part = min(part, split.amount_cents - total)
        if part == 0:
            break
        txn = refund(split, refunded=part, already=total, refund_id=f"R{index}")
        assert_well_formed(txn)
        returned -= net(txn, PENDING)
        total += part
    assert 0 <= returned <= split.helper_cents
    if total >= split.net_cents:
        assert returned == split.helper_cents


@given(splits(), st.data())
def test_every_reversal_balances_and_leaves_the_helper_with_nothing_of_the_payment(split, data):
    already = data.draw(st.integers(0, split.amount_cents - 1))
    reversed_cents = data.draw(st.integers(1, split.amount_cents))
    txn = reversal(split, reversed_cents=reversed_cents, already=already)
    assert_well_formed(txn)
    assert -net(txn, PAYPAL) == -reversed_cents
    assert split.helper_cents - returned_share(split, already) + net(txn, PENDING) == 0


@given(splits())
def test_a_capture_and_its_approved_refund_leave_the_helper_and_paypal_at_zero(split):
    assume(split.net_cents > 0)
    both = [capture(split), refund(split)]
    assert sum(net(txn, PENDING) for txn in both) == 0
    assert sum(net(txn, PAYPAL) for txn in both) == 0
