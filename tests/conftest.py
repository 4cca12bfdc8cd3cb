"""Shared fixtures: the whole local stack, started once per test session as `make dev` starts it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


class RunningStack:
    """`python -m infra.local` in a subprocess, on free ports, with its own state folder."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.log_path = state_dir.parent / f"{state_dir.name}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> dict:
        endpoints_file = self.state_dir / "endpoints.json"
        endpoints_file.unlink(missing_ok=True)
        log = self.log_path.open("ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local", "--any-ports", "--state-dir", str(self.state_dir)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"local stack exited:\n{self.log_path.read_text()[-4000:]}")
            if endpoints_file.exists():
                try:
                    return json.loads(endpoints_file.read_text())
                except ValueError:
                    pass  # still being written
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"local stack did not start:\n{self.log_path.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


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
