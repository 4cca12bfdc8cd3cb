"""Following a Helper on the twins: exact counts, the modes, the Following list, announcing once,
the fan-out sending each follower one email (never two, with a killed run and overlapping runs),
at SES's pace and within a run's time, the weekly digest, and one-click unsubscribe."""
from __future__ import annotations

import email
import threading
from email import policy

import pytest

from chalicelib.adapters.accounts import InMemoryAccountStore
from chalicelib.adapters.follows import InMemoryFollowStore
from chalicelib.adapters.helper_pages import InMemoryHelperPageStore
from chalicelib.adapters.mailer import InMemoryMailer, mime
from chalicelib.domain import follows as rules
from chalicelib.domain.accounts import Profile
from chalicelib.domain.cursors import CursorSeal
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.helper_pages import HelperPage
from chalicelib.domain.posts import SEND_BATCH, FollowMode
from chalicelib.services import follows
from chalicelib.settings import Settings
from tests.support.clock import SleepingClock

NOW = 1_796_000_000  # Monday 30 November 2026, 00:53 UTC


def make_desk(*, followers: int = 0, mode: FollowMode = FollowMode.EACH, rate: float = 14.0, budget: float = 50.0,
              mailer=None, store=None, clock=None):
    accounts, pages = InMemoryAccountStore(), InMemoryHelperPageStore()
    accounts.create(Profile("helper-1", "ada@example.com", "ada", "Ada Lovelace", "2026-01-01"))
    pages.save(HelperPage(user_id="helper-1", username="ada", display_name="Ada Lovelace", headline="Maths help",
                          offer="Ask me."))
    clock = clock or SleepingClock()
    desk = follows.FollowDesk(follows=store or InMemoryFollowStore(), pages=pages, accounts=accounts,
                              mailer=mailer or InMemoryMailer(),
                              settings=Settings(ses_sends_per_second=rate, fanout_seconds_per_run=budget),
                              seal=CursorSeal(b"k" * 32), clock=clock, sleep=clock.sleep)
    for n in range(followers):
        person = f"fan-{n:05d}"
        accounts.create(Profile(person, f"{person}@example.com", person, f"Fan {n}", "2026-01-01"))
        follows.follow(username="ada", user_id=person, mode=mode.value, desk=desk, now=NOW)
    return desk, clock


def announce(desk, item_id: str = "p1", kind: str = "post", now: int = NOW) -> None:
    follows.announce(helper_id="helper-1", kind=kind, item_id=item_id, title="Hello, world",
                     path=f"/h/ada/blog/{item_id}", summary="The first post.", desk=desk, now=now)


def recipients(mailer) -> list[str]:
    return [e.to for e in mailer.sent]


# -- following ------------------------------------------------------------------------------------

def test_following_twice_counts_once_and_unfollowing_twice_moves_nothing():
    desk, _ = make_desk(followers=0)
    desk.accounts.create(Profile("bob", "bob@example.com", "bob", "Bob", "2026-01-01"))
    assert follows.follow(username="ada", user_id="bob", mode="each", desk=desk, now=NOW)["followers"] == 1
    state = follows.follow(username="ada", user_id="bob", mode="digest", desk=desk, now=NOW)
    assert state == {"username": "ada", "following": True, "mode": "digest", "followers": 1}
    assert follows.unfollow(username="ada", user_id="bob", desk=desk)["followers"] == 0
    assert follows.unfollow(username="ada", user_id="bob", desk=desk)["followers"] == 0
    assert follows.follow_state(username="ada", user_id="bob", desk=desk)["following"] is False


def test_counts_stay_exact_when_many_follow_and_unfollow_at_once():
    desk, _ = make_desk()
    people = [f"p{n}" for n in range(60)]

    def churn(person: str) -> None:
        for _ in range(3):
            follows.follow(username="ada", user_id=person, mode="each", desk=desk, now=NOW)
        follows.unfollow(username="ada", user_id=person, desk=desk) if person.endswith("0") else None

    threads = [threading.Thread(target=churn, args=(p,)) for p in people]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert follows.follower_count("helper-1", desk=desk) == 54


