"""A follower fan-out to 10,000 followers on the local stack: the DynamoDB requests per follower
and the time of `send_announcements`, run as its schedule runs it (one run a minute, each within
its time budget, the next going on from the fan-out's cursor) until the fan-out is done, then once
more to show nobody is emailed twice.

The Helper, the followers' profiles, their follow items and the count are seeded straight into
the tables (not counted); the announcement (`announce`) and every run of the job are counted.
The app's code runs in this process against the stack's moto (SES included: each email is a
SendRawEmail, kept by moto and its local mailbox), as a warm Lambda would. The stack does not
run its own sending job (`--without-job send_announcements`). SES's sending rate is the job's
pacing: with the default 14 a second, 10,000 emails take 10,000 / 14 = 714 s of sending, in
15 runs of at most 50 s; the bench sets the rate high (`--rate`) so that it measures the job's
own cost, and prints what the paced schedule would take.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections import Counter
from dataclasses import replace

FOLLOWERS = 10_000
TARGET_REQUESTS_PER_FOLLOWER = 1.2  # a claim each, and a share of a page read, a profile batch and a cursor move


class CountingMailer:
    """The stack's SES mailer, counting each email by its recipient."""

    def __init__(self, mailer) -> None:
        self._mailer = mailer
        self.sent: Counter = Counter()

    def send(self, email) -> None:
        self._mailer.send(email)
        self.sent[email.to] += 1


def seed(followers: int, *, now: int) -> tuple[str, str]:
    """A Helper with a page and `followers` followers hearing of each post and event (plus a
    tenth as many on the weekly digest and as many on none, whom the fan-out must skip); returns
    the Helper's id and username."""
    import uuid

    from chalicelib import deps
    from chalicelib.adapters.tables.accounts import UserRecord
    from chalicelib.adapters.tables.follows import FollowerCountRecord, FollowRecord
    from chalicelib.domain.helper_pages import HelperPage

    helper_id, username = str(uuid.uuid4()), f"bench{uuid.uuid4().hex[:8]}"
    deps.helper_pages().save(HelperPage(user_id=helper_id, username=username, display_name="Bench Helper",
                                        headline="Fan-outs", offer="Posts and events."))
    others = followers // 10
    people = [(f"f-{n:06d}", "each") for n in range(followers)]
    people += [(f"d-{n:06d}", "digest") for n in range(others)] + [(f"n-{n:06d}", "none") for n in range(others)]
    with UserRecord.batch_write() as users, FollowRecord.batch_write() as follows:
        for person, mode in people:
            users.save(UserRecord(person, email=f"{person}@bench.example", username=person,
                                  display_name=f"Follower {person}", created_at="2026-12-01T00:00:00+00:00"))
            follows.save(FollowRecord(helper_id, person, mode=mode, since=now))
    FollowerCountRecord(helper_id, followers=len(people)).save()
    return helper_id, username


def main(followers: int = FOLLOWERS, rate: float = 1000.0, budget: float = 50.0) -> int:
    from bench.dynamodb_requests import counting_dynamodb
    from chalicelib import deps
    from chalicelib.services import follows
    from tests.support.stack import app_environment, temporary_stack

    print(f"A follower fan-out to {followers:,} followers, on the local stack")
    with temporary_stack("ik-bench-fanout-", without_jobs=("send_announcements",)) as endpoints:
        os.environ.update(app_environment(endpoints))
        os.environ["IK_SES_SENDS_PER_SECOND"] = str(rate)
        os.environ["IK_FANOUT_SECONDS_PER_RUN"] = str(budget)
        deps.reset()
        mailer = CountingMailer(deps.mailer())
        desk = replace(deps.follow_desk(), mailer=mailer)
        now = int(time.time())
        started = time.perf_counter()
        helper_id, _ = seed(followers, now=now)
        seeding = time.perf_counter() - started
        desk.follows.get_fanout("warm-up")  # the connection is made before counting

        runs: list[tuple[dict, float, Counter]] = []
        with counting_dynamodb() as announcing:
            follows.announce(helper_id=helper_id, kind="post", item_id=f"bench-{now}", title="A post for everyone",
                             path="/h/bench/blog/a-post", summary="Sent to every follower once.", desk=desk, now=now)
        whole = Counter(announcing)
        begun = time.perf_counter()
        while True:
            with counting_dynamodb() as counts:
                at = time.perf_counter()
                report = follows.send_announcements(desk=desk, now=now + 60 * len(runs))
                runs.append((report, time.perf_counter() - at, Counter(counts)))
            whole += counts
            if report["fanouts_done"] or not report["sent"] and not report["out_of_time"]:
                break
            assert len(runs) < 1000, "the fan-out never ended"
        sending = time.perf_counter() - begun
        with counting_dynamodb() as again_counts:
            again = follows.send_announcements(desk=desk, now=now + 60 * (len(runs) + 1))
        fanout = desk.follows.get_fanout(f"post:bench-{now}")

    sent = sum(mailer.sent.values())
    twice = [to for to, n in mailer.sent.items() if n > 1]
    wrong = [to for to in mailer.sent if not to.startswith("f-")]
    total = sum(whole.values())
    print(f"  seeding (not counted): the Helper, {followers:,} followers of each post and event and "
          f"{2 * (followers // 10):,} on the digest or none (profiles, follows): {seeding:.1f} s")
    print(f"  pacing {rate:g} emails/s, {budget:g} s a run: {len(runs)} run(s), {sending:.1f} s in all "
          f"({sent / sending if sending else 0:.0f} emails/s on moto, one request at a time)")
    for number, (report, seconds, counts) in enumerate(runs, 1):
        print(f"    run {number}: {report['sent']:,} sent in {seconds:.1f} s, {sum(counts.values()):,} DynamoDB "
              f"requests ({', '.join(f'{op} {n}' for op, n in counts.most_common())})")
    print(f"  emailed: {sent:,} ({len(mailer.sent):,} people), twice: {len(twice)}, not of mode each: {len(wrong)}; "
          f"the fan-out: sent {fanout.sent:,}, done {fanout.done_at is not None}")
    print(f"  DynamoDB requests per follower: {total / followers:.3f} ({total:,}: "
          + ", ".join(f"{op} {n}" for op, n in whole.most_common()) + ")")
    print(f"  a run after the end: {again['sent']} sent, {sum(again_counts.values())} DynamoDB requests")
    paced = math.ceil(followers / 14)
    print(f"  at SES's default 14 emails/s and 50 s a run: {paced:,} s of sending in "
          f"{math.ceil(followers / (14 * 50))} runs (one a minute)")
    print(f"  Scan requests: {whole.get('Scan', 0)}")
    ok = (sent == followers and not twice and not wrong and fanout.done_at is not None and again["sent"] == 0
          and total / followers <= TARGET_REQUESTS_PER_FOLLOWER and whole.get("Scan", 0) == 0)
    print(f"  target: every follower of mode each emailed once, at most {TARGET_REQUESTS_PER_FOLLOWER} DynamoDB "
          f"requests per follower, no Scan — {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=FOLLOWERS, help=f"followers (default {FOLLOWERS:,})")
    parser.add_argument("--rate", type=float, default=1000.0, help="emails a second the job paces to")
    parser.add_argument("--budget", type=float, default=50.0, help="seconds a run may send for")
    arguments = parser.parse_args()
    sys.exit(main(arguments.followers, arguments.rate, arguments.budget))
