"""Reviews: who may rate which session and when, what a review may say, and what each change
does to the Helper's counters and rank (rules and the service, on the in-memory twins)."""
from __future__ import annotations

import pytest

from chalicelib.adapters.accounts import InMemoryAccountStore
from chalicelib.adapters.calls import InMemoryCallStore
from chalicelib.adapters.categories import InMemoryCategoryStore, InMemoryListingStore, Listing
from chalicelib.adapters.helper_pages import InMemoryHelperPageStore
from chalicelib.adapters.presence import InMemoryPresenceStore
from chalicelib.adapters.reviews import InMemoryReviewStore
from chalicelib.adapters.search_index import InMemorySearchIndex
from chalicelib.domain import reviews as rules
from chalicelib.domain.accounts import Profile
from chalicelib.domain.calls import Call, CallState, EndReason, Terms
from chalicelib.domain.cursors import CursorSeal
from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound
from chalicelib.domain.helper_pages import HelperPage
from chalicelib.domain.plans import FREE
from chalicelib.domain.presence import Status
from chalicelib.services import reviews
from chalicelib.services.helper_pages import Directory

NOW = 1_800_000_000
HOUR, DAY = 3600, 24 * 3600


def ended_call(call_id="c1", *, seconds=10 * 60, minutes=15, ended_at=NOW, state=CallState.ENDED,
               started=True) -> Call:
    """A call whose session ran `seconds` of its `minutes` and ended at `ended_at`."""
    start = ended_at - seconds
    return Call(call_id=call_id, caller_id="caller", helper_id="helper", state=state, version=9, plan=FREE,
                created_at=start - 60, state_deadline=None, agreed=Terms(0, minutes) if started else None,
                session_started_at=start if started else None, session_ends_at=start + minutes * 60 if started else None,
                minutes_used=minutes if started else 0, ended_at=ended_at if state is CallState.ENDED else None,
                end_reason=EndReason.HUNG_UP if state is CallState.ENDED else None)


# The rules

def test_the_session_time_is_what_really_ran_earlier_sessions_in_full():
    assert rules.session_seconds(ended_call(seconds=90)) == 90
    extended = ended_call(seconds=60, minutes=10)._next(minutes_used=25)  # 15 minutes before this one
    assert rules.session_seconds(extended) == 15 * 60 + 60
    assert rules.session_seconds(ended_call(started=False)) == 0


def test_only_the_caller_of_an_ended_session_of_two_minutes_may_rate_it_within_fourteen_days():
    rules.check_can_review(ended_call(seconds=120), user_id="caller", now=NOW + 14 * DAY)
    with pytest.raises(Forbidden):
        rules.check_can_review(ended_call(), user_id="helper", now=NOW)
    with pytest.raises(Forbidden):
        rules.check_can_review(ended_call(), user_id="stranger", now=NOW)
    for call, now in ((ended_call(seconds=119), NOW), (ended_call(started=False), NOW),
                      (ended_call(state=CallState.IN_SESSION), NOW), (ended_call(), NOW + 14 * DAY + 1)):
        with pytest.raises(rules.NotReviewable):
            rules.check_can_review(call, user_id="caller", now=now)


@pytest.mark.parametrize("stars", [0, 6, 4.0, "5", True, None])
def test_a_rating_is_a_whole_number_of_stars_from_one_to_five(stars):
    with pytest.raises(InvalidInput):
        rules.check_stars(stars)


def test_review_text_is_plain_text_of_at_most_two_thousand_characters():
    assert rules.check_text("  Great\u200b help <b>really</b>\r\nThanks  ") == "Great help <b>really</b>\nThanks"
    assert rules.check_text(None) == ""
    assert len(rules.check_text("x" * 2000)) == 2000
    for bad in ("x" * 2001, 42, "bell\x07"):
        with pytest.raises(InvalidInput):
            rules.check_text(bad)


def test_a_review_or_reply_can_be_changed_for_forty_eight_hours():
    rules.check_can_edit(NOW, now=NOW + 48 * HOUR)
    with pytest.raises(rules.EditWindowClosed):
        rules.check_can_edit(NOW, now=NOW + 48 * HOUR + 1)


def test_a_change_moves_the_counters_of_the_stars_counted_before_and_after():
    review = rules.Review("c", "h", "u", 4, "", NOW, 15)
    assert rules.counts_change(None, review) == (0, 0, 0, 1, 0)
    assert rules.counts_change(review, review.with_changes(stars=2)) == (0, 1, 0, -1, 0)
    assert rules.counts_change(review, review.with_changes(refunded=True)) == (0, 0, 0, -1, 0)
    assert rules.counts_change(review.with_changes(hidden=True), review.with_changes(hidden=True, stars=1)) == (0,) * 5


