"""The pieces every part of the local PayPal sandbox shares: PayPal's error bodies, the state
that is saved between runs, transport-free requests and responses, the router, background
jobs, and PayPal-style ids and timestamps. `paypal_sandbox.py` puts them together."""
from __future__ import annotations

import heapq
import itertools
import json
import logging
import os
import re
import secrets
import string
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from email.message import Message
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs, unquote

log = logging.getLogger("local-stack.paypal")

MAX_REQUEST_ID_LENGTH = 108
ORDERS_DOCS = "https://developer.paypal.com/docs/api/orders/v2/"
PAYMENTS_DOCS = "https://developer.paypal.com/docs/api/payments/v2/"
PAYOUTS_DOCS = "https://developer.paypal.com/docs/api/payments.payouts-batch/v1/"
WEBHOOKS_DOCS = "https://developer.paypal.com/docs/api/webhooks/v1/"
OVERVIEW_DOCS = "https://developer.paypal.com/docs/api/overview/"
INVALID_RESOURCE_ID = "Specified resource ID does not exist. Please check the resource ID and try again."
_ID_ALPHABET = string.ascii_uppercase + string.digits
_ID_TABLE = bytes((_ID_ALPHABET.encode()[b % len(_ID_ALPHABET)]) for b in range(256))


def new_debug_id() -> str:
    """A PayPal-style debug id (13 hex digits), sent as `Paypal-Debug-Id` and in error bodies."""
    return secrets.token_hex(7)[:13]


def paypal_id(length: int = 17) -> str:
    """A PayPal resource id: capitals and digits (orders, captures, refunds 17; payouts 13).
    Random bytes mapped onto the 36 symbols (fast: a 15,000-item payout needs 45,000 ids)."""
    return secrets.token_bytes(length).translate(_ID_TABLE).decode("ascii")


def rfc3339(epoch: float) -> str:
    """PayPal's timestamps: `2024-05-01T12:00:00Z`."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def info_link(docs: str, issue: str) -> dict:
    """The `information_link` PayPal attaches to an error, pointing at the issue's docs."""
    return {"href": f"{docs}#error-{issue}", "rel": "information_link", "method": "GET"}


# -- errors, in PayPal's shapes ---------------------------------------------------------------

class PayPalError(Exception):
    """A REST error in PayPal's standard body: name, message, debug_id, details, links (v2), or
    with an `information_link` string as the v1 APIs (payouts, webhooks) answer."""

    def __init__(self, status: int, name: str, message: str, *, details: list[dict] | None = None,
                 links: list[dict] | None = None, headers: dict[str, str] | None = None,
                 information_link: str | None = None) -> None:
        super().__init__(f"{status} {name}: {message}")
        self.status, self.name, self.message = status, name, message
        self.details, self.links, self.headers = details, links, headers or {}
        self.information_link = information_link

    def body(self, debug_id: str) -> dict:
        body: dict[str, Any] = {"name": self.name}
        if self.details:
            body["details"] = self.details
        body.update(message=self.message, debug_id=debug_id)
        if self.information_link:
            body["information_link"] = self.information_link
        if self.links:
            body["links"] = self.links
        return body

    def response(self, debug_id: str) -> "SandboxResponse":
        return SandboxResponse(self.status, self.body(debug_id), dict(self.headers))


def invalid_request(issue: str, description: str, *, field: str | None = None,
                    location: str | None = "body", docs: str = ORDERS_DOCS, value: str | None = None) -> PayPalError:
    """400 INVALID_REQUEST: the request is malformed or breaks the schema. `location` is body,
    path or query (PayPal's spec has none for headers: pass None and name the header as `field`)."""
    detail = {"issue": issue, "description": description}
    if location is not None:
        detail["location"] = location
    if field:
        detail["field"] = field
    if value is not None:
        detail["value"] = value
    return PayPalError(400, "INVALID_REQUEST",
                       "Request is not well-formed, syntactically incorrect, or violates schema.",
                       details=[detail], links=[info_link(docs, issue)])


def resource_not_found(*, description: str = INVALID_RESOURCE_ID,
                       docs: str = ORDERS_DOCS) -> PayPalError:
    """404 RESOURCE_NOT_FOUND with the INVALID_RESOURCE_ID issue, as PayPal answers unknown ids."""
    return PayPalError(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.",
                       details=[{"issue": "INVALID_RESOURCE_ID", "description": description}],
                       links=[info_link(docs, "INVALID_RESOURCE_ID")])


def service_unavailable(docs: str = OVERVIEW_DOCS) -> PayPalError:
    """503 SERVICE_UNAVAILABLE, as PayPal answers during an outage (retry with the same request id)."""
    return PayPalError(503, "SERVICE_UNAVAILABLE", "Service Unavailable.",
                       links=[info_link(docs, "SERVICE_UNAVAILABLE")], headers={"Retry-After": "1"})


