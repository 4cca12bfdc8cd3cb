"""The PayPal gateway: PayPal's official server SDK (`paypalserversdk`) with client-credentials
OAuth, pointed at whatever base URL the settings name (PayPal sandbox, live, or the local
sandbox), for Orders v2 (create, show, capture) and Payments v2 (show capture, refund).
The SDK is imported on first use, never at import: cold starts stay lean.

Money is integer cents here and PayPal's decimal strings on the wire, converted exactly.
Every failure leaves as one of the `PayPalProblem` classes below, never as an SDK exception."""
from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Callable, Protocol
from urllib.parse import urlsplit

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import basis_points_of, cents_from_paypal, to_paypal_value
from chalicelib.settings import Settings

LIVE_BASE_URL = "https://api-m.paypal.com"
TOKEN_REFRESH_MARGIN_SECONDS = 120
PREFER = "return=representation"
MAX_REQUEST_ID_LENGTH = 108  # PayPal's limit for PayPal-Request-Id
MAX_TEXT = 127  # description, custom_id, brand_name
MAX_NOTE = 255  # note_to_payer

# PayPal's issue names (details[].issue) and what they mean for us.
NOT_APPROVED_ISSUES = frozenset({"ORDER_NOT_APPROVED", "PAYER_ACTION_REQUIRED"})
DECLINED_ISSUES = frozenset({
    "INSTRUMENT_DECLINED", "TRANSACTION_REFUSED", "PAYER_CANNOT_PAY", "PAYER_ACCOUNT_RESTRICTED",
    "PAYER_ACCOUNT_LOCKED_OR_CLOSED", "REDIRECT_PAYER_FOR_ALTERNATE_FUNDING",
    "MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED", "PAYMENT_SOURCE_DECLINED_BY_PROCESSOR",
})
ALREADY_CAPTURED = "ORDER_ALREADY_CAPTURED"
UNAVAILABLE_STATUSES = frozenset({408, 409, 429})  # timeout, request still in progress, rate limit


# -- errors -----------------------------------------------------------------------------------

class PayPalNotConfigured(RuntimeError):
    """The settings lack what it takes to reach PayPal (client id, or secret and its source)."""


class PayPalProblem(RuntimeError):
    """PayPal said no, or could not be asked; carries PayPal's own words for logs and support."""

    def __init__(self, message: str, *, status: int | None = None, name: str | None = None,
                 issue: str | None = None, debug_id: str | None = None) -> None:
        super().__init__(message)
        self.status = status  # PayPal's HTTP status, None when it never answered
        self.name = name  # e.g. UNPROCESSABLE_ENTITY
        self.issue = issue  # e.g. ORDER_NOT_APPROVED (the first of `details`)
        self.debug_id = debug_id  # quote it to PayPal's support


class OrderNotApproved(PayPalProblem):
    """Capture was asked before the payer approved the order (422 ORDER_NOT_APPROVED)."""


class PaymentDeclined(PayPalProblem):
    """PayPal declined the payer's funding (INSTRUMENT_DECLINED, TRANSACTION_REFUSED, ...) or
    the capture came back DECLINED; `order` is the order as PayPal left it, when known."""

    def __init__(self, message: str, *, order: "PayPalOrder | None" = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.order = order


class PayPalUnavailable(PayPalProblem):
    """5xx, 429, a timeout or a dropped connection: try again later with the same request id."""


class PayPalRejected(PayPalProblem):
    """Any other 4xx: PayPal understood and refused; the message names PayPal's name and issue."""


class PayPalCredentialsRejected(PayPalRejected):
    """PayPal refused the client id and secret (OAuth `invalid_client`)."""


class PayPalNotFound(PayPalRejected):
    """PayPal knows no such order, capture or refund (404 RESOURCE_NOT_FOUND)."""


# -- what PayPal tells us ---------------------------------------------------------------------

@dataclass(frozen=True)
class PayPalAccessToken:
    """A bearer token for PayPal's REST API and when it stops working (epoch seconds)."""

    value: str
    token_type: str
    scope: str
    expires_at: float

    def fresh(self, now: float, margin: float = TOKEN_REFRESH_MARGIN_SECONDS) -> bool:
        return now < self.expires_at - margin


@dataclass(frozen=True)
class PayPalCapture:
    """A captured payment: PENDING, COMPLETED, DECLINED, REFUNDED, PARTIALLY_REFUNDED, REVERSED
    (or FAILED); the fee and net arrive with COMPLETED captures."""

    capture_id: str
    status: str
    amount_cents: int
    paypal_fee_cents: int | None = None
    net_cents: int | None = None
    order_id: str | None = None
    custom_id: str | None = None
    create_time: str | None = None
    status_reason: str | None = None  # status_details.reason: CHARGEBACK, PENDING_REVIEW, ...


@dataclass(frozen=True)
class PayPalOrder:
    """A Checkout order: CREATED, PAYER_ACTION_REQUIRED, APPROVED, COMPLETED or VOIDED."""

    order_id: str
    status: str
    approve_url: str | None
    amount_cents: int
    currency: str
    custom_id: str | None = None
    payer_id: str | None = None
    capture: PayPalCapture | None = None


@dataclass(frozen=True)
class PayPalRefund:
    """A refund of (part of) a capture; status COMPLETED, PENDING, FAILED or CANCELLED."""

    refund_id: str
    status: str
    amount_cents: int
    capture_id: str | None = None
    custom_id: str | None = None


class PaymentGateway(Protocol):
    def access_token(self) -> PayPalAccessToken: ...

    def create_order(self, *, request_id: str, amount_cents: int, currency: str, description: str,
                     reference_id: str, custom_id: str, return_url: str, cancel_url: str,
                     brand_name: str) -> PayPalOrder: ...

    def get_order(self, order_id: str) -> PayPalOrder: ...

    def capture_order(self, *, order_id: str, request_id: str) -> PayPalOrder: ...

    def get_capture(self, capture_id: str) -> PayPalCapture: ...

    def refund_capture(self, *, capture_id: str, amount_cents: int, currency: str, request_id: str,
                       note: str, custom_id: str | None = None) -> PayPalRefund: ...


def paypal_fee_cents(amount_cents: int, *, basis_points: int = 349, fixed_cents: int = 49) -> int:
    """PayPal's processing fee on a payment, as the twin charges it: a rate (basis points,
    rounded half up) plus a fixed part, never more than the payment itself."""
    return min(amount_cents, basis_points_of(amount_cents, basis_points) + fixed_cents)


# -- checking what we send --------------------------------------------------------------------

def _check_cents(amount_cents: object) -> int:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValueError(f"an amount is a positive whole number of cents, not {amount_cents!r}")
    return amount_cents


def _check_currency(currency: str) -> str:
    if not (isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency)):
        raise ValueError(f"a currency is three capital letters (ISO 4217), not {currency!r}")
    return currency


