"""Appointments' costs, printed by `make bench`:

1. Free slots for 60 days (15-minute sessions, a Helper available every day, all day) for a
   Helper with no bookings and with 500 future bookings: the DynamoDB requests (the steps the
   bookings hold come from one Query whatever their number; the page, the booking rules, the plan,
   the storefront and the calls the Helper is in now are read beside it) and the time, median of several runs, on dynalite,
   whose Query reads a key range up to its limit as DynamoDB does.
2. Ten customers taking one slot at the same moment (threads, one transaction each): exactly
   one booking is written.
"""
from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from collections import Counter

SAMPLES = 9
BOOKED = 500
DAYS = 60
NOW = 1_800_000_000 - 1_800_000_000 % 900  # on a quarter hour


def _desk(settings):
    """What the slots read: the stores on the engine, the rest of paying left out."""
    from chalicelib.adapters.bookings_dynamo import DynamoBookingRulesStore, DynamoBookingStore
    from chalicelib.adapters.helper_pages import DynamoHelperPageStore
    from chalicelib.adapters.payments import DynamoPlanStore, DynamoStorefrontStore
    from chalicelib.adapters.tables import bind_tables

    connection = bind_tables(settings)

    class Paying:  # the parts of the payment desk the slots read
        plans, storefronts = DynamoPlanStore(), DynamoStorefrontStore()

    from chalicelib.adapters.calls import DynamoCallStore

    class Calls:
        pages = DynamoHelperPageStore()
        calls = DynamoCallStore(connection)  # a call the Helper is in takes its time

    Paying.calls = Calls
    Paying.settings = settings
    from chalicelib.adapters.accounts import DynamoAccountStore

    Paying.accounts = DynamoAccountStore(connection)
    from chalicelib.services.bookings import BookingDesk

    return BookingDesk(bookings=DynamoBookingStore(connection), rules=DynamoBookingRulesStore(), payments=Paying)


def _helper(desk, user_id: str) -> None:
    from chalicelib.domain.helper_pages import HelperPage, Slot

    desk.pages.save(HelperPage(user_id=user_id, username=user_id.replace("-", ""), display_name="Bench",
                               headline="Always there", offer="Help.", time_zone="Europe/Paris",
                               prices={15: 0, 30: None, 60: None},
                               schedule=tuple(Slot(day, "00:00", "24:00") for day in range(7))))


def _fill(helper_id: str, count: int) -> None:
    """`count` 15-minute bookings, one every 45 minutes from tomorrow on, with their steps, as
    booking them leaves them (written in batches: dynalite has no transactions)."""
    from chalicelib.adapters.bookings_dynamo import _booking_record, _step_slot
    from chalicelib.adapters.tables.bookings import BookingRecord, BookingStepRecord
    from chalicelib.domain.bookings import Booking, BookingState

    with BookingRecord.batch_write() as bookings, BookingStepRecord.batch_write() as steps:
        for n in range(count):
            booking = Booking(
                booking_id=f"{helper_id}-{n}", helper_id=helper_id, customer_id=f"customer-{n}",
                start=NOW + 86_400 + n * 45 * 60, length=15, helper_zone="Europe/Paris", customer_zone="UTC",
                price_cents=0, currency="USD", fee_cents=0, buffer_minutes=10, state=BookingState.CONFIRMED,
                created_at=NOW)
            bookings.save(_booking_record(booking))
            for step in booking.steps:
                steps.save(BookingStepRecord(helper_id, _step_slot(step), booking_id=booking.booking_id,
                                             day=booking.day.isoformat()))


def slots(engine: str) -> dict:
    from bench.directory_page import ENGINES
    from bench.dynamodb_requests import counting_dynamodb
    from chalicelib.adapters.tables import create_tables
    from chalicelib.services.bookings import availability
    from chalicelib.settings import Settings

    figures: dict = {}
    with ENGINES[engine]() as endpoint:
        os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
        settings = Settings(aws_endpoint_url=endpoint, table_prefix=f"bench-bookings-{engine}-")
        create_tables(settings)
        desk = _desk(settings)
        sizes = {0: "helper-none", BOOKED: "helper-busy"}
        for count, helper_id in sizes.items():
            _helper(desk, helper_id)
            _fill(helper_id, count)
        timings = {count: [] for count in sizes}
        requests = {count: Counter() for count in sizes}
        shown = {}
        for _ in range(SAMPLES):
            for count, helper_id in sizes.items():  # alternate, so machine noise hits both alike
                with counting_dynamodb() as counts:
                    started = time.perf_counter()
                    found = availability(username=helper_id.replace("-", ""), length=15, zone="America/New_York",
                                         days=DAYS, now=NOW, desk=desk)
                    timings[count].append(time.perf_counter() - started)
                requests[count] = counts
                shown[count] = len(found["slots"])
        for count in sizes:
            figures[count] = {"ms": statistics.median(timings[count]) * 1000, "requests": requests[count],
                              "slots": shown[count]}
    return figures


def race() -> int:
    """Ten threads book the same slot at once on the local stack's AWS (moto, each request
    atomic as in DynamoDB); how many bookings were written."""
    from chalicelib.adapters.bookings_dynamo import DynamoBookingStore
    from chalicelib.adapters.tables import bind_tables, create_tables
    from chalicelib.settings import Settings
    from infra.local.aws import LocalAws

    aws = LocalAws().start()
    try:
        settings = Settings(aws_endpoint_url=aws.url, table_prefix="bench-race-")
        create_tables(settings)
        return _race(DynamoBookingStore(bind_tables(settings)))
    finally:
        aws.stop()


def _race(bookings) -> int:
    from chalicelib.domain.bookings import Booking, BookingState, SlotTaken

    start = NOW + 3 * 86_400
    written, barrier = [], threading.Barrier(10)

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            bookings.book(Booking(
                booking_id=f"race-{n}", helper_id="helper-race", customer_id=f"c-{n}", start=start, length=30,
                helper_zone="Europe/Paris", customer_zone="UTC", price_cents=0, currency="USD", fee_cents=0,
                buffer_minutes=10, state=BookingState.CONFIRMED, created_at=NOW), daily_max=None)
            written.append(n)
        except SlotTaken:
            pass

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(written)


def main() -> int:
    figures = slots("dynalite")
    print(f"Free slots for {DAYS} days (15 minutes, open all week), on dynalite, median of {SAMPLES}:")
    for count in (0, BOOKED):
        f = figures[count]
        calls = ", ".join(f"{n} {op}" for op, n in sorted(f["requests"].items()))
        print(f"  {count:>4} future bookings: {sum(f['requests'].values())} DynamoDB requests ({calls}), "
              f"{f['slots']:,} slots, {f['ms']:.1f} ms")
    queries = [figures[count]["requests"]["Query"] for count in (0, BOOKED)]
    same = figures[0]["requests"] == figures[BOOKED]["requests"]
    print(f"  the same requests with and without bookings: {same} ({queries[1]} Queries: the Helper by username, "
          "the steps every booking holds (one Query whatever their number), and the calls the Helper is in now "
          "(two: as Helper, as caller))")
    written = race()
    print(f"Ten customers taking one slot at once (moto, as the local stack runs it): {written} booking written "
          "(target 1)")
    failed = not same or written != 1 or "Scan" in figures[BOOKED]["requests"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
