"""The app's own abuse limits (adapters/rate_limits.py, on the in-memory twin): a fixed window
counted per key, rings per caller a minute, sign-ups and codes per email address and per source
IP an hour; over a limit the answer is 429 with Retry-After and nothing changes."""
from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import pytest

from chalicelib.adapters.accounts import InMemoryAccountStore
from chalicelib.adapters.identity import InMemoryIdentity
from chalicelib.adapters.mailer import InMemoryMailer
from chalicelib.adapters.rate_limits import InMemoryRateLimiter, enforce, window_of
from chalicelib.api.accounts import source_ip
from chalicelib.api.http import error_response
from chalicelib.domain.errors import RateLimited, TooManyAttempts
from chalicelib.services import accounts, calls
from chalicelib.settings import Settings
from tests.support.twins import CALLER, call_desk_twin

T0 = 1_800_000_020  # 20 s into a minute
PASSWORD = "Corr3ct-horse"


def test_the_window_is_fixed_and_aligned_on_the_epoch():
    assert window_of(125, 60) == (120, 180)
    assert window_of(3600 * 5 + 1, 3600) == (3600 * 5, 3600 * 6)


def test_hits_below_the_limit_pass_and_the_next_is_refused_with_the_seconds_left():
    limiter = InMemoryRateLimiter()
    start, end = window_of(T0, 60)
    hits = [limiter.hit("ring:bob", limit=3, window=60, now=T0 + i) for i in range(4)]
    assert [h.allowed for h in hits] == [True, True, True, False]
    assert [h.count for h in hits[:3]] == [1, 2, 3]
    assert hits[3].retry_after == end - (T0 + 3)
    assert limiter.counts == {f"ring:bob#{start}": 3}  # a refused hit changes nothing


def test_each_key_and_each_window_counts_on_its_own():
    limiter = InMemoryRateLimiter()
    for _ in range(2):
        limiter.hit("ring:bob", limit=2, window=60, now=T0)
    assert not limiter.hit("ring:bob", limit=2, window=60, now=T0).allowed
    assert limiter.hit("ring:ann", limit=2, window=60, now=T0).allowed
    assert limiter.hit("ring:bob", limit=2, window=60, now=window_of(T0, 60)[1]).allowed  # the next minute


def test_enforce_raises_a_429_with_retry_after_and_no_limiter_or_zero_limits_nothing():
    limiter = InMemoryRateLimiter()
    enforce(limiter, "k", limit=1, window=60, now=T0, what="One a minute")
    with pytest.raises(RateLimited) as refused:
        enforce(limiter, "k", limit=1, window=60, now=T0, what="One a minute")
    assert isinstance(refused.value, TooManyAttempts) and refused.value.retry_after == 40
    response = error_response(refused.value)
    assert response.status_code == 429 and response.headers["Retry-After"] == "40"
    assert response.body["error"] == {"code": "rate_limited", "message": "One a minute; try again in 40 s.",
                                      "details": {"retry_after": 40}}
    for _ in range(5):
        enforce(None, "k", limit=1, window=60, now=T0, what="x")
        enforce(limiter, "k", limit=0, window=60, now=T0, what="x")


def _ring(desk, now):
    call = calls.start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk, now=now)
    calls.act(action="cancel", call_id=call.call_id, user_id=CALLER, connection_id="c-caller", message={},
              desk=desk, now=now)
    return call


def test_a_caller_rings_six_times_a_minute_and_the_seventh_rings_nobody():
    desk = dataclasses.replace(call_desk_twin(now=T0), rings=InMemoryRateLimiter())
    assert desk.rings_per_minute == 6  # the default, as settings have it
    for i in range(6):
        _ring(desk, T0 + i)
    sent = len(desk.sender.sent)
    with pytest.raises(RateLimited) as refused:
        calls.start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk, now=T0 + 6)
    assert refused.value.retry_after == 60 - 26
    assert len(desk.sender.sent) == sent  # no tab of the Helper rang
    _ring(desk, window_of(T0, 60)[1])  # the next minute rings again


def test_a_refused_ring_is_an_error_frame_with_the_429_and_retry_after(monkeypatch):
    from chalicelib.adapters.websocket import InMemorySender
    from chalicelib.services import realtime

    desk = dataclasses.replace(call_desk_twin(now=T0), rings=InMemoryRateLimiter(), rings_per_minute=1)
    sender = InMemorySender()
    frames = []
    for n in range(2):
        realtime.handle_message(connection_id="c-caller", body=json.dumps({"action": "call", "helper": "ada",
                                                                           "id": f"ring-{n}"}),
                                connections=desk.connections, sender=sender, clock=lambda: T0,
                                liveness=SimpleNamespace(), desk=lambda: desk)
        frames.append(sender.sent[-1][1])
    assert frames[0]["type"] == "ack"
    assert frames[1] == {"type": "error", "code": "rate_limited", "id": "ring-1", "status": 429, "retry_after": 40,
                         "message": "You can ring at most 1 times a minute; try again in 40 s."}


