"""A local PayPal: a stateful HTTP server on loopback that answers PayPal's REST routes with
PayPal's own request and response shapes, so the app's real SDK talks to it unchanged.

So far: OAuth2 client-credentials tokens (`POST /v1/oauth2/token`), bearer checks on every
`/v1` and `/v2` route, and order lookup (`GET /v2/checkout/orders/{id}`). Orders, captures,
refunds, payouts and webhooks grow on the same router and state object.

    sandbox = PayPalSandbox(client_id="id", client_secret="secret", state_path=path).start()
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
import os
import re
import secrets
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger("interkanect.local.paypal")

TOKEN_LIFETIME_SECONDS = 32400
TOKEN_REUSE_MIN_SECONDS = 300  # PayPal hands back the same token until it is nearly spent
MAX_BODY_BYTES = 1024 * 1024
MAX_REQUEST_ID_LENGTH = 108
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
ORDERS_DOCS = "https://developer.paypal.com/docs/api/orders/v2/"
OVERVIEW_DOCS = "https://developer.paypal.com/docs/api/overview/"
INVALID_RESOURCE_ID = "Specified resource ID does not exist. Please check the resource ID and try again."


def new_debug_id() -> str:
    """A PayPal-style debug id (13 hex digits), sent as `Paypal-Debug-Id` and in error bodies."""
    return secrets.token_hex(7)[:13]


def info_link(docs: str, issue: str) -> dict:
    """The `information_link` PayPal attaches to an error, pointing at the issue's docs."""
    return {"href": f"{docs}#error-{issue}", "rel": "information_link", "method": "GET"}


# -- errors, in PayPal's two shapes --------------------------------------------------------

