"""Settling one capture, order → ledger: the time and the DynamoDB and PayPal requests of
`complete_payment` — the payer is back from PayPal, the order is captured, the ledger posted,
the payment marked and the call resumed on both sides — on a live paid call of the local stack.

The app's code runs in this process against the stack's moto and PayPal sandbox (as a warm
Lambda would), every pynamodb request counted by operation and every PayPal request counted
by the sandbox. The stack's webhook subscription is removed first, so PayPal's own webhook
does not settle the payment behind the benchmark's back.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from contextlib import contextmanager
from typing import Iterator

RUNS = 15
TARGET_DYNAMODB_REQUESTS = 16  # a small constant: no Scan, nothing that grows with the data


def paypal_requests(paypal: str) -> int:
    import requests

    stats = requests.get(f"{paypal}/sandbox/stats", timeout=30).json()
    routes = stats.get("routes", stats)
    return sum(v for k, v in routes.items() if isinstance(v, int) and not k.split(" ")[-1].startswith("/sandbox"))


def stop_webhooks(endpoints: dict) -> None:
    import requests

    token = requests.post(f"{endpoints['paypal']}/v1/oauth2/token", data={"grant_type": "client_credentials"},
                          auth=(endpoints["paypal_client_id"], endpoints["paypal_client_secret"]),
                          timeout=30).json()["access_token"]
    answer = requests.delete(f"{endpoints['paypal']}/v1/notifications/webhooks/{endpoints['paypal_webhook_id']}",
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert answer.status_code == 204, answer.text


@contextmanager
def paying_stack(prefix: str) -> Iterator[dict]:
    """A temporary stack whose PayPal webhooks are off (they would settle payments behind the
    benchmark's back), with this process's `deps` pointed at it, as a warm Lambda's."""
    from chalicelib import deps
    from tests.support.stack import app_environment, temporary_stack

    with temporary_stack(prefix) as endpoints:
        stop_webhooks(endpoints)
        os.environ.update(app_environment(endpoints))
        os.environ["IK_PAYPAL_CLIENT_SECRET"] = endpoints["paypal_client_secret"]
        deps.reset()
        yield endpoints


def main() -> int:
    import requests

    from chalicelib import deps
    from chalicelib.services.payments import complete_payment
    from tests.support.accounts import sign_up_and_in
    from tests.support.calls import Peer, agree_terms
    from tests.support.pages import become_helper, open_storefront
    from tests.support.payments import approve_in_sandbox
    from bench.dynamodb_requests import counting_dynamodb
    print("Settling one capture (order → ledger), on a live paid call of the local stack")
    with paying_stack("ik-bench-settle-") as endpoints:
        api = endpoints["api"]
        helper = become_helper(api, "benchpayee")
        open_storefront(api, helper)
        caller = sign_up_and_in(api, "benchpayer")
        caller_id = requests.get(f"{api}/me", headers=caller.auth, timeout=30).json()["user_id"]
        helper_tab, caller_tab = Peer(endpoints, helper), Peer(endpoints, caller)
        desk = deps.payment_desk()
        timings, per_run, paypal_calls = [], [], []
        try:
            for run in range(RUNS + 1):  # the first run warms the process (schemas, token, TLS-free pools)
                call_id = agree_terms(helper_tab, caller_tab, helper, price_cents=2500, minutes=15)
                payment = requests.post(f"{api}/calls/{call_id}/payment", headers=caller.auth, timeout=30).json()
                approve_in_sandbox(endpoints, payment)

                before = paypal_requests(endpoints["paypal"])
                with counting_dynamodb() as counts:
                    started = time.perf_counter()
                    settled = complete_payment(payment_id=payment["payment_id"], user_id=caller_id, desk=desk,
                                               now=int(time.time()))
                    elapsed = time.perf_counter() - started
                assert settled.state.value == "captured", settled
                calls_to_paypal = paypal_requests(endpoints["paypal"]) - before
                caller_tab.call_state("in_session")
                caller_tab.send(action="end", call_id=call_id)
                helper_tab.call_state("ended")
                if run:
                    timings.append(elapsed)
                    per_run.append(counts)
                    paypal_calls.append(calls_to_paypal)
        finally:
            helper_tab.close()
            caller_tab.close()

    totals = [sum(c.values()) for c in per_run]
    typical = per_run[totals.index(int(statistics.median_low(totals)))]
    print(f"  runs: {RUNS}")
    print(f"  time: median {statistics.median(timings) * 1000:.1f} ms, "
          f"min {min(timings) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms "
          f"(moto in one process applies requests one at a time; DynamoDB would be faster)")
    print(f"  DynamoDB requests per settled capture: median {statistics.median(totals):g} "
          f"(min {min(totals)}, max {max(totals)}): "
          + ", ".join(f"{op} {n}" for op, n in sorted(typical.items())))
    print(f"  Scan requests: {sum(c.get('Scan', 0) for c in per_run)}")
    print(f"  PayPal requests per settled capture: median {statistics.median(paypal_calls):g} "
          "(the capture; the OAuth token is cached)")
    ok = max(totals) <= TARGET_DYNAMODB_REQUESTS and all(c.get("Scan", 0) == 0 for c in per_run)
    print(f"  target: at most {TARGET_DYNAMODB_REQUESTS} DynamoDB requests, no Scan — {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