def test_the_summary_shows_the_average_to_one_decimal():
    summary = rules.RatingSummary((1, 0, 0, 2, 7))
    assert (summary.count, summary.total, summary.average) == (10, 44, 4.4)
    assert rules.RatingSummary().average is None


# The service

class Desk:
    def __init__(self, **settings):
        self.calls, self.pages, self.accounts = InMemoryCallStore(), InMemoryHelperPageStore(), InMemoryAccountStore()
        self.presence, self.listings = InMemoryPresenceStore(), InMemoryListingStore()
        self.store = InMemoryReviewStore(self.pages)
        self.accounts.profiles["caller"] = Profile("caller", "c@example.com", "carol", "Carol C", "2026-01-01")
        self.pages.pages["helper"] = HelperPage(user_id="helper", username="ada", display_name="Ada", headline="h",
                                                offer="o", categories=("plumbing", "home"))
        self.desk = reviews.ReviewDesk(
            reviews=self.store, calls=self.calls, pages=self.pages, accounts=self.accounts,
            directory=Directory(listings=self.listings, search=InMemorySearchIndex(),
                                categories=InMemoryCategoryStore(), presence=self.presence),
            cursors=CursorSeal(b"test"), **settings)

    def add_call(self, call: Call) -> Call:
        self.calls.calls[call.call_id] = call
        return call

    def rate(self, call_id="c1", stars=5, text="", user="caller", now=NOW):
        return reviews.rate_session(call_id=call_id, user_id=user, stars=stars, text=text, now=now, desk=self.desk)

    def page(self) -> HelperPage:
        return self.pages.get("helper")


@pytest.fixture
def desk() -> Desk:
    desk = Desk()
    desk.add_call(ended_call())
    return desk


def test_rating_a_session_writes_one_review_and_counts_it(desk):
    view, created = desk.rate(stars=4, text="Fixed my sink")
    assert created is True
    assert view == {"review_id": "c1", "stars": 4, "text": "Fixed my sink", "created_at": NOW, "edited_at": None,
                    "session_minutes": 15, "refunded": False, "author": {"display_name": "Carol C"}, "reply": None}
    page = desk.page()
    assert (page.rating_total, page.rating_count, page.rating_counts) == (4, 1, (0, 0, 0, 1, 0))


def test_a_second_submit_changes_the_review_instead_of_adding_one(desk):
    desk.rate(stars=2)
    view, created = desk.rate(stars=5, text="Better on reflection", now=NOW + HOUR)
    assert created is False and view["stars"] == 5 and view["edited_at"] == NOW + HOUR
    assert desk.page().rating_counts == (0, 0, 0, 0, 1) and desk.page().rating_count == 1
    assert desk.rate(stars=5, text="Better on reflection", now=NOW + 2 * HOUR)[0]["edited_at"] == NOW + HOUR  # a retry


def test_a_review_cannot_be_changed_after_forty_eight_hours(desk):
    desk.rate(stars=3)
    with pytest.raises(rules.EditWindowClosed):
        desk.rate(stars=5, now=NOW + 49 * HOUR)
    assert desk.page().rating_counts == (0, 0, 1, 0, 0)


def test_every_refusal_changes_nothing(desk):
    desk.add_call(ended_call("short", seconds=60))
    for call_id, user, stars, error in (("nope", "caller", 5, NotFound), ("c1", "helper", 5, Forbidden),
                                        ("c1", "stranger", 5, Forbidden), ("short", "caller", 5, rules.NotReviewable),
                                        ("c1", "caller", 9, InvalidInput)):
        with pytest.raises(error):
            desk.rate(call_id=call_id, user=user, stars=stars)
    with pytest.raises(rules.NotReviewable):
        desk.rate(now=NOW + 15 * DAY)
    assert desk.store.reviews == {} and desk.page().rating_count == 0


def test_stars_and_text_are_refused_together(desk):
    with pytest.raises(InvalidInput) as refused:
        desk.rate(stars=0, text="x" * 2001)
    assert {p.field for p in refused.value.problems} == {"stars", "text"}


def test_a_new_review_moves_the_helper_in_every_category_listing(desk):
    desk.presence.set("helper", Status.ONLINE, 1)
    for slug in ("plumbing", "home"):
        desk.listings.put(Listing(slug, "helper", "0#100#helper", {}))
    desk.rate(stars=5)
    ranks = {listing.rank for slug in ("plumbing", "home") for listing in desk.listings.page(slug, 10, None)[0]}
    assert ranks == {"0#084#helper"}  # (5 x 400 + 500) // 6 = 416 hundredths: 500 - 416