def _check_request_id(request_id: str) -> str:
    if not (isinstance(request_id, str) and 0 < len(request_id) <= MAX_REQUEST_ID_LENGTH):
        raise ValueError(f"a PayPal-Request-Id has 1 to {MAX_REQUEST_ID_LENGTH} characters")
    return request_id


def _check_text(name: str, value: str, limit: int = MAX_TEXT) -> str:
    if not (isinstance(value, str) and 0 < len(value) <= limit):
        raise ValueError(f"{name} has 1 to {limit} characters")
    return value


def _check_refund_custom_id(custom_id: str) -> str:
    """A refund's custom_id has a narrower alphabet than an order's (PayPal's `refund` schema)."""
    _check_text("custom_id", custom_id)
    if not re.fullmatch(r"[A-Za-z0-9\-_.,]+", custom_id):
        raise ValueError(f"a refund's custom_id holds only letters, digits and - _ . , : {custom_id!r}")
    return custom_id


def _check_url(name: str, url: str) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} is an absolute http(s) URL, not {url!r}")
    return url


def _check_id(name: str, value: str) -> str:
    """PayPal ids are short and URL-safe; anything else cannot be one (and never reaches a path)."""
    if not (isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value)):
        raise ValueError(f"{name} is not a PayPal id: {value!r}")
    return value


def _clipped(name: str, text: str, limit: int = MAX_TEXT) -> str:
    """Free text PayPal shows people (a description, a brand): required, cut to PayPal's limit."""
    if not (isinstance(text, str) and text.strip()):
        raise ValueError(f"{name} is needed")
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# -- reading PayPal's JSON (the spec's field names) -------------------------------------------

def _money(node: Any) -> int | None:
    if not (isinstance(node, dict) and "value" in node):
        return None
    try:
        return cents_from_paypal(node["value"])
    except InvalidInput as error:  # PayPal sent what is not an amount: an unreadable answer
        raise ValueError(f"amount {node['value']!r}: {error}") from None


def _link(links: Any, *rels: str) -> str | None:
    for rel in rels:
        for link in links or ():
            if isinstance(link, dict) and link.get("rel") == rel and link.get("href"):
                return link["href"]
    return None


def _id_after(href: str | None, segment: str) -> str | None:
    """The path segment after `segment` in a HATEOAS link (`.../orders/ID` -> ID)."""
    if not href:
        return None
    parts = urlsplit(href).path.rstrip("/").split("/")
    return parts[parts.index(segment) + 1] if segment in parts[:-1] else None


def capture_from_paypal(body: dict, *, order_id: str | None = None) -> PayPalCapture:
    """A capture as the Orders and Payments APIs (and webhooks' `resource`) describe one."""
    breakdown = body.get("seller_receivable_breakdown") or {}
    related = (body.get("supplementary_data") or {}).get("related_ids") or {}
    return PayPalCapture(
        capture_id=body["id"],
        status=body["status"],
        amount_cents=_money(body.get("amount")) or 0,
        paypal_fee_cents=_money(breakdown.get("paypal_fee")),
        net_cents=_money(breakdown.get("net_amount")),
        order_id=order_id or related.get("order_id") or _id_after(_link(body.get("links"), "up"), "orders"),
        custom_id=body.get("custom_id"),
        create_time=body.get("create_time"),
        status_reason=(body.get("status_details") or {}).get("reason"),
    )


