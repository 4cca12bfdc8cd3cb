"""A poll under load on one temporary local stack (as the tests start it), printed by `make bench`:

- 100 people watch a live poll, each on their own WebSocket through the local gateway
  (`watch_poll`);
- 200 people vote at once through the REST API (`PUT /helpers/{u}/polls/{id}/vote`, 20 at a
  time), each vote a transaction on moto.

Printed: the votes' rate and latency, the counts at the end (target: exactly 200, split as
voted), the updates each watcher was sent and the most it received in any one second (target:
at most one a second per poll; measured where the watcher reads, so a gateway that delivers two
sends late together can show 2 in a window), how long after the last vote every watcher had
the final count, and the messages sent per second to all 100 watchers.
"""
from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WATCHERS = 100
VOTERS = 200
AT_ONCE = 20


class Watcher(threading.Thread):
    """One signed-in tab watching the poll; records when each update arrived."""

    def __init__(self, url: str, token: str, helper: str, poll_id: str) -> None:
        super().__init__(daemon=True)
        from websockets.sync.client import connect

        self.socket = connect(url, subprotocols=["interkanect", token], open_timeout=60).__enter__()
        self.socket.send(json.dumps({"action": "watch_poll", "helper": helper, "poll_id": poll_id, "id": "w"}))
        while json.loads(self.socket.recv(timeout=60)).get("id") != "w":
            pass
        self.updates: list[tuple[float, int]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                message = json.loads(self.socket.recv(timeout=60))
            except TimeoutError:
                return
            if message.get("type") == "poll":
                self.updates.append((time.monotonic(), message["poll"]["total"]))
                if message["poll"]["total"] >= VOTERS:
                    self.done.set()

    def close(self) -> None:
        self.socket.close()


def most_in_a_second(times: list[float]) -> int:
    return max((sum(1 for t in times if start <= t < start + 1) for start in times), default=0)


def measure() -> dict:
    import requests

    from tests.support.accounts import sign_up_and_in
    from tests.support.pages import become_helper
    from tests.support.stack import temporary_stack

    with temporary_stack("ik-bench-polls-") as endpoints:
        api = endpoints["api"]
        helper = become_helper(api, "benchpoll")
        poll = requests.post(f"{api}/me/polls", headers=helper.auth, timeout=60, json={
            "question": "Which one?", "options": ["A", "B", "C", "D"], "results": "live"}).json()["poll"]
        with ThreadPoolExecutor(max_workers=8) as pool:
            people = list(pool.map(lambda n: sign_up_and_in(api, f"bp{n}"), range(WATCHERS + VOTERS)))
        watchers = [Watcher(endpoints["websocket"], person.access_token, helper.username, poll["poll_id"])
                    for person in people[:WATCHERS]]
        for watcher in watchers:
            watcher.start()
        url = f"{api}/helpers/{helper.username}/polls/{poll['poll_id']}/vote"
        latencies: list[float] = []

        def vote(n: int) -> int:
            started = time.monotonic()
            answer = requests.put(url, headers=people[WATCHERS + n].auth, json={"option": n % 4}, timeout=120)
            latencies.append(time.monotonic() - started)
            return answer.status_code

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
            codes = list(pool.map(vote, range(VOTERS)))
        voted = time.monotonic()
        for watcher in watchers:
            watcher.done.wait(timeout=60)
        seen = time.monotonic()
        final = requests.get(f"{api}/helpers/{helper.username}/polls", timeout=60).json()["polls"][0]
        for watcher in watchers:
            watcher.close()
    received = [len(w.updates) for w in watchers]
    return {
        "codes": codes, "vote_seconds": voted - started, "latencies": sorted(latencies),
        "counts": [o["votes"] for o in final["options"]], "total": final["total"],
        "received": received, "most_per_second": max(most_in_a_second([t for t, _ in w.updates]) for w in watchers),
        "final_everywhere": all(w.updates and w.updates[-1][1] == VOTERS for w in watchers),
        "catch_up": seen - voted, "span": seen - started,
    }


def main() -> int:
    sys.path.insert(0, str(ROOT))
    f = measure()
    lat = f["latencies"]
    print(f"A live poll: {VOTERS} votes ({AT_ONCE} at a time, REST on the local stack) while {WATCHERS} "
          "WebSockets watch it:")
    print(f"  votes: {f['codes'].count(200)}/{VOTERS} answered 200 in {f['vote_seconds']:.1f} s "
          f"({VOTERS / f['vote_seconds']:.0f}/s); latency median {statistics.median(lat) * 1000:.0f} ms, "
          f"p95 {lat[int(len(lat) * 0.95) - 1] * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms")
    print(f"  counts at the end: {f['counts']} = {f['total']} (target {VOTERS // 4} each, {VOTERS})")
    print(f"  updates per watcher: {min(f['received'])}-{max(f['received'])} over {f['span']:.1f} s; the most any "
          f"watcher received in one second: {f['most_per_second']} (target 1)")
    print(f"  every watcher had all {VOTERS} votes {f['catch_up']:.2f} s after the last vote answered; "
          f"{sum(f['received']) / f['span']:.0f} messages a second to the {WATCHERS} watchers")
    exact = f["counts"] == [VOTERS // 4] * 4 and f["codes"].count(200) == VOTERS and f["final_everywhere"]
    return 0 if exact and f["most_per_second"] <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
