"""A payout run for 10,000 helpers with payable balances, on the local stack: the time and the
DynamoDB and PayPal requests of `run_payouts`, in two ticks of the job as the schedule runs it.

- tick 1, an hour into a payout day: the run collects an item per helper (the payable accounts'
  sparse index, their balances and storefronts a hundred at a time, the item and its ledger
  posting one by one), sends the PayPal batches, and polls them;
- the sandbox pays the batches (`POST /sandbox/payouts/{id}/process`, unless already paid);
- tick 2, ten minutes later: polls what is still open and applies the outcomes.

Each tick is split where the job moves on: collecting ends when the run is first saved,
sending when the first poll starts. The sandbox pays a batch half a second after it is created,
or at the first poll after that: with a few hundred helpers tick 1's poll finds the items still
pending and tick 2 applies their outcomes; with thousands, reading the run's items before the
poll takes longer than that, and tick 1 applies them. So the whole run is what the target
judges: at most TARGET_REQUESTS_PER_HELPER DynamoDB requests per paid helper, and no Scan.

The helpers are seeded straight into the tables, and not counted: a storefront each
(BatchWriteItem) and a real ledger posting each (the release of earnings to their payable
account, in threads; every posting touches only its own helper's accounts, so none conflict).
The app's code runs in this process against the stack's moto and PayPal sandbox, as a warm
Lambda would. Two things of the stack are kept out of the way: its PayPal webhook subscription
is removed (the sandbox's item webhooks would apply the same outcomes in the stack's process),
and the stack does not run its own payout job (`--without-job run_payouts`: every ten minutes,
on the real clock, it would start a run of the latest payout day and pay these helpers itself).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace

HELPERS = 10_000
SEED_THREADS = 16
TARGET_REQUESTS_PER_HELPER = 6  # a small constant: nothing that grows with the helpers or the ledger


def paypal_routes(paypal: str) -> Counter:
    """PayPal's own routes (not the sandbox's controls) and the requests each has had."""
    import requests

    routes = requests.get(f"{paypal}/sandbox/stats", timeout=30).json()["routes"]
    return Counter({route: n for route, n in routes.items() if not route.split(" ")[-1].startswith("/sandbox")})


def seed(helpers: int, *, ledger, now: int) -> int:
    """`helpers` helpers, each with a storefront and a payable balance; returns the total cents."""
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.adapters.tables.money import StorefrontRecord
    from chalicelib.domain import ledger as books

    ids = [str(uuid.UUID(int=n + 1)) for n in range(helpers)]  # as long as a Cognito sub
    cents = {helper: 100 + (n * 7919) % 20_000 for n, helper in enumerate(ids)}  # $1.00 to $200.99
    with StorefrontRecord.batch_write() as batch:
        for n, helper in enumerate(ids):
            batch.save(StorefrontRecord(helper, paypal_email=f"payee-{n}@example.com", name=f"Helper {n}",
                                        created_at=now, updated_at=now))

    def release(helper: str) -> None:
        posted = ledger.post(books.release_transaction(release_id=f"bench-{helper}", helper_id=helper,
                                                       cents=cents[helper], occurred_at=now))
        assert posted, helper

    release(ids[0])  # builds the connection's client before the threads share it
    with ThreadPoolExecutor(SEED_THREADS) as pool:
        list(pool.map(release, ids[1:]))
    return sum(cents.values())


class Phases:
    """Snapshots of the request counts where a tick moves on: the run saved as sending (the end
    of collecting), the first poll of a batch (the end of sending)."""

    def __init__(self, counts: Counter) -> None:
        self.counts = counts
        self.marks: dict[str, tuple[Counter, float]] = {}
        self.outcomes = 0  # items whose outcome this tick applied

    def step(self, name: str) -> None:
        """The job's checkpoint: the run saved (the first time, collecting is over), an item ended."""
        if name == "run saved":
            self.mark("collected")
        elif name == "item ended":
            self.outcomes += 1

    def mark(self, name: str) -> None:
        if name not in self.marks and "polling" not in self.marks:
            self.marks[name] = (Counter(self.counts), time.perf_counter())

    def steps(self, started: float, ended: float) -> list[tuple[str, Counter, float]]:
        """(step, its requests, its seconds), in order, named for the step each mark ends."""
        ends = {"collected": "collecting", "polling": "sending" if "collected" in self.marks else "starting",
                "end": "polling" if "polling" in self.marks else "no run to poll"}
        rows, before, at = [], Counter(), started
        for name, (counts, when) in [*self.marks.items(), ("end", (Counter(self.counts), ended))]:
            rows.append((ends[name], counts - before, when - at))
            before, at = counts, when
        return rows


class MarkingGateway:
    """The PayPal gateway as it is, with a mark when the job starts polling its batches."""

    def __init__(self, gateway, phases: Phases) -> None:
        self._gateway, self._phases = gateway, phases

    def get_payout_batch(self, *args, **kwargs):
        self._phases.mark("polling")
        return self._gateway.get_payout_batch(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._gateway, name)


