"""Shared fixtures: the whole local stack, started once per test session as `make dev` starts it."""
from __future__ import annotations

import pytest

from tests.support.stack import RunningStack


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory):
    """The endpoints of a running local stack: site, api, websocket, paypal, aws, ..."""
    stack = RunningStack(tmp_path_factory.mktemp("stack") / "state")
    endpoints = stack.start()
    yield endpoints
    stack.stop()


@pytest.fixture(scope="session")
def stack_environment(local_stack):
    """The app's settings for code under test that talks to the stack's moto directly."""
    return {
        "AWS_REGION": local_stack["region"],
        "AWS_DEFAULT_REGION": local_stack["region"],
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "IK_AWS_ENDPOINT_URL": local_stack["aws"],
        "IK_USER_POOL_ID": local_stack["user_pool_id"],
        "IK_USER_POOL_CLIENT_ID": local_stack["user_pool_client_id"],
        "IK_COGNITO_JWKS_URL": f"{local_stack['aws']}/{local_stack['user_pool_id']}/.well-known/jwks.json",
        "IK_WEBSOCKET_MANAGEMENT_URL": local_stack["websocket_management"],
        "IK_PAYPAL_BASE_URL": local_stack["paypal"],
        "IK_PAYPAL_CLIENT_ID": local_stack["paypal_client_id"],
        "IK_PAYPAL_CLIENT_SECRET_PARAMETER": "/interkanect/paypal/client-secret",
        "IK_UPLOADS_BUCKET": "interkanect-uploads",
        "IK_SITE_URL": local_stack["site"],
    }


@pytest.fixture
def app_env(stack_environment, monkeypatch):
    """Points `chalicelib.deps` at the running stack for one test."""
    from chalicelib import deps

    for name, value in stack_environment.items():
        monkeypatch.setenv(name, value)
    deps.reset()
    yield deps
    deps.reset()
