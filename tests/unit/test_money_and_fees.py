"""Money in integer cents and the fee rules: the FAQ's worked examples, the one rounding rule
(half up to the cent) at its edges, PayPal's value strings, and properties of every split."""
from fractions import Fraction
from math import floor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import DomainError, InvalidInput
from chalicelib.domain.fees import (
    FeePayer,
    FeeRule,
    FeeSchedule,
    PaymentKind,
    Split,
    split_payment,
)
from chalicelib.domain.money import (
    basis_points_of,
    cents_from_paypal,
    format_usd,
    proportion_of,
    to_paypal_value,
)

DEFAULT = FeeSchedule.default()
EARNINGS = [PaymentKind.SESSION, PaymentKind.EXTENSION, PaymentKind.TIP, PaymentKind.MERCHANDISE]


def half_up(value: Fraction) -> int:
    """The rounding rule written the obvious way, to check the integer arithmetic against."""
    return floor(value + Fraction(1, 2))


# The FAQ's worked examples


def test_on_the_free_plan_the_helper_receives_80_percent_of_the_amount_paid():
    split = split_payment(amount_cents=25_00, paypal_fee_cents=1_36, rule=DEFAULT.rule("free", PaymentKind.SESSION))
    assert split == Split(amount_cents=25_00, paypal_fee_cents=1_36, helper_cents=20_00, platform_cents=3_64)


@pytest.mark.parametrize("kind", EARNINGS)
def test_the_free_plans_20_percent_applies_to_sessions_tips_and_store_sales(kind):
    rule = DEFAULT.rule("free", kind)
    assert rule == FeeRule(2000, FeePayer.PLATFORM)
    assert split_payment(amount_cents=10_00, paypal_fee_cents=84, rule=rule).helper_cents == 8_00


def test_on_the_upgraded_plan_the_helper_receives_everything_minus_paypals_fee():
    split = split_payment(amount_cents=25_00, paypal_fee_cents=1_36,
                          rule=DEFAULT.rule("upgraded", PaymentKind.SESSION))
    assert split == Split(amount_cents=25_00, paypal_fee_cents=1_36, helper_cents=23_64, platform_cents=0)


def test_a_tip_on_the_upgraded_plan_is_a_100_percent_payout_minus_paypals_fee():
    fee = DEFAULT.estimated_paypal_fee(10_00)  # 3.49% + $0.49 = 34.9 -> 35 + 49
    assert fee == 84
    split = split_payment(amount_cents=10_00, paypal_fee_cents=fee, rule=DEFAULT.rule("upgraded", PaymentKind.TIP))
    assert (split.helper_cents, split.platform_cents) == (9_16, 0)


def test_paypals_fee_is_3_49_percent_plus_49_cents():
    assert DEFAULT.estimated_paypal_fee(25_00) == 1_36  # 87.25 -> 87, + 49
    assert DEFAULT.estimated_paypal_fee(100_00) == 3_98
    assert DEFAULT.estimated_paypal_fee(1_00) == 52  # 3.49 -> 3, + 49


def test_paypals_estimated_fee_is_nothing_on_nothing_and_never_more_than_the_amount():
    assert DEFAULT.estimated_paypal_fee(0) == 0
    assert DEFAULT.estimated_paypal_fee(30) == 30


@pytest.mark.parametrize("plan", ["free", "upgraded"])
def test_buying_the_upgraded_plan_pays_the_platform_everything(plan):
    rule = DEFAULT.rule(plan, PaymentKind.PLAN)
    split = split_payment(amount_cents=15_00, paypal_fee_cents=1_01, rule=rule)
    assert (split.helper_cents, split.platform_cents) == (0, 13_99)


def test_on_a_small_free_plan_payment_the_platform_bears_a_fee_larger_than_its_cut():
    split = split_payment(amount_cents=99, paypal_fee_cents=52, rule=DEFAULT.rule("free", PaymentKind.TIP))
    assert split == Split(amount_cents=99, paypal_fee_cents=52, helper_cents=79, platform_cents=-32)