def test_a_helper_cannot_follow_themselves_and_bad_modes_change_nothing():
    desk, _ = make_desk()
    with pytest.raises(Conflict):
        follows.follow(username="ada", user_id="helper-1", mode="each", desk=desk, now=NOW)
    for mode in ("weekly", None, 1, ""):
        with pytest.raises(InvalidInput):
            follows.follow(username="ada", user_id="bob", mode=mode, desk=desk, now=NOW)
    with pytest.raises(NotFound):
        follows.follow(username="nobody-here", user_id="bob", mode="each", desk=desk, now=NOW)
    assert follows.follower_count("helper-1", desk=desk) == 0


def test_the_following_list_names_each_helper_and_pages():
    desk, _ = make_desk()
    for n in range(follows.FOLLOWING_PAGE + 5):
        desk.pages.save(HelperPage(user_id=f"h{n:03d}", username=f"helper{n:03d}", display_name=f"Helper {n}",
                                   headline="", offer=""))
        desk.follows.follow(f"h{n:03d}", "bob", FollowMode.DIGEST, now=NOW)
    first = follows.following(user_id="bob", cursor=None, desk=desk)
    assert len(first["following"]) == follows.FOLLOWING_PAGE and first["cursor"]
    assert first["following"][0] == {"username": "helper000", "display_name": "Helper 0", "headline": "",
                                     "url": "http://127.0.0.1:8080/h/helper000", "mode": "digest", "since": NOW}
    second = follows.following(user_id="bob", cursor=first["cursor"], desk=desk)
    assert [f["username"] for f in second["following"]] == [f"helper{n:03d}" for n in range(100, 105)]
    assert second["cursor"] is None
    with pytest.raises(InvalidInput):  # someone else's cursor
        follows.following(user_id="carol", cursor=first["cursor"], desk=desk)


# -- announcing and sending -------------------------------------------------------------------------

def test_announcing_twice_opens_one_fanout_and_each_follower_gets_one_email():
    desk, _ = make_desk(followers=120)
    announce(desk)
    announce(desk)
    report = follows.send_announcements(desk=desk, now=NOW + 5)
    assert report["sent"] == 120 and report["fanouts_done"] == 1
    assert sorted(recipients(desk.mailer)) == [f"fan-{n:05d}@example.com" for n in range(120)]
    assert follows.send_announcements(desk=desk, now=NOW + 65)["sent"] == 0
    assert len(desk.mailer.sent) == 120


def test_only_followers_who_chose_each_get_the_announcement():
    desk, _ = make_desk(followers=3)
    desk.follows.follow("helper-1", "fan-00001", FollowMode.DIGEST, now=NOW)
    desk.follows.follow("helper-1", "fan-00002", FollowMode.NONE, now=NOW)
    announce(desk, kind="event")
    follows.send_announcements(desk=desk, now=NOW)
    assert recipients(desk.mailer) == ["fan-00000@example.com"]
    assert desk.mailer.sent[0].subject == "Ada Lovelace announced an event: Hello, world"