def order_from_paypal(body: dict) -> PayPalOrder:
    """An order as Orders v2 answers it with `Prefer: return=representation`."""
    unit = (body.get("purchase_units") or [{}])[0]
    amount = unit.get("amount") or {}
    captures = (unit.get("payments") or {}).get("captures") or []
    wallet = (body.get("payment_source") or {}).get("paypal") or {}
    return PayPalOrder(
        order_id=body["id"],
        status=body["status"],
        approve_url=_link(body.get("links"), "payer-action", "approve"),
        amount_cents=_money(amount) or 0,
        currency=amount.get("currency_code", ""),
        custom_id=unit.get("custom_id"),
        payer_id=(body.get("payer") or {}).get("payer_id") or wallet.get("account_id"),
        capture=capture_from_paypal(captures[-1], order_id=body["id"]) if captures else None,
    )


def refund_from_paypal(body: dict, *, capture_id: str | None = None) -> PayPalRefund:
    """A refund as Payments v2 (and webhooks' `resource`) describe one."""
    return PayPalRefund(
        refund_id=body["id"],
        status=body["status"],
        amount_cents=_money(body.get("amount")) or 0,
        capture_id=capture_id or _id_after(_link(body.get("links"), "up"), "captures"),
        custom_id=body.get("custom_id"),
    )


# -- building the SDK client ------------------------------------------------------------------

def client_secret(settings: Settings, ssm: Any = None) -> str:
    """The PayPal client secret: from the settings, else the SSM SecureString they name."""
    if settings.paypal_client_secret:
        return settings.paypal_client_secret
    name = settings.paypal_client_secret_parameter
    if not name:
        raise PayPalNotConfigured("Set IK_PAYPAL_CLIENT_SECRET or IK_PAYPAL_CLIENT_SECRET_PARAMETER.")
    if ssm is None:
        raise PayPalNotConfigured(f"Reading the PayPal secret from SSM parameter {name} "
                                  "needs an SSM client.")
    return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]


@lru_cache(maxsize=1)
def _configuration_class() -> type:
    """The SDK's Configuration with any base URL; built once, on first use."""
    from paypalserversdk.configuration import Configuration, Server

    class BaseUrlConfiguration(Configuration):
        """The SDK hard-codes sandbox and live URLs; this one answers the URL it was given."""

        def __init__(self, *, base_url: str, **options: Any) -> None:
            self.base_url = base_url.rstrip("/")
            super().__init__(**options)

        def get_base_uri(self, server: Any = Server.DEFAULT) -> str:
            return self.base_url

        def clone_with(self, base_url: str | None = None, **overrides: Any) -> "BaseUrlConfiguration":
            plain = super().clone_with(**overrides)
            return type(self)(
                base_url=base_url or self.base_url,
                http_client_instance=plain.http_client_instance,
                override_http_client_configuration=plain.override_http_client_configuration,
                http_call_back=plain.http_callback, timeout=plain.timeout,
                max_retries=plain.max_retries, backoff_factor=plain.backoff_factor,
                retry_statuses=plain.retry_statuses, retry_methods=plain.retry_methods,
                proxy_settings=plain.proxy_settings, logging_configuration=plain.logging_configuration,
                environment=plain.environment,
                client_credentials_auth_credentials=plain.client_credentials_auth_credentials,
            )

    return BaseUrlConfiguration


def build_paypal_client(settings: Settings, *, ssm: Any = None, token_provider: Callable | None = None,
                        timeout: int = 30, max_retries: int = 0, http_call_back: Any = None) -> Any:
    """A `PaypalServersdkClient` for `settings.paypal_base_url`, authenticating by client credentials.

    `token_provider(last_token, oauth)` (the SDK's hook) lets a caller own the token cache;
    `http_call_back` (an SDK `HttpCallBack`) sees every request and response (tests record them).
    No retries by default: the caller retries with the same PayPal-Request-Id."""
    from paypalserversdk.configuration import Environment
    from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
    from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

    if not settings.paypal_client_id:
        raise PayPalNotConfigured("Set IK_PAYPAL_CLIENT_ID.")
    credentials = ClientCredentialsAuthCredentials(
        o_auth_client_id=settings.paypal_client_id,
        o_auth_client_secret=client_secret(settings, ssm),
        o_auth_token_provider=token_provider,
    )
    live = settings.paypal_base_url.rstrip("/") == LIVE_BASE_URL
    configuration = _configuration_class()(
        base_url=settings.paypal_base_url,
        environment=Environment.PRODUCTION if live else Environment.SANDBOX,
        client_credentials_auth_credentials=credentials,
        timeout=timeout,
        max_retries=max_retries,
        http_call_back=http_call_back,
    )
    return PaypalServersdkClient(config=configuration)


# -- turning SDK failures into ours -----------------------------------------------------------

