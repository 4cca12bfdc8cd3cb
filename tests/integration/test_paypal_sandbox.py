"""The local PayPal sandbox, driven by the app's real PayPal gateway (the official SDK) over HTTP:
OAuth tokens, bearer checks, PayPal-shaped errors that match PayPal's spec, state across restarts."""
from __future__ import annotations

import base64
import json
import socket
from pathlib import Path

import pytest
import requests

from chalicelib.adapters.paypal import (
    InMemoryPayPalGateway,
    PayPalCredentialsRejected,
    PayPalGateway,
    PayPalNotConfigured,
    build_paypal_client,
    client_secret,
)
from chalicelib.settings import Settings
from infra.local.paypal_sandbox import PayPalSandbox, SandboxResponse
from infra.local.paypal_specs import validate_response

CLIENT_ID = "AbCdInterKanectTestClient"
SECRET = "EFgh-interkanect-test-secret"
ORDER_PATH = "/v2/checkout/orders/{id}"
pytestmark = pytest.mark.integration
TOKEN_KEYS = {"scope", "access_token", "token_type", "app_id", "expires_in", "nonce"}


@pytest.fixture
def sandbox(tmp_path: Path):
    box = PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET,
                        state_path=tmp_path / "paypal.json").start()
    yield box
    box.stop()
    assert box.failures == [], "the sandbox answered 500"


def settings_for(box: PayPalSandbox, *, secret: str = SECRET, parameter: str = "") -> Settings:
    return Settings(paypal_base_url=box.url, paypal_client_id=CLIENT_ID, paypal_client_secret=secret,
                    paypal_client_secret_parameter=parameter)


def basic(client_id: str = CLIENT_ID, secret: str = SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_request(box: PayPalSandbox, *, auth: str | None = None,
                  data: str = "grant_type=client_credentials",
                  content_type: str = "application/x-www-form-urlencoded") -> requests.Response:
    headers = {"Authorization": auth or basic(), "Content-Type": content_type}
    return requests.post(f"{box.url}/v1/oauth2/token", data=data, headers=headers, timeout=5)


def assert_paypal_error(response: requests.Response, status: int, name: str) -> dict:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["name"] == name and body["message"]
    assert body["debug_id"] == response.headers["Paypal-Debug-Id"]
    return body


# -- OAuth --------------------------------------------------------------------------------

def test_gateway_gets_a_token_through_the_sdk(sandbox) -> None:
    gateway = PayPalGateway(settings_for(sandbox))
    token = gateway.access_token()
    assert token.value.startswith("A21AA") and token.token_type == "Bearer"
    assert "openid" in token.scope.split()
    assert gateway.access_token() == token  # cached, not fetched again
    assert list(sandbox.state.tokens) == [token.value]


def test_token_response_has_paypal_shape(sandbox) -> None:
    response = token_request(sandbox)
    assert response.status_code == 200 and response.headers["Paypal-Debug-Id"]
    body = response.json()
    assert set(body) == TOKEN_KEYS
    assert body["token_type"] == "Bearer" and body["expires_in"] == 32400
    assert body["access_token"].startswith("A21AA") and body["app_id"].startswith("APP-")
    # the SDK's own model reads the same answer, and PayPal hands back the live token again
    client = build_paypal_client(settings_for(sandbox))
    sdk_token = client.o_auth_authorization.request_token(
        {"authorization": client.oauth_2.build_basic_auth_header()}).body
    assert sdk_token.access_token == body["access_token"]
    assert sdk_token.token_type == "Bearer" and 32390 <= sdk_token.expires_in <= 32400
    # any base URL survives the SDK's cloning of its configuration
    assert client.config.clone_with(timeout=5).get_base_uri() == sandbox.url


def test_wrong_secret_is_refused_by_the_sdk(sandbox) -> None:
    from paypalserversdk.exceptions.o_auth_provider_exception import OAuthProviderException

    client = build_paypal_client(settings_for(sandbox, secret="not-the-secret"))
    with pytest.raises(OAuthProviderException) as info:
        client.oauth_2.fetch_token()
    assert info.value.response_code == 401
    assert info.value.error == "invalid_client"
    assert info.value.error_description == "Client Authentication failed"
    with pytest.raises(PayPalCredentialsRejected) as rejected:
        PayPalGateway(settings_for(sandbox, secret="not-the-secret")).access_token()
    assert isinstance(rejected.value.__cause__, OAuthProviderException)
    assert sandbox.state.tokens == {}


@pytest.mark.parametrize("auth", [None, "Bearer abc", "Basic !!!not-base64!!!", basic(secret="")])
def test_token_needs_client_credentials(sandbox, auth) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if auth:
        headers["Authorization"] = auth
    response = requests.post(f"{sandbox.url}/v1/oauth2/token", data="grant_type=client_credentials",
                             headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client",
                               "error_description": "Client Authentication failed"}


@pytest.mark.parametrize("data, content_type", [
    ("grant_type=password", "application/x-www-form-urlencoded"),
    ("", "application/x-www-form-urlencoded"),
    ('{"grant_type": "client_credentials"}', "application/json"),
    ("grant_type=%FF%FE", "application/x-www-form-urlencoded"),
])
def test_token_needs_the_client_credentials_grant(sandbox, data, content_type) -> None:
    response = token_request(sandbox, data=data, content_type=content_type)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "unsupported_grant_type" and body["error_description"]


def test_expired_token_is_refused(tmp_path) -> None:
    now = [1_800_000_000.0]
    box = PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET, clock=lambda: now[0]).start()
    try:
        token = token_request(box).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        response = requests.get(f"{box.url}/v2/checkout/orders/X", headers=headers, timeout=5)
        assert response.status_code == 404
        now[0] += 32400
        response = requests.get(f"{box.url}/v2/checkout/orders/X", headers=headers, timeout=5)
        assert response.status_code == 401 and response.json()["error"] == "invalid_token"
        assert token_request(box).json()["access_token"] != token  # a fresh one is issued
    finally:
        box.stop()
    assert box.failures == []


