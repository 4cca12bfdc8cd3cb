"""Business metrics (chalicelib/observability.py): counted where they happen, written as
CloudWatch embedded-metric-format JSON on stdout on Lambda, nothing created at import."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from chalicelib import observability
from chalicelib.observability import EmfMetrics, RecordedMetrics, use_metrics
from chalicelib.services import payments
from chalicelib.services.calls import act, start_call
from tests.support.twins import CALLER, HELPER
from tests.unit.test_payments_service import NOW, desk_twin, paid, with_storefront


@pytest.fixture
def emf(monkeypatch):
    """The Lambda sink, writing to the captured stdout."""
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    previous = use_metrics(EmfMetrics())
    yield
    use_metrics(previous)


@pytest.fixture
def recorded():
    sink = RecordedMetrics()
    previous = use_metrics(sink)
    yield sink
    use_metrics(previous)


def emitted(out: str) -> list[tuple[str, float, dict]]:
    """(metric, value, dimensions) of every EMF document on stdout."""
    found = []
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        document = json.loads(line)
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            dimensions = {name: document[name] for group in directive["Dimensions"] for name in group}
            assert directive["Namespace"] == "interKanect"
            for metric in directive["Metrics"]:
                assert metric["Unit"] == "Count"
                found.append((metric["Name"], document[metric["Name"]], dimensions))
    return found


def test_a_captured_payment_is_emitted_once_as_emf_json(emf, capsys):
    desk = desk_twin()
    with_storefront(desk)
    _, payment = paid(desk)
    assert payment.state.value == "captured"
    out = emitted(capsys.readouterr().out)
    captured = [(name, value) for name, value, _ in out if name == "PaymentsCaptured"]
    assert captured == [("PaymentsCaptured", [1.0])]  # EMF: the values as a list
    assert all(dimensions == {"service": "interkanect"} for _, _, dimensions in out)
    # completing it again (a replay, or PayPal's webhook after our own capture) counts nothing more
    payments.complete_payment(payment_id=payment.payment_id, user_id=CALLER, desk=desk, now=NOW + 40)
    assert not [m for m in emitted(capsys.readouterr().out) if m[0] == "PaymentsCaptured"]


def test_a_ring_and_its_answer_are_emitted_as_emf_json(emf, capsys):
    desk = desk_twin()
    call = start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk.calls,
                      now=NOW, new_id=lambda: uuid.uuid4().hex)
    assert [name for name, _, _ in emitted(capsys.readouterr().out)] == ["CallsRung"]
    act(action="answer", user_id=HELPER, connection_id="c-helper", message={}, call_id=call.call_id,
        desk=desk.calls, now=NOW + 2)
    assert [name for name, _, _ in emitted(capsys.readouterr().out)] == ["CallsAnswered"]


def test_an_unanswered_ring_is_not_counted_as_answered(recorded):
    desk = desk_twin()
    call = start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk.calls,
                      now=NOW, new_id=lambda: uuid.uuid4().hex)
    act(action="decline", user_id=HELPER, connection_id="c-helper", message={}, call_id=call.call_id,
        desk=desk.calls, now=NOW + 2)
    assert recorded.total("CallsRung") == 1 and recorded.total("CallsAnswered") == 0


def test_a_refund_is_counted_once(recorded):
    desk = desk_twin()
    with_storefront(desk)
    _, payment = paid(desk)
    payments.refund_in_full(payment=payment, reason="the call did not happen", desk=desk, now=NOW + 60)
    assert recorded.total("PaymentsCaptured") == 1 and recorded.total("Refunds") == 1


def test_a_failing_sink_never_breaks_the_request(recorded):
    class Broken:
        def count(self, name, value=1):
            raise RuntimeError("no stdout")

    use_metrics(Broken())
    observability.count("CallsRung")  # logged, not raised


def test_nothing_is_created_or_read_at_import():
    """Importing the module (and the services that count) creates no Metrics and imports no
    Powertools: that happens on the first count."""
    code = ("import sys; import chalicelib.services.payments, chalicelib.services.calls, "
            "chalicelib.services.payouts; from chalicelib import observability; "
            "assert observability._metrics is None; "
            "assert not any(m.startswith('aws_lambda_powertools') for m in sys.modules), "
            "[m for m in sys.modules if m.startswith('aws_lambda_powertools')]")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_sink_is_emf_on_lambda_and_the_twin_elsewhere(monkeypatch):
    previous = use_metrics(None)
    try:
        monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
        assert isinstance(observability.metrics(), RecordedMetrics)
        use_metrics(None)
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "interkanect-dev-APIHandler")
        assert isinstance(observability.metrics(), EmfMetrics)
    finally:
        use_metrics(previous)
