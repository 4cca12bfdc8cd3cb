"""The cost of one directory page: DynamoDB requests and time, for a category with 100 and
with 10,000 Helpers, side by side in one run against moto over HTTP.

A page is one Query on the `listings.by_rank` index (online first, then by rating) plus one
GetItem for the category, whatever the category's size. Target: the same number of requests,
and times within 1.2x of each other.

Two emulators answer: moto (the local stack's), whose Query walks and sorts every item of the
table on each call, so its time grows with the table whatever the design; and dynalite, a
DynamoDB emulator on LevelDB whose Query reads a sorted key range up to `Limit`, as DynamoDB
does. The target is judged on dynalite; moto's figures are printed beside it.
"""
from __future__ import annotations

import os
import socket
import statistics
import subprocess
import time
from contextlib import contextmanager
from typing import Iterator

from bench.npm_tools import npm_tool

DYNALITE_VERSION = "4.0.0"

SIZES = (100, 10_000)
SAMPLES = 40
PAGE_SIZE = 20
TARGET_TIME_RATIO = 1.2


@contextmanager
def moto_dynamodb() -> Iterator[str]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def dynalite_dynamodb() -> Iterator[str]:
    """dynalite from the npm registry (installed once under .local/), in memory, on loopback."""
    dynalite = npm_tool("dynalite", DYNALITE_VERSION, "cli.js")
    port = _free_port()
    process = subprocess.Popen(["node", str(dynalite), "--port", str(port), "--createTableMs", "0",
                                "--deleteTableMs", "0", "--updateTableMs", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


ENGINES = {"dynalite": dynalite_dynamodb, "moto": moto_dynamodb}


class RequestCounter:
    """Counts the DynamoDB API calls pynamodb makes."""

    def __init__(self) -> None:
        from pynamodb.connection.base import Connection

        self.calls = 0
        original = Connection._make_api_call

        def counted(connection, operation_name, operation_kwargs):
            self.calls += 1
            return original(connection, operation_name, operation_kwargs)

        Connection._make_api_call = counted


def fill(category: str, helpers: int) -> None:
    from chalicelib.adapters.tables.directory import ListingRecord
    from chalicelib.domain.presence import Status, listing_rank

    with ListingRecord.batch_write() as batch:
        for n in range(helpers):
            user_id = f"{category}-{n:06d}"
            status = Status.ONLINE if n % 7 == 0 else Status.OFFLINE
            card = {"user_id": user_id, "username": f"h{n}", "display_name": f"Helper {n}",
                    "headline": "Helps with things", "avatar_url": None, "page_url": f"/h/h{n}",
                    "prices": {"15": 1500, "30": 2500, "60": None}, "rating": None, "status": status.value}
            batch.save(ListingRecord(category, user_id, rank=listing_rank(status, n % 50, 10, user_id), card=card))


def measure(engine: str) -> dict[int, dict[str, float]]:
    from chalicelib.adapters.categories import DynamoCategoryStore, DynamoListingStore
    from chalicelib.adapters.tables import create_tables
    from chalicelib.domain.categories import Category
    from chalicelib.domain.cursors import CursorSeal
    from chalicelib.services.directory import show_category
    from chalicelib.settings import Settings

    figures: dict[int, dict[str, float]] = {}
    with ENGINES[engine]() as endpoint:
        os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
        create_tables(Settings(aws_endpoint_url=endpoint, table_prefix=f"bench-{engine}-"))
        categories, listings = DynamoCategoryStore(), DynamoListingStore()
        for size in SIZES:
            categories.put(Category(f"size-{size}", f"{size} helpers", "A benchmark category"))
            fill(f"size-{size}", size)
        counter = RequestCounter()
        seal = CursorSeal(b"bench")
        timings: dict[int, list[float]] = {size: [] for size in SIZES}
        requests: dict[int, list[int]] = {size: [] for size in SIZES}
        for _ in range(SAMPLES):
            for size in SIZES:  # alternate, so machine noise hits both alike
                before = counter.calls
                started = time.perf_counter()
                _, cards, cursor = show_category(slug=f"size-{size}", limit=PAGE_SIZE, cursor=None,
                                                 categories=categories, listings=listings, cursors=seal)
                show_category(slug=f"size-{size}", limit=PAGE_SIZE, cursor=cursor,
                              categories=categories, listings=listings, cursors=seal)  # and the next page
                timings[size].append((time.perf_counter() - started) / 2)
                requests[size].append((counter.calls - before) / 2)
                assert len(cards) == PAGE_SIZE and cards[0]["status"] == "online"
        for size in SIZES:
            figures[size] = {"requests": statistics.mean(requests[size]),
                             "ms": statistics.median(timings[size]) * 1000}
    return figures


def main() -> int:
    print(f"directory page ({PAGE_SIZE} helpers; mean of a first and a next page), median of {SAMPLES}:")
    verdict = 1
    for engine in ENGINES:
        figures = measure(engine)
        small, large = (figures[size] for size in SIZES)
        ratio = large["ms"] / small["ms"]
        for size in SIZES:
            print(f"  {engine:<8} {size:>6} helpers in the category  {figures[size]['requests']:.0f} DynamoDB "
                  f"requests  {figures[size]['ms']:7.2f} ms")
        same = small["requests"] == large["requests"]
        print(f"  {engine:<8} time ratio {ratio:.2f}x, same requests: {same}"
              + (f"  (target <= {TARGET_TIME_RATIO}x)" if engine == "dynalite" else "  (moto: not judged)"))
        if engine == "dynalite":
            verdict = 0 if ratio <= TARGET_TIME_RATIO and same else 1
    return verdict


if __name__ == "__main__":
    raise SystemExit(main())
