"""The PayPal gateway: PayPal's official server SDK (`paypalserversdk`) with client-credentials
OAuth, pointed at whatever base URL the settings name (PayPal sandbox, live, or the local
sandbox). The SDK is imported on first use, never at import: cold starts stay lean."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Protocol

from chalicelib.settings import Settings

LIVE_BASE_URL = "https://api-m.paypal.com"
TOKEN_REFRESH_MARGIN_SECONDS = 120


class PayPalNotConfigured(RuntimeError):
    """The settings lack what it takes to reach PayPal (client id, or secret and its source)."""


class PayPalCredentialsRejected(RuntimeError):
    """PayPal refused the client id and secret (OAuth `invalid_client`)."""


@dataclass(frozen=True)
class PayPalAccessToken:
    """A bearer token for PayPal's REST API and when it stops working (epoch seconds)."""

    value: str
    token_type: str
    scope: str
    expires_at: float

    def fresh(self, now: float, margin: float = TOKEN_REFRESH_MARGIN_SECONDS) -> bool:
        return now < self.expires_at - margin


class PaymentGateway(Protocol):
    def access_token(self) -> PayPalAccessToken: ...


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
                        timeout: int = 30, max_retries: int = 0) -> Any:
    """A `PaypalServersdkClient` for `settings.paypal_base_url`, authenticating by client credentials.

    `token_provider(last_token, oauth)` (the SDK's hook) lets a caller own the token cache."""
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
    )
    return PaypalServersdkClient(config=configuration)


class PayPalGateway:
    """PayPal through the official SDK; owns the OAuth token so every SDK call shares one."""

    def __init__(self, settings: Settings, *, ssm: Any = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Any = None  # the SDK's OAuthToken (its `expiry` uses the SDK's own clock)
        self._expires_at = 0.0  # by our clock, from `expires_in`
        self.sdk = build_paypal_client(settings, ssm=ssm, token_provider=self._provide_token)

    def access_token(self) -> PayPalAccessToken:
        """A fresh bearer token, fetched from PayPal only when the cached one is nearly spent."""
        token = self._sdk_token()
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
                        raise
                    reason = error.error_description or error.error
                    raise PayPalCredentialsRejected(
                        f"PayPal rejected the client credentials: {reason}") from error
            return self._token

    def _provide_token(self, last_token: Any, oauth: Any) -> Any:
        """The SDK's token hook: every SDK call asks here, so one cached token serves all."""
        return self._sdk_token()


class InMemoryPayPalGateway:
    """The gateway's twin for unit tests: hands out tokens for the right secret, like PayPal."""

    def __init__(self, *, client_id: str = "client", client_secret: str = "secret",
                 clock: Callable[[], float] = time.time, lifetime_seconds: int = 32400) -> None:
        self._expected = (client_id, client_secret)
        self._given = (client_id, client_secret)
        self._clock = clock
        self._lifetime = lifetime_seconds
        self._token: PayPalAccessToken | None = None
        self.fetches = 0

    def use_credentials(self, client_id: str, client_secret: str) -> None:
        """What the app would send; a mismatch makes `access_token` fail like PayPal's 401."""
        self._given = (client_id, client_secret)
        self._token = None

    def access_token(self) -> PayPalAccessToken:
        now = self._clock()
        if self._token is None or not self._token.fresh(now):
            if self._given != self._expected:
                raise PayPalCredentialsRejected(
                    "PayPal rejected the client credentials: Client Authentication failed")
            self.fetches += 1
            self._token = PayPalAccessToken(value=f"A21AA-memory-{self.fetches}", token_type="Bearer",
                                            scope="openid", expires_at=now + self._lifetime)
        return self._token
