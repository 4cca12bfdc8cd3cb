"""The money-back guarantee, as pure rules: the 24-hour request window, ops' review deadline
in business days (weekends and US federal holidays skipped, in Pacific time), and the amount an
approved refund gives back (the amount paid minus PayPal's fee, by default)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import Enum
from functools import lru_cache
from zoneinfo import ZoneInfo

from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.fees import Split
from chalicelib.domain.money import is_cents

REFUND_REQUEST_HOURS = 24
REVIEW_BUSINESS_DAYS = 7
OPS_TIME_ZONE = "America/Los_Angeles"  # the FAQ's times are Pacific (payouts "7 PM PST")


class RefundWindowClosed(Conflict):
    """The customer asked for a refund after the request window closed."""

    code = "refund_window_closed"


class RefundDecision(str, Enum):
    APPROVE = "approve"
    DENY = "deny"


class RefundState(str, Enum):
    OPEN = "open"  # waiting for ops' review
    APPROVED = "approved"  # ops approved; the PayPal refund is under way
    DENIED = "denied"
    REFUNDED = "refunded"  # PayPal completed the refund
    FAILED = "failed"  # PayPal refused the refund; ops must look


def check_seconds(value: object, field: str) -> int:
    """A time as whole seconds since the epoch (not a bool, not a float), or InvalidInput."""
    if not is_cents(value):  # a whole number, not a bool: the same test as for cents
        raise InvalidInput("A time is a whole number of seconds since the epoch.", field=field)
    return value  # type: ignore[return-value]


def refund_window_closes_at(session_ended_at: int, hours: int = REFUND_REQUEST_HOURS) -> int:
    """The first second at which a refund can no longer be requested."""
    return check_seconds(session_ended_at, "session_ended_at") + check_seconds(hours, "hours") * 3600


def may_request_refund(*, session_ended_at: int, now: int, hours: int = REFUND_REQUEST_HOURS) -> bool:
    """True until `hours` after the session's end (the closing second itself is too late)."""
    return check_seconds(now, "now") < refund_window_closes_at(session_ended_at, hours)


def require_refund_window(*, session_ended_at: int, now: int, hours: int = REFUND_REQUEST_HOURS) -> None:
    """Raises RefundWindowClosed unless a refund may still be requested."""
    if not may_request_refund(session_ended_at=session_ended_at, now=now, hours=hours):
        raise RefundWindowClosed(f"Refunds can be requested within {hours} hours of the session's end.")


@lru_cache(maxsize=8)
def _us_holidays(year: int) -> frozenset[date]:
    """US federal holidays of `year`, observed days included (when the government is closed)."""
    import holidays  # imported on first use: it is slow to import and only refunds need it

    return frozenset(holidays.country_holidays("US", years=year))


def is_business_day(day: date) -> bool:
    """Monday to Friday and not a US federal holiday (nor its observed day)."""
    return day.weekday() < 5 and day not in _us_holidays(day.year)


def add_business_days(day: date, business_days: int) -> date:
    """The `business_days`-th business day after `day` (`day` itself never counts)."""
    if not is_cents(business_days) or business_days < 0:
        raise InvalidInput("A number of business days is a whole number, 0 or more.", field="business_days")
    while business_days > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            business_days -= 1
    return day


def review_deadline(requested_at: int, business_days: int = REVIEW_BUSINESS_DAYS,
                    tz: str = OPS_TIME_ZONE) -> int:
    """When ops' review time runs out: midnight (in `tz`) ending the `business_days`-th business
    day after the day of the request, as seconds since the epoch; a request on a weekend or a
    holiday starts counting from the next business day, and DST is handled by the time zone."""
    zone = ZoneInfo(tz)
    requested_on = datetime.fromtimestamp(check_seconds(requested_at, "requested_at"), zone).date()
    last_day = add_business_days(requested_on, business_days)
    end = datetime.combine(last_day + timedelta(days=1), time(0, 0), tzinfo=zone)
    return int(end.timestamp())


def refund_amount(split: Split, keep_paypal_fee: bool = True) -> int:
    """What an approved refund gives back: the amount paid minus PayPal's fee (the FAQ), or the
    whole amount when the setting says the platform absorbs the fee."""
    return split.net_cents if keep_paypal_fee else split.amount_cents