def test_the_helper_replies_once_and_may_change_it_for_forty_eight_hours(desk):
    desk.rate(stars=4)
    view, created = reviews.reply_to_review(review_id="c1", user_id="helper", text="Thank you!", now=NOW + HOUR,
                                            desk=desk.desk)
    assert created is True and view["reply"] == {"text": "Thank you!", "created_at": NOW + HOUR, "edited_at": None}
    view, created = reviews.reply_to_review(review_id="c1", user_id="helper", text="Thanks again", now=NOW + 2 * HOUR,
                                            desk=desk.desk)
    assert created is False and view["reply"]["edited_at"] == NOW + 2 * HOUR
    with pytest.raises(rules.EditWindowClosed):
        reviews.reply_to_review(review_id="c1", user_id="helper", text="Late", now=NOW + 50 * HOUR, desk=desk.desk)
    for user, error in (("caller", Forbidden), ("stranger", Forbidden)):
        with pytest.raises(error):
            reviews.reply_to_review(review_id="c1", user_id=user, text="Me too", now=NOW, desk=desk.desk)
    with pytest.raises(NotFound):
        reviews.reply_to_review(review_id="nope", user_id="helper", text="?", now=NOW, desk=desk.desk)
    with pytest.raises(InvalidInput):
        reviews.reply_to_review(review_id="c1", user_id="helper", text="  ", now=NOW, desk=desk.desk)


def test_a_refunded_session_keeps_its_review_marked_and_out_of_the_average(desk):
    desk.rate(stars=1)
    reviews.session_refunded(call_id="c1", desk=desk.desk)
    reviews.session_refunded(call_id="c1", desk=desk.desk)  # told twice: once
    assert desk.store.get("c1").refunded is True
    assert desk.page().rating_count == 0
    listed = reviews.helper_reviews(username="ada", sort="newest", limit=10, cursor=None, desk=desk.desk)
    assert [r["refunded"] for r in listed["reviews"]] == [True]
    assert listed["summary"] == {"average": None, "count": 0, "distribution": {"5": 0, "4": 0, "3": 0, "2": 0, "1": 0}}


def test_reviews_are_listed_newest_highest_or_lowest_and_paged_with_sealed_cursors(desk):
    for n, stars in enumerate((3, 5, 1, 4, 5)):
        desk.add_call(ended_call(f"c{n}", ended_at=NOW + n))
        desk.rate(call_id=f"c{n}", stars=stars, now=NOW + n)
    order = {}
    for sort in ("newest", "highest", "lowest"):
        seen, cursor = [], None
        while True:
            listed = reviews.helper_reviews(username="ada", sort=sort, limit=2, cursor=cursor, desk=desk.desk)
            seen += [(r["review_id"], r["stars"]) for r in listed["reviews"]]
            cursor = listed["next_cursor"]
            if cursor is None:
                break
        order[sort] = seen
    assert [c for c, _ in order["newest"]] == ["c4", "c3", "c2", "c1", "c0"]
    assert [s for _, s in order["highest"]] == [5, 5, 4, 3, 1] and order["highest"][0][0] == "c4"
    assert [s for _, s in order["lowest"]] == [1, 3, 4, 5, 5]
    assert listed["summary"] == {"average": 3.6, "count": 5, "distribution": {"5": 2, "4": 1, "3": 1, "2": 0, "1": 1}}
    with pytest.raises(InvalidInput):
        reviews.helper_reviews(username="ada", sort="random", limit=2, cursor=None, desk=desk.desk)
    with pytest.raises(InvalidInput):  # a cursor of another sort
        reviews.helper_reviews(username="ada", sort="lowest", limit=2, desk=desk.desk,
                               cursor=reviews.helper_reviews(username="ada", sort="newest", limit=2, cursor=None,
                                                             desk=desk.desk)["next_cursor"])
    with pytest.raises(NotFound):
        reviews.helper_reviews(username="nobody", sort="newest", limit=2, cursor=None, desk=desk.desk)


def test_the_caller_learns_whether_and_until_when_they_may_rate(desk):
    desk.add_call(ended_call("short", seconds=30))
    told = reviews.review_for_call(call_id="c1", user_id="caller", now=NOW, desk=desk.desk)
    assert told == {"review": None, "can_review": True, "reason": None, "closes_at": NOW + 14 * DAY,
                    "editable_until": None, "helper": {"display_name": "Ada", "username": "ada"}}
    short = reviews.review_for_call(call_id="short", user_id="caller", now=NOW, desk=desk.desk)
    assert short["can_review"] is False and "2 minutes" in short["reason"]
    desk.rate(stars=5)
    later = reviews.review_for_call(call_id="c1", user_id="caller", now=NOW + 49 * HOUR, desk=desk.desk)
    assert later["review"]["stars"] == 5 and later["can_review"] is False and later["editable_until"] == NOW + 48 * HOUR
    with pytest.raises(Forbidden):
        reviews.review_for_call(call_id="c1", user_id="helper", now=NOW, desk=desk.desk)