def _error_body(response: Any) -> dict:
    try:
        body = json.loads(getattr(response, "text", None) or "")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _problem_from_response(status: int, response: Any, action: str) -> PayPalProblem:
    """The `PayPalProblem` for a PayPal error answer (`response`: the SDK's HttpResponse)."""
    body = _error_body(response)
    details = body.get("details") if isinstance(body.get("details"), list) else []
    first = details[0] if details and isinstance(details[0], dict) else {}
    name = body.get("name") or body.get("error")
    issue = first.get("issue")
    headers = getattr(response, "headers", None) or {}
    debug_id = body.get("debug_id") or next(
        (v for k, v in dict(headers).items() if k.lower() == "paypal-debug-id"), None)
    words = first.get("description") or body.get("message") or body.get("error_description") or ""
    unavailable = not status or status >= 500 or status in UNAVAILABLE_STATUSES
    message = (f"PayPal {'could not ' + action + ' now' if unavailable else 'refused to ' + action}: "
               f"{status} {name or ''}{' ' + issue if issue else ''}{': ' + words if words else ''}"
               f"{f' (debug_id {debug_id})' if debug_id else ''}")
    details_kw = dict(status=status, name=name, issue=issue, debug_id=debug_id)
    if unavailable:
        return PayPalUnavailable(message, **details_kw)
    if issue in NOT_APPROVED_ISSUES:
        return OrderNotApproved(message, **details_kw)
    if issue in DECLINED_ISSUES:
        return PaymentDeclined(message, **details_kw)
    if status == 404:
        return PayPalNotFound(message, **details_kw)
    return PayPalRejected(message, **details_kw)


def _sdk_failures() -> tuple[type, ...]:
    from apimatic_core.exceptions.auth_validation_exception import AuthValidationException
    from paypalserversdk.exceptions.api_exception import ApiException
    from requests.exceptions import RequestException

    return ApiException, RequestException, AuthValidationException


def _problem_from(error: Exception, action: str) -> PayPalProblem:
    """Maps an exception raised inside the SDK (HTTP answer, transport, auth) to ours."""
    from apimatic_core.exceptions.auth_validation_exception import AuthValidationException
    from paypalserversdk.exceptions.api_exception import ApiException
    from requests.exceptions import RequestException

    if isinstance(error, ApiException):
        status = int(getattr(error, "response_code", 0) or 0)
        return _problem_from_response(status, getattr(error, "response", None), action)
    if isinstance(error, RequestException):
        return PayPalUnavailable(f"PayPal could not be reached to {action}: "
                                 f"{type(error).__name__}: {error}")
    if isinstance(error, AuthValidationException):
        return PayPalUnavailable(f"No usable PayPal access token to {action}: {error}")
    return PayPalUnavailable(f"PayPal's answer to {action} could not be read: "
                             f"{type(error).__name__}: {error}")


# -- the gateway ------------------------------------------------------------------------------

