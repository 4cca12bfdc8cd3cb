"""A Helper's reviews cost the same whatever their number: the public page and the first page of
reviews for a Helper with 10 reviews and one with 10,000, against one temporary stack's moto.

The reviews are written straight into the reviews table (as sessions would leave them) and the
Helper's counters set to match; then, in this process, the page (`find_public_page`: the page by
its username, then status and category names) and the first page of reviews, newest first and
highest first (`helper_reviews`, 10 a page), are read, counting DynamoDB requests by operation
and timing the median of RUNS. Target: the same requests for both Helpers (one Query for a page
of reviews; the summary is the page item's counters). The time is moto's: its Query reads and
sorts every item of the index on each call, so it grows with the reviews where DynamoDB's reads a
key range up to the limit.
"""
from __future__ import annotations

import statistics
import sys
import time

RUNS = 5
SIZES = (10, 10_000)


def write_reviews(helper_id: str, count: int) -> None:
    from chalicelib.adapters.reviews import _record
    from chalicelib.adapters.tables.pages import HelperPageRecord
    from chalicelib.adapters.tables.reviews import ReviewRecord
    from chalicelib.domain.reviews import Review

    with ReviewRecord.batch_write() as batch:
        for n in range(count):
            batch.save(_record(Review(call_id=f"{helper_id}-{n:05d}", helper_id=helper_id, caller_id=f"caller-{n}",
                                      stars=5 - n % 2, text=f"Session {n} went well.", created_at=1_800_000_000 + n,
                                      session_minutes=30, author_name=f"Caller {n}")))
    fives, fours = (count + 1) // 2, count // 2
    HelperPageRecord(helper_id).update(actions=[
        HelperPageRecord.rating_5.set(fives), HelperPageRecord.rating_4.set(fours),
        HelperPageRecord.rating_count.set(count), HelperPageRecord.rating_total.set(5 * fives + 4 * fours)])


def measure() -> dict:
    import os

    from bench.dynamodb_requests import counting_dynamodb
    from chalicelib import deps
    from chalicelib.services import helper_pages, reviews
    from tests.support.pages import become_helper
    from tests.support.stack import app_environment, temporary_stack

    figures = {}
    with temporary_stack("ik-bench-reviews-") as endpoints:
        os.environ.update(app_environment(endpoints))
        deps.reset()
        desk = deps.review_desk()
        for size in SIZES:
            helper = become_helper(endpoints["api"], f"rev{size}", categories=("plumbing",))
            write_reviews(helper.tokens["user_id"], size)
            steps = {
                "the page (/h/<username>)": lambda: helper_pages.find_public_page(
                    username=helper.username, accounts=deps.account_store(), pages=deps.helper_pages(),
                    facts=deps.page_facts()),
                "first 10 reviews, newest": lambda: reviews.helper_reviews(
                    username=helper.username, sort="newest", limit=10, cursor=None, desk=desk),
                "first 10 reviews, highest": lambda: reviews.helper_reviews(
                    username=helper.username, sort="highest", limit=10, cursor=None, desk=desk),
            }
            for name, step in steps.items():
                times, requests = [], None
                for _ in range(RUNS):
                    with counting_dynamodb() as counted:
                        started = time.perf_counter()
                        answer = step()
                        times.append((time.perf_counter() - started) * 1000)
                    requests = dict(counted)
                if "reviews" in name:
                    assert len(answer["reviews"]) == 10 and answer["summary"]["count"] == size, answer["summary"]
                figures[(size, name)] = {"ms": statistics.median(times), "requests": requests}
    return figures


def main() -> int:
    figures = measure()
    print(f"A Helper's reviews, {SIZES[0]:,} against {SIZES[1]:,} (moto; median of {RUNS}):")
    same = True
    for name in dict.fromkeys(name for _, name in figures):
        small, large = figures[(SIZES[0], name)], figures[(SIZES[1], name)]
        calls = lambda f: ", ".join(f"{n} {op}" for op, n in sorted(f["requests"].items()))  # noqa: E731
        print(f"  {name:<28} {SIZES[0]:>6,}: {small['ms']:6.1f} ms ({calls(small)})   "
              f"{SIZES[1]:>6,}: {large['ms']:6.1f} ms ({calls(large)})")
        same = same and small["requests"] == large["requests"]
    print(f"  same DynamoDB requests for both: {'OK' if same else 'MISSED'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
