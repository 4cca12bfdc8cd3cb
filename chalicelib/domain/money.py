"""Money as integer cents, exactly: PayPal's decimal strings in and out, and the one rounding rule.

The one rounding rule: every share of an amount (a fee in basis points, a proportional part of
a refund) is rounded **half up to the cent** — the exact share is computed with integers and a
remainder of exactly half a cent or more rounds up, anything less rounds down
(1234 cents x 3.49% = 43.0666 -> 43; 50 cents x 1% = 0.5 -> 1). Shares are only taken of
non-negative amounts, so "half up" and "half away from zero" agree. Nothing here uses float.
"""
from __future__ import annotations

import re
from decimal import Decimal

from chalicelib.domain.errors import InvalidInput

BASIS_POINTS = 10_000  # 100% in basis points
# PayPal's amount `value`: digits, an optional point and at most two decimals (USD), at most 32
# characters. ASCII digits only: `\d` would also accept other scripts' digits.
_PAYPAL_VALUE = re.compile(r"(-)?(?:[0-9]+(?:\.[0-9]{1,2})?|\.[0-9]{1,2})")
_MAX_PAYPAL_VALUE_LENGTH = 32


def is_cents(value: object) -> bool:
    """True for a whole number of cents: an int, not a bool (True is not one cent)."""
    return isinstance(value, int) and not isinstance(value, bool)


def require_cents(value: object, *, field: str = "amount_cents", allow_negative: bool = False) -> int:
    """The value as cents, or InvalidInput: money never arrives as a float, a bool or a string."""
    if not is_cents(value):
        raise InvalidInput("An amount is a whole number of cents.", field=field)
    if value < 0 and not allow_negative:  # type: ignore[operator]
        raise InvalidInput("An amount cannot be negative.", field=field)
    return value  # type: ignore[return-value]


def to_paypal_value(cents: int) -> str:
    """Cents as PayPal's `value` string ("12.34"), for orders, refunds and payouts."""
    require_cents(cents)
    return f"{cents // 100}.{cents % 100:02d}"


def cents_from_paypal(value: str, *, allow_negative: bool = False) -> int:
    """PayPal's `value` string as exact cents; more than two decimals or anything odd is refused."""
    if not isinstance(value, str) or len(value) > _MAX_PAYPAL_VALUE_LENGTH:
        raise InvalidInput("An amount is a decimal string such as 12.34.", field="value")
    match = _PAYPAL_VALUE.fullmatch(value)  # fullmatch: `$` would let a trailing newline in
    if match is None:
        raise InvalidInput("An amount is a decimal string with at most two decimals.", field="value")
    if match.group(1) and not allow_negative:
        raise InvalidInput("An amount cannot be negative.", field="value")
    return int(Decimal(value).scaleb(2))  # exact: the pattern allows at most two decimals


def proportion_of(cents: int, part: int, whole: int) -> int:
    """`cents x part / whole`, rounded by the one rule (half up to the cent)."""
    require_cents(cents, field="cents")
    require_cents(part, field="part")
    require_cents(whole, field="whole")
    if whole == 0:
        raise InvalidInput("A share of nothing is undefined.", field="whole")
    # floor((cents * part / whole) + 1/2), with integers only
    return (2 * cents * part + whole) // (2 * whole)


def basis_points_of(cents: int, basis_points: int) -> int:
    """`basis_points` (2000 = 20%) of `cents`, rounded by the one rule (half up to the cent)."""
    return proportion_of(cents, basis_points, BASIS_POINTS)


def format_usd(cents: int) -> str:
    """Cents for people to read: "$12.34", "$1,234.50", "-$0.32" (statements, emails)."""
    require_cents(cents, allow_negative=True)
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{rest:02d}"