def test_the_minimum_session_and_the_windows_are_settings():
    desk = Desk(min_session_seconds=30, days=1, edit_hours=1)
    desk.add_call(ended_call(seconds=30))
    desk.rate(stars=5)
    with pytest.raises(rules.EditWindowClosed):
        desk.rate(stars=4, now=NOW + HOUR + 1)
    desk.add_call(ended_call("c2"))
    with pytest.raises(rules.NotReviewable):
        desk.rate(call_id="c2", now=NOW + DAY + 1)


# Reports and moderation (the generic queue, services/moderation.py, on a review)

@pytest.fixture
def moderated(desk):
    from chalicelib.adapters.audit import InMemoryAuditLog
    from chalicelib.adapters.mailer import InMemoryMailer
    from chalicelib.adapters.reports import InMemoryReportStore
    from chalicelib.services import moderation
    from chalicelib.settings import Settings

    desk.mailer = InMemoryMailer()
    desk.desk = reviews.ReviewDesk(**{**desk.desk.__dict__, "mailer": desk.mailer, "settings": Settings()})
    desk.moderation = moderation.ModerationDesk(
        reports=InMemoryReportStore(), subjects={"review": moderation.ReviewSubjects(lambda: desk.desk)},
        audit=InMemoryAuditLog(), accounts=desk.accounts, pages=desk.desk.pages, cursors=desk.desk.cursors)
    desk.rate(stars=1, text="Useless, and here is his phone number")
    return desk


def report(desk, user="stranger", reason="personal_information", text="Shares a phone number", now=NOW):
    from chalicelib.services import moderation

    return moderation.file_report(kind="review", subject_id="c1", user_id=user, reason=reason, note=text, now=now,
                                  desk=desk.moderation)


def decide(desk, decision, note, now=NOW + 60):
    from chalicelib.services import moderation

    return moderation.decide(kind="review", subject_id="c1", ops_id="ops-1", decision=decision, note=note, now=now,
                             desk=desk.moderation)


def test_ops_hides_a_review_with_a_note_the_author_is_told_and_the_average_forgets_it(moderated):
    from chalicelib.domain import reports as report_rules

    report(moderated)
    report(moderated, user="helper", reason="fake", now=NOW + 1)
    decided = decide(moderated, "hide", "It shares a phone number.")
    assert decided == {"kind": "review", "id": "c1", "decision": "hide", "state": "hidden", "reports_closed": 2}
    review = moderated.store.get("c1")
    assert review.hidden and review.moderation == rules.Moderation("hide", "It shares a phone number.", "ops-1", NOW + 60)
    assert moderated.page().rating_count == 0
    assert reviews.helper_reviews(username="ada", sort="newest", limit=10, cursor=None, desk=moderated.desk)["reviews"] == []
    [email] = moderated.mailer.sent
    assert email.to == "c@example.com" and "It shares a phone number." in email.text and "hidden" in email.subject
    with pytest.raises(report_rules.AlreadyDecided):
        decide(moderated, "hide", "Again")
    with pytest.raises(NotFound):
        report(moderated, user="late")  # a hidden review cannot be reported


def test_keeping_a_review_closes_its_reports_and_changes_nothing_else(moderated):
    report(moderated)
    decided = decide(moderated, "keep", "")
    assert decided["state"] == "kept" and decided["reports_closed"] == 1
    assert moderated.page().rating_count == 1 and moderated.mailer.sent == []
    assert not moderated.store.get("c1").hidden


def test_the_helper_is_emailed_a_new_review_not_a_changed_one(moderated):
    moderated.accounts.profiles["helper"] = Profile("helper", "ada@example.com", "ada", "Ada", "2026-01-01")
    moderated.add_call(ended_call("c2"))
    moderated.rate(call_id="c2", stars=4, text="Clear and kind")
    moderated.rate(call_id="c2", stars=5, text="Clear and kind", now=NOW + 60)
    [email] = moderated.mailer.sent
    assert email.to == "ada@example.com" and email.subject == "Carol C rated your session 4 out of 5"
    assert "Clear and kind" in email.text and "/h/ada" in email.text