def test_when_the_helper_bears_a_fee_larger_than_their_share_they_get_nothing_not_a_debt():
    rule = FeeRule(5000, FeePayer.HELPER)
    split = split_payment(amount_cents=60, paypal_fee_cents=51, rule=rule)
    assert split == Split(amount_cents=60, paypal_fee_cents=51, helper_cents=0, platform_cents=9)


def test_every_rate_comes_from_settings():
    schedule = FeeSchedule.from_settings(1500, 500, 290, 30)
    assert schedule.rule("free", PaymentKind.SESSION) == FeeRule(1500, FeePayer.PLATFORM)
    assert schedule.rule("upgraded", "tip") == FeeRule(500, FeePayer.HELPER)
    assert schedule.estimated_paypal_fee(100_00) == 3_20
    split = split_payment(amount_cents=100_00, paypal_fee_cents=3_20, rule=schedule.rule("upgraded", "session"))
    assert (split.helper_cents, split.platform_cents) == (91_80, 5_00)


def test_an_unknown_plan_or_kind_has_no_fee_rule():
    with pytest.raises(InvalidInput):
        DEFAULT.rule("platinum", PaymentKind.SESSION)
    with pytest.raises(InvalidInput):
        DEFAULT.rule("free", "donation")


@pytest.mark.parametrize("bad", [-1, 10_001, True, 20.0, "2000"])
def test_a_fee_rule_takes_whole_basis_points_from_0_to_100_percent(bad):
    with pytest.raises(InvalidInput):
        FeeRule(bad, FeePayer.PLATFORM)


def test_a_split_refuses_parts_that_do_not_add_up_or_a_negative_helper_share():
    with pytest.raises(InvalidInput):
        Split(amount_cents=100, paypal_fee_cents=10, helper_cents=80, platform_cents=20)
    with pytest.raises(InvalidInput):
        Split(amount_cents=100, paypal_fee_cents=10, helper_cents=-1, platform_cents=91)
    with pytest.raises(InvalidInput):
        split_payment(amount_cents=100, paypal_fee_cents=101, rule=DEFAULT.rule("free", "session"))
    with pytest.raises(InvalidInput):
        split_payment(amount_cents=10.0, paypal_fee_cents=1, rule=DEFAULT.rule("free", "session"))


# The one rounding rule: half up to the cent


@pytest.mark.parametrize("cents, basis_points, expected", [
    (1234, 349, 43),  # 43.0666 down
    (2500, 349, 87),  # 87.25 down
    (1, 5000, 1),  # 0.5 up
    (3, 5000, 2),  # 1.5 up
    (5, 5000, 3),  # 2.5 up (banker's rounding would give 2)
    (50, 100, 1),  # 0.5 up
    (49, 100, 0),  # 0.49 down
    (99, 2000, 20),  # 19.8 up
    (0, 2000, 0),
    (12345, 10_000, 12345),
    (10, 0, 0),
])
def test_basis_points_round_half_up_to_the_cent(cents, basis_points, expected):
    assert basis_points_of(cents, basis_points) == expected


@given(st.integers(0, 10**12), st.integers(0, 20_000))
def test_basis_points_agree_with_exact_fractions(cents, basis_points):
    assert basis_points_of(cents, basis_points) == half_up(Fraction(cents * basis_points, 10_000))


@given(st.integers(0, 10**9), st.integers(0, 10**9), st.integers(1, 10**9))
def test_proportions_agree_with_exact_fractions(cents, part, whole):
    assert proportion_of(cents, part, whole) == half_up(Fraction(cents * part, whole))


@pytest.mark.parametrize("bad", [-1, 1.0, True, "5"])
def test_shares_are_only_taken_of_whole_non_negative_cents(bad):
    with pytest.raises(InvalidInput):
        basis_points_of(bad, 100)
    with pytest.raises(InvalidInput):
        proportion_of(100, 1, 0)


# PayPal's value strings


