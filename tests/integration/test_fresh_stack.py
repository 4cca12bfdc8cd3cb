"""A local stack started afresh (`make dev` on a new checkout) logs no ERROR, its first payout
job included: that run is for the latest payout day, long before the stack existed, and pays
nobody, so it is not late (ops would be alarmed by the error on AWS)."""
from __future__ import annotations

import logging

import pytest

from tests.support.stack import RunningStack, deps_pointed_at

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fresh_stack(tmp_path_factory):
    """A stack of its own with an empty state; its payout job is run by the test, at once,
    rather than by its scheduler ten minutes in."""
    stack = RunningStack(tmp_path_factory.mktemp("fresh") / "state", without_jobs=("run_payouts",))
    endpoints = stack.start()
    yield stack, endpoints
    stack.stop()


@pytest.fixture
def deps_of(fresh_stack, monkeypatch):
    yield from deps_pointed_at(fresh_stack[1], monkeypatch)


class Errors(logging.Handler):
    """What the app logs at ERROR or above (its Powertools logger is the `interkanect` logger)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_a_fresh_stacks_first_payout_job_logs_no_error(fresh_stack, deps_of):
    from chalicelib.api.earnings import payout_job
    from chalicelib.observability import logger

    stack, _ = fresh_stack
    errors = Errors()
    app_log = logging.getLogger(logger().name)
    app_log.addHandler(errors)
    try:
        outcome = payout_job()  # what the stack's scheduler runs, with the real clock, on the stack's tables
    finally:
        app_log.removeHandler(errors)
    assert outcome["payout_day"] is not None
    assert errors.messages == []
    run = deps_of.payout_runs().get(outcome["payout_day"])
    assert run is not None and run.item_count == 0
    started = stack.log_path.read_text(errors="replace").splitlines()
    assert [line for line in started if "ERROR" in line or "Traceback" in line] == []