def internal_server_error(docs: str = OVERVIEW_DOCS) -> PayPalError:
    return PayPalError(500, "INTERNAL_SERVER_ERROR", "An internal server error occurred.",
                       links=[info_link(docs, "INTERNAL_SERVER_ERROR")])


def v1_error(status: int, name: str, message: str, *, docs: str, details: list[dict] | None = None,
             links: list[dict] | None = None) -> PayPalError:
    """An error of PayPal's v1 APIs (payouts, webhooks): name, message, debug_id,
    information_link, details."""
    return PayPalError(status, name, message, details=details, links=links,
                       information_link=f"{docs}#errors")


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
    """The first answer to a `PayPal-Request-Id`, replayed for every retry of that request.
    `resource` (kind and id) lets a replay show the resource's latest state, as PayPal does."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    resource: dict | None = None
    created_at: float | None = None


class SandboxState:
    """Everything the sandbox remembers, saved to and loaded from one JSON file. Resources are
    kept as plain JSON dicts keyed by id; `lock` guards every read-modify-write of them."""

    VERSION = 1
    RESOURCES = ("orders", "captures", "refunds", "payouts", "payout_items", "sender_batches",
                 "webhooks", "events", "receiver_outcomes", "faults")

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tokens: dict[str, AccessToken] = {}
        self.replies: dict[str, StoredResponse] = {}
        self.orders: dict[str, dict] = {}
        self.captures: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.payouts: dict[str, dict] = {}  # payout batches by payout_batch_id
        self.payout_items: dict[str, dict] = {}
        self.sender_batches: dict[str, str] = {}  # sender_batch_id -> payout_batch_id
        self.webhooks: dict[str, dict] = {}
        self.events: dict[str, dict] = {}
        self.receiver_outcomes: dict[str, str] = {}  # receiver (lower case) -> FAILED/RETURNED/...
        self.faults: dict[str, dict] = {}  # route -> {"mode": ..., "count": n}
        self.deliveries: list[dict] = []
        self.signing: dict[str, str] = {}  # the webhook signing key and certificate (PEM)
        self._claims: dict[str, list] = {}  # key -> [lock, holders]

    def to_json(self) -> dict:
        with self.lock:
            data = {
                "version": self.VERSION,
                "tokens": [asdict(t) for t in self.tokens.values()],
                "replies": {key: asdict(reply) for key, reply in self.replies.items()},
                "deliveries": self.deliveries,
                "signing": self.signing,
            }
            data.update({name: getattr(self, name) for name in self.RESOURCES})
            return json.loads(json.dumps(data))  # a deep copy, taken under the lock

    @classmethod
    def from_json(cls, data: dict) -> "SandboxState":
        if not isinstance(data, dict) or data.get("version") != cls.VERSION:
            raise ValueError(f"not a version {cls.VERSION} sandbox state")
        state = cls()
        state.tokens = {t["value"]: AccessToken(**t) for t in data.get("tokens", [])}
        state.replies = {k: StoredResponse(**r) for k, r in data.get("replies", {}).items()}
        for name in cls.RESOURCES:  # older files lack the newer collections: they start empty
            value = data.get(name, {})
            if not isinstance(value, dict):
                raise ValueError(f"{name} is not an object")
            setattr(state, name, dict(value))
        state.deliveries = list(data.get("deliveries", []))
        state.signing = dict(data.get("signing", {}))
        return state

    def save(self, path: Path) -> None:
        """Writes atomically: a crash mid-write never leaves half a state file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
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
        """Serialises requests sharing an idempotency key: a duplicate waits for the first to
        finish (and then finds its stored answer). The key's lock is dropped when nobody holds
        or waits for it, so claims do not pile up."""
        with self.lock:
            entry = self._claims.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self.lock:
                entry[1] -= 1
                if entry[1] == 0:
                    self._claims.pop(key, None)

    def prune_replies(self, older_than: float) -> None:
        """Forgets request ids stored before `older_than` (PayPal keeps them for hours, not forever)."""
        with self.lock:
            for key in [k for k, r in self.replies.items()
                        if r.created_at is not None and r.created_at < older_than]:
                del self.replies[key]


# -- background jobs ---------------------------------------------------------------------------