class PayPalGateway:
    """PayPal through the official SDK; owns the OAuth token so every SDK call shares one."""

    def __init__(self, settings: Settings, *, ssm: Any = None,
                 clock: Callable[[], float] = time.time, timeout: int = 30, max_retries: int = 0,
                 http_call_back: Any = None) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Any = None  # the SDK's OAuthToken (its `expiry` uses the SDK's own clock)
        self._expires_at = 0.0  # by our clock, from `expires_in`
        self.sdk = build_paypal_client(settings, ssm=ssm, token_provider=self._provide_token,
                                       timeout=timeout, max_retries=max_retries,
                                       http_call_back=http_call_back)

    # -- OAuth ----------------------------------------------------------------------------
    def access_token(self) -> PayPalAccessToken:
        """A fresh bearer token, fetched from PayPal only when the cached one is nearly spent."""
        try:
            token = self._sdk_token()
        except _sdk_failures() as error:
            raise _problem_from(error, "issue an access token") from error
        return PayPalAccessToken(value=token.access_token, token_type=token.token_type,
                                 scope=getattr(token, "scope", ""), expires_at=self._expires_at)

    def _sdk_token(self) -> Any:
        from paypalserversdk.exceptions.o_auth_provider_exception import OAuthProviderException

        with self._lock:
            now = self._clock()
            if self._token is None or now >= self._expires_at - TOKEN_REFRESH_MARGIN_SECONDS:
                try:
                    self._token = self.sdk.oauth_2.fetch_token()
                    self._expires_at = now + int(getattr(self._token, "expires_in", 0) or 0)
                except OAuthProviderException as error:
                    if error.response_code != 401:
                        raise _problem_from(error, "issue an access token") from error
                    reason = error.error_description or error.error
                    raise PayPalCredentialsRejected(
                        f"PayPal rejected the client credentials: {reason}",
                        status=401, name=error.error) from error
            return self._token

    def _provide_token(self, last_token: Any, oauth: Any) -> Any:
        """The SDK's token hook: every SDK call asks here, so one cached token serves all."""
        return self._sdk_token()

    def _forget_token(self) -> None:
        """PayPal no longer takes the token (revoked, or expired early): fetch a new one next."""
        with self._lock:
            if self._token is not None:
                self._token.expiry = 0  # the SDK holds the same object; this makes it ask again
            self._token = None
            self._expires_at = 0.0

    # -- calling the SDK ------------------------------------------------------------------
    def _call(self, action: str, call: Callable[[], Any]) -> dict:
        """Runs one SDK call and returns PayPal's JSON answer, or raises a `PayPalProblem`.

        A 401 means PayPal dropped our token: it is fetched again and the call made once more
        (safe: every write carries its PayPal-Request-Id)."""
        for attempt in (1, 2):
            try:
                response = call()
                body = json.loads(response.text or "{}")
                if not isinstance(body, dict):
                    raise ValueError("not a JSON object")
                return body
            except PayPalProblem:
                raise
            except (*_sdk_failures(), ValueError, TypeError, AttributeError, KeyError) as error:
                # ValueError & co: the SDK could not read a 2xx answer into its models
                problem = _problem_from(error, action)
                if problem.status == 401 and attempt == 1:
                    self._forget_token()
                    continue
                raise problem from error
        raise AssertionError("unreachable")

    def _read(self, action: str, reader: Callable[[dict], Any], body: dict) -> Any:
        """Reads PayPal's answer into ours; an answer we cannot read is a PayPal fault to retry."""
        try:
            return reader(body)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            raise PayPalUnavailable(f"PayPal's answer to {action} could not be read: "
                                    f"{type(error).__name__}: {error}") from error

    # -- Orders v2 ------------------------------------------------------------------------
    def create_order(self, *, request_id: str, amount_cents: int, currency: str, description: str,
                     reference_id: str, custom_id: str, return_url: str, cancel_url: str,
                     brand_name: str) -> PayPalOrder:
        """A CAPTURE order for one purchase unit, paid from a PayPal wallet (`Pay Now`, no
        shipping); the payer approves it at `approve_url`."""
        from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown
        from paypalserversdk.models.checkout_payment_intent import CheckoutPaymentIntent
        from paypalserversdk.models.order_request import OrderRequest
        from paypalserversdk.models.payment_source import PaymentSource
        from paypalserversdk.models.paypal_experience_user_action import PaypalExperienceUserAction
        from paypalserversdk.models.paypal_wallet import PaypalWallet
        from paypalserversdk.models.paypal_wallet_context_shipping_preference import (
            PaypalWalletContextShippingPreference,
        )
        from paypalserversdk.models.paypal_wallet_experience_context import (
            PaypalWalletExperienceContext,
        )
        from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest

        body = OrderRequest(
            intent=CheckoutPaymentIntent.CAPTURE,
            purchase_units=[PurchaseUnitRequest(
                amount=AmountWithBreakdown(currency_code=_check_currency(currency),
                                           value=to_paypal_value(_check_cents(amount_cents))),
                reference_id=_check_text("reference_id", reference_id, 256),
                description=_clipped("description", description),
                custom_id=_check_text("custom_id", custom_id),
            )],
            payment_source=PaymentSource(paypal=PaypalWallet(
                experience_context=PaypalWalletExperienceContext(
                    brand_name=_clipped("brand_name", brand_name),
                    shipping_preference=PaypalWalletContextShippingPreference.NO_SHIPPING,
                    user_action=PaypalExperienceUserAction.PAY_NOW,
                    return_url=_check_url("return_url", return_url),
                    cancel_url=_check_url("cancel_url", cancel_url),
                ))),
        )
        options = {"body": body, "paypal_request_id": _check_request_id(request_id), "prefer": PREFER}
        answer = self._call("create an order", lambda: self.sdk.orders.create_order(options))
        if not answer.get("purchase_units"):  # a minimal answer: ask for the whole order
            return self.get_order(self._read("create an order", lambda b: b["id"], answer))
        return self._read("create an order", order_from_paypal, answer)

    def get_order(self, order_id: str) -> PayPalOrder:
        """The order as PayPal has it now (GETs take neither PayPal-Request-Id nor Prefer)."""
        options = {"id": _check_id("order_id", order_id)}
        answer = self._call(f"show order {order_id}", lambda: self.sdk.orders.get_order(options))
        return self._read(f"show order {order_id}", order_from_paypal, answer)

    def capture_order(self, *, order_id: str, request_id: str) -> PayPalOrder:
        """Captures an approved order. Idempotent: the same request id replays PayPal's answer,
        and an order captured already (ORDER_ALREADY_CAPTURED) is read back with its capture.
        A DECLINED capture raises PaymentDeclined carrying the order."""
        action = f"capture order {order_id}"
        options = {"id": _check_id("order_id", order_id),
                   "paypal_request_id": _check_request_id(request_id), "prefer": PREFER}
        try:
            answer = self._call(action, lambda: self.sdk.orders.capture_order(options))
        except PayPalRejected as problem:
            if problem.issue != ALREADY_CAPTURED:
                raise
            return _settled(self.get_order(order_id), action)
        if not answer.get("purchase_units"):  # a minimal answer: ask for the whole order
            return _settled(self.get_order(order_id), action)
        return _settled(self._read(action, order_from_paypal, answer), action)

    # -- Payments v2 ----------------------------------------------------------------------
    def get_capture(self, capture_id: str) -> PayPalCapture:
        """A captured payment, with its status now (refunds and reversals change it)."""
        options = {"capture_id": _check_id("capture_id", capture_id)}
        action = f"show capture {capture_id}"
        answer = self._call(action, lambda: self.sdk.payments.get_captured_payment(options))
        return self._read(action, capture_from_paypal, answer)

    def refund_capture(self, *, capture_id: str, amount_cents: int, currency: str, request_id: str,
                       note: str, custom_id: str | None = None) -> PayPalRefund:
        """Refunds `amount_cents` of a capture (at most what is left of it)."""
        from paypalserversdk.models.money import Money
        from paypalserversdk.models.refund_request import RefundRequest

        request = {"amount": Money(currency_code=_check_currency(currency),
                                   value=to_paypal_value(_check_cents(amount_cents)))}
        if note and note.strip():
            request["note_to_payer"] = _clipped("note", note, MAX_NOTE)
        if custom_id is not None:
            request["custom_id"] = _check_refund_custom_id(custom_id)
        options = {"capture_id": _check_id("capture_id", capture_id), "body": RefundRequest(**request),
                   "paypal_request_id": _check_request_id(request_id), "prefer": PREFER}
        action = f"refund capture {capture_id}"
        answer = self._call(action, lambda: self.sdk.payments.refund_captured_payment(options))
        return self._read(action, lambda b: refund_from_paypal(b, capture_id=capture_id), answer)