def test_my_reviews_lists_what_i_wrote_hidden_ones_with_why_and_what_my_sessions_received(moderated):
    report(moderated)
    decide(moderated, "hide", "A phone number.")
    mine = reviews.my_reviews(user_id="caller", desk=moderated.desk)
    assert [(r["review_id"], r["hidden"], r["hidden_note"], r["helper"]["username"]) for r in mine["written"]] == [
        ("c1", True, "A phone number.", "ada")]
    assert mine["received"] == []
    assert reviews.my_reviews(user_id="helper", desk=moderated.desk) == {"written": [], "received": []}


# The reminder

def test_a_call_whose_session_started_is_remembered_when_it_ends_and_no_other():
    from dataclasses import replace as changed

    from chalicelib.adapters.reviews import InMemoryReminderStore, Reminder
    from chalicelib.services.calls import act, start_call
    from tests.support.twins import CALLER, HELPER, call_desk_twin

    reminders = InMemoryReminderStore()
    desk = changed(call_desk_twin(now=NOW), review_reminders=reminders, review_reminder_hours=24)

    def call(*, agree: bool) -> str:
        started = start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk,
                             now=NOW)
        step = dict(call_id=started.call_id, desk=desk, now=NOW)
        act(action="answer", user_id=HELPER, connection_id="c-helper", message={}, **step)
        if agree:
            terms = {"price_cents": 0, "minutes": 15}
            act(action="propose", user_id=HELPER, connection_id="c-helper", message=terms, **step)
            act(action="accept", user_id=CALLER, connection_id="c-caller", message=terms, **step)
        act(action="end", user_id=CALLER, connection_id="c-caller", message={}, call_id=started.call_id, desk=desk,
            now=NOW + 60)
        return started.call_id

    with_session, without = call(agree=True), call(agree=False)
    assert reminders.reminders == {with_session: Reminder(with_session, CALLER, NOW + 60 + 24 * HOUR)}
    assert without not in reminders.reminders


def test_the_reminder_goes_once_only_to_callers_who_have_not_rated_and_still_can(moderated):
    from chalicelib.adapters.reviews import InMemoryReminderStore, Reminder

    moderated.accounts.profiles["helper"] = Profile("helper", "ada@example.com", "ada", "Ada", "2026-01-01")
    moderated.desk = reviews.ReviewDesk(**{**moderated.desk.__dict__,
                                           "settings": moderated.desk.settings.__class__(site_url="https://ik.example")})
    moderated.mailer.sent.clear()
    for call_id, seconds in (("unrated", 600), ("short", 30), ("late", 600)):
        moderated.add_call(ended_call(call_id, seconds=seconds, ended_at=NOW if call_id != "late" else NOW - 15 * DAY))
    reminders = InMemoryReminderStore()
    for call_id in ("unrated", "short", "late", "c1"):  # c1 is rated already
        reminders.schedule(Reminder(call_id, "caller", NOW + DAY))
    assert reviews.send_reminders(now=NOW + DAY - 1, desk=moderated.desk, reminders=reminders) == 0  # not yet due
    assert reviews.send_reminders(now=NOW + DAY, desk=moderated.desk, reminders=reminders) == 1
    [email] = moderated.mailer.sent
    assert email.to == "c@example.com" and email.subject == "How was your session with Ada?"
    assert "https://ik.example/rate.html?call=unrated" in email.text
    assert reminders.reminders == {}  # each taken once
    assert reviews.send_reminders(now=NOW + 2 * DAY, desk=moderated.desk, reminders=reminders) == 0


def test_a_reminder_that_cannot_be_kept_never_fails_the_end_of_the_call():
    from dataclasses import replace as changed

    from chalicelib.domain.calls import CallState as State
    from chalicelib.services.calls import act, start_call
    from tests.support.twins import CALLER, HELPER, call_desk_twin

    class Down:
        def schedule(self, reminder):
            raise RuntimeError("DynamoDB is down")

    desk = changed(call_desk_twin(now=NOW), review_reminders=Down())
    started = start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk, now=NOW)
    step = dict(call_id=started.call_id, desk=desk, now=NOW)
    terms = {"price_cents": 0, "minutes": 15}
    act(action="answer", user_id=HELPER, connection_id="c-helper", message={}, **step)
    act(action="propose", user_id=HELPER, connection_id="c-helper", message=terms, **step)
    act(action="accept", user_id=CALLER, connection_id="c-caller", message=terms, **step)
    ended = act(action="end", user_id=CALLER, connection_id="c-caller", message={}, **{**step, "now": NOW + 60})
    assert ended.state is State.ENDED and desk.calls.get(started.call_id).state is State.ENDED
