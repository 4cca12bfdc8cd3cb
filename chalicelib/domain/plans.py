"""Helper plans, in one place. The FAQ versions differ, so every limit is a field here."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
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