def _settled(order: PayPalOrder, action: str) -> PayPalOrder:
    """The captured order, or PaymentDeclined when PayPal declined the capture."""
    if order.capture is not None and order.capture.status in ("DECLINED", "FAILED"):
        raise PaymentDeclined(f"PayPal declined the payment to {action}: capture "
                              f"{order.capture.capture_id} is {order.capture.status}",
                              order=order, issue=order.capture.status)
    if order.capture is None:
        raise PayPalUnavailable(f"PayPal answered {action} with order status {order.status} "
                                "but no capture yet; ask again later")
    return order


# -- the twin ---------------------------------------------------------------------------------

def _paypal_id() -> str:
    """A PayPal-style id: 17 capitals and digits (5O190127TN364715T)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(17))


def _refusal(kind: type, action: str, status: int, name: str, issue: str, **extra: Any) -> PayPalProblem:
    """A problem worded as `_problem_from_response` words PayPal's answers."""
    return kind(f"PayPal refused to {action}: {status} {name} {issue}", status=status, name=name,
                issue=issue, debug_id="memory", **extra)


@dataclass
class _TwinOrder:
    order: PayPalOrder
    capture_id: str | None = None


@dataclass
class _TwinCapture:
    capture: PayPalCapture
    currency: str
    refunded_cents: int = 0
    reversed: bool = False