class PayPalError(Exception):
    """A REST error in PayPal's standard body: name, message, debug_id, details, links."""

    def __init__(self, status: int, name: str, message: str, *, details: list[dict] | None = None,
                 links: list[dict] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {name}: {message}")
        self.status, self.name, self.message = status, name, message
        self.details, self.links, self.headers = details, links, headers or {}

    def response(self, debug_id: str) -> "SandboxResponse":
        body: dict[str, Any] = {"name": self.name}
        if self.details:
            body["details"] = self.details
        body.update(message=self.message, debug_id=debug_id)
        if self.links:
            body["links"] = self.links
        return SandboxResponse(self.status, body, dict(self.headers))


def invalid_request(issue: str, description: str, *, field: str | None = None,
                    location: str = "body", docs: str = ORDERS_DOCS) -> PayPalError:
    """400 INVALID_REQUEST: the request is malformed or breaks the schema."""
    detail = {"issue": issue, "description": description, "location": location}
    if field:
        detail["field"] = field
    return PayPalError(400, "INVALID_REQUEST",
                       "Request is not well-formed, syntactically incorrect, or violates schema.",
                       details=[detail], links=[info_link(docs, issue)])


def resource_not_found(*, description: str = INVALID_RESOURCE_ID,
                       docs: str = ORDERS_DOCS) -> PayPalError:
    """404 RESOURCE_NOT_FOUND with the INVALID_RESOURCE_ID issue, as PayPal answers unknown ids."""
    return PayPalError(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.",
                       details=[{"issue": "INVALID_RESOURCE_ID", "description": description}],
                       links=[info_link(docs, "INVALID_RESOURCE_ID")])


class OAuthError(Exception):
    """An OAuth2 error in PayPal's identity shape: `{"error", "error_description"}`."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status, self.error, self.description = status, error, description

    def response(self, debug_id: str) -> "SandboxResponse":
        return SandboxResponse(self.status, {"error": self.error, "error_description": self.description})


# -- state -----------------------------------------------------------------------------------

@dataclass
class AccessToken:
    """A bearer token the sandbox issued to a REST app, with its absolute expiry."""

    value: str
    client_id: str
    app_id: str
    scope: str
    nonce: str
    expires_at: float

    def seconds_left(self, now: float) -> int:
        return round(self.expires_at - now)


@dataclass
class StoredResponse:
    """The first answer to a `PayPal-Request-Id`, replayed for every retry of that request."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class SandboxState:
    """Everything the sandbox remembers, saved to and loaded from one JSON file."""

    VERSION = 1

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tokens: dict[str, AccessToken] = {}
        self.orders: dict[str, dict] = {}
        self.replies: dict[str, StoredResponse] = {}
        self._claims: dict[str, threading.Lock] = {}

    def to_json(self) -> dict:
        with self.lock:
            return {
                "version": self.VERSION,
                "tokens": [asdict(t) for t in self.tokens.values()],
                "orders": self.orders,
                "replies": {key: asdict(reply) for key, reply in self.replies.items()},
            }

    @classmethod
    def from_json(cls, data: dict) -> "SandboxState":
        if not isinstance(data, dict) or data.get("version") != cls.VERSION:
            raise ValueError(f"not a version {cls.VERSION} sandbox state")
        state = cls()
        state.tokens = {t["value"]: AccessToken(**t) for t in data.get("tokens", [])}
        state.orders = dict(data.get("orders", {}))
        state.replies = {k: StoredResponse(**r) for k, r in data.get("replies", {}).items()}
        return state

    def save(self, path: Path) -> None:
        """Writes atomically: a crash mid-write never leaves half a state file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        with self.lock:
            text = json.dumps(self.to_json(), indent=1, sort_keys=True)
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> "SandboxState":
        """The saved state; an unreadable file is moved aside (kept for a look) and we start empty."""
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as error:
            aside = path.with_name(f"{path.name}.unreadable-{int(time.time())}")
            os.replace(path, aside)
            log.warning("PayPal sandbox state %s is unreadable (%s); moved to %s, starting empty",
                        path, error, aside)
            return cls()

    @contextmanager
    def claim(self, key: str) -> Iterator[None]:
        """Serialises requests sharing an idempotency key, so duplicates see the first answer."""
        with self.lock:
            claim = self._claims.setdefault(key, threading.Lock())
        with claim:
            yield


# -- requests, responses, routing ---------------------------------------------------------

@dataclass
class SandboxRequest:
    """One HTTP request, transport-free: what every handler receives."""

    method: str
    path: str
    headers: Message
    body: bytes = b""
    query: dict[str, list[str]] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    token: AccessToken | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The JSON body; 415 if it is not JSON, 400 MALFORMED_REQUEST_JSON if it does not parse."""
        if self.content_type != "application/json" and not self.content_type.endswith("+json"):
            raise PayPalError(415, "UNSUPPORTED_MEDIA_TYPE",
                              "The server does not support the request payload's media type.",
                              details=[{"issue": "UNSUPPORTED_MEDIA_TYPE",
                                        "description": "Send the body as application/json."}],
                              links=[info_link(ORDERS_DOCS, "UNSUPPORTED_MEDIA_TYPE")])
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise invalid_request("MALFORMED_REQUEST_JSON",
                                  "The request JSON is not well formed.") from None

    def form(self) -> dict[str, str]:
        """The url-encoded form body (first value of each field); empty if the body is not a form."""
        if self.content_type != "application/x-www-form-urlencoded":
            return {}
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            return {}
        return {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}


@dataclass
class SandboxResponse:
    """What a handler answers: status, a JSON-able body (or None) and extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[SandboxRequest], SandboxResponse]


@dataclass(frozen=True)
class Route:
    """A method + path template, its handler, and whether it needs a token or a request id."""

    method: str
    template: str
    pattern: re.Pattern
    handler: Handler
    authenticated: bool
    idempotent: bool


class Router:
    """Maps `METHOD /path/{param}` to handlers; the sandbox's routes all live here."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, *, authenticated: bool = True,
            idempotent: bool = False) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        self.routes.append(Route(method.upper(), template, re.compile(f"^{regex}$"), handler,
                                 authenticated, idempotent))

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], list[Route]]:
        """The route and its (decoded) params; with no route, the routes of other methods on the path."""
        others = []
        for route in self.routes:
            found = route.pattern.match(path)
            if not found:
                continue
            if route.method == method:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}, []
            others.append(route)
        return None, {}, others


def _is_api_path(path: str) -> bool:
    return path.startswith(("/v1/", "/v2/"))


# -- the sandbox ---------------------------------------------------------------------------

