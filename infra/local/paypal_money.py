"""Money as the local PayPal sandbox keeps it: exact integer minor units (cents), read from and
written to PayPal's `value` strings ("12.34"), with PayPal's currencies and their decimals.
No float anywhere."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# The currencies PayPal's REST APIs take, and how many decimals each has (HUF, JPY, TWD: none).
CURRENCY_DECIMALS: dict[str, int] = {
    **{code: 2 for code in ("AUD", "BRL", "CAD", "CNY", "CZK", "DKK", "EUR", "HKD", "ILS", "MYR",
                            "MXN", "NZD", "NOK", "PHP", "PLN", "GBP", "RUB", "SGD", "SEK", "CHF",
                            "THB", "USD")},
    **{code: 0 for code in ("HUF", "JPY", "TWD")},
}
# PayPal's `money.value` pattern and its largest amount (999999999999999.99).
VALUE_PATTERN = re.compile(r"^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$")
MAX_VALUE = Decimal("999999999999999.99")
MAX_VALUE_LENGTH = 32
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}


class AmountProblem(ValueError):
    """A `money` object PayPal would refuse; `issue` is PayPal's issue name for it."""

    def __init__(self, issue: str, field: str, value: str | None = None) -> None:
        super().__init__(f"{issue} at {field}")
        self.issue, self.field, self.value = issue, field, value


def decimals_of(currency: str) -> int:
    return CURRENCY_DECIMALS.get(currency, 2)


def parse_value(value: object, currency: str, *, field: str) -> int:
    """PayPal's `value` string as minor units of `currency`; raises AmountProblem with the issue
    PayPal names: INVALID_PARAMETER_SYNTAX (not a number string), DECIMAL_PRECISION /
    DECIMALS_NOT_SUPPORTED (too fine for the currency), MAX_VALUE_EXCEEDED. Signs are kept:
    callers decide whether zero or negative is allowed."""
    if not isinstance(value, str) or len(value) > MAX_VALUE_LENGTH or not VALUE_PATTERN.match(value):
        raise AmountProblem("INVALID_PARAMETER_SYNTAX", field, value if isinstance(value, str) else None)
    amount = Decimal(value)
    places = decimals_of(currency)
    if amount.as_tuple().exponent < -places:  # "10.500" too: PayPal counts digits, not value
        raise AmountProblem("DECIMALS_NOT_SUPPORTED" if places == 0 else "DECIMAL_PRECISION", field, value)
    if abs(amount) > MAX_VALUE:
        raise AmountProblem("MAX_VALUE_EXCEEDED", field, value)
    return int(amount.scaleb(places))


def format_value(minor: int, currency: str) -> str:
    """Minor units as PayPal writes them: "12.34" (USD), "1234" (JPY)."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"an amount in minor units is an int, not {type(minor).__name__}")
    places = decimals_of(currency)
    if places == 0:
        return str(minor)
    whole, part = divmod(abs(minor), 10 ** places)
    return f"{'-' if minor < 0 else ''}{whole}.{part:0{places}d}"


def money(minor: int, currency: str) -> dict:
    """An Orders/Payments v2 `money` object."""
    return {"currency_code": currency, "value": format_value(minor, currency)}


def payout_money(minor: int, currency: str) -> dict:
    """A Payouts v1 `currency` object (its keys are `currency` and `value`)."""
    return {"currency": currency, "value": format_value(minor, currency)}


def display(minor: int, currency: str) -> str:
    """For people: "$25.00 USD"."""
    return f"{CURRENCY_SYMBOLS.get(currency, '')}{format_value(minor, currency)} {currency}"


@dataclass(frozen=True)
class FeeSchedule:
    """PayPal's fee on a received payment: `rate` of the gross, rounded half up to the currency's
    smallest unit, plus `fixed` (in the payment's currency), never more than the gross itself.
    Refunds return no fee (PayPal keeps it); payouts cost nothing here (see the payouts module)."""

    rate: Decimal = Decimal("0.0349")
    fixed: Decimal = Decimal("0.49")

    def __post_init__(self) -> None:
        for name in ("rate", "fixed"):
            value = getattr(self, name)
            if isinstance(value, float):
                raise TypeError(f"the fee {name} is exact: pass a Decimal or a string, not a float")
            object.__setattr__(self, name, Decimal(str(value)))
        if self.rate < 0 or self.fixed < 0:
            raise ValueError("fees are not negative")

    def fee(self, gross_minor: int, currency: str) -> int:
        places = decimals_of(currency)
        unit = Decimal(1).scaleb(-places)
        gross = Decimal(gross_minor).scaleb(-places)
        variable = (gross * self.rate).quantize(unit, rounding=ROUND_HALF_UP)
        fixed = self.fixed.quantize(unit, rounding=ROUND_HALF_UP)
        return min(gross_minor, int((variable + fixed).scaleb(places)))
