"""Schemathesis fuzzes every operation of the REST API's own OpenAPI document (`GET /openapi.json`)
against the running local stack, once anonymously and once as a signed-in Helper: no answer may
be a server error, and every answer's status, content type and body must be what the document
declares.

Bounded and repeatable: a fixed seed, derandomized generation, no shrinking, at most
`MAX_EXAMPLES` generated cases per operation in the fuzzing phase, plus the document's examples
and schemathesis' coverage cases (boundaries, wrong types, missing fields, other methods). It runs
schemathesis' own engine (what its CLI runs) rather than its pytest plugin, whose lazy loader does
not work with the pinned pytest. The totals are printed at the end of the module and written to
`<pytest tmp>/api-fuzz/summary.json`."""
from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
import schemathesis
from schemathesis.engine import events, from_schema

from tests.support.pages import become_helper

pytestmark = pytest.mark.integration

# 30 generated cases an operation beside the coverage phase (every field's bounds, formats and
# missing values, made from the schema): at 50 the signed-in run took 178 s of a 25-minute suite
# over 149 operations, and the operations keep coming.
MAX_EXAMPLES = 30
ANONYMOUS_SECURED_EXAMPLES = 5  # a token-only operation fuzzed without a token: every answer is the same 401
SEED = 20240611
TIMEOUT = 30
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance"]
# Ending the fuzzing Helper's own session would leave the rest of its run anonymous: those two
# operations are fuzzed in the anonymous run (and walked per role in test_route_roles).
ENDS_THE_SESSION = r"^/auth/sign-out"


@dataclass
class FuzzRun:
    """What one run sent and found."""

    role: str
    operations: set = field(default_factory=set)
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: dict = field(default_factory=dict)  # (operation, check) -> the first request that failed it
    errors: list = field(default_factory=list)
    seconds: float = 0.0

    def record(self, recorder) -> None:
        self.operations.add(recorder.label)
        for case_id, interaction in recorder.interactions.items():
            self.requests += 1
            if interaction.response is not None:
                self.statuses[interaction.response.status_code] += 1
            for check in recorder.checks.get(case_id, ()):
                if check.failure_info is not None:
                    self.failures.setdefault((recorder.label, check.name), _described(interaction, check))

    def summary(self) -> dict:
        return {"operations": len(self.operations), "requests": self.requests,
                "failed_checks": len(self.failures), "failed_operations": len({op for op, _ in self.failures}),
                "errors": len(self.errors), "seconds": round(self.seconds, 1),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())}}


def _described(interaction, check) -> str:
    request, response = interaction.request, interaction.response
    body = (request.body or b"")[:300] if isinstance(request.body, bytes) else str(request.body or "")[:300]
    answer = f"{response.status_code} {(response.content or b'')[:300]!r}" if response is not None else "no answer"
    return f"{request.method} {request.uri} {body!r} -> {answer}: {str(check.failure_info.failure)[:400]}"


RUNS: dict[str, FuzzRun] = {}


def _secured(context) -> bool:
    """Whether an operation needs a token (the document says so on each one)."""
    return bool(context.operation.definition.raw.get("security"))


def _fuzz(local_stack: dict, role: str, headers: dict | None = None, exclude: str | None = None,
          only=None, max_examples: int = MAX_EXAMPLES, coverage: bool = True, run: FuzzRun | None = None) -> FuzzRun:
    api = local_stack["api"]
    schema = schemathesis.openapi.from_url(f"{api}/openapi.json", timeout=TIMEOUT)
    if exclude:
        schema = schema.exclude(path_regex=exclude)
    if only is not None:
        schema = schema.include(only)
    config = schema.config
    config.update(base_url=api, request_timeout=TIMEOUT, headers=headers)
    config.generation.update(max_examples=max_examples, deterministic=True, no_shrink=True, database="none")
    config.checks.update(included_check_names=CHECKS)
    config.phases.stateful.enabled = False  # the document declares no links between operations
    config.phases.coverage.enabled = coverage
    config.seed = SEED
    run = RUNS[role] = run or FuzzRun(role)
    started = time.monotonic()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            run.record(event.recorder)
        elif isinstance(event, events.NonFatalError):
            run.errors.append(f"{event.label}: {event.value!r}"[:500])
        elif isinstance(event, events.FatalError):
            raise event.exception
    run.seconds += time.monotonic() - started
    return run


def _verdict(run: FuzzRun) -> str:
    lines = [f"{operation} [{check}]: {example}" for (operation, check), example in sorted(run.failures.items())]
    return "\n".join(lines + run.errors)


@pytest.fixture(scope="module", autouse=True)
def fuzz_summary(tmp_path_factory, request):
    """Prints and keeps the totals of the module's runs once they are done."""
    yield
    if not RUNS:
        return
    summary = {role: run.summary() for role, run in RUNS.items()}
    summary["total"] = {key: sum(s[key] for s in summary.values())
                        for key in ("operations", "requests", "failed_checks", "failed_operations", "errors")}
    summary["max_examples"], summary["seed"] = MAX_EXAMPLES, SEED
    target = tmp_path_factory.mktemp("api-fuzz") / "summary.json"
    target.write_text(json.dumps(summary, indent=2))
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nAPI fuzz: {json.dumps(summary)} (written to {target})")


@pytest.fixture(scope="module")
def fuzzing_helper(local_stack):
    """A fresh signed-in Helper, so that Helper routes are fuzzed past their first check."""
    return become_helper(local_stack["api"], "fuzz")


def test_every_operation_answers_anonymous_callers_as_the_document_declares(local_stack):
    """Public operations get the full run; those needing a token answer 401 before they read
    anything, so their examples and a few generated cases each show that (the coverage phase's
    hundreds of boundary cases would all be the same 401; the signed-in run has them)."""
    run = _fuzz(local_stack, "anonymous", only=lambda context: not _secured(context))
    run = _fuzz(local_stack, "anonymous", only=_secured, max_examples=ANONYMOUS_SECURED_EXAMPLES, coverage=False,
                run=run)
    assert len(run.operations) >= 40 and run.requests > len(run.operations)
    assert not run.failures and not run.errors, _verdict(run)


def test_every_operation_answers_a_signed_in_helper_as_the_document_declares(local_stack, fuzzing_helper):
    run = _fuzz(local_stack, "signed_in", headers=fuzzing_helper.auth, exclude=ENDS_THE_SESSION)
    assert len(run.operations) >= 40 and run.requests > len(run.operations)
    assert not run.failures and not run.errors, _verdict(run)