@dataclass
class Tick:
    """One run of the job, measured."""

    outcome: dict
    steps: list[tuple[str, Counter, float]]
    counts: Counter  # DynamoDB requests by operation
    paypal: Counter  # PayPal requests by route
    seconds: float
    outcomes: int  # items whose outcome it applied


def tick(desk, *, now: int, paypal: str) -> Tick:
    from bench.dynamodb_requests import counting_dynamodb
    from chalicelib.services.payouts import run_payouts

    before = paypal_routes(paypal)
    with counting_dynamodb() as counts:
        phases = Phases(counts)
        timed = replace(desk, gateway=MarkingGateway(desk.gateway, phases), checkpoint=phases.step)
        started = time.perf_counter()
        outcome = run_payouts(desk=timed, now=now)
        ended = time.perf_counter()
    return Tick(outcome, phases.steps(started, ended), counts, paypal_routes(paypal) - before, ended - started,
                phases.outcomes)


def per_helper(counts: Counter, helpers: int) -> str:
    return ", ".join(f"{op} {n / helpers:.3g} ({n})" for op, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def main(helpers: int = HELPERS) -> int:
    import requests

    from bench.settle_capture import stop_webhooks
    from chalicelib import deps
    from chalicelib.domain.payout_schedule import next_run_start
    from tests.support.stack import app_environment, temporary_stack

    print(f"A payout run for {helpers:,} helpers with payable balances, on the local stack")
    with temporary_stack("ik-bench-payouts-", without_jobs=("run_payouts",)) as endpoints:
        stop_webhooks(endpoints)
        os.environ.update(app_environment(endpoints))
        os.environ["IK_PAYPAL_CLIENT_SECRET"] = endpoints["paypal_client_secret"]
        deps.reset()
        desk = deps.payout_desk()
        paypal = endpoints["paypal"]

        started = time.perf_counter()
        total_cents = seed(helpers, ledger=desk.ledger, now=int(time.time()))
        seeding = time.perf_counter() - started
        friday = next_run_start(desk.schedule, int(time.time())) + 3600  # an hour into the next run
        desk.runs.get("warm-up")  # the payout tables' connection is made before counting

        first = tick(desk, now=friday, paypal=paypal)
        run_id = first.outcome["payout_day"]
        run = desk.runs.get(run_id)
        assert (run.item_count, run.total_cents) == (helpers, total_cents), run
        for batch_id in run.batches.values():  # unless its delay is over and a poll paid it already
            answer = requests.post(f"{paypal}/sandbox/payouts/{batch_id}/process", timeout=120)
            assert answer.status_code == 200, answer.text
        second = tick(desk, now=friday + 600, paypal=paypal)
        run = desk.runs.get(run_id)
        assert run.state.value == "done", run
        paid = [item for item in desk.items.for_run(run_id) if item.state.value == "paid"]
        assert len(paid) == helpers == first.outcomes + second.outcomes, \
            (len(paid), helpers, first.outcomes, second.outcomes)

    whole = first.counts + second.counts
    print(f"  seeding (not counted): {helpers:,} storefronts and {helpers:,} ledger postings "
          f"({SEED_THREADS} threads): {seeding:.1f} s")
    print(f"  run {run_id} (the clock frozen an hour into the payout day): {helpers:,} items, "
          f"${total_cents / 100:,.2f}, {len(run.batches)} PayPal batch(es)")
    print(f"  {'':<22}{'time':>9}  DynamoDB requests per paid helper: by operation (count)")
    for number, measured in ((1, first), (2, second)):
        for name, counts, seconds in measured.steps:
            print(f"  {f'tick {number}: {name}':<22}{seconds:>8.1f}s  "
                  f"{sum(counts.values()) / helpers:.3f}: {per_helper(counts, helpers)}")
        print(f"  {f'tick {number}':<22}{measured.seconds:>8.1f}s  {sum(measured.counts.values()) / helpers:.3f}, "
              f"{measured.outcomes:,} outcomes applied; the run {measured.outcome['runs'].get(run_id, 'done')} after")
    total = sum(whole.values()) / helpers
    print(f"  {'whole run':<22}{first.seconds + second.seconds:>8.1f}s  {total:.3f}: {per_helper(whole, helpers)}")
    print("  (moto in one process applies requests one at a time; DynamoDB would be faster)")
    print(f"  Scan requests: {whole.get('Scan', 0)}")
    for number, measured in ((1, first), (2, second)):
        print(f"  PayPal requests, tick {number}: {sum(measured.paypal.values())}: "
              + ", ".join(f"{route} {n}" for route, n in sorted(measured.paypal.items())))
    ok = total <= TARGET_REQUESTS_PER_HELPER and whole.get("Scan", 0) == 0
    print(f"  target: at most {TARGET_REQUESTS_PER_HELPER} DynamoDB requests per paid helper over the run, "
          f"no Scan — {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.payout_run", description=__doc__.splitlines()[0])
    parser.add_argument("--helpers", type=int, default=HELPERS, help=f"helpers to pay (default {HELPERS:,})")
    sys.exit(main(parser.parse_args().helpers))
