"""Who gets what of a payment: the platform's fee per plan and kind of payment, PayPal's
processing fee, and the split of one captured payment, in integer cents.

The FAQ defaults: on the free plan the platform keeps 20% and bears PayPal's fee out of it (the
helper gets 80% of the amount paid); on the upgraded plan the platform keeps nothing and the
helper gets 100% minus PayPal's fee (3.49% + $0.49); a helper buying the upgraded plan pays
the platform everything. Every rate is a setting (`FeeSchedule.from_settings`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Mapping

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import BASIS_POINTS, basis_points_of, require_cents

FREE_PLAN = "free"
UPGRADED_PLAN = "upgraded"
ANY_PLAN = "*"  # a rule that holds whatever the helper's plan (buying the upgraded plan)


class PaymentKind(str, Enum):
    SESSION = "session"  # the agreed terms of a call
    EXTENSION = "extension"  # more time agreed during a call
    TIP = "tip"  # a tip or donation during a call (upgraded plan)
    MERCHANDISE = "merchandise"  # goods from a helper's store
    APPOINTMENT = "appointment"  # a booked session, paid when booked
    TICKET = "ticket"  # a place at a Helper's event (fees as for the store's goods)
    PLAN = "plan"  # a helper buying the upgraded plan: all of it to the platform


HELPER_EARNINGS = (PaymentKind.SESSION, PaymentKind.EXTENSION, PaymentKind.TIP, PaymentKind.MERCHANDISE,
                   PaymentKind.APPOINTMENT, PaymentKind.TICKET)


class FeePayer(str, Enum):
    """Who bears PayPal's processing fee."""

    PLATFORM = "platform"  # out of the platform's cut: the helper gets exactly their share
    HELPER = "helper"  # out of the helper's share: the helper gets their share minus the fee


@dataclass(frozen=True)
class FeeRule:
    """The platform's cut (in basis points of the amount paid) and who bears PayPal's fee."""

    platform_basis_points: int
    paypal_fee_payer: FeePayer

    def __post_init__(self) -> None:
        require_cents(self.platform_basis_points, field="platform_basis_points")
        if self.platform_basis_points > BASIS_POINTS:
            raise InvalidInput("A platform fee is at most 100%.", field="platform_basis_points")
        object.__setattr__(self, "paypal_fee_payer", FeePayer(self.paypal_fee_payer))


@dataclass(frozen=True)
class FeeSchedule:
    """Fee rules per (plan name, payment kind), and PayPal's fee for estimates before capture."""

    rules: Mapping[tuple[str, PaymentKind], FeeRule] = field(default_factory=dict)
    paypal_percent_basis_points: int = 349
    paypal_fixed_cents: int = 49

    def __post_init__(self) -> None:
        require_cents(self.paypal_percent_basis_points, field="paypal_percent_basis_points")
        require_cents(self.paypal_fixed_cents, field="paypal_fixed_cents")
        rules = {(plan, PaymentKind(kind)): rule for (plan, kind), rule in dict(self.rules).items()}
        object.__setattr__(self, "rules", MappingProxyType(rules))

    @classmethod
    def default(cls) -> "FeeSchedule":
        """The FAQ's rates: free plan 20% (platform bears PayPal's fee), upgraded 0%."""
        return cls.from_settings(2000, 0, 349, 49)

    @classmethod
    def from_settings(cls, free_platform_bp: int, upgraded_platform_bp: int, paypal_percent_bp: int,
                      paypal_fixed_cents: int) -> "FeeSchedule":
        """The schedule from settings (`Settings.free_plan_fee_basis_points` and friends)."""
        free = FeeRule(free_platform_bp, FeePayer.PLATFORM)
        upgraded = FeeRule(upgraded_platform_bp, FeePayer.HELPER)
        rules: dict[tuple[str, PaymentKind], FeeRule] = {}
        for kind in HELPER_EARNINGS:
            rules[(FREE_PLAN, kind)] = free
            rules[(UPGRADED_PLAN, kind)] = upgraded
        rules[(ANY_PLAN, PaymentKind.PLAN)] = FeeRule(BASIS_POINTS, FeePayer.PLATFORM)
        return cls(rules=rules, paypal_percent_basis_points=paypal_percent_bp,
                   paypal_fixed_cents=paypal_fixed_cents)

    def rule(self, plan_name: str, kind: PaymentKind | str) -> FeeRule:
        """The rule for a payment of `kind` to a helper on `plan_name`; unknown pairs are refused."""
        try:
            kind = PaymentKind(kind)
        except ValueError as error:
            raise InvalidInput(f"Unknown kind of payment: {kind!r}.", field="kind") from error
        found = self.rules.get((plan_name, kind)) or self.rules.get((ANY_PLAN, kind))
        if found is None:
            raise InvalidInput(f"No fee rule for a {kind.value} payment on the {plan_name!r} plan.",
                               field="plan")
        return found

    def estimated_paypal_fee(self, amount_cents: int) -> int:
        """PayPal's fee on `amount_cents` before capture (the capture reports the real one);
        never more than the amount, and nothing on nothing."""
        require_cents(amount_cents)
        if amount_cents == 0:
            return 0
        fee = basis_points_of(amount_cents, self.paypal_percent_basis_points) + self.paypal_fixed_cents
        return min(fee, amount_cents)


@dataclass(frozen=True)
class Split:
    """One captured payment divided: helper + platform + PayPal's fee == amount, always.

    `platform_cents` is negative when the platform bears a PayPal fee larger than its cut
    (a small payment on the free plan); `helper_cents` is never negative.
    """

    amount_cents: int
    paypal_fee_cents: int
    helper_cents: int
    platform_cents: int

    def __post_init__(self) -> None:
        require_cents(self.amount_cents)
        require_cents(self.paypal_fee_cents, field="paypal_fee_cents")
        require_cents(self.helper_cents, field="helper_cents")
        require_cents(self.platform_cents, field="platform_cents", allow_negative=True)
        if self.paypal_fee_cents > self.amount_cents:
            raise InvalidInput("PayPal's fee cannot exceed the amount paid.", field="paypal_fee_cents")
        if self.helper_cents + self.platform_cents + self.paypal_fee_cents != self.amount_cents:
            raise InvalidInput("A split must add up to the amount paid.", field="amount_cents")

    @property
    def net_cents(self) -> int:
        """What reached the platform's PayPal account: the amount minus PayPal's fee."""
        return self.amount_cents - self.paypal_fee_cents


def split_payment(*, amount_cents: int, paypal_fee_cents: int, rule: FeeRule) -> Split:
    """Divide a captured payment by `rule`; the fee is PayPal's (seller_receivable_breakdown).

    The platform's cut is `rule.platform_basis_points` of the amount, rounded half up. When the
    helper bears the fee and it exceeds their share, the helper gets 0 (clamped, never negative)
    and the platform absorbs the rest.
    """
    require_cents(amount_cents)
    require_cents(paypal_fee_cents, field="paypal_fee_cents")
    if paypal_fee_cents > amount_cents:
        raise InvalidInput("PayPal's fee cannot exceed the amount paid.", field="paypal_fee_cents")
    platform_cut = basis_points_of(amount_cents, rule.platform_basis_points)
    helper = amount_cents - platform_cut
    if rule.paypal_fee_payer is FeePayer.HELPER:
        helper = max(0, helper - paypal_fee_cents)
    return Split(amount_cents=amount_cents, paypal_fee_cents=paypal_fee_cents, helper_cents=helper,
                 platform_cents=amount_cents - paypal_fee_cents - helper)
