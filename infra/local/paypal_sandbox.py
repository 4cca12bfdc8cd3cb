"""A local PayPal: a stateful HTTP server on loopback that answers PayPal's REST routes with
PayPal's own request and response shapes, so the app's real SDK (`paypal-server-sdk`) talks to
it unchanged, and a browser approves payments on a page of its own.

PayPal's routes (bearer token from `POST /v1/oauth2/token` on every `/v1` and `/v2` route):

    POST /v1/oauth2/token                               client credentials -> bearer token
    POST /v2/checkout/orders                            create (CREATED, or PAYER_ACTION_REQUIRED
                                                        when payment_source.paypal is given)
    GET  /v2/checkout/orders/{id}
    PATCH /v2/checkout/orders/{id}                      amount, description, custom_id, invoice_id
    POST /v2/checkout/orders/{id}/capture               APPROVED -> COMPLETED, exactly once
    POST /v2/checkout/orders/{id}/track                 a tracking number for a COMPLETED capture
    GET  /v2/payments/captures/{capture_id}
    POST /v2/payments/captures/{capture_id}/refund      full or partial, up to what is left
    GET  /v2/payments/refunds/{refund_id}
    POST /v1/payments/payouts                           batch payouts, processed in the background
    GET  /v1/payments/payouts/{payout_batch_id}
    GET  /v1/payments/payouts-item/{payout_item_id}
    POST /v1/payments/payouts-item/{payout_item_id}/cancel
    POST|GET /v1/notifications/webhooks, GET|DELETE /v1/notifications/webhooks/{webhook_id}
    GET  /v1/notifications/webhooks-event-types, GET /v1/notifications/webhooks-events[/{event_id}]
    POST /v1/notifications/webhooks-events/{event_id}/resend
    POST /v1/notifications/verify-webhook-signature
    GET  /v1/notifications/certs/{name}                 the webhook certificate (no token)

The payer's page (no token): `GET /checkoutnow?token={order_id}`, whose form posts to
`POST /checkoutnow` ("Approve and pay" / "Cancel and return") -- see paypal_checkout_page.py.

Test controls (no token, local use only; details in paypal_control.py):

    POST /sandbox/orders/{id}/approve                   approve without the page (optional shipping address)
    POST /sandbox/captures/{id}/reverse                 chargeback -> PAYMENT.CAPTURE.REVERSED
    POST /sandbox/webhooks                              {"url", "event_types"} -> {"id"}
    GET  /sandbox/webhooks/events, GET /sandbox/webhooks/deliveries      the event and delivery logs
    POST /sandbox/webhooks/events/{event_id}/resend     deliver again, new transmission id
    POST|GET|DELETE /sandbox/failures                   {"route": "orders"|"capture"|"refund"|"payouts",
                                                        "mode": "declined"|"unavailable", "count": N}
    POST|GET /sandbox/payouts/receivers                 {"email", "outcome": "FAILED"|"RETURNED"|"UNCLAIMED"}
    POST /sandbox/payouts/{batch_id}/process            pay out a pending batch now
    GET  /sandbox/stats, POST /sandbox/stats/reset      requests per route; `paypal_calls`

Webhook signing and delivery: paypal_webhooks.py. Orders, captures, refunds: paypal_orders.py
(issues: paypal_issues.py). Payouts: paypal_payouts.py. Money: paypal_money.py.

Every POST honours `PayPal-Request-Id`: a repeat (even a concurrent one, which waits for the
first) gets the first answer again -- for orders the order's latest state, 200 OK, as PayPal
does. Answers of 5xx are not kept, so a retry after one runs again. `PayPal-Mock-Response:
{"mock_application_codes": "INSTRUMENT_DECLINED"}` makes a route fail as PayPal's sandbox does
(nothing changes). Money is exact (integer minor units). State (tokens, orders, captures,
refunds, payouts, webhooks, events, deliveries, the signing key) is saved to `state_path` on
stop and loaded on start.

    sandbox = PayPalSandbox(client_id="id", client_secret="secret", state_path=path).start()
    webhook_id = sandbox.register_webhook(f"{api_url}/webhooks/paypal")   # IK_PAYPAL_WEBHOOK_ID
    ... point IK_PAYPAL_BASE_URL at sandbox.url ...
    sandbox.stop()   # saves the state to `state_path`
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, urlsplit

from infra.local.paypal_checkout_page import CheckoutPage
from infra.local.paypal_control import DECLINABLE, Control, check_fault, check_receiver
from infra.local.paypal_core import (
    MAX_REQUEST_ID_LENGTH,
    OVERVIEW_DOCS,
    AccessToken,
    OAuthError,
    PayPalError,
    Route,
    Router,
    SandboxRequest,
    SandboxResponse,
    SandboxState,
    StoredResponse,
    info_link,
    invalid_request,
    new_debug_id,
    resource_not_found,
    rfc3339,
    service_unavailable,
)
from infra.local.paypal_money import FeeSchedule
from infra.local.paypal_orders import Checkout
from infra.local.paypal_payouts import Payouts
from infra.local.paypal_webhooks import Webhooks

log = logging.getLogger("local-stack.paypal")

TOKEN_LIFETIME_SECONDS = 32400
TOKEN_REUSE_MIN_SECONDS = 300  # PayPal hands back the same token until it is nearly spent
MAX_BODY_BYTES = 16 * 1024 * 1024  # a payout batch of 15,000 items runs to a few MB
TOKEN_ROUTE = "/v1/oauth2/token"
SCOPE = " ".join((
    "https://uri.paypal.com/services/invoicing",
    "https://uri.paypal.com/services/payments/payment/authcapture",
    "https://uri.paypal.com/services/payments/refund",
    "https://uri.paypal.com/services/payments/realtimepayment",
    "https://uri.paypal.com/payments/payouts",
    "https://uri.paypal.com/services/applications/webhooks",
    "https://uri.paypal.com/services/disputes/read-seller",
    "https://api.paypal.com/v1/payments/.*",
    "openid",
))
_ACCOUNT_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # PayPal account ids: no 0, 1, I or O


def _is_api_path(path: str) -> bool:
    return path.startswith(("/v1/", "/v2/"))


def _stable_id(seed: str, length: int = 13) -> str:
    """A PayPal-style account id derived from `seed` (the same buyer keeps the same PayerID)."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_ACCOUNT_ID_ALPHABET[b % len(_ACCOUNT_ID_ALPHABET)] for b in digest[:length])


