"""ICE servers with TURN REST API credentials, and the per-connection signalling limit."""
import base64
import hashlib
import hmac

from chalicelib.domain.ice import ice_servers, turn_credentials
from chalicelib.services.signals import SignalLimiter


def test_turn_credentials_follow_the_coturn_rest_api_scheme():
    username, credential = turn_credentials(secret="s3cret", user_id="u1", now=1000, ttl_seconds=3600)
    assert username == "4600:u1"
    expected = base64.b64encode(hmac.new(b"s3cret", b"4600:u1", hashlib.sha1).digest()).decode()
    assert credential == expected


def test_turn_is_offered_only_with_urls_and_a_secret():
    both = ice_servers(stun_urls=("stun:a",), turn_urls=("turn:b",), turn_secret="x", user_id="u", now=0,
                       ttl_seconds=60)
    assert both["ice_servers"][0] == {"urls": ["stun:a"]} and both["ice_servers"][1]["urls"] == ["turn:b"]
    assert both["ttl"] == 60
    no_secret = ice_servers(stun_urls=("stun:a",), turn_urls=("turn:b",), turn_secret="", user_id="u", now=0,
                            ttl_seconds=60)
    assert no_secret["ice_servers"] == [{"urls": ["stun:a"]}]
    assert ice_servers(stun_urls=(), turn_urls=(), turn_secret="", user_id="u", now=0,
                       ttl_seconds=60)["ice_servers"] == []


def test_a_connection_may_burst_then_is_held_to_the_rate():
    now = [0.0]
    limiter = SignalLimiter(rate_per_second=10, burst=5, clock=lambda: now[0])
    assert all(limiter.allow("c1") for _ in range(5))
    assert limiter.allow("c1") is False
    assert limiter.allow("c2") is True  # each connection has its own bucket
    now[0] += 0.1  # one token back after 1/10 s
    assert limiter.allow("c1") is True and limiter.allow("c1") is False