@pytest.mark.parametrize("cents, value", [(0, "0.00"), (5, "0.05"), (50, "0.50"), (1234, "12.34"),
                                          (100_000_000, "1000000.00")])
def test_cents_become_paypals_value_strings(cents, value):
    assert to_paypal_value(cents) == value


@pytest.mark.parametrize("bad", [-1, True, False, 12.34, "1234", None, Fraction(1)])
def test_only_whole_non_negative_cents_become_paypal_values(bad):
    with pytest.raises(InvalidInput):
        to_paypal_value(bad)


@pytest.mark.parametrize("value, cents", [("12.34", 1234), ("12", 1200), ("12.3", 1230), ("0.05", 5),
                                          (".5", 50), ("0", 0), ("007.10", 710), ("1000000.00", 100_000_000)])
def test_paypal_values_become_exact_cents(value, cents):
    assert cents_from_paypal(value) == cents


def test_a_negative_paypal_value_is_refused_unless_asked_for():
    with pytest.raises(InvalidInput):
        cents_from_paypal("-1.00")
    assert cents_from_paypal("-1.05", allow_negative=True) == -105


@pytest.mark.parametrize("garbage", ["", " ", "abc", "12.345", "12.340", "1e3", "1,234.00", " 12.34", "12.34\n",
                                     "12.", ".", "+1.00", "NaN", "Infinity", "0x10", "١٢", "1_000", "9" * 33,
                                     None, 12.34, 1234, b"12.34"])
def test_garbage_is_not_money(garbage):
    with pytest.raises(InvalidInput) as raised:
        cents_from_paypal(garbage)
    assert isinstance(raised.value, DomainError)


@given(st.integers(0, 10**15))
def test_paypal_values_round_trip(cents):
    assert cents_from_paypal(to_paypal_value(cents)) == cents


@pytest.mark.parametrize("cents, text", [(1234, "$12.34"), (5, "$0.05"), (0, "$0.00"), (123456, "$1,234.56"),
                                         (-32, "-$0.32"), (100_000_000, "$1,000,000.00")])
def test_amounts_are_formatted_for_people(cents, text):
    assert format_usd(cents) == text


def test_format_usd_refuses_floats():
    with pytest.raises(InvalidInput):
        format_usd(12.34)


# Properties of every split

rules = st.builds(FeeRule, st.integers(0, 10_000), st.sampled_from(FeePayer))


@st.composite
def payments(draw):
    amount = draw(st.integers(0, 10**9))
    fee = draw(st.integers(0, amount))
    return amount, fee


@given(payments(), rules)
def test_a_split_always_adds_up_and_the_helper_is_never_negative(payment, rule):
    amount, fee = payment
    split = split_payment(amount_cents=amount, paypal_fee_cents=fee, rule=rule)
    assert split.helper_cents + split.platform_cents + split.paypal_fee_cents == amount
    assert 0 <= split.helper_cents <= amount
    assert split.net_cents == amount - fee
    assert all(type(v) is int for v in (split.helper_cents, split.platform_cents, split.paypal_fee_cents))


@given(payments(), st.integers(0, 10_000))
def test_when_the_platform_bears_the_fee_the_helpers_share_ignores_it(payment, basis_points):
    amount, fee = payment
    split = split_payment(amount_cents=amount, paypal_fee_cents=fee, rule=FeeRule(basis_points, FeePayer.PLATFORM))
    assert split.helper_cents == amount - half_up(Fraction(amount * basis_points, 10_000))


@given(payments())
def test_on_the_default_upgraded_plan_the_helper_gets_the_net_and_the_platform_nothing(payment):
    amount, fee = payment
    split = split_payment(amount_cents=amount, paypal_fee_cents=fee, rule=DEFAULT.rule("upgraded", "session"))
    assert (split.helper_cents, split.platform_cents) == (amount - fee, 0)


@given(st.integers(0, 10**9))
def test_the_estimated_fee_is_within_the_amount(amount):
    assert 0 <= DEFAULT.estimated_paypal_fee(amount) <= amount