def test_the_email_carries_one_click_unsubscribe_that_sets_mode_none():
    desk, _ = make_desk(followers=1)
    announce(desk)
    follows.send_announcements(desk=desk, now=NOW)
    sent = desk.mailer.sent[0]
    headers = dict(sent.headers)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = headers["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://127.0.0.1:8080/api/follows/unsubscribe?token=")
    shown = link.replace("/api/follows/unsubscribe?", "/unsubscribe.html?")  # the page that confirms
    assert shown in sent.text and shown in sent.html and "http://127.0.0.1:8080/h/ada/blog/p1" in sent.html
    raw = email.message_from_bytes(mime(sent, sender="no-reply@x"), policy=policy.default)
    assert raw["List-Unsubscribe"] == f"<{link}>" and raw["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    from urllib.parse import parse_qs, urlsplit

    token = parse_qs(urlsplit(link).query)["token"][0]
    assert follows.unsubscribe_preview(token=token, desk=desk)["mode"] == "each"
    assert follows.unsubscribe(token=token, desk=desk)["mode"] == "none"
    assert desk.follows.get("helper-1", "fan-00000").mode is FollowMode.NONE
    assert follows.follower_count("helper-1", desk=desk) == 1  # still follows: no more email
    announce(desk, item_id="p2")
    follows.send_announcements(desk=desk, now=NOW)
    assert len(desk.mailer.sent) == 1
    for bad in ("", "abc.def", token[:-2] + "AA", None):
        with pytest.raises(InvalidInput):
            follows.unsubscribe(token=bad, desk=desk)


def test_the_job_keeps_to_ses_rate_and_stops_when_its_time_is_up_then_resumes():
    desk, clock = make_desk(followers=200, rate=10.0, budget=5.0)
    announce(desk)
    first = follows.send_announcements(desk=desk, now=NOW)
    assert first["sent"] == 50 and first["out_of_time"]  # 5 s at 10 a second
    assert all(abs(s - 0.1) < 1e-9 for s in clock.slept) and len(clock.slept) == 49
    assert desk.follows.get_fanout("post:p1").cursor == "fan-00049"
    runs = 1
    while desk.follows.get_fanout("post:p1").done_at is None:
        follows.send_announcements(desk=desk, now=NOW + 60 * runs)
        runs += 1
    assert runs == 5 and len(desk.mailer.sent) == 200 == len(set(recipients(desk.mailer)))


class Killed(Exception):
    pass


class DyingMailer(InMemoryMailer):
    """SES that takes `left` emails, then the job's process dies."""

    def __init__(self, left: int) -> None:
        super().__init__()
        self.left = left

    def send(self, message) -> None:
        if self.left == 0:
            raise Killed()
        self.left -= 1
        super().send(message)


def test_a_job_killed_mid_batch_and_run_again_emails_nobody_twice():
    dying = DyingMailer(left=SEND_BATCH + 17)
    desk, _ = make_desk(followers=3 * SEND_BATCH, mailer=dying)
    announce(desk)

    with pytest.raises(Killed):
        _run_killing(desk)
    assert desk.follows.get_fanout("post:p1").cursor == f"fan-{SEND_BATCH - 1:05d}"  # the first batch was done
    dying.left = 10**6
    follows.send_announcements(desk=desk, now=NOW + 60)
    sent = recipients(dying)
    assert len(sent) == len(set(sent)) == 3 * SEND_BATCH - 1  # the one claimed when it died goes without
    assert f"fan-{SEND_BATCH + 17:05d}@example.com" not in sent


def _run_killing(desk):
    """Like the job, but letting the mailer's Killed escape as a killed process would."""
    original = follows._email

    def email_or_die(fanout, page, profile, *, desk):
        desk.mailer.send(None) if desk.mailer.left == 0 else None
        return original(fanout, page, profile, desk=desk)

    follows._email = email_or_die
    try:
        follows.send_announcements(desk=desk, now=NOW)
    finally:
        follows._email = original


def test_two_overlapping_runs_email_each_follower_once():
    desk, _ = make_desk(followers=400, rate=1000.0, budget=60.0)
    announce(desk)
    gate = threading.Barrier(2)

    class SlowMailer(InMemoryMailer):
        lock = threading.Lock()

        def send(self, message) -> None:
            with self.lock:
                self.sent.append(message)

    shared = SlowMailer()
    runs = [follows.FollowDesk(**{**vars(desk), "mailer": shared, "clock": (lambda: 0.0), "sleep": (lambda s: None)})
            for _ in range(2)]

    def run(d):
        gate.wait()
        follows.send_announcements(desk=d, now=NOW)

    threads = [threading.Thread(target=run, args=(d,)) for d in runs]
    [t.start() for t in threads]
    [t.join() for t in threads]
    follows.send_announcements(desk=runs[0], now=NOW + 60)
    sent = recipients(shared)
    assert len(sent) == 400 == len(set(sent))
    assert desk.follows.get_fanout("post:p1").done_at is not None


def test_an_announcement_is_not_sent_for_a_helper_whose_page_is_gone():
    desk, _ = make_desk(followers=2)
    follows.announce(helper_id="gone", kind="post", item_id="x", title="T", path="/h/gone/blog/x", summary="",
                     desk=desk, now=NOW)
    assert follows.send_announcements(desk=desk, now=NOW)["fanouts_done"] == 1 and desk.mailer.sent == []


def test_bad_announcements_are_refused():
    desk, _ = make_desk()
    for kind, path in (("poll", "/h/ada/p"), ("post", "https://evil.example/x"), ("post", "//evil.example")):
        with pytest.raises(InvalidInput):
            follows.announce(helper_id="helper-1", kind=kind, item_id="x", title="T", path=path, summary="",
                             desk=desk, now=NOW)


# -- the weekly digest ------------------------------------------------------------------------------

def test_the_weekly_digest_lists_the_week_and_goes_once_per_follower_after_the_week_ends():
    desk, _ = make_desk(followers=3, mode=FollowMode.DIGEST)
    desk.follows.follow("helper-1", "fan-00002", FollowMode.EACH, now=NOW)
    announce(desk, "p1")
    announce(desk, "e1", kind="event", now=NOW + 60)
    _, week_ends = rules.week_of(NOW)
    follows.send_announcements(desk=desk, now=NOW + 120)
    assert recipients(desk.mailer) == ["fan-00002@example.com", "fan-00002@example.com"]
    desk.mailer.sent.clear()
    assert follows.send_digests(desk=desk, now=week_ends - 1)["sent"] == 0  # the week is not over
    assert follows.send_digests(desk=desk, now=week_ends + 5)["sent"] == 2
    assert follows.send_digests(desk=desk, now=week_ends + 3600)["sent"] == 0
    assert sorted(recipients(desk.mailer)) == ["fan-00000@example.com", "fan-00001@example.com"]
    digest = desk.mailer.sent[0]
    assert digest.subject == "This week from Ada Lovelace: 2 new things"
    assert "Post: Hello, world" in digest.text and "Event: Hello, world" in digest.text
    assert dict(digest.headers)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    announce(desk, "p-next", now=week_ends + 10)  # next week's digest, not this one's
    assert desk.follows.get_fanout(rules.digest_id("helper-1", rules.week_of(NOW)[0])).done_at is not None


# -- pure rules -------------------------------------------------------------------------------------

def test_weeks_end_on_monday_at_midnight_utc():
    assert rules.week_of(NOW) == ("2026-W49", 1_796_601_600)  # ends Monday 7 December 00:00 UTC
    assert rules.week_of(NOW - 3_300) == ("2026-W48", 1_795_996_800)  # Sunday 23:58: ends at this Monday's start
    assert rules.week_of(1_795_996_800) == ("2026-W49", 1_796_601_600)


def test_pace_spaces_sends_and_never_bursts():
    pace = rules.Pace(4, start=10.0)
    assert [pace.wait(10.0), pace.wait(10.0), pace.wait(10.5), pace.wait(20.0)] == [0.0, 0.25, 0.0, 0.0]
    assert rules.sends_in(50, 14) == 700 and rules.sends_in(0, 14) == 0


def test_a_weeks_digest_lists_at_most_its_first_thirty_announcements():
    desk, _ = make_desk()
    for n in range(rules.DIGEST_ITEMS_MAX + 3):
        announce(desk, f"p{n:02d}", now=NOW + n)
    digest = desk.follows.get_fanout(rules.digest_id("helper-1", rules.week_of(NOW)[0]))
    assert [i.item_id for i in digest.items] == [f"p{n:02d}" for n in range(rules.DIGEST_ITEMS_MAX)]


class ThrottlingMailer(InMemoryMailer):
    """SES that refuses the `at`-th email with its Throttling error, once."""

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at, self.calls = at, 0

    def send(self, message) -> None:
        from botocore.exceptions import ClientError

        self.calls += 1
        if self.calls == self.at:
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}},
                              "SendRawEmail")
        super().send(message)


def test_an_email_ses_throttles_is_sent_by_the_next_run_and_nobody_gets_two():
    mailer = ThrottlingMailer(at=8)
    desk, _ = make_desk(followers=20, mailer=mailer)
    announce(desk)
    first = follows.send_announcements(desk=desk, now=NOW)
    assert (first["sent"], first["throttled"], first["failed"]) == (7, True, 0)
    assert desk.follows.get_fanout("post:p1").cursor == "fan-00006"
    assert follows.send_announcements(desk=desk, now=NOW + 60)["sent"] == 13
    assert sorted(recipients(mailer)) == [f"fan-{n:05d}@example.com" for n in range(20)]


def test_an_email_ses_refuses_for_good_is_not_tried_again():
    class Refusing(InMemoryMailer):
        def send(self, message) -> None:
            if message.to == "fan-00003@example.com":
                raise ValueError("Email address is not verified.")
            super().send(message)

    desk, _ = make_desk(followers=5, mailer=Refusing())
    announce(desk)
    assert follows.send_announcements(desk=desk, now=NOW)["failed"] == 1
    assert follows.send_announcements(desk=desk, now=NOW + 60)["sent"] == 0
    assert len(desk.mailer.sent) == 4
