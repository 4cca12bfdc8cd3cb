"""Shared fixtures: the whole local stack, started once per test session as `make dev` starts it."""
from __future__ import annotations

import pytest
from hypothesis import settings

# Property tests judge results, not speed: a loaded CI machine must not fail them on a deadline.
settings.register_profile("interkanect", deadline=None)
settings.load_profile("interkanect")

from tests.support.stack import RunningStack, app_environment


def pytest_collection_modifyitems(config, items):
    """`make test` runs two pytest-xdist workers (`--dist loadgroup`), each with a local stack of
    its own: the browser tests all on one, the stack's integration tests all on the other, each in
    the order of a one-process run, so a stack sees the same history as in one process; the unit
    tests (no stack) fill in on either."""
    for item in items:
        for folder, group in (("tests/e2e/", "browser-stack"), ("tests/integration/", "api-stack")):
            if item.nodeid.startswith(folder):
                item.add_marker(pytest.mark.xdist_group(group))


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
    return app_environment(local_stack)


@pytest.fixture
def app_env(stack_environment, monkeypatch):
    """Points `chalicelib.deps` at the running stack for one test."""
    from chalicelib import deps

    for name, value in stack_environment.items():
        monkeypatch.setenv(name, value)
    deps.reset()
    yield deps
    deps.reset()


@pytest.fixture
def push_service():
    """A Web Push service of this test alone on 127.0.0.1 (tests/support/push_service.py): it
    takes pushes the way a browser's push service does and decrypts what it received."""
    from tests.support.push_service import serve

    service, server = serve()
    yield service
    server.shutdown()
    server.server_close()