class BackgroundJobs:
    """Runs jobs after a delay on a few daemon threads (webhook deliveries and their retries,
    payout processing). Delays use the monotonic clock; a failing job is logged, never raised."""

    def __init__(self, name: str, workers: int = 1) -> None:
        self.name = name
        self.workers = max(1, workers)
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._sequence = itertools.count()
        self._condition = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._running = 0
        self._stopping = False

    def start(self) -> None:
        with self._condition:
            self._stopping = False
        for number in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"{self.name}-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 2.0) -> None:
        """Stops the workers (a job under way finishes in its thread); queued jobs stay queued."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        for thread in self._threads:
            thread.join(timeout=timeout)
        self._threads = []

    def clear(self) -> None:
        with self._condition:
            self._heap.clear()

    def schedule(self, delay: float, job: Callable[[], None]) -> None:
        with self._condition:
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay), next(self._sequence), job))
            self._condition.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Waits until no job is running and none is due before `timeout` runs out (a retry due
        sooner is waited for; a job due later is not). False if the time ran out first."""
        deadline = time.monotonic() + timeout
        with self._condition:
            return self._condition.wait_for(
                lambda: not self._running and (not self._heap or self._heap[0][0] > deadline), timeout)

    def _work(self) -> None:
        while True:
            with self._condition:
                while not self._stopping:
                    now = time.monotonic()
                    if self._heap and self._heap[0][0] <= now:
                        break
                    self._condition.wait(self._heap[0][0] - now if self._heap else None)
                if self._stopping:
                    return
                _, _, job = heapq.heappop(self._heap)
                self._running += 1
            try:
                job()
            except Exception:  # a job's failure is its own; the worker carries on
                log.exception("PayPal sandbox background job failed (%s)", self.name)
            finally:
                with self._condition:
                    self._running -= 1
                    self._condition.notify_all()


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

    def query_value(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def wants_representation(self) -> bool:
        """`Prefer: return=representation` (PayPal's default is `return=minimal`)."""
        return "return=representation" in (self.header("Prefer") or "").replace(" ", "").lower()

    def json(self, docs: str = ORDERS_DOCS) -> Any:
        """The JSON body; 415 if it is not JSON, 400 MALFORMED_REQUEST_JSON if it does not parse."""
        if self.content_type != "application/json" and not self.content_type.endswith("+json"):
            raise PayPalError(415, "UNSUPPORTED_MEDIA_TYPE",
                              "The server does not support the request payload's media type.",
                              details=[{"issue": "UNSUPPORTED_MEDIA_TYPE",
                                        "description": "Send the body as application/json."}],
                              links=[info_link(docs, "UNSUPPORTED_MEDIA_TYPE")])
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise invalid_request("MALFORMED_REQUEST_JSON",
                                  "The request JSON is not well formed.", docs=docs) from None

    def json_object(self, *, optional: bool = False, docs: str = ORDERS_DOCS) -> dict:
        """The body as a JSON object; with `optional`, an empty body reads as `{}` (captures and
        refunds may be posted without one)."""
        if optional and not self.body.strip():
            return {}
        body = self.json(docs)
        if not isinstance(body, dict):
            raise invalid_request("MALFORMED_REQUEST_JSON", "The request JSON is not well formed.",
                                  docs=docs)
        return body

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
    """What a handler answers: status, a body and extra headers. A JSON body is any JSON-able
    value (or None); with another `content_type` the body is `str` or `bytes`. `resource`
    (`{"kind", "id", "view"}`) tells the replay layer which resource the answer shows."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    resource: dict | None = None


Handler = Callable[[SandboxRequest], SandboxResponse]


@dataclass(frozen=True)
class Route:
    """A method + path template and its handler. `authenticated`: needs a bearer token;
    `idempotent`: honours PayPal-Request-Id; `replay_status`: the status a replay answers with
    (Orders v2 answers a repeated request 200 OK); `fault`: the name `/sandbox/failures` uses;
    `mocks`: raises the error a `PayPal-Mock-Response` header asks for."""

    method: str
    template: str
    pattern: re.Pattern
    handler: Handler
    authenticated: bool
    idempotent: bool
    replay_status: int | None = None
    fault: str | None = None
    mocks: Callable[[SandboxRequest, list[str] | None], PayPalError] | None = None

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


class Router:
    """Maps `METHOD /path/{param}` to handlers; the sandbox's routes all live here."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, *, authenticated: bool = True,
            idempotent: bool = False, replay_status: int | None = None, fault: str | None = None,
            mocks: Callable[[SandboxRequest, list[str] | None], PayPalError] | None = None) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        self.routes.append(Route(method.upper(), template, re.compile(f"^{regex}$"), handler,
                                 authenticated, idempotent, replay_status, fault, mocks))

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

    def find(self, name: str) -> Route | None:
        """A route by its fault name (`capture`) or its key (`POST /v2/checkout/orders/{id}/capture`)."""
        return next((r for r in self.routes if name in (r.fault, r.key)), None)
