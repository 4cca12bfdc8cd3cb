"""The rules this deployment runs by, as the FAQ, Terms and Privacy pages state them: read from the
same settings and domain constants the code enforces, so a page never disagrees with the code."""
from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.domain.calls import MAX_MINUTES, NEGOTIATION_SECONDS, PAYMENT_SECONDS, RING_SECONDS
from chalicelib.domain.helper_pages import SESSION_LENGTHS
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
    return {
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
