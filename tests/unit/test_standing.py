"""Disqualifying and restoring a Helper on the in-memory twins: Ada (a Helper with a page, listed
in a category and found by search, with a paid booking ahead and money payable) is disqualified by
Olga of ops and restored. Her page, store, bookings and calls are refused while disqualified, her
paid booking is refunded in full, her payout is held (the money stays payable) and comes back with
the restore; each change is in the audit log, and each mistake is a 4xx that changes nothing."""
from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.adapters.audit import InMemoryAuditLog
from chalicelib.adapters.categories import InMemoryCategoryStore, InMemoryListingStore
from chalicelib.adapters.helper_pages import InMemoryHelperPageStore
from chalicelib.adapters.presence import InMemoryPresenceStore
from chalicelib.adapters.search_index import InMemorySearchIndex
from chalicelib.domain import ledger as books
from chalicelib.domain.bookings import BookingState, Reason
from chalicelib.domain.categories import Category
from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound
from chalicelib.domain.helper_pages import HelperPage
from chalicelib.domain.payments import PaymentState
from chalicelib.domain.standing import AlreadyDisqualified, HelperUnavailable, NotDisqualified, Standing
from chalicelib.services import bookings as booking_flows
from chalicelib.services import directory as directory_flows
from chalicelib.services import standing
from chalicelib.services.calls import start_call
from chalicelib.services.helper_pages import Directory, find_public_page, page_named, save_and_publish
from chalicelib.services.payouts import run_payouts
from chalicelib.services.standing import NotAHelper, StandingDesk, standing_of
from tests.support.twins import CALLER, HELPER, OPS
from tests.unit.test_bookings_service import MONDAY, booking_desk, paid_booking, paris, sent_to
from tests.unit.test_payouts_service import friday_after, payout_desk, seed_payable

REASON = "Hosted free sessions excessively, after two warnings."


class Facts:
    """Page facts that read nothing (the public page's second round trip)."""

    def status_names_and_followers(self, user_id, categories):
        from chalicelib.domain.presence import Status

        return Status.OFFLINE, {}, 0


def listed_desk() -> tuple[StandingDesk, object]:
    bookings = booking_desk()
    pages = bookings.payments.calls.pages
    directory = Directory(listings=InMemoryListingStore(), search=InMemorySearchIndex(),
                          categories=InMemoryCategoryStore(), presence=InMemoryPresenceStore())
    directory.categories.put(Category(slug="plumbing", name="Plumbing", banner="Pipes", parent=None, position=1))
    page = pages.get(HELPER)
    save_and_publish(page, page.with_changes(categories=("plumbing",)), pages, directory)
    desk = StandingDesk(pages=pages, accounts=bookings.accounts, directory=directory, audit=InMemoryAuditLog(),
                        mailer=bookings.mailer, settings=bookings.settings, bookings=lambda: bookings)
    return desk, bookings


@pytest.fixture
def both():
    return listed_desk()


def disqualify(desk, now=MONDAY, **change):
    return standing.disqualify(**{"user_id": HELPER, "ops_id": OPS, "is_ops": True, "reason": REASON, "desk": desk,
                                  "now": now, **change})


def restore(desk, now=MONDAY + 3600, **change):
    return standing.restore(**{"user_id": HELPER, "ops_id": OPS, "is_ops": True,
                               "reason": "Appeal heard: it was a charity week.", "desk": desk, "now": now, **change})


def listed_ids(desk) -> list[str]:
    found, _ = desk.directory.listings.page("plumbing", 50, None)
    return [listing.user_id for listing in found]


def searched(desk) -> list[str]:
    return [card["username"] for card in directory_flows.search_helpers(
        query="python", limit=10, index=desk.directory.search, pages=desk.pages, presence=desk.directory.presence)]


# -- the rules -------------------------------------------------------------------------------------------

def test_a_disqualified_helper_is_hidden_everywhere_and_restore_brings_them_back(both):
    desk, bookings = both
    assert listed_ids(desk) == [HELPER] and searched(desk) == ["ada"] and standing_of(HELPER, desk=desk) is None

    answer = disqualify(desk)

    assert answer["standing"] == {"disqualified": True, "reason": REASON, "at": MONDAY, "by": OPS}
    assert standing_of(HELPER, desk=desk) == answer["standing"]
    assert listed_ids(desk) == [] and searched(desk) == []
    for look in (lambda: page_named("ada", accounts=desk.accounts, pages=desk.pages),
                 lambda: find_public_page(username="ada", accounts=desk.accounts, pages=desk.pages, facts=Facts()),
                 lambda: booking_flows.availability(username="ada", length=30, zone="UTC", now=MONDAY,
                                                    desk=bookings)):
        with pytest.raises(NotFound):
            look()
    with pytest.raises(HelperUnavailable) as refused:  # a 409 with a clear message, whatever tab is open
        start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada",
                   desk=bookings.payments.calls, now=MONDAY)
    assert "not available" in refused.value.message
    with pytest.raises(NotFound):
        booking_flows.book(customer_id=CALLER, username="ada", length=30, start="2026-06-02T08:00:00Z",
                           zone="UTC", note=None, desk=bookings, now=MONDAY)
    assert [m.subject for m in desk.mailer.sent if m.to == f"{HELPER}@example.com"][-1] \
        == "Your Helper page on interKanect is suspended"
    assert REASON in desk.mailer.sent[-1].text

    back = restore(desk)

    assert back["standing"] is None and standing_of(HELPER, desk=desk) is None
    assert listed_ids(desk) == [HELPER] and searched(desk) == ["ada"]
    assert page_named("ada", accounts=desk.accounts, pages=desk.pages).user_id == HELPER
    assert desk.mailer.sent[-1].subject == "Your Helper page on interKanect is back"