# -- REST routes --------------------------------------------------------------------------

def test_unknown_order_answers_paypal_404_matching_the_spec(sandbox) -> None:
    from paypalserversdk.exceptions.error_exception import ErrorException

    gateway = PayPalGateway(settings_for(sandbox))
    with pytest.raises(ErrorException) as info:
        gateway.sdk.orders.get_order({"id": "5O190127TN364715T"})
    assert info.value.response_code == 404
    body = json.loads(info.value.response.text)
    validate_response("checkout_orders_v2", ORDER_PATH, "get", 404, body)
    assert body["name"] == "RESOURCE_NOT_FOUND" and body["details"][0]["issue"] == "INVALID_RESOURCE_ID"
    assert body["debug_id"] == info.value.response.headers["Paypal-Debug-Id"]
    assert len(sandbox.state.tokens) == 1  # the SDK used the gateway's token


def test_rest_routes_need_a_bearer_token(sandbox) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": basic()}):
        response = requests.get(f"{sandbox.url}/v2/checkout/orders/ABC", headers=headers, timeout=5)
        assert response.status_code == 401 and response.headers["Paypal-Debug-Id"]
        body = response.json()
        assert body["error"] == "invalid_token" and body["error_description"]
    # unknown REST routes are behind the same door
    assert requests.get(f"{sandbox.url}/v2/nothing/here", timeout=5).status_code == 401


def test_unknown_routes_and_methods_answer_paypal_errors(sandbox) -> None:
    headers = {"Authorization": f"Bearer {PayPalGateway(settings_for(sandbox)).access_token().value}"}
    assert_paypal_error(requests.get(f"{sandbox.url}/v2/nothing/here", headers=headers, timeout=5),
                        404, "RESOURCE_NOT_FOUND")
    assert_paypal_error(requests.get(f"{sandbox.url}/elsewhere", timeout=5), 404, "RESOURCE_NOT_FOUND")
    wrong_method = requests.delete(f"{sandbox.url}/v2/checkout/orders/ABC", headers=headers, timeout=5)
    assert_paypal_error(wrong_method, 405, "METHOD_NOT_SUPPORTED")
    assert wrong_method.headers["Allow"] == "GET, PATCH"
    brew = requests.request("BREW", f"{sandbox.url}/v2/coffee", timeout=5)
    assert_paypal_error(brew, 405, "METHOD_NOT_SUPPORTED")
    token_by_get = requests.get(f"{sandbox.url}/v1/oauth2/token", timeout=5)  # needs no token
    assert_paypal_error(token_by_get, 405, "METHOD_NOT_SUPPORTED")


def test_describes_itself(sandbox) -> None:
    response = requests.get(sandbox.url + "/", timeout=5)
    assert response.status_code == 200 and response.headers["Paypal-Debug-Id"]
    body = response.json()
    assert body["base_url"] == sandbox.url
    assert "POST /v1/oauth2/token" in body["routes"] and "GET /v2/checkout/orders/{id}" in body["routes"]


def raw_exchange(box: PayPalSandbox, data: bytes) -> tuple[int, dict, dict]:
    """Sends raw bytes and parses the HTTP answer (status, headers, JSON body)."""
    host, port = box.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        raw = b""
        while chunk := conn.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, json.loads(body)