SETTINGS = Settings(sign_ups_per_email_hour=3, sign_ups_per_ip_hour=5)


def _sign_up(identity, store, limiter, email, username, ip="203.0.113.7", mailer=None):
    return accounts.sign_up(email=email, password=PASSWORD, display_name="Ada", username=username,
                            identity=identity, accounts=store, mailer=mailer or InMemoryMailer(), settings=SETTINGS,
                            clock=lambda: T0, limiter=limiter, source_ip=ip)


def test_the_settings_default_to_real_limits():
    defaults = Settings.from_env({})
    assert (defaults.rings_per_minute, defaults.sign_ups_per_email_hour, defaults.sign_ups_per_ip_hour) == (6, 3, 20)
    assert Settings.from_env({"IK_RINGS_PER_MINUTE": "9"}).rings_per_minute == 9


def test_one_address_gets_three_codes_an_hour_whoever_asks_and_the_fourth_sends_nothing():
    identity, store, limiter = InMemoryIdentity(), InMemoryAccountStore(), InMemoryRateLimiter()
    mailer = InMemoryMailer()
    _sign_up(identity, store, limiter, "ada@example.com", "ada1", mailer=mailer)  # a code
    _sign_up(identity, store, limiter, "ADA@example.com", "ada2", ip="198.51.100.1", mailer=mailer)  # a notice
    accounts.resend_confirmation(email="ada@example.com", identity=identity, limiter=limiter, settings=SETTINGS,
                                 clock=lambda: T0)
    sent_before = len(mailer.sent)
    with pytest.raises(RateLimited):
        _sign_up(identity, store, limiter, "ada@example.com", "ada3", mailer=mailer)
    with pytest.raises(RateLimited):
        accounts.resend_confirmation(email="ada@example.com", identity=identity, limiter=limiter, settings=SETTINGS,
                                     clock=lambda: T0)
    assert len(mailer.sent) == sent_before and store.username_available("ada3")
    assert _sign_up(identity, store, limiter, "bea@example.com", "bea1")  # another address is not limited


def test_one_source_ip_signs_up_five_people_an_hour():
    identity, store, limiter = InMemoryIdentity(), InMemoryAccountStore(), InMemoryRateLimiter()
    for n in range(5):
        _sign_up(identity, store, limiter, f"p{n}@example.com", f"person{n}")
    with pytest.raises(RateLimited):
        _sign_up(identity, store, limiter, "p5@example.com", "person5")
    assert "p5@example.com" not in identity.accounts
    _sign_up(identity, store, limiter, "p5@example.com", "person5", ip=None)  # no source IP: per address only


def test_an_invalid_sign_up_counts_against_no_limit():
    identity, store, limiter = InMemoryIdentity(), InMemoryAccountStore(), InMemoryRateLimiter()
    for _ in range(5):
        with pytest.raises(Exception):
            accounts.sign_up(email="ada@example.com", password="short", display_name="Ada", username="ada",
                             identity=identity, accounts=store, mailer=InMemoryMailer(), settings=SETTINGS,
                             clock=lambda: T0, limiter=limiter, source_ip="203.0.113.7")
    assert limiter.counts == {}


@pytest.mark.parametrize("headers, context, expected", [
    ({"via": "2.0 abc.cloudfront.net (CloudFront)", "x-forwarded-for": "203.0.113.9, 130.176.1.1"},
     {"identity": {"sourceIp": "130.176.1.1"}}, "203.0.113.9"),
    ({"via": "2.0 abc.cloudfront.net (CloudFront)", "x-forwarded-for": "6.6.6.6, 203.0.113.9, 130.176.1.1"},
     {"identity": {"sourceIp": "130.176.1.1"}}, "203.0.113.9"),  # what the viewer wrote itself is not taken
    ({"x-forwarded-for": "6.6.6.6"}, {"identity": {"sourceIp": "198.51.100.4"}}, "198.51.100.4"),
    ({}, {}, None),
])
def test_the_source_ip_is_the_viewers_behind_cloudfront_else_api_gateways(headers, context, expected):
    assert source_ip(SimpleNamespace(headers=headers, context=context)) == expected
