"""The rules this deployment runs by, as the FAQ, Terms and Privacy pages state them: read from the
same settings and domain constants the code enforces, so a page never disagrees with the code."""
from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.domain.calls import MAX_MINUTES, NEGOTIATION_SECONDS, PAYMENT_SECONDS, RING_SECONDS
from chalicelib.domain.helper_pages import SESSION_LENGTHS
from chalicelib.domain.money import format_usd
from chalicelib.domain.payout_schedule import PayoutSchedule, next_payout
from chalicelib.domain.plans import FREE, UPGRADED, Plan
from chalicelib.settings import Settings


def _plan(plan: Plan, *, fee_basis_points: int, price_cents: int, days: int | None) -> dict:
    return {
        "name": plan.name,
        "price_cents": price_cents,
        "days": days,
        "fee_basis_points": fee_basis_points,
        "max_session_minutes": plan.max_session_minutes,
        "concurrent_calls": plan.concurrent_calls,
        "tips": plan.tips,
        "free_sessions": plan.free_sessions,
    }


def site_rules(settings: Settings, schedule: PayoutSchedule, now: int) -> dict:
    """What a person may rely on here: plans and fees, calls, tips, refunds, payouts, accounts."""
    payout_day, paid_by = next_payout(schedule, now)
    rules = {
        "brand": settings.brand_name,
        "support_email": settings.support_email,
        "currency": settings.currency,
        "plans": [
            _plan(FREE, fee_basis_points=settings.free_plan_fee_basis_points, price_cents=0, days=None),
            _plan(UPGRADED, fee_basis_points=settings.upgraded_plan_fee_basis_points,
                  price_cents=settings.upgrade_price_cents, days=settings.upgrade_days),
        ],
        "paypal_fee": {"basis_points": settings.paypal_fee_basis_points,
                       "fixed_cents": settings.paypal_fee_fixed_cents},
        "calls": {
            "ring_seconds": RING_SECONDS,
            "negotiation_minutes": NEGOTIATION_SECONDS // 60,
            "payment_minutes": PAYMENT_SECONDS // 60,
            "priced_minutes": list(SESSION_LENGTHS),
            "max_minutes": MAX_MINUTES,
            "max_price_cents": settings.max_session_price_cents,
            "paid_sessions_need_storefront": True,
        },
        "tips": {"min_cents": settings.tip_min_cents, "max_cents": settings.tip_max_cents},
        "refunds": {
            "request_hours": settings.refund_request_hours,
            "review_business_days": settings.refund_review_business_days,
            "keeps_paypal_fee": settings.refund_keeps_paypal_fee,
        },
        "payouts": {
            "cadence": schedule.cadence.value,
            "holiday_shift": schedule.holiday_shift.value,
            "minimum_cents": schedule.minimum_cents,
            "pay_by_hour": schedule.pay_by_hour,
            "time_zone": schedule.time_zone,
            "next_day": payout_day.isoformat(),
            "next_paid_by": datetime.fromtimestamp(paid_by, timezone.utc).isoformat().replace("+00:00", "Z"),
        },
        "accounts": {
            "username_change_days": settings.username_change_days,
            "unconfirmed_sign_up_days": settings.unconfirmed_sign_up_days,
        },
    }
    return {**rules, "phrases": phrases(rules)}


def _percent(basis_points: int) -> str:
    whole, rest = divmod(basis_points, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"


def _hour(hour: int) -> str:
    return "noon" if hour == 12 else "midnight" if hour == 0 else f"{hour % 12} {'AM' if hour < 12 else 'PM'}"


CADENCE_WORDS = {"weekly": "every Friday", "biweekly": "every other Friday (counted from the first Friday of January)",
                 "monthly": "on the 15th of each month"}
HOLIDAY_WORDS = {"next": "the next business day", "previous": "the business day before"}
ZONE_WORDS = {"America/Los_Angeles": "Pacific time", "America/New_York": "Eastern time", "UTC": "UTC"}


def phrases(rules: dict) -> dict[str, str]:
    """The rules as the words the FAQ, Terms and Privacy pages put in their sentences, one source
    for the pages built with default settings and for the live values the browser puts in."""
    free, upgraded = rules["plans"]
    fee, payouts, refunds, calls = rules["paypal_fee"], rules["payouts"], rules["refunds"], rules["calls"]
    next_day = datetime.strptime(payouts["next_day"], "%Y-%m-%d")
    return {
        "brand": rules["brand"],
        "support_email": rules["support_email"],
        "free_fee": _percent(free["fee_basis_points"]),
        "free_share": _percent(10_000 - free["fee_basis_points"]),
        "free_max_minutes": f"{free['max_session_minutes']} minutes" if free["max_session_minutes"] else "no limit",
        "free_calls": (f"{free['concurrent_calls']} call at a time" if free["concurrent_calls"] == 1
                       else f"{free['concurrent_calls']} calls at a time" if free["concurrent_calls"]
                       else "any number of calls at once"),
        "upgraded_fee": _percent(upgraded["fee_basis_points"]),
        "upgraded_share": _percent(10_000 - upgraded["fee_basis_points"]),
        "upgrade_price": format_usd(upgraded["price_cents"]),
        "upgrade_days": f"{upgraded['days']} days",
        "paypal_fee": f"{_percent(fee['basis_points'])} + {format_usd(fee['fixed_cents'])}",
        "ring_seconds": f"{calls['ring_seconds']} seconds",
        "negotiation_minutes": f"{calls['negotiation_minutes']} minutes",
        "payment_minutes": f"{calls['payment_minutes']} minutes",
        "priced_minutes": ", ".join(str(m) for m in calls["priced_minutes"][:-1]) + f" and {calls['priced_minutes'][-1]}",
        "max_price": format_usd(calls["max_price_cents"]),
        "tip_range": f"{format_usd(rules['tips']['min_cents'])} to {format_usd(rules['tips']['max_cents'])}",
        "refund_hours": f"{refunds['request_hours']} hours",
        "refund_business_days": f"{refunds['review_business_days']} business days",
        "refund_amount": ("the amount you paid, minus PayPal's processing fee" if refunds["keeps_paypal_fee"]
                          else "the whole amount you paid"),
        "payout_days": CADENCE_WORDS[payouts["cadence"]],
        "payout_holiday": HOLIDAY_WORDS[payouts["holiday_shift"]],
        "payout_minimum": format_usd(payouts["minimum_cents"]),
        "payout_time": f"{_hour(payouts['pay_by_hour'])} {ZONE_WORDS.get(payouts['time_zone'], payouts['time_zone'])}",
        "next_payout": f"{next_day:%A}, {next_day:%B} {next_day.day}, {next_day.year}",
        "username_days": f"{rules['accounts']['username_change_days']} days",
        "unconfirmed_days": f"{rules['accounts']['unconfirmed_sign_up_days']} days",
    }