def test_a_page_saved_while_disqualified_stays_hidden_and_keeps_its_standing(both):
    desk, _ = both
    disqualify(desk)
    page = desk.pages.get(HELPER)
    saved = save_and_publish(page, replace(page, headline="Python and Rust help", disqualified=None), desk.pages,
                             desk.directory)
    assert saved.disqualified is not None and desk.pages.get(HELPER).disqualified is not None
    assert listed_ids(desk) == [] and searched(desk) == []
    restore(desk)
    assert listed_ids(desk) == [HELPER] and searched(desk) == ["ada"]  # with the words of the latest save


def test_each_change_is_in_the_audit_log_with_who_and_why(both):
    desk, _ = both
    disqualify(desk)
    restore(desk)
    entries = desk.audit.for_subject(f"user:{HELPER}")
    assert [(e.action, e.ops_id, e.reason) for e in entries] == [
        ("restore", OPS, "Appeal heard: it was a charity week."), ("disqualify", OPS, REASON)]


# -- refusals that change nothing ---------------------------------------------------------------------------

def test_twice_is_a_409_and_restoring_someone_in_good_standing_too(both):
    desk, _ = both
    with pytest.raises(NotDisqualified):
        restore(desk)
    disqualify(desk)
    sent = len(desk.mailer.sent)
    with pytest.raises(AlreadyDisqualified):
        disqualify(desk, now=MONDAY + 60, reason="Another reason entirely.")
    assert standing_of(HELPER, desk=desk)["reason"] == REASON and len(desk.mailer.sent) == sent
    restore(desk)
    with pytest.raises(NotDisqualified):
        restore(desk)
    assert len(desk.audit.for_subject(f"user:{HELPER}")) == 2


@pytest.mark.parametrize("reason", [None, "", "  no ", "x" * 1001, 42, "bad\x07bell"])
def test_a_reason_is_3_to_1000_characters_of_text(both, reason):
    desk, _ = both
    with pytest.raises(InvalidInput) as refused:
        disqualify(desk, reason=reason)
    assert refused.value.field == "reason"
    assert standing_of(HELPER, desk=desk) is None and desk.audit.page()[0] == [] and listed_ids(desk) == [HELPER]


def test_only_ops_and_only_known_helpers(both):
    desk, _ = both
    with pytest.raises(Forbidden):
        disqualify(desk, is_ops=False)
    with pytest.raises(Forbidden):
        restore(desk, is_ops=False)
    with pytest.raises(NotFound):
        disqualify(desk, user_id="nobody")
    with pytest.raises(NotAHelper):  # Bob has an account but no page
        disqualify(desk, user_id=CALLER)
    assert standing_of(HELPER, desk=desk) is None and desk.audit.page()[0] == []


def test_a_race_between_two_ops_disqualifies_once():
    pages = InMemoryHelperPageStore()
    pages.save(HelperPage(user_id="h", username="h", display_name="H", headline="x", offer="y"))
    first, second = Standing("One", 1, "o1"), Standing("Two", 2, "o2")
    assert pages.set_standing("h", first) is True and pages.set_standing("h", second) is False
    assert pages.get("h").disqualified == first
    assert pages.set_standing("h", None) is True and pages.set_standing("h", None) is False
    assert pages.set_standing("nobody", first) is False


# -- bookings and payouts ---------------------------------------------------------------------------------

def test_open_bookings_are_cancelled_and_paid_ones_refunded_in_full(both):
    desk, bookings = both
    paid = paid_booking(bookings, paris(2, 10))
    assert paid.state is BookingState.CONFIRMED

    answer = disqualify(desk, now=MONDAY + 600)

    assert answer["bookings_cancelled"] == 1 and answer["bookings_failed"] == []
    after = bookings.bookings.get(paid.booking_id)
    assert after.state is BookingState.CANCELLED and after.reason is Reason.HELPER_CANCELLED
    assert after.refund_cents == 2500 and after.kept_cents == 0
    payment = bookings.payments.payments.get(paid.payment_id)
    assert payment.refunded_cents == 2500 and payment.state is PaymentState.REFUNDED
    assert any("cancelled" in subject.lower() for subject in sent_to(bookings, CALLER))

    restore(desk, now=MONDAY + 1200)
    assert bookings.bookings.get(paid.booking_id).state is BookingState.CANCELLED  # stays cancelled


