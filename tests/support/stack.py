"""The local stack as tests run it: `python -m infra.local` in a subprocess."""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]


class RunningStack:
    """`python -m infra.local` in a subprocess, on free ports, with its own state folder."""

    def __init__(self, state_dir: Path, *, without_jobs: tuple[str, ...] = (),
                 settings: dict[str, str] | None = None) -> None:
        self.state_dir = state_dir
        self.without_jobs = without_jobs  # scheduled jobs the stack leaves to the test (frozen clocks)
        self.settings = settings or {}  # IK_* settings of this deployment (a fee, a refund window, ...)
        self.log_path = state_dir.parent / f"{state_dir.name}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> dict:
        endpoints_file = self.state_dir / "endpoints.json"
        endpoints_file.unlink(missing_ok=True)
        log = self.log_path.open("ab")
        env = {**os.environ, **self.settings, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local", "--any-ports", "--state-dir", str(self.state_dir),
             *(option for name in self.without_jobs for option in ("--without-job", name))],
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


@contextmanager
def temporary_stack(prefix: str, *, without_jobs: tuple[str, ...] = (),
                    settings: dict[str, str] | None = None) -> Iterator[dict]:
    """A stack with its state in a temporary folder named `prefix`…, for runs outside pytest (the
    benches), with `settings` (IK_*) of its own; yields its endpoints and stops it after."""
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        stack = RunningStack(Path(scratch) / "state", without_jobs=without_jobs, settings=settings)
        endpoints = stack.start()
        try:
            yield endpoints
        finally:
            stack.stop()


def app_environment(endpoints: dict) -> dict[str, str]:
    """The app's settings for code that runs in this process against a running stack (its moto,
    its WebSocket gateway, its PayPal sandbox), as the stack's own app has them."""
    return {
        "AWS_REGION": endpoints["region"],
        "AWS_DEFAULT_REGION": endpoints["region"],
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "IK_AWS_ENDPOINT_URL": endpoints["aws"],
        "IK_USER_POOL_ID": endpoints["user_pool_id"],
        "IK_USER_POOL_CLIENT_ID": endpoints["user_pool_client_id"],
        "IK_COGNITO_JWKS_URL": f"{endpoints['aws']}/{endpoints['user_pool_id']}/.well-known/jwks.json",
        "IK_WEBSOCKET_MANAGEMENT_URL": endpoints["websocket_management"],
        "IK_PAYPAL_BASE_URL": endpoints["paypal"],
        "IK_PAYPAL_CLIENT_ID": endpoints["paypal_client_id"],
        "IK_PAYPAL_CLIENT_SECRET_PARAMETER": "/interkanect/paypal/client-secret",
        "IK_PAYPAL_WEBHOOK_ID": endpoints["paypal_webhook_id"],
        "IK_PAYPAL_EXTRA_CERT_URLS": f"{endpoints['paypal']}/",
        "IK_UPLOADS_BUCKET": "interkanect-uploads",
        "IK_FILES_BUCKET": "interkanect-files",
        "IK_FILES_DOWNLOAD_URL": endpoints["downloads"],
        "IK_SITE_URL": endpoints["site"],
    }


def stack_without_payout_job(tmp_path_factory, name: str) -> Iterator[dict]:
    """For a module fixture: a stack of its own whose payout job the test runs itself, with a
    frozen clock (the job pays every payable Helper of a stack, so it gets its own)."""
    stack = RunningStack(tmp_path_factory.mktemp(name) / "state", without_jobs=("run_payouts",))
    endpoints = stack.start()
    yield endpoints
    stack.stop()


def deps_pointed_at(endpoints: dict, monkeypatch) -> Iterator:
    """For a fixture: `chalicelib.deps` built against the stack at `endpoints` (forgotten after)."""
    from chalicelib import deps

    for name, value in app_environment(endpoints).items():
        monkeypatch.setenv(name, value)
    deps.reset()
    yield deps
    deps.reset()


@contextmanager
def own_tables(settings, *models, prefix: str):
    """The tables of `models` for one test alone on the stack's moto, under a table prefix of its
    own (`<prefix>-<8 hex>-`): yields the pynamodb connection bound to them, then deletes them and
    binds every model to the stack's tables again."""
    from chalicelib.adapters.tables import bind_tables

    connection = bind_tables(dataclasses.replace(settings, table_prefix=f"{prefix}-{uuid.uuid4().hex[:8]}-"))
    for model in models:
        model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    try:
        yield connection
    finally:
        for model in models:
            model.delete_table()
        bind_tables(settings)
