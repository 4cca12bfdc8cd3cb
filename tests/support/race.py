"""Racing moves for concurrency tests: every move on its own thread, all let go at once."""
from __future__ import annotations

import threading


def race(moves: list, *, who: str = "racer") -> list:
    """Runs each move on its own thread, all let go at once; what each returned or raised."""
    start = threading.Barrier(len(moves), timeout=30)
    outcomes: list = [None] * len(moves)

    def run(index, move):
        start.wait()
        try:
            outcomes[index] = move()
        except BaseException as error:  # noqa: BLE001 - reported to the test, not swallowed
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(n, move), name=f"{who}-{n}") for n, move in enumerate(moves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), f"a {who} hung"
    return outcomes
