"""Helper plans, in one place. The FAQ versions differ, so every limit is a field here."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """What a Helper's plan allows."""

    name: str
    max_session_minutes: int | None  # session time per call, extensions included; None: no limit
    concurrent_calls: int | None  # calls at once (ringing or live); None: no limit
    tips: bool
    free_sessions: bool  # may agree terms with a price of 0


FREE = Plan(name="free", max_session_minutes=20, concurrent_calls=1, tips=False, free_sessions=True)
UPGRADED = Plan(name="upgraded", max_session_minutes=None, concurrent_calls=None, tips=True, free_sessions=True)
PLANS = {plan.name: plan for plan in (FREE, UPGRADED)}


def plan_named(name: str | None) -> Plan:
    return PLANS.get(name or FREE.name, FREE)


@dataclass(frozen=True)
class PlanSubscription:
    """A Helper's paid plan: upgraded until `until` (seconds since the epoch), then free again."""

    user_id: str
    plan: str
    until: int
    last_payment_id: str | None = None


def current_plan(subscription: PlanSubscription | None, now: int) -> Plan:
    """The plan in force now: the upgraded plan while it is paid for, else the free plan."""
    if subscription is None or subscription.until <= now:
        return FREE
    return plan_named(subscription.plan)


def extended(subscription: PlanSubscription | None, *, user_id: str, days: int, payment_id: str,
             now: int) -> PlanSubscription:
    """A paid period more: from its end if still running, from now if not; once per payment."""
    if subscription is not None and subscription.last_payment_id == payment_id:
        return subscription
    start = max(now, subscription.until) if subscription else now
    return PlanSubscription(user_id=user_id, plan=UPGRADED.name, until=start + days * 86400,
                            last_payment_id=payment_id)