class PayPalSandbox:
    """PayPal's REST API on a loopback port, with state that survives restarts."""

    def __init__(self, *, client_id: str, client_secret: str, host: str = "127.0.0.1", port: int = 0,
                 state_path: str | Path | None = None, clock: Callable[[], float] = time.time) -> None:
        self.host, self.port = host, port
        self.client_id, self.client_secret = client_id, client_secret
        self.app_id = "APP-" + hashlib.sha256(client_id.encode()).hexdigest()[:17].upper()
        self.state_path = Path(state_path) if state_path else None
        self.clock = clock
        self.state = SandboxState()
        self.failures: list[str] = []  # debug ids of 500s; tests assert this stays empty
        self.router = Router()
        self._server: _SandboxServer | None = None
        self._thread: threading.Thread | None = None
        self._routes()

    def _routes(self) -> None:
        """Every route the sandbox answers; later issues add orders, captures, refunds, payouts."""
        self.router.add("GET", "/", self._describe, authenticated=False)
        self.router.add("POST", TOKEN_ROUTE, self._issue_token, authenticated=False)
        self.router.add("GET", "/v2/checkout/orders/{id}", self._show_order)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> "PayPalSandbox":
        """Loads the saved state, binds the port and serves in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("the PayPal sandbox is already running")
        if self.state_path and self.state_path.exists():
            self.state = SandboxState.load(self.state_path)
        self._server = _SandboxServer((self.host, self.port), _SandboxHttpHandler, self)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True,
                                        name=f"paypal-sandbox:{self._server.server_port}")
        self._thread.start()
        log.info("PayPal sandbox serving at %s", self.url)
        return self

    @property
    def url(self) -> str:
        """The base URL to give the app (`IK_PAYPAL_BASE_URL`), e.g. `http://127.0.0.1:54321`."""
        if self._server is None:
            raise RuntimeError("the PayPal sandbox is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Stops serving, frees the port and saves the state (if a `state_path` was given)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
        self.save()

    def save(self) -> None:
        """Writes the state to `state_path` now (stop() does it too)."""
        if self.state_path:
            self.state.save(self.state_path)

    def __enter__(self) -> "PayPalSandbox":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the request pipeline (transport-free) --------------------------------------------
    def handle(self, request: SandboxRequest, debug_id: str) -> SandboxResponse:
        """Authenticates, routes, replays idempotent retries, and turns PayPal errors into bodies."""
        try:
            route, request.params, others = self.router.match(request.method, request.path)
            guarded = (route.authenticated if route
                       else not others or any(r.authenticated for r in others))
            if _is_api_path(request.path) and guarded:
                request.token = self.authenticate(request.header("Authorization"))
            if route is None:
                raise self._no_route(request, sorted({r.method for r in others}))
            if route.idempotent and request.header("PayPal-Request-Id"):
                return self.idempotent(request, route, debug_id)
            return route.handler(request)
        except (PayPalError, OAuthError) as error:
            return error.response(debug_id)

    def idempotent(self, request: SandboxRequest, route: Route, debug_id: str) -> SandboxResponse:
        """Runs a request once per `PayPal-Request-Id` and route; retries get the stored answer."""
        request_id = request.header("PayPal-Request-Id") or ""
        if len(request_id) > MAX_REQUEST_ID_LENGTH:
            raise invalid_request("INVALID_PARAMETER_SYNTAX",
                                  f"PayPal-Request-Id is over {MAX_REQUEST_ID_LENGTH} characters.",
                                  field="PayPal-Request-Id", location="header")
        client = request.token.client_id if request.token else "-"
        key = f"{client} {route.method} {request.path} {request_id}"
        with self.state.claim(key):
            stored = self.state.replies.get(key)
            if stored is not None:
                return SandboxResponse(stored.status, stored.body, dict(stored.headers))
            try:
                response = route.handler(request)
            except PayPalError as error:
                response = error.response(debug_id)
            if response.status < 500:
                with self.state.lock:
                    self.state.replies[key] = StoredResponse(response.status, response.body,
                                                             response.headers)
            return response

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
            "routes": [f"{r.method} {r.template}" for r in self.router.routes],
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

    def _show_order(self, request: SandboxRequest) -> SandboxResponse:
        """`GET /v2/checkout/orders/{id}`: the order, or PayPal's 404 for an unknown id."""
        with self.state.lock:
            order = self.state.orders.get(request.params["id"])
        if order is None:
            raise resource_not_found()
        return SandboxResponse(200, order)


# -- HTTP transport ------------------------------------------------------------------------

class _SandboxServer(ThreadingHTTPServer):
    """The listening socket; each connection is served in its own daemon thread."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, sandbox: PayPalSandbox) -> None:
        self.sandbox = sandbox
        super().__init__(address, handler)


class _SandboxHttpHandler(BaseHTTPRequestHandler):
    """Turns HTTP into SandboxRequests and SandboxResponses into JSON; never answers HTML."""

    server: _SandboxServer
    server_version = "interKanect-PayPal-sandbox/1"
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
                                  field="Content-Length", location="header", docs=OVERVIEW_DOCS)
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
        payload = b"" if response.body is None else json.dumps(response.body).encode("utf-8")
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Paypal-Debug-Id", debug_id)
            for name, value in response.headers.items():
                self.send_header(name, value)
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
        self._write(SandboxResponse(status, body, {"Connection": "close"}), debug_id)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("PayPal sandbox %s - %s", self.address_string(), format % args)
