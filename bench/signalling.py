"""WebRTC signalling through the local WebSocket gateway, beside a bare ping on the same gateway,
and the DynamoDB requests each relayed message costs; in one run against one local stack.

The stack is started as the tests start it (`python -m infra.local` on free ports, a temporary
state folder). Helpers and callers are made through the real API, two WebSockets per call ring,
answer (the call is then live, NEGOTIATING), and then:

- throughput: the caller sends `signal` messages as fast as it can, in bursts of at most 200 (the
  `SignalLimiter` allows a burst of 200 per connection, then 50/s), the bucket refilled between
  bursts; once on one call, once on several calls at once. The same for `ping` on the same gateway;
- round trip: caller -> helper -> caller (the helper answers each signal on receipt: two relays),
  paced under the limiter; beside it `ping` -> `pong` (one handler), paced alike;
- DynamoDB requests per relayed message: `relay_signal` run in this process with the real
  `DynamoCallStore` against the stack's moto, on the live call, every pynamodb request counted.

Target: at most 1 read and 0 writes per relayed message, and every signal delivered (none refused
by the limiter, none lost). Throughput and latency are printed, not judged.
"""
from __future__ import annotations

import json
import math
import os
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BURST = 200  # the limiter's burst per connection; never more in one go
BURSTS = 3  # on the single call
REFILL_SECONDS = BURST / 50 + 0.5  # the bucket refills at 50/s
PARALLEL_CALLS = 4
ROUND_TRIPS = 200
PACE_SECONDS = 0.025  # a round trip at most every 25 ms: 40/s per connection, under the 50/s
IN_PROCESS_MESSAGES = 100
TARGET_READS, TARGET_WRITES = 1, 0

READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