@pytest.mark.parametrize("data, status", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /v2 HTTP/9.9\r\n\r\n", 400),
    (b"POST /v1/oauth2/token HTTP/1.1\r\nContent-Length: lots\r\n\r\n", 400),
    (b"POST /v1/oauth2/token HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413),
    (b"POST /v1/oauth2/token HTTP/1.1\r\nContent-Length: 50\r\n\r\nshort", 400),
    (b"POST /v1/oauth2/token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
])
def test_malformed_http_gets_json_4xx(sandbox, data, status) -> None:
    answered, headers, body = raw_exchange(sandbox, data)
    assert answered == status and headers["content-type"] == "application/json"
    assert body["name"] and body["debug_id"]


def test_chunked_bodies_are_read(sandbox) -> None:
    form = b"grant_type=client_credentials"
    request = (b"POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
               b"Content-Type: application/x-www-form-urlencoded\r\n"
               b"Authorization: " + basic().encode() + b"\r\n\r\n"
               + f"{len(form):x}\r\n".encode() + form + b"\r\n0\r\n\r\n")
    status, _, body = raw_exchange(sandbox, request)
    assert status == 200 and set(body) == TOKEN_KEYS


def test_paypal_request_id_replays_the_first_answer(sandbox) -> None:
    calls = []

    def create_thing(request):  # a stand-in for the money routes to come
        calls.append(request.json())
        return SandboxResponse(201, {"id": f"THING-{len(calls)}", "status": "CREATED"})

    sandbox.router.add("POST", "/v2/things", create_thing, idempotent=True)
    headers = {"Authorization": f"Bearer {PayPalGateway(settings_for(sandbox)).access_token().value}",
               "Content-Type": "application/json"}
    first, again, other = (
        requests.post(f"{sandbox.url}/v2/things", json={"n": 1}, timeout=5,
                      headers={**headers, "PayPal-Request-Id": request_id})
        for request_id in ("req-1", "req-1", "req-2"))
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() == {"id": "THING-1", "status": "CREATED"}
    assert other.json()["id"] == "THING-2" and len(calls) == 2
    bad_json = requests.post(f"{sandbox.url}/v2/things", data="{nope", timeout=5,
                             headers={**headers, "PayPal-Request-Id": "req-3"})
    issue = assert_paypal_error(bad_json, 400, "INVALID_REQUEST")["details"][0]["issue"]
    assert issue == "MALFORMED_REQUEST_JSON"
    not_json = requests.post(f"{sandbox.url}/v2/things", data="n=1", timeout=5,
                             headers={**headers, "Content-Type": "text/plain"})
    assert_paypal_error(not_json, 415, "UNSUPPORTED_MEDIA_TYPE")


# -- lifecycle and state ------------------------------------------------------------------

def test_state_survives_stop_and_start(tmp_path) -> None:
    state = tmp_path / "local" / "paypal.json"
    first = PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET, state_path=state).start()
    token = PayPalGateway(settings_for(first)).access_token().value
    first.stop()
    assert json.loads(state.read_text())["tokens"][0]["value"] == token

    second = PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET, state_path=state).start()
    try:
        response = requests.get(f"{second.url}/v2/checkout/orders/ABC", timeout=5,
                                headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 404  # the old token still opens the door
        assert token_request(second).json()["access_token"] == token
    finally:
        second.stop()
    assert first.failures == second.failures == []


def test_unreadable_state_is_set_aside(tmp_path) -> None:
    state = tmp_path / "paypal.json"
    state.write_text("{not json")
    with PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET, state_path=state) as box:
        assert box.state.tokens == {}
    set_aside = [p.name for p in tmp_path.iterdir() if p != state]
    assert len(set_aside) == 1 and set_aside[0].startswith("paypal.json.unreadable-")
    assert json.loads(state.read_text())["version"] == 1


def test_start_twice_is_refused_and_stop_is_idempotent(sandbox) -> None:
    with pytest.raises(RuntimeError):
        sandbox.start()
    spare = PayPalSandbox(client_id=CLIENT_ID, client_secret=SECRET)
    spare.stop()
    with pytest.raises(RuntimeError):
        spare.url


# -- the client secret --------------------------------------------------------------------

def test_secret_comes_from_ssm_when_not_in_settings(sandbox) -> None:
    import boto3
    from moto import mock_aws

    parameter = "/interkanect/paypal/client-secret"
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        ssm.put_parameter(Name=parameter, Value=SECRET, Type="SecureString")
        settings = settings_for(sandbox, secret="", parameter=parameter)
        assert client_secret(settings, ssm) == SECRET
        assert PayPalGateway(settings, ssm=ssm).access_token().value.startswith("A21AA")
    with pytest.raises(PayPalNotConfigured):
        client_secret(settings)  # a parameter but no SSM client
    with pytest.raises(PayPalNotConfigured):
        client_secret(settings_for(sandbox, secret=""))
    assert client_secret(settings_for(sandbox), ssm=object()) == SECRET  # settings win, SSM untouched


def test_in_memory_twin_behaves_like_the_gateway() -> None:
    now = [1000.0]
    twin = InMemoryPayPalGateway(client_id="id", client_secret="s", clock=lambda: now[0])
    token = twin.access_token()
    assert twin.access_token() == token and twin.fetches == 1
    now[0] += 32400
    assert twin.access_token() != token and twin.fetches == 2
    twin.use_credentials("id", "wrong")
    with pytest.raises(PayPalCredentialsRejected):
        twin.access_token()