@dataclass(frozen=True)
class Buyer:
    """The sandbox's personal account: who approves every order on the approval page."""

    email: str = "sandbox-buyer@personal.example.com"
    given_name: str = "Sandbox"
    surname: str = "Buyer"
    country_code: str = "US"
    address: dict = field(default_factory=lambda: {
        "address_line_1": "1 Main St", "admin_area_2": "San Jose", "admin_area_1": "CA",
        "postal_code": "95131", "country_code": "US"})

    @property
    def payer_id(self) -> str:
        return _stable_id(f"buyer|{self.email.lower()}")

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.surname}"

    def payer(self) -> dict:
        return {"given_name": self.given_name, "surname": self.surname, "email_address": self.email,
                "payer_id": self.payer_id, "country_code": self.country_code}


@dataclass(frozen=True)
class Merchant:
    """The sandbox's business account (the REST app's owner): the payee of every order."""

    name: str = "interKanect"
    email: str = "merchant@business.example.com"

    @property
    def merchant_id(self) -> str:
        return _stable_id(f"merchant|{self.email.lower()}")

    def payee(self) -> dict:
        return {"email_address": self.email, "merchant_id": self.merchant_id}


def _mock_codes(raw: str) -> list[str] | None:
    """The codes of a `PayPal-Mock-Response` header, or None if it is not PayPal's JSON shape."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    codes = data.get("mock_application_codes") if isinstance(data, dict) else None
    if isinstance(codes, str):
        codes = [c.strip() for c in codes.split(",")]
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        return None
    return [c for c in codes if c] or None


class PayPalSandbox:
    """PayPal's REST API on a loopback port, with state that survives restarts.

    `fee_rate` and `fee_fixed` make PayPal's fee on a capture (3.49% rounded half up, plus 0.49
    in the capture's currency; Decimal or str); `order_ttl_seconds` is how long an order may wait
    for approval and capture; `payout_delay_seconds` how long a payout batch stays PENDING;
    `webhook_retry_delays` the waits between delivery attempts (then FAILED);
    `webhook_timeout_seconds` the wait for a webhook receiver's answer; `replay_ttl_seconds` how
    long a PayPal-Request-Id is remembered; `buyer` who approves on the approval page and
    `merchant` the payee (the REST app's owner), with PayPal-style account ids;
    `autosave_seconds` how often the state is also saved while running (with a `state_path`; None:
    only on stop), so a killed process loses at most that much."""

    def __init__(self, *, client_id: str, client_secret: str, host: str = "127.0.0.1", port: int = 0,
                 state_path: str | Path | None = None, clock: Callable[[], float] = time.time,
                 fee_rate: Decimal | str = "0.0349", fee_fixed: Decimal | str = "0.49",
                 order_ttl_seconds: float = 3 * 3600, payout_delay_seconds: float = 0.5,
                 webhook_retry_delays: Iterable[float] = (0.2, 1.0, 3.0), webhook_timeout_seconds: float = 5.0,
                 replay_ttl_seconds: float = 6 * 3600, buyer: Buyer | None = None,
                 merchant: Merchant | None = None, autosave_seconds: float | None = 30.0) -> None:
        self.host, self.port = host, port
        self.client_id, self.client_secret = client_id, client_secret
        self.app_id = "APP-" + hashlib.sha256(client_id.encode()).hexdigest()[:17].upper()
        self.state_path = Path(state_path) if state_path else None
        self.clock = clock
        self.fees = FeeSchedule(Decimal(fee_rate) if isinstance(fee_rate, str) else fee_rate,
                                Decimal(fee_fixed) if isinstance(fee_fixed, str) else fee_fixed)
        self.order_ttl_seconds = order_ttl_seconds
        self.replay_ttl_seconds = replay_ttl_seconds
        self.buyer = buyer or Buyer()
        self.merchant = merchant or Merchant()
        self.state = SandboxState()
        self.failures: list[str] = []  # debug ids of 500s; tests assert this stays empty
        self.router = Router()
        self.checkout = Checkout(self)
        self.checkout_page = CheckoutPage(self)
        self.webhooks = Webhooks(self, retry_delays=webhook_retry_delays, timeout_seconds=webhook_timeout_seconds)
        self.payouts = Payouts(self, delay_seconds=payout_delay_seconds)
        self.control = Control(self)
        self._stats: dict[str, int] = {}
        self._stats_lock = threading.Lock()
        self._stats_since = clock()
        self.autosave_seconds = autosave_seconds
        self._autosaving = threading.Event()
        self._save_lock = threading.Lock()
        self._server: _SandboxServer | None = None
        self._thread: threading.Thread | None = None
        self._routes()

    def _routes(self) -> None:
        """Every route the sandbox answers."""
        self.router.add("GET", "/", self._describe, authenticated=False)
        self.router.add("POST", TOKEN_ROUTE, self._issue_token, authenticated=False)
        for part in (self.checkout, self.checkout_page, self.payouts, self.webhooks, self.control):
            part.register(self.router)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> "PayPalSandbox":
        """Loads the saved state, binds the port and serves in a daemon thread; resumes webhook
        deliveries and payouts a previous run left unfinished."""
        if self._server is not None:
            raise RuntimeError("the PayPal sandbox is already running")
        if self.state_path and self.state_path.exists():
            self.state = SandboxState.load(self.state_path)
        self._server = _SandboxServer((self.host, self.port), _SandboxHttpHandler, self)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.02}, daemon=True,
                                        name=f"paypal-sandbox:{self._server.server_port}")
        self._thread.start()
        self.webhooks.start()
        self.payouts.start()
        if self.state_path and self.autosave_seconds:
            self._autosaving.clear()
            threading.Thread(target=self._autosave, name="paypal-sandbox-autosave", daemon=True).start()
        log.info("PayPal sandbox serving at %s", self.url)
        return self

    def _autosave(self) -> None:
        while not self._autosaving.wait(self.autosave_seconds):
            try:
                self.save()
            except OSError:
                log.exception("saving the PayPal sandbox state to %s failed", self.state_path)

    @property
    def url(self) -> str:
        """The base URL to give the app (`IK_PAYPAL_BASE_URL`), e.g. `http://127.0.0.1:54321`."""
        if self._server is None:
            raise RuntimeError("the PayPal sandbox is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Stops serving and delivering, frees the port and saves the state (if a `state_path`
        was given). Deliveries still pending are kept and resumed by the next start()."""
        if self._server is None:
            return
        self._autosaving.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.payouts.stop()
        self.webhooks.stop()
        self._server = self._thread = None
        self.save()

    def save(self) -> None:
        """Writes the state to `state_path` now (stop() does it too, and the autosave)."""
        if self.state_path:
            with self._save_lock:
                self.state.save(self.state_path)

    def drain(self, timeout: float = 10.0) -> bool:
        """Waits until the background work due within `timeout` is done: payouts processed,
        webhook deliveries delivered or given up (their retries included). For tests; False if
        `timeout` passed first."""
        deadline = time.monotonic() + timeout
        payouts_done = self.payouts.jobs.wait_idle(timeout)
        return payouts_done and self.webhooks.jobs.wait_idle(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> "PayPalSandbox":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the Python API (the local stack launcher and tests) ------------------------------
    def register_webhook(self, url: str, event_types: Iterable[str] = ("*",)) -> str:
        """The webhook id for `url` (created if needed): the app's IK_PAYPAL_WEBHOOK_ID."""
        return self.webhooks.register_webhook(url, event_types)

    def approve_order(self, order_id: str, shipping: dict | None = None) -> dict:
        """The payer approves `order_id`, as the approval page does (shipping, for an order whose
        payer picks the address: a `paypal_orders.shipping_address`); the order as PayPal shows it."""
        order, _ = self.checkout.approve(order_id, shipping)
        with self.state.lock:
            return self.checkout.order_json(order)

    def fail_next(self, route: str, mode: str, count: int = 1) -> None:
        """Arms a failure: the next `count` calls of `route` ("orders", "capture", "refund",
        "payouts", or a route key such as "GET /v2/checkout/orders/{id}") are "declined" or
        "unavailable" (503). See paypal_control.py."""
        known = list(DECLINABLE) + [r.key for r in self.router.routes]
        route, mode, count = check_fault(route, mode, count, known)
        with self.state.lock:
            self.state.faults[f"{route}#{mode}"] = {"route": route, "mode": mode, "count": count}

    def take_fault(self, route: str | None, mode: str) -> bool:
        """Uses up one armed failure of `route` in `mode`, if there is one."""
        if route is None:
            return False
        with self.state.lock:
            fault = self.state.faults.get(f"{route}#{mode}")
            if fault is None:
                return False
            fault["count"] -= 1
            if fault["count"] <= 0:
                del self.state.faults[f"{route}#{mode}"]
            return True

    def set_receiver_outcome(self, email: str, outcome: str) -> None:
        """Payouts to `email` end as `outcome` (FAILED, RETURNED, UNCLAIMED; SUCCESS resets)."""
        email, outcome = check_receiver(email, outcome)
        with self.state.lock:
            if outcome == "SUCCESS":
                self.state.receiver_outcomes.pop(email, None)
            else:
                self.state.receiver_outcomes[email] = outcome

    def stats(self) -> dict:
        """Requests per route (`METHOD /template`) since start or the last reset; `paypal_calls`
        counts PayPal's own routes (`/v1`, `/v2`), the calls a real PayPal would have answered."""
        with self._stats_lock:
            routes = dict(sorted(self._stats.items()))
        calls = sum(n for key, n in routes.items() if key.split(" ", 1)[-1].startswith(("/v1/", "/v2/")))
        return {"since": rfc3339(self._stats_since), "paypal_calls": calls, "routes": routes}

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._stats.clear()
            self._stats_since = self.clock()

    def _count(self, route: Route | None, request: SandboxRequest) -> None:
        prefix = request.path[:4] if _is_api_path(request.path) else "/"
        key = route.key if route else f"{request.method} {prefix}(no such route)"
        with self._stats_lock:
            self._stats[key] = self._stats.get(key, 0) + 1

    # -- the request pipeline (transport-free) --------------------------------------------
    def handle(self, request: SandboxRequest, debug_id: str) -> SandboxResponse:
        """Authenticates, routes, injects armed failures and mocked errors, replays idempotent
        retries, and turns PayPal errors into bodies."""
        try:
            route, request.params, others = self.router.match(request.method, request.path)
            self._count(route, request)
            guarded = (route.authenticated if route
                       else not others or any(r.authenticated for r in others))
            if _is_api_path(request.path) and guarded:
                request.token = self.authenticate(request.header("Authorization"))
            if route is None:
                raise self._no_route(request, sorted({r.method for r in others}))
            if self.take_fault(route.fault, "unavailable") or self.take_fault(route.key, "unavailable"):
                raise service_unavailable()
            mock = request.header("PayPal-Mock-Response")
            if mock is not None and route.mocks is not None:
                raise route.mocks(request, _mock_codes(mock))
            if route.idempotent and request.header("PayPal-Request-Id"):
                return self.idempotent(request, route, debug_id)
            return route.handler(request)
        except (PayPalError, OAuthError) as error:
            return error.response(debug_id)

    def idempotent(self, request: SandboxRequest, route: Route, debug_id: str) -> SandboxResponse:
        """Runs a request once per `PayPal-Request-Id` and route; retries get the stored answer
        (a concurrent retry waits for the first to finish)."""
        request_id = request.header("PayPal-Request-Id") or ""
        if len(request_id) > MAX_REQUEST_ID_LENGTH:
            raise invalid_request("INVALID_PARAMETER_SYNTAX",
                                  "The value of a field does not conform to the expected format.",
                                  field="PayPal-Request-Id", location=None)
        client = request.token.client_id if request.token else "-"
        key = f"{client} {route.method} {request.path} {request_id}"
        with self.state.claim(key):
            with self.state.lock:
                stored = self.state.replies.get(key)
            if stored is not None:
                return self._replay(stored, route)
            try:
                response = route.handler(request)
            except PayPalError as error:
                response = error.response(debug_id)
            if response.status < 500:
                now = self.clock()
                with self.state.lock:
                    self.state.replies[key] = StoredResponse(response.status, response.body, response.headers,
                                                             response.resource, now)
                    if len(self.state.replies) % 256 == 0:
                        self.state.prune_replies(now - self.replay_ttl_seconds)
            return response

    def _replay(self, stored: StoredResponse, route: Route) -> SandboxResponse:
        """The stored answer again; for a resource, its latest state (PayPal: "returns the latest
        status of the previous request"), with the route's replay status for a success."""
        body = stored.body
        if stored.resource and stored.resource.get("kind") == "order":
            body = self.checkout.render(stored.resource) or body
        status = stored.status
        if route.replay_status and 200 <= status < 300:
            status = route.replay_status
        return SandboxResponse(status, body, dict(stored.headers))

    def authenticate(self, authorization: str | None) -> AccessToken:
        """The live token of an `Authorization: Bearer` header, else 401 invalid_token."""
        scheme, _, value = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise OAuthError(401, "invalid_token",
                             "Authorization header is missing or is not a Bearer token")
        with self.state.lock:
            token = self.state.tokens.get(value.strip())
        if token is None or token.client_id != self.client_id:  # unknown, or another app's
            raise OAuthError(401, "invalid_token", "Token signature verification failed")
        if token.seconds_left(self.clock()) <= 0:
            raise OAuthError(401, "invalid_token", "Access Token not found in cache")
        return token

    def _no_route(self, request: SandboxRequest, allowed: list[str]) -> PayPalError:
        if allowed:
            return PayPalError(405, "METHOD_NOT_SUPPORTED",
                               "The server does not implement the requested HTTP method.",
                               details=[{"issue": "METHOD_NOT_SUPPORTED",
                                         "description": f"{request.path} takes {', '.join(allowed)}."}],
                               links=[info_link(OVERVIEW_DOCS, "METHOD_NOT_SUPPORTED")],
                               headers={"Allow": ", ".join(allowed)})
        return resource_not_found(description=f"No such resource: {request.method} {request.path}.",
                                  docs=OVERVIEW_DOCS)

    # -- handlers -------------------------------------------------------------------------
    def _describe(self, request: SandboxRequest) -> SandboxResponse:
        """A tiny description for humans and health checks."""
        return SandboxResponse(200, {
            "name": "interKanect local PayPal sandbox",
            "base_url": self.url if self._server else None,
            "client_id": self.client_id,
            "routes": [r.key for r in self.router.routes],
        })

    def _issue_token(self, request: SandboxRequest) -> SandboxResponse:
        """`POST /v1/oauth2/token`: client credentials by HTTP Basic, `grant_type=client_credentials`."""
        self._check_client(request.header("Authorization"))
        grant = request.form().get("grant_type")
        if not grant:
            raise OAuthError(400, "unsupported_grant_type", "Grant Type is NULL")
        if grant != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", f"unsupported grant_type {grant[:40]}")
        token = self._token_for(self.client_id)
        return SandboxResponse(200, {
            "scope": token.scope,
            "access_token": token.value,
            "token_type": "Bearer",
            "app_id": token.app_id,
            "expires_in": token.seconds_left(self.clock()),
            "nonce": token.nonce,
        })

    def _check_client(self, authorization: str | None) -> None:
        """HTTP Basic with this sandbox's client id and secret, else 401 invalid_client."""
        scheme, _, encoded = (authorization or "").strip().partition(" ")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
            client_id, _, secret = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id = secret = ""
        known = hmac.compare_digest(client_id.encode(), self.client_id.encode()) and \
            hmac.compare_digest(secret.encode(), self.client_secret.encode())
        if scheme.lower() != "basic" or not known:
            raise OAuthError(401, "invalid_client", "Client Authentication failed")

    def _token_for(self, client_id: str) -> AccessToken:
        """The client's live token while it has time left (as PayPal does), else a fresh one."""
        now = self.clock()
        with self.state.lock:
            for value, token in list(self.state.tokens.items()):
                if token.seconds_left(now) <= 0:
                    del self.state.tokens[value]
            live = [t for t in self.state.tokens.values()
                    if t.client_id == client_id and t.seconds_left(now) >= TOKEN_REUSE_MIN_SECONDS]
            if live:
                return max(live, key=lambda t: t.expires_at)
            stamp = datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            token = AccessToken(
                value="A21AA" + secrets.token_urlsafe(72),
                client_id=client_id,
                app_id=self.app_id,
                scope=SCOPE,
                nonce=stamp + secrets.token_urlsafe(32),
                expires_at=now + TOKEN_LIFETIME_SECONDS,
            )
            self.state.tokens[token.value] = token
            return token


# -- HTTP transport ------------------------------------------------------------------------

class _SandboxServer(ThreadingHTTPServer):
    """The listening socket; each connection is served in its own daemon thread."""

    daemon_threads = True
    request_queue_size = 128  # the default 5 drops bursts of connections (a 1 s SYN retry each)

    def __init__(self, address: tuple[str, int], handler: type, sandbox: PayPalSandbox) -> None:
        self.sandbox = sandbox
        super().__init__(address, handler)


class _SandboxHttpHandler(BaseHTTPRequestHandler):
    """Turns HTTP into SandboxRequests and SandboxResponses into bytes: JSON for the API (and for
    every error of the transport itself), HTML for the approval page, PEM for the certificate.
    HTTP/1.1 keep-alive, as PayPal's API serves it."""

    server: _SandboxServer
    server_version = "interKanect-PayPal-sandbox/1"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    timeout = 30

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        sandbox = self.server.sandbox
        debug_id = new_debug_id()
        try:
            response = sandbox.handle(self._read_request(), debug_id)
        except PayPalError as error:
            response = error.response(debug_id)
        except Exception:  # the server boundary: a surprise becomes a logged JSON 500
            log.exception("PayPal sandbox failed on %s %s (debug id %s)",
                          self.command, self.path, debug_id)
            sandbox.failures.append(debug_id)
            response = SandboxResponse(500, {"name": "INTERNAL_SERVER_ERROR",
                                             "message": "An internal server error occurred.",
                                             "debug_id": debug_id,
                                             "links": [info_link(OVERVIEW_DOCS,
                                                                 "INTERNAL_SERVER_ERROR")]})
        self._write(response, debug_id)

    def _read_request(self) -> SandboxRequest:
        target = urlsplit(self.path)
        return SandboxRequest(method=self.command, path=target.path or "/", headers=self.headers,
                              body=self._read_body(),
                              query=parse_qs(target.query, keep_blank_values=True))

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length_header = self.headers.get("Content-Length")
        if not length_header:
            return b""
        if not length_header.strip().isdigit():
            self.close_connection = True
            raise invalid_request("INVALID_PARAMETER_SYNTAX", "Content-Length is not a number.",
                                  field="Content-Length", location=None, docs=OVERVIEW_DOCS)
        length = int(length_header)
        return self._read_exactly(length, length)

    def _read_exactly(self, total: int, length: int) -> bytes:
        """`length` bytes of the body, refusing bodies whose `total` passes the limit."""
        if total > MAX_BODY_BYTES:
            self.close_connection = True
            raise PayPalError(413, "REQUEST_ENTITY_TOO_LARGE", "The request body is too large.",
                              details=[{"issue": "REQUEST_ENTITY_TOO_LARGE",
                                        "description": f"Bodies stop at {MAX_BODY_BYTES} bytes."}])
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            raise self._timed_out() from None
        if len(body) < length:
            self.close_connection = True
            raise invalid_request("MALFORMED_REQUEST", "The body ended before Content-Length bytes.",
                                  docs=OVERVIEW_DOCS)
        return body

    def _read_chunked(self) -> bytes:
        body = b""
        while True:
            size_line = self._readline(1024).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                self.close_connection = True
                raise invalid_request("MALFORMED_REQUEST", "The chunked body is malformed.",
                                      docs=OVERVIEW_DOCS) from None
            if size == 0:
                while self._readline(1024).strip():  # trailers
                    pass
                return body
            body += self._read_exactly(len(body) + size, size)
            self._readline(8)  # the CRLF after each chunk

    def _readline(self, limit: int) -> bytes:
        try:
            return self.rfile.readline(limit)
        except TimeoutError:
            raise self._timed_out() from None

    def _timed_out(self) -> PayPalError:
        self.close_connection = True
        return PayPalError(408, "REQUEST_TIMEOUT", "The client did not send the whole request in time.",
                           details=[{"issue": "REQUEST_TIMEOUT",
                                     "description": f"Send within {self.timeout}s."}])

    def _write(self, response: SandboxResponse, debug_id: str) -> None:
        if response.content_type == "application/json":
            payload = b"" if response.body is None else json.dumps(response.body).encode("utf-8")
        elif isinstance(response.body, bytes):
            payload = response.body
        else:
            payload = str(response.body or "").encode("utf-8")
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Paypal-Debug-Id", debug_id)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("PayPal sandbox client went away before its answer (%s)", debug_id)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own errors (bad request line, unknown method, huge headers) as PayPal JSON."""
        self.close_connection = True
        status = 405 if code == 501 else 400 if code >= 500 else code  # bad input is never a 5xx
        name = "METHOD_NOT_SUPPORTED" if status == 405 else "INVALID_REQUEST"
        debug_id = new_debug_id()
        short, long = self.responses.get(code, ("The request could not be understood.", ""))
        body = {"name": name, "message": message or short, "debug_id": debug_id,
                "details": [{"issue": name, "description": explain or long or message or short}]}
        if getattr(self, "request_version", "") not in ("HTTP/1.0", "HTTP/1.1"):
            self.request_version = "HTTP/1.0"  # answer garbage with real headers, not bare bytes
        self._write(SandboxResponse(status, body), debug_id)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("PayPal sandbox %s - %s", self.address_string(), format % args)