# -- the stack and the people --------------------------------------------------------------------
class Tab:
    """One signed-in WebSocket (websockets' sync client)."""

    def __init__(self, url: str, token: str) -> None:
        from websockets.sync.client import connect

        self.socket = connect(url, subprotocols=["interkanect", token], open_timeout=30).__enter__()
        assert self.socket.subprotocol == "interkanect"

    def send(self, **message) -> None:
        self.socket.send(json.dumps(message, separators=(",", ":")))

    def recv(self, timeout: float = 15) -> dict:
        return json.loads(self.socket.recv(timeout=timeout))

    def wait_for(self, predicate, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the expected message did not arrive")
            message = self.recv(timeout=left)
            if predicate(message):
                return message

    def close(self) -> None:
        self.socket.close()


@dataclass
class LiveCall:
    call_id: str
    caller: Tab
    helper: Tab
    refused: list = field(default_factory=list)  # error answers seen by the caller


def live_call(endpoints: dict, n: int) -> LiveCall:
    """A new helper (with a page) and a new caller, both connected; ring, answer, negotiating."""
    from tests.support.accounts import sign_up_and_in
    from tests.support.pages import become_helper

    helper = become_helper(endpoints["api"], f"bhelper{n}")
    caller = sign_up_and_in(endpoints["api"], f"bcaller{n}")
    helper_tab = Tab(endpoints["websocket"], helper.access_token)
    caller_tab = Tab(endpoints["websocket"], caller.access_token)
    caller_tab.send(action="call", helper=helper.username)
    rang = caller_tab.wait_for(lambda m: m.get("type") in ("ack", "error"), timeout=60)
    if rang["type"] == "error":
        raise RuntimeError(f"the call was refused: {rang}")
    call_id = rang["call"]["call_id"]
    helper_tab.wait_for(lambda m: m.get("type") == "call" and m["call"]["state"] == "ringing", timeout=60)
    helper_tab.send(action="answer", call_id=call_id)
    answered = helper_tab.wait_for(lambda m: m.get("type") in ("ack", "error"), timeout=60)
    if answered["type"] == "error" or answered["call"]["state"] != "negotiating":
        raise RuntimeError(f"the answer was refused: {answered}")
    caller_tab.wait_for(lambda m: m.get("type") == "call" and m["call"]["state"] == "negotiating", timeout=60)
    return LiveCall(call_id, caller_tab, helper_tab)


def end_call(call: LiveCall) -> None:
    try:
        call.caller.send(action="end", call_id=call.call_id)
        call.caller.wait_for(lambda m: m.get("type") == "ack" and m["call"]["state"] == "ended", timeout=10)
    finally:
        call.caller.close()
        call.helper.close()


def drain_until_pong(tab: Tab, refused: list, ping_id: str) -> None:
    """Frames of one connection are handled in order: an error for any earlier message arrives
    before the pong of a ping sent after it."""
    tab.send(action="ping", id=ping_id)
    while True:
        message = tab.recv(timeout=30)
        if message.get("type") == "pong" and message.get("id") == ping_id:
            return
        if message.get("type") == "error":
            refused.append(message)


def percentile(samples: list[float], p: float) -> float:
    """Nearest rank."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# -- (a) throughput ------------------------------------------------------------------------------
def signal_burst(call: LiveCall, count: int, results: dict, key: object, start: threading.Barrier | None) -> None:
    """The caller sends `count` signals back to back; the helper counts them in. Seconds from
    the first send to the last arrival, and how many arrived, go into results[key]."""
    arrived: list[float] = []

    def receive() -> None:
        deadline = time.monotonic() + 60
        while len(arrived) < count and time.monotonic() < deadline:
            try:
                message = call.helper.recv(timeout=max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            if message.get("type") == "signal" and message.get("call_id") == call.call_id:
                arrived.append(time.perf_counter())

    receiver = threading.Thread(target=receive, daemon=True)
    receiver.start()
    if start is not None:
        start.wait()
    started = time.perf_counter()
    for n in range(count):
        candidate = f"candidate:{n} 1 udp 2122260223 192.0.2.1 {50000 + n} typ host"
        call.caller.send(action="signal", call_id=call.call_id, data={"type": "ice", "candidate": candidate})
    receiver.join(70)
    results[key] = {"seconds": (arrived[-1] - started) if arrived else float("inf"), "arrived": len(arrived),
                    "started": started, "ended": arrived[-1] if arrived else started}


def ping_burst(tab: Tab, count: int, results: dict, key: object, start: threading.Barrier | None) -> None:
    """`count` pings back to back on one connection; seconds until the last pong."""
    if start is not None:
        start.wait()
    started = time.perf_counter()
    for n in range(count):
        tab.send(action="ping", id=n)
    pongs, ended = 0, started
    deadline = time.monotonic() + 60
    while pongs < count and time.monotonic() < deadline:
        message = tab.recv(timeout=max(0.01, deadline - time.monotonic()))
        if message.get("type") == "pong":
            pongs, ended = pongs + 1, time.perf_counter()
    results[key] = {"seconds": ended - started, "arrived": pongs, "started": started, "ended": ended}


def single_connection_rate(call: LiveCall, kind: str) -> tuple[float, int, int]:
    """BURSTS bursts of BURST on one connection; (messages per second, sent, arrived)."""
    results: dict = {}
    for n in range(BURSTS):
        if kind == "signal":
            time.sleep(REFILL_SECONDS)  # a full bucket for every burst
            signal_burst(call, BURST, results, n, None)
            drain_until_pong(call.caller, call.refused, f"after-burst-{n}")
        else:
            ping_burst(call.caller, BURST, results, n, None)
    arrived = sum(r["arrived"] for r in results.values())
    seconds = sum(r["seconds"] for r in results.values())
    return arrived / seconds, BURSTS * BURST, arrived


def parallel_rate(calls: list[LiveCall], kind: str) -> tuple[float, int, int]:
    """One burst of BURST on each call's caller connection, all at once; aggregate rate."""
    if kind == "signal":
        time.sleep(REFILL_SECONDS)
    results: dict = {}
    start = threading.Barrier(len(calls))
    threads = [threading.Thread(target=signal_burst if kind == "signal" else ping_burst,
                                args=(c if kind == "signal" else c.caller, BURST, results, i, start), daemon=True)
               for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    if kind == "signal":
        for i, call in enumerate(calls):
            drain_until_pong(call.caller, call.refused, f"after-parallel-{i}")
    arrived = sum(r["arrived"] for r in results.values())
    span = max(r["ended"] for r in results.values()) - min(r["started"] for r in results.values())
    return arrived / span, len(calls) * BURST, arrived


# -- (b, c) round trips --------------------------------------------------------------------------
def signal_round_trips(call: LiveCall, count: int) -> list[float]:
    """Caller -> helper -> caller; the helper answers each signal as it arrives."""
    stop = threading.Event()

    def answer() -> None:
        while not stop.is_set():
            try:
                message = call.helper.recv(timeout=0.2)
            except TimeoutError:
                continue
            if message.get("type") == "signal":
                call.helper.send(action="signal", call_id=call.call_id,
                                 data={"type": "ice", "candidate": "reply", "seq": message["data"].get("seq")})

    helper = threading.Thread(target=answer, daemon=True)
    helper.start()
    time.sleep(REFILL_SECONDS)
    samples: list[float] = []
    try:
        for n in range(count):
            started = time.perf_counter()
            call.caller.send(action="signal", call_id=call.call_id,
                             data={"type": "ice", "candidate": "probe", "seq": n})
            while True:
                message = call.caller.recv(timeout=15)
                if message.get("type") == "signal" and message["data"].get("seq") == n:
                    break
                if message.get("type") == "error":
                    call.refused.append(message)
            samples.append(time.perf_counter() - started)
            time.sleep(max(0.0, PACE_SECONDS - (time.perf_counter() - started)))
    finally:
        stop.set()
        helper.join(5)
    return samples


def ping_round_trips(tab: Tab, count: int) -> list[float]:
    samples: list[float] = []
    for n in range(count):
        started = time.perf_counter()
        tab.send(action="ping", id=f"rtt-{n}")
        tab.wait_for(lambda m: m.get("type") == "pong" and m.get("id") == f"rtt-{n}")
        samples.append(time.perf_counter() - started)
        time.sleep(max(0.0, PACE_SECONDS - (time.perf_counter() - started)))
    return samples


# -- (d) DynamoDB requests per relayed message, in this process ----------------------------------
class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    def send(self, connection_id: str, message: dict) -> None:
        self.sent.append((connection_id, message))

    def close(self, connection_id: str) -> None:
        pass


def requests_per_operation(endpoints: dict, call_id: str) -> dict:
    """`relay_signal` and, beside it, `heartbeat` on the live call's real rows, every request
    counted. The process is warm first (pynamodb has the tables' schemas), as a warm Lambda is."""
    from chalicelib import deps
    from chalicelib.services.signals import SignalLimiter, relay_signal
    from chalicelib.services.realtime import heartbeat

    from bench.dynamodb_requests import counting_dynamodb
    from tests.support.stack import app_environment

    os.environ.update(app_environment(endpoints))
    deps.reset()
    try:
        store, connections = deps.call_store(), deps.connection_store()
        call = store.get(call_id)
        assert call is not None and call.live and call.caller_connection and call.helper_connection
        connections.get(call.caller_connection)  # warm: the connections table's schema too
        sender, limiter = RecordingSender(), SignalLimiter(burst=IN_PROCESS_MESSAGES)
        relay_times: list[float] = []
        with counting_dynamodb() as relay_operations:
            for n in range(IN_PROCESS_MESSAGES):
                started = time.perf_counter()
                relay_signal(connection_id=call.caller_connection,
                             message={"action": "signal", "call_id": call_id,
                                      "data": {"type": "ice", "candidate": f"in-process {n}"}},
                             calls=store, connections=connections, sender=sender, limiter=limiter)
                relay_times.append(time.perf_counter() - started)
        delivered = sum(1 for target, m in sender.sent if target == call.helper_connection and m["type"] == "signal")

        liveness = deps.liveness()
        with counting_dynamodb() as ping_operations:
            for _ in range(10):
                assert heartbeat(call.caller_connection, {"action": "ping"}, connections=connections,
                                 clock=time.time, liveness=liveness) is not None
    finally:
        deps.reset()

    def per(operations: Counter, count: int) -> dict:
        return {"reads": sum(n for o, n in operations.items() if o in READS) / count,
                "writes": sum(n for o, n in operations.items() if o in WRITES) / count,
                "other": sum(n for o, n in operations.items() if o not in READS | WRITES) / count,
                "by_operation": {o: operations[o] / count for o in sorted(operations)}}

    return {"relay": per(relay_operations, IN_PROCESS_MESSAGES),
            "relay_ms": statistics.median(relay_times) * 1000, "relay_p95_ms": percentile(relay_times, 95) * 1000,
            "delivered": delivered, "ping": per(ping_operations, 10)}


# -- the run -------------------------------------------------------------------------------------
def measure() -> dict:
    from tests.support.stack import temporary_stack

    figures: dict = {}
    with temporary_stack("ik-bench-signalling-") as endpoints:
        calls = [live_call(endpoints, n) for n in range(PARALLEL_CALLS)]
        main_call = calls[0]
        try:
            figures["signal_one"] = single_connection_rate(main_call, "signal")
            figures["signal_parallel"] = parallel_rate(calls, "signal")
            figures["ping_one"] = single_connection_rate(main_call, "ping")
            figures["ping_parallel"] = parallel_rate(calls, "ping")
            figures["signal_rtt"] = signal_round_trips(main_call, ROUND_TRIPS)
            figures["ping_rtt"] = ping_round_trips(main_call.caller, ROUND_TRIPS)
            figures["dynamodb"] = requests_per_operation(endpoints, main_call.call_id)
            figures["refused"] = [m for c in calls for m in c.refused]
        finally:
            for call in calls:
                try:
                    end_call(call)
                except Exception:  # the stack stops anyway
                    pass
    return figures


def main() -> int:
    sys.path.insert(0, str(ROOT))
    figures = measure()
    ms = lambda seconds: seconds * 1000  # noqa: E731
    signal_rtt, ping_rtt, db = figures["signal_rtt"], figures["ping_rtt"], figures["dynamodb"]
    print(f"signalling on the local WebSocket gateway (SignalLimiter: 50/s, burst {BURST} per connection), "
          "one stack, one run:")
    print("  throughput, messages per second (sent back to back; last arrival counted):")
    for label, key in ((f"signal, 1 call, {BURSTS} bursts of {BURST} (bucket refilled between)", "signal_one"),
                       (f"signal, {PARALLEL_CALLS} calls at once, a burst of {BURST} each", "signal_parallel"),
                       (f"ping,   1 connection, {BURSTS} bursts of {BURST}", "ping_one"),
                       (f"ping,   {PARALLEL_CALLS} connections at once, {BURST} each", "ping_parallel")):
        rate, sent, arrived = figures[key]
        print(f"    {label:<62} {rate:7.1f} /s  ({arrived}/{sent} arrived)")
    print(f"  round trip, {ROUND_TRIPS} each, one every {PACE_SECONDS * 1000:.0f} ms at most:")
    print(f"    signal -> helper -> reply signal (2 relays)  median {ms(statistics.median(signal_rtt)):6.2f} ms  "
          f"p95 {ms(percentile(signal_rtt, 95)):6.2f} ms")
    print(f"    ping -> pong (1 handler)                     median {ms(statistics.median(ping_rtt)):6.2f} ms  "
          f"p95 {ms(percentile(ping_rtt, 95)):6.2f} ms")
    relay, ping = db["relay"], db["ping"]
    detail = lambda per: ", ".join(f"{o} {n:g}" for o, n in per["by_operation"].items()) or "none"  # noqa: E731
    print(f"  DynamoDB requests, in-process on the live call (real DynamoCallStore on the stack's moto, "
          f"warm, {IN_PROCESS_MESSAGES} messages):")
    print(f"    per relayed signal  reads {relay['reads']:.2f}  writes {relay['writes']:.2f}  ({detail(relay)}; "
          f"median {db['relay_ms']:.2f} ms, p95 {db['relay_p95_ms']:.2f} ms each, moto over HTTP)  "
          f"(target <= {TARGET_READS} read, {TARGET_WRITES} writes)")
    print(f"    per ping            reads {ping['reads']:.2f}  writes {ping['writes']:.2f}  ({detail(ping)})  "
          "(not judged)")
    refused = figures["refused"]
    lost = sum(figures[k][1] - figures[k][2] for k in ("signal_one", "signal_parallel"))
    print(f"  signals refused by the limiter or lost: {len(refused)} refused, {lost} lost"
          + (f"  e.g. {refused[0]}" if refused else ""))
    met = (relay["reads"] <= TARGET_READS and relay["writes"] <= TARGET_WRITES and relay["other"] == 0
           and db["delivered"] == IN_PROCESS_MESSAGES and not refused and lost == 0)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