def test_the_payout_run_holds_a_disqualified_helpers_money_until_restored(both):
    desk, bookings = both
    money = bookings.payments
    held = payout_desk(money, pages=desk.pages)
    seed_payable(held, HELPER, 4200)
    seed_payable(held, "helper-2", 1500)
    disqualify(desk)

    friday = friday_after(MONDAY)
    run_payouts(desk=held, now=friday)

    [batch] = money.gateway.payout_batches.values()
    assert [item.sender_item_id.split(".")[1] for item in batch.items] == ["helper-2"]
    assert held.ledger.balance(books.helper_payable(HELPER)).credit_balance == 4200  # held, not lost

    restore(desk, now=friday + 3600)
    next_friday = friday_after(friday + 86_400)
    run_payouts(desk=held, now=next_friday)
    paid_to = [item.sender_item_id.split(".")[1] for batch in money.gateway.payout_batches.values()
               for item in batch.items]
    assert paid_to.count(HELPER) == 1
    assert held.ledger.balance(books.helper_payable(HELPER)).credit_balance == 0


# -- the other ops actions in the audit log -------------------------------------------------------------

def test_a_refund_decision_is_in_the_audit_log_once():
    from chalicelib.services import refunds
    from tests.unit.test_payments_service import NOW, desk_twin, ended_paid_call, with_storefront

    money = desk_twin()
    with_storefront(money)
    audit = InMemoryAuditLog()
    requests = []
    for _ in range(2):
        payment = ended_paid_call(money)
        requests.append(refunds.request_refund(payment_id=payment.payment_id, user_id=CALLER,
                                               reason="The helper never showed", desk=money, now=NOW + 700))
    refunds.decide(request_id=requests[0].request_id, ops_id=OPS, decision="approve", note="Fair.", desk=money,
                   now=NOW + 900, audit=audit)
    with pytest.raises(refunds.RefundAlreadyDecided):  # deciding again: a 409, and no second entry
        refunds.decide(request_id=requests[0].request_id, ops_id=OPS, decision="deny", note="No.", desk=money,
                       now=NOW + 950, audit=audit)
    refunds.decide(request_id=requests[1].request_id, ops_id=OPS, decision="deny", note="It ran.", desk=money,
                   now=NOW + 1000, audit=audit)
    entries = audit.page()[0]
    assert [(e.action, e.subject, e.reason) for e in entries] == [
        ("deny_refund", f"refund:{requests[1].request_id}", "It ran."),
        ("approve_refund", f"refund:{requests[0].request_id}", "Fair.")]


def test_a_disqualified_helpers_event_takes_no_rsvp_and_its_pages_are_gone():
    from tests.unit.test_events_service import NOW, event_desk, new_event
    from tests.unit.test_events_service import rsvp as take_place

    events = event_desk()
    event = new_event(events)
    assert events.pages.set_standing(HELPER, Standing(REASON, NOW, OPS))
    with pytest.raises(HelperUnavailable):
        take_place(events, event, CALLER)
    from chalicelib.services import events as event_flows

    with pytest.raises(NotFound):
        event_flows.public_event(username="ada", event_id=event.event_id, desk=events)
    assert events.pages.set_standing(HELPER, None)
    assert take_place(events, event, CALLER)[1].place.value in ("going", "offered")


def test_a_disqualified_helpers_new_posts_and_events_reach_no_follower():
    from chalicelib.services import posts as blog
    from tests.unit.test_events_service import NOW, event_desk, new_event
    from tests.unit.test_posts_service import desk as post_desk_fixture

    told: list = []
    posts = post_desk_fixture.__wrapped__(told)
    assert posts.pages.set_standing("ada", Standing(REASON, NOW, OPS))
    blog.create_post(helper_id="ada", fields={"title": "Quiet post", "body": "Hello.", "status": "published"},
                     desk=posts, now=NOW)
    assert told == []
    events = event_desk()
    assert events.pages.set_standing(HELPER, Standing(REASON, NOW, OPS))
    new_event(events)
    assert events.announced == []


def test_people_waiting_for_a_disqualified_helper_are_not_told_they_came_online():
    from tests.unit.test_waiting_service import NOW, come_online, go_offline, subjects, wait_for
    from tests.unit.test_waiting_service import world as world_fixture

    desk, book = world_fixture.__wrapped__()
    wait_for(username="ada", user_id=CALLER, desk=desk, now=NOW)
    assert desk.pages.set_standing(HELPER, Standing(REASON, NOW, OPS))
    come_online(book, NOW + 60)
    assert subjects(desk, CALLER) == [] and book.listings.page("plumbing", 10, None)[0] == []
    assert desk.pages.set_standing(HELPER, None)
    go_offline(book, NOW + 90)
    come_online(book, NOW + 120)
    assert subjects(desk, CALLER) == ["Ada is online now"]


def test_the_answers_are_what_the_openapi_document_declares(both):
    from chalicelib.api import responses

    desk, _ = both
    for answer in (disqualify(desk), restore(desk)):
        responses.PersonStanding.model_validate(answer)
    responses.StandingView.model_validate(disqualify(desk, now=MONDAY + 7200)["standing"])
