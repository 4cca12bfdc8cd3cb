"""Dependencies built lazily, once per warm Lambda (never at import), and resettable in tests."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.settings import Settings, get_settings


def settings() -> Settings:
    return get_settings()


@lru_cache(maxsize=1)
def _boto_session() -> Any:
    import boto3

    return boto3.session.Session(region_name=settings().region)


def aws_client(service: str, endpoint_url: str | None = None) -> Any:
    return _boto_session().client(service, endpoint_url=endpoint_url or settings().aws_endpoint_url)


@lru_cache(maxsize=1)
def identity():
    from chalicelib.adapters.identity import CognitoIdentity

    s = settings()
    return CognitoIdentity(aws_client("cognito-idp"), user_pool_id=s.user_pool_id,
                           client_id=s.user_pool_client_id)


@lru_cache(maxsize=1)
def token_verifier():
    from chalicelib.adapters.tokens import CognitoTokenVerifier

    s = settings()
    return CognitoTokenVerifier(issuer=s.issuer, client_id=s.user_pool_client_id, jwks_url=s.jwks_url)


@lru_cache(maxsize=1)
def _tables_bound() -> bool:
    from chalicelib.adapters.tables import bind_tables

    bind_tables(settings())
    return True


@lru_cache(maxsize=1)
def account_store():
    from pynamodb.connection import Connection

    from chalicelib.adapters.accounts import DynamoAccountStore

    _tables_bound()
    s = settings()
    return DynamoAccountStore(Connection(region=s.region, host=s.aws_endpoint_url))


@lru_cache(maxsize=1)
def connection_store():
    from chalicelib.adapters.connections import DynamoConnectionStore

    _tables_bound()
    return DynamoConnectionStore()


@lru_cache(maxsize=1)
def websocket_sender():
    from chalicelib.adapters.websocket import ApiGatewaySender

    return ApiGatewaySender(
        aws_client("apigatewaymanagementapi", endpoint_url=settings().websocket_management_url)
    )


@lru_cache(maxsize=1)
def paypal_gateway():
    from chalicelib.adapters.paypal import PayPalGateway

    return PayPalGateway(settings(), ssm=aws_client("ssm"))


def reset() -> None:
    """Forget every built dependency and the settings (tests that change the environment)."""
    get_settings.cache_clear()
    for built in (_boto_session, identity, token_verifier, _tables_bound, account_store,
                  connection_store, websocket_sender, paypal_gateway):
        built.cache_clear()