class InMemoryPayPalGateway:
    """The gateway's twin for unit tests, with PayPal's behaviour: tokens for the right secret,
    orders the payer must approve before capture, fees of 3.49% + 49¢ (rounded half up),
    answers replayed by PayPal-Request-Id (refusals too, as the local sandbox does), refunds up
    to what was captured. Thread-safe. Hooks for tests: `approve`, `decline_next_capture`,
    `decline_next_refund`, `unavailable_next`, `reverse`."""

    def __init__(self, *, client_id: str = "client", client_secret: str = "secret",
                 clock: Callable[[], float] = time.time, lifetime_seconds: int = 32400,
                 fee_basis_points: int = 349, fee_fixed_cents: int = 49,
                 approve_base_url: str = "https://www.sandbox.paypal.com/checkoutnow") -> None:
        self._expected = (client_id, client_secret)
        self._given = (client_id, client_secret)
        self._clock = clock
        self._lifetime = lifetime_seconds
        self._token: PayPalAccessToken | None = None
        self._fee = (fee_basis_points, fee_fixed_cents)
        self._approve_base_url = approve_base_url
        self._lock = threading.RLock()
        self._orders: dict[str, _TwinOrder] = {}
        self._captures: dict[str, _TwinCapture] = {}
        self._refunds: dict[str, PayPalRefund] = {}
        self._replies: dict[tuple[str, str, str], Any] = {}  # (operation, resource, request id)
        self._capture_declines: list[str | None] = []
        self._refund_declines = 0
        self._unavailable = 0
        self.fetches = 0
        self.captures_made = 0  # captures that moved money (tests count them)

    # -- OAuth ----------------------------------------------------------------------------
    def use_credentials(self, client_id: str, client_secret: str) -> None:
        """What the app would send; a mismatch makes `access_token` fail like PayPal's 401."""
        self._given = (client_id, client_secret)
        self._token = None

    def access_token(self) -> PayPalAccessToken:
        with self._lock:
            now = self._clock()
            if self._token is None or not self._token.fresh(now):
                if self._given != self._expected:
                    raise PayPalCredentialsRejected(
                        "PayPal rejected the client credentials: Client Authentication failed",
                        status=401, name="invalid_client")
                self.fetches += 1
                self._token = PayPalAccessToken(value=f"A21AA-memory-{self.fetches}", token_type="Bearer",
                                                scope="openid", expires_at=now + self._lifetime)
            return self._token

    # -- test hooks -----------------------------------------------------------------------
    def approve(self, order_id: str, *, payer_id: str = "TWINPAYER0001") -> PayPalOrder:
        """The payer approves the order at PayPal (what the approval page does)."""
        with self._lock:
            held = self._order(order_id, "approve")
            if held.order.status in ("CREATED", "PAYER_ACTION_REQUIRED"):
                held.order = replace(held.order, status="APPROVED", payer_id=payer_id)
            elif held.order.status != "APPROVED":
                raise _refusal(PayPalRejected, f"approve order {order_id}", 422, "UNPROCESSABLE_ENTITY",
                               "ORDER_CANNOT_BE_APPROVED")
            return held.order

    def decline_next_capture(self, issue: str | None = None) -> None:
        """The next capture is declined: with `issue` (e.g. INSTRUMENT_DECLINED) as PayPal's 422,
        the order staying APPROVED; without, as a capture that completes DECLINED (the local
        sandbox's `/sandbox/failures` "capture" "declined")."""
        with self._lock:
            self._capture_declines.append(issue)

    def decline_next_refund(self) -> None:
        """The next refund comes back FAILED and gives nothing back (the sandbox's "refund" "declined")."""
        with self._lock:
            self._refund_declines += 1

    def unavailable_next(self, count: int = 1) -> None:
        """The next `count` calls meet PayPal down (503): PayPalUnavailable, nothing changes."""
        with self._lock:
            self._unavailable += count

    def reverse(self, capture_id: str, amount_cents: int | None = None) -> PayPalRefund:
        """A chargeback: what is left of the capture (or `amount_cents`) goes back to the payer.
        As at PayPal, the capture turns REFUNDED or PARTIALLY_REFUNDED with reason CHARGEBACK
        (the capture status enum has no REVERSED), and refunds are refused from then on."""
        with self._lock:
            held = self._capture_held(capture_id, "reverse")
            left = held.capture.amount_cents - held.refunded_cents
            amount = left if amount_cents is None else _check_cents(amount_cents)
            if held.capture.status not in ("COMPLETED", "PARTIALLY_REFUNDED") or not 0 < amount <= left:
                raise ValueError(f"capture {capture_id} is {held.capture.status}; cannot reverse {amount}")
            held.reversed = True
            return self._give_back(held, amount, custom_id=None, reason="CHARGEBACK")

    # -- Orders v2 ------------------------------------------------------------------------
    def create_order(self, *, request_id: str, amount_cents: int, currency: str, description: str,
                     reference_id: str, custom_id: str, return_url: str, cancel_url: str,
                     brand_name: str) -> PayPalOrder:
        _check_cents(amount_cents)
        _check_currency(currency)
        _check_request_id(request_id)
        _check_text("reference_id", reference_id, 256)
        _clipped("description", description)
        _check_text("custom_id", custom_id)
        _clipped("brand_name", brand_name)
        _check_url("return_url", return_url)
        _check_url("cancel_url", cancel_url)
        with self._lock:
            self._reachable("create an order")
            return self._once(("create", "", request_id), lambda: self._create(
                amount_cents=amount_cents, currency=currency, custom_id=custom_id))

    def _create(self, *, amount_cents: int, currency: str, custom_id: str) -> PayPalOrder:
        order_id = _paypal_id()
        order = PayPalOrder(order_id=order_id, status="PAYER_ACTION_REQUIRED",
                            approve_url=f"{self._approve_base_url}?token={order_id}",
                            amount_cents=amount_cents, currency=currency, custom_id=custom_id)
        self._orders[order_id] = _TwinOrder(order)
        return order

    def get_order(self, order_id: str) -> PayPalOrder:
        _check_id("order_id", order_id)
        with self._lock:
            self._reachable(f"show order {order_id}")
            return self._current(self._order(order_id, "show"))

    def capture_order(self, *, order_id: str, request_id: str) -> PayPalOrder:
        _check_id("order_id", order_id)
        _check_request_id(request_id)
        with self._lock:
            self._reachable(f"capture order {order_id}")
            held = self._order(order_id, "capture")
            return self._once(("capture", order_id, request_id), lambda: self._capture(held))

    def _capture(self, held: _TwinOrder) -> PayPalOrder:
        order = held.order
        action = f"capture order {order.order_id}"
        if held.capture_id is not None:  # ORDER_ALREADY_CAPTURED: the gateway reads it back
            return _settled(self._current(held), action)
        if order.status != "APPROVED":
            raise _refusal(OrderNotApproved, action, 422, "UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED")
        declined = self._capture_declines.pop(0) if self._capture_declines else False
        if declined:  # an issue: PayPal's 422 (no order in it), the payer may choose other funding
            raise _refusal(PaymentDeclined, action, 422, "UNPROCESSABLE_ENTITY", declined)
        completed = declined is False
        fee = paypal_fee_cents(order.amount_cents, basis_points=self._fee[0], fixed_cents=self._fee[1])
        capture = PayPalCapture(
            capture_id=_paypal_id(), status="COMPLETED" if completed else "DECLINED",
            amount_cents=order.amount_cents,
            paypal_fee_cents=fee if completed else None,
            net_cents=order.amount_cents - fee if completed else None,
            order_id=order.order_id, custom_id=order.custom_id,
            create_time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._clock())))
        if completed:
            self.captures_made += 1
        self._captures[capture.capture_id] = _TwinCapture(capture, currency=order.currency)
        held.capture_id = capture.capture_id
        held.order = replace(order, status="COMPLETED", approve_url=None)
        return _settled(self._current(held), action)

    # -- Payments v2 ----------------------------------------------------------------------
    def get_capture(self, capture_id: str) -> PayPalCapture:
        _check_id("capture_id", capture_id)
        with self._lock:
            self._reachable(f"show capture {capture_id}")
            return self._capture_held(capture_id, "show").capture

    def refund_capture(self, *, capture_id: str, amount_cents: int, currency: str, request_id: str,
                       note: str, custom_id: str | None = None) -> PayPalRefund:
        _check_id("capture_id", capture_id)
        _check_cents(amount_cents)
        _check_currency(currency)
        _check_request_id(request_id)
        if custom_id is not None:
            _check_refund_custom_id(custom_id)
        with self._lock:
            self._reachable(f"refund capture {capture_id}")
            return self._once(("refund", capture_id, request_id), lambda: self._refund(
                capture_id, amount_cents=amount_cents, currency=currency, custom_id=custom_id))

    def _refund(self, capture_id: str, *, amount_cents: int, currency: str,
                custom_id: str | None) -> PayPalRefund:
        action = f"refund capture {capture_id}"
        held = self._capture_held(capture_id, "refund")
        status = held.capture.status
        left = held.capture.amount_cents - held.refunded_cents
        issue = (
            "REFUND_NOT_PERMITTED_DUE_TO_CHARGEBACK" if held.reversed
            else "PENDING_CAPTURE" if status == "PENDING"
            else "REFUND_NOT_ALLOWED" if status not in ("COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED")
            else "CAPTURE_FULLY_REFUNDED" if left <= 0
            else "REFUND_CAPTURE_CURRENCY_MISMATCH" if currency != held.currency
            else "REFUND_AMOUNT_EXCEEDED" if amount_cents > left
            else None)
        if issue:
            raise _refusal(PayPalRejected, action, 422, "UNPROCESSABLE_ENTITY", issue)
        if self._refund_declines:
            self._refund_declines -= 1
            refund = PayPalRefund(refund_id=_paypal_id(), status="FAILED", amount_cents=amount_cents,
                                  capture_id=capture_id, custom_id=custom_id)
            self._refunds[refund.refund_id] = refund
            return refund
        return self._give_back(held, amount_cents, custom_id=custom_id)

    def _give_back(self, held: _TwinCapture, amount_cents: int, *, custom_id: str | None,
                   reason: str | None = None) -> PayPalRefund:
        """A completed refund (or reversal) of `amount_cents`; call with the lock held."""
        refund = PayPalRefund(refund_id=_paypal_id(), status="COMPLETED", amount_cents=amount_cents,
                              capture_id=held.capture.capture_id, custom_id=custom_id)
        held.refunded_cents += amount_cents
        full = held.refunded_cents >= held.capture.amount_cents
        held.capture = replace(held.capture, status="REFUNDED" if full else "PARTIALLY_REFUNDED",
                               status_reason=reason or held.capture.status_reason)
        self._refunds[refund.refund_id] = refund
        return refund

    # -- state ----------------------------------------------------------------------------
    def _reachable(self, action: str) -> None:
        if self._unavailable:
            self._unavailable -= 1
            raise PayPalUnavailable(f"PayPal could not {action} now: 503 SERVICE_UNAVAILABLE",
                                    status=503, name="SERVICE_UNAVAILABLE", debug_id="memory")

    def _once(self, key: tuple[str, str, str], make: Callable[[], Any]) -> Any:
        """PayPal-Request-Id: the first answer (or 4xx refusal) is the answer to every retry."""
        if key in self._replies:
            reply = self._replies[key]
            if isinstance(reply, PayPalProblem):
                raise reply
            if isinstance(reply, PayPalOrder):  # an order answers with its latest state
                return self._current(self._orders[reply.order_id])
            return reply
        try:
            reply = make()
        except PayPalProblem as problem:
            self._replies[key] = problem
            raise
        self._replies[key] = reply
        return reply

    def _order(self, order_id: str, verb: str) -> _TwinOrder:
        held = self._orders.get(order_id)
        if held is None:
            raise _refusal(PayPalNotFound, f"{verb} order {order_id}", 404, "RESOURCE_NOT_FOUND",
                           "INVALID_RESOURCE_ID")
        return held

    def _capture_held(self, capture_id: str, verb: str) -> _TwinCapture:
        held = self._captures.get(capture_id)
        if held is None:
            raise _refusal(PayPalNotFound, f"{verb} capture {capture_id}", 404, "RESOURCE_NOT_FOUND",
                           "INVALID_RESOURCE_ID")
        return held

    def _current(self, held: _TwinOrder) -> PayPalOrder:
        capture = self._captures[held.capture_id].capture if held.capture_id else None
        return replace(held.order, capture=capture)
