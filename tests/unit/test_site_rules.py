"""The rules the FAQ states come from the settings and constants the code enforces: change a
setting and the answer of `GET /site/rules` changes with it."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from chalice.test import Client

from chalicelib.api.responses import SiteRules
from chalicelib.domain.calls import NEGOTIATION_SECONDS, PAYMENT_SECONDS
from chalicelib.domain.payout_schedule import PRESETS, schedule_from_settings
from chalicelib.domain.plans import FREE
from chalicelib.services.site_rules import site_rules
from chalicelib.settings import Settings

FRIDAY_NOON_UTC = int(datetime(2026, 12, 4, 12, tzinfo=timezone.utc).timestamp())  # 4 AM in Los Angeles


def test_the_defaults_are_the_rules_the_code_applies():
    rules = site_rules(Settings(), PRESETS["weekly"], FRIDAY_NOON_UTC)
    SiteRules.model_validate(rules)  # the shape the OpenAPI document promises
    free, upgraded = rules["plans"]
    assert (free["name"], free["fee_basis_points"], free["max_session_minutes"], free["tips"]) == (
        "free", 2000, FREE.max_session_minutes, False)
    assert (upgraded["price_cents"], upgraded["days"], upgraded["fee_basis_points"], upgraded["tips"]) == (
        1500, 30, 0, True)
    assert rules["paypal_fee"] == {"basis_points": 349, "fixed_cents": 49}
    assert rules["calls"]["negotiation_minutes"] * 60 == NEGOTIATION_SECONDS
    assert rules["calls"]["payment_minutes"] * 60 == PAYMENT_SECONDS
    assert rules["calls"]["max_price_cents"] == 100_000
    assert rules["refunds"] == {"request_hours": 24, "review_business_days": 7, "keeps_paypal_fee": True}
    assert rules["payouts"]["cadence"] == "weekly" and rules["payouts"]["pay_by_hour"] == 19
    # Friday 4 AM in Los Angeles: today is still the payout day, paid by 7 PM PST (03:00 UTC Saturday).
    assert rules["payouts"]["next_day"] == "2026-12-04"
    assert rules["payouts"]["next_paid_by"] == "2026-12-05T03:00:00Z"


def test_a_deployment_with_other_settings_states_its_own_rules():
    settings = replace(Settings(), free_plan_fee_basis_points=1500, upgrade_price_cents=900, tip_max_cents=10_000,
                       refund_request_hours=48, max_session_price_cents=50_000,
                       support_email="help@example.com", username_change_days=60)
    schedule = schedule_from_settings("monthly", minimum_cents=5000)
    rules = site_rules(settings, schedule, FRIDAY_NOON_UTC)
    assert rules["plans"][0]["fee_basis_points"] == 1500
    assert rules["plans"][1]["price_cents"] == 900
    assert rules["tips"]["max_cents"] == 10_000
    assert rules["refunds"]["request_hours"] == 48
    assert rules["calls"]["max_price_cents"] == 50_000
    assert rules["support_email"] == "help@example.com"
    assert rules["accounts"]["username_change_days"] == 60
    assert (rules["payouts"]["cadence"], rules["payouts"]["minimum_cents"]) == ("monthly", 5000)
    assert rules["payouts"]["next_day"] == "2026-12-15"


@pytest.fixture
def client(monkeypatch):
    from chalicelib import deps

    monkeypatch.setenv("IK_FREE_PLAN_FEE_BASIS_POINTS", "1000")
    monkeypatch.setenv("IK_SUPPORT_EMAIL", "care@example.com")
    deps.reset()
    from app import app

    with Client(app) as client:
        yield client
    deps.reset()


def test_the_route_answers_anyone_with_the_settings_in_force(client):
    answer = client.http.get("/site/rules")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    rules = json.loads(answer.body)
    SiteRules.model_validate(rules)
    assert rules["plans"][0]["fee_basis_points"] == 1000
    assert rules["support_email"] == "care@example.com"
