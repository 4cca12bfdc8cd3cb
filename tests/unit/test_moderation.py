"""Reports and the moderation queue on the twins: the rules (kinds, each kind's reasons, notes,
decisions), one report per person and thing (409), at most N a day (429), nothing changed by a
refused report, one queue item per thing, decided once, each decision in the audit log, and
open_count for the ops dashboard."""
from __future__ import annotations

import pytest

from chalicelib.adapters.accounts import InMemoryAccountStore
from chalicelib.adapters.audit import InMemoryAuditLog
from chalicelib.adapters.helper_pages import InMemoryHelperPageStore
from chalicelib.adapters.reports import InMemoryReportStore
from chalicelib.api.http import STATUS
from chalicelib.domain import reports as rules
from chalicelib.domain.cursors import CursorSeal
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.helper_pages import HelperPage
from chalicelib.services import moderation
from chalicelib.services.moderation import ModerationDesk, Subject

NOW = 1_800_000_000


class Things:
    """A kind of thing for the tests: each shown until hidden; hiding is recorded."""

    def __init__(self, kind: str, owners: dict[str, str]) -> None:
        self.kind, self.owners, self.hidden = kind, owners, {}

    def find(self, subject_id, *, now):
        if subject_id not in self.owners:
            return None
        return Subject(kind=self.kind, subject_id=subject_id, owner_id=self.owners[subject_id],
                       title=f"<b>{subject_id}</b>", url=f"/things/{subject_id}", shown=subject_id not in self.hidden)

    def hide(self, subject_id, *, note, ops_id, now):
        self.hidden[subject_id] = (note, ops_id, now)


@pytest.fixture
def desk() -> ModerationDesk:
    pages = InMemoryHelperPageStore()
    pages.save(HelperPage(user_id="ada", username="ada", display_name="Ada", headline="Plumbing", offer="Ask."))
    owners = {f"t{n}": "ada" for n in range(30)}
    return ModerationDesk(reports=InMemoryReportStore(), audit=InMemoryAuditLog(), accounts=InMemoryAccountStore(),
                          pages=pages, cursors=CursorSeal(b"test"), reports_per_day=3,
                          subjects={kind: Things(kind, owners) for kind in rules.KINDS})


def file(desk, subject_id="t1", *, kind="product", user="bob", reason="spam", note="Ads", now=NOW):
    return moderation.file_report(kind=kind, subject_id=subject_id, reason=reason, note=note, user_id=user, now=now,
                                  desk=desk)


def test_each_kind_has_its_reasons_and_a_report_is_checked_whole():
    assert rules.check_report("review", "c1", "fake", "  Paid for  ") == ("review", "c1", "fake", "Paid for")
    assert rules.check_report("product", "ada/lamp", "counterfeit", None)[3] == ""
    for kind, subject_id, reason, note in (("comment", "x", "spam", ""), ("post", "", "spam", ""),
                                           ("post", "a/b", "fake", ""), ("event", "e1", "spam", "x" * 1001),
                                           ("event", "e1", "spam", 5), ("review", "c1\x00", "spam", "")):
        with pytest.raises(InvalidInput):
            rules.check_report(kind, subject_id, reason, note)
    assert rules.check_decision("keep", None) == ("keep", "")
    assert rules.check_decision("hide", " Spam. ", kind="event") == ("hide", "Spam.")
    for decision, note in (("hide", ""), ("hide", "  "), ("delete", "x"), ("keep", "x" * 2001)):
        with pytest.raises(InvalidInput):
            rules.check_decision(decision, note)
    assert rules.reason_label("product", "counterfeit") == "Counterfeit or infringing"


def test_the_limit_and_the_duplicate_answer_429_and_409(desk):
    assert STATUS[rules.TooManyAttempts] == 429 and issubclass(rules.TooManyReports, rules.TooManyAttempts)
    assert issubclass(rules.AlreadyReported, Conflict)
    for n in range(3):
        assert file(desk, f"t{n}", now=NOW + n)["received"]
    with pytest.raises(rules.AlreadyReported):
        file(desk, "t0", now=NOW + 5)
    with pytest.raises(rules.TooManyReports) as refused:
        file(desk, "t9", now=NOW + 10)
    assert "at most 3 reports a day" in refused.value.message
    assert desk.reports.case("product", "t9") is None  # a refused report changes nothing
    assert file(desk, "t9", user="cy", now=NOW + 10)["received"]  # someone else's allowance is their own
    assert file(desk, "t9", now=NOW + rules.DAY + 1)["received"]  # the oldest left the window


def test_one_cannot_report_ones_own_or_what_is_not_shown(desk):
    with pytest.raises(Conflict):
        file(desk, user="ada")
    with pytest.raises(NotFound):
        file(desk, "nope")
    desk.subjects["post"].hidden["t1"] = ("x", "o", NOW)
    with pytest.raises(NotFound):
        file(desk, "t1", kind="post")
    assert desk.reports.open_count() == 0


def test_one_queue_one_card_per_thing_and_each_decision_audited(desk):
    file(desk, "t1", kind="review", reason="fake", note="<img src=x onerror=alert(1)>", now=NOW + 1)
    file(desk, "t1", kind="review", user="cy", reason="fake", note="", now=NOW + 2)
    file(desk, "t1", kind="review", user="dee", reason="offensive", note="Rude", now=NOW + 3)
    file(desk, "t2", kind="event", now=NOW + 4)
    file(desk, "t3", kind="post", now=NOW + 5)
    assert moderation.open_count(desk) == 3
    page = moderation.queue(limit=2, cursor=None, now=NOW + 9, desk=desk)
    first = page["items"][0]
    assert [(c["kind"], c["id"], c["count"]) for c in page["items"]] == [("review", "t1", 3), ("event", "t2", 1)]
    assert first["reasons"] == [{"reason": "fake", "label": "Fake, or written for a reward", "count": 2},
                                {"reason": "offensive", "label": "Offensive, hateful or harassing", "count": 1}]
    assert [n["note"] for n in first["notes"]] == ["Rude", "<img src=x onerror=alert(1)>"]  # data: shown as text
    assert first["item"] == {"title": "<b>t1</b>", "url": "/things/t1", "excerpt": "", "shown": True}
    assert first["owner"] == {"user_id": "ada", "username": "ada", "display_name": "Ada"}
    rest = moderation.queue(limit=2, cursor=page["next_cursor"], now=NOW + 9, desk=desk)
    assert [c["kind"] for c in rest["items"]] == ["post"] and rest["next_cursor"] is None

    hidden = moderation.decide(kind="review", subject_id="t1", decision="hide", note="Fake.", ops_id="olga",
                               now=NOW + 20, desk=desk)
    assert hidden == {"kind": "review", "id": "t1", "decision": "hide", "state": "hidden", "reports_closed": 3}
    assert desk.subjects["review"].hidden == {"t1": ("Fake.", "olga", NOW + 20)}
    kept = moderation.decide(kind="event", subject_id="t2", decision="keep", note="", ops_id="olga", now=NOW + 21,
                             desk=desk)
    assert kept["state"] == "kept" and desk.subjects["event"].hidden == {}
    with pytest.raises(rules.AlreadyDecided):
        moderation.decide(kind="event", subject_id="t2", decision="hide", note="x", ops_id="olga", now=NOW + 22,
                          desk=desk)
    with pytest.raises(rules.AlreadyDecided):
        moderation.decide(kind="product", subject_id="t7", decision="keep", note="", ops_id="olga", now=NOW + 22,
                          desk=desk)
    entries, _ = desk.audit.page()
    assert [(e.action, e.subject, e.ops_id, e.reason) for e in entries] == [
        ("moderation.keep", "event:t2", "olga", "kept after 1 report"),
        ("moderation.hide", "review:t1", "olga", "Fake.")]
    assert moderation.open_count(desk) == 1
    assert [c["kind"] for c in moderation.queue(limit=10, cursor=None, now=NOW + 30, desk=desk)["items"]] == ["post"]


def test_a_kept_thing_reported_again_returns_with_its_earlier_decision(desk):
    file(desk, "t4", kind="event", now=NOW)
    moderation.decide(kind="event", subject_id="t4", decision="keep", note="Fine", ops_id="olga", now=NOW + 1,
                      desk=desk)
    file(desk, "t4", kind="event", user="cy", reason="misleading", now=NOW + 2)
    [card] = moderation.queue(limit=10, cursor=None, now=NOW + 3, desk=desk)["items"]
    assert (card["count"], card["total"], card["opened_at"]) == (1, 2, NOW + 2)
    assert card["decision"] == {"state": None, "by": "olga", "at": NOW + 1, "note": "Fine"}


# -- the kinds' own hiding, on their twins ---------------------------------------------------------------

def kind_desk(kind: str, subjects) -> ModerationDesk:
    return ModerationDesk(reports=InMemoryReportStore(), audit=InMemoryAuditLog(), accounts=InMemoryAccountStore(),
                          pages=InMemoryHelperPageStore(), cursors=CursorSeal(b"test"), subjects={kind: subjects})


def test_a_hidden_product_leaves_the_store_and_the_marketplace_and_cannot_go_back_on_sale():
    from chalicelib.services import store as shop
    from tests.support.twins import CALLER, HELPER
    from tests.unit.test_store_service import NOW as STORE_NOW, mug, store_desk

    store = store_desk()
    product = mug(store)
    ops = kind_desk("product", moderation.ProductSubjects(lambda: store))
    subject_id = f"{HELPER}/{product.slug}"
    with pytest.raises(Conflict):  # the seller's own
        moderation.file_report(kind="product", subject_id=subject_id, reason="counterfeit", note="", user_id=HELPER,
                               now=STORE_NOW, desk=ops)
    moderation.file_report(kind="product", subject_id=subject_id, reason="counterfeit", note="A copy",
                           user_id=CALLER, now=STORE_NOW, desk=ops)
    moderation.decide(kind="product", subject_id=subject_id, decision="hide", note="Counterfeit.", ops_id="olga",
                      now=STORE_NOW + 5, desk=ops)
    hidden = store.products.get(HELPER, product.slug)
    assert (hidden.status.value, hidden.hidden_note) == ("archived", "Counterfeit.")
    assert shop.store_page(username="ada", desk=store).products == [] and shop.marketplace(desk=store)[0] == []
    assert shop.marketplace(desk=store, query="mug")[0] == []
    [email] = [m for m in store.mailer.sent if "hidden" in m.subject]
    assert email.subject == "Your product was hidden" and "Counterfeit." in email.text
    with pytest.raises(Conflict) as refused:
        shop.update_product(seller_id=HELPER, slug=product.slug, fields={
            "title": product.title, "kind": "physical", "status": "active",
            "variants": [{"variant_id": v.variant_id, "name": v.name, "sku": v.sku, "price_cents": v.price_cents,
                          "stock": v.stock} for v in product.variants]}, desk=store, now=STORE_NOW + 10)
    assert refused.value.field == "status"


def test_a_hidden_event_leaves_the_helpers_list_and_takes_no_rsvp():
    from chalicelib.services import events as service
    from tests.support.twins import CALLER, HELPER
    from tests.unit.test_events_service import NOW as EVENTS_NOW, event_desk, new_event, rsvp

    events = event_desk()
    event = new_event(events)
    ops = kind_desk("event", moderation.EventSubjects(lambda: events))
    moderation.file_report(kind="event", subject_id=event.event_id, reason="misleading", note="", user_id=CALLER,
                           now=EVENTS_NOW, desk=ops)
    moderation.decide(kind="event", subject_id=event.event_id, decision="hide", note="Misleading.", ops_id="olga",
                      now=EVENTS_NOW + 5, desk=ops)
    assert events.events.get(event.event_id).hidden_note == "Misleading."
    assert service.public_events(username="ada", desk=events, now=EVENTS_NOW + 6)[1] == []
    with pytest.raises(NotFound):
        service.public_event(username="ada", event_id=event.event_id, desk=events)
    with pytest.raises(NotFound):
        rsvp(events, event, "person-1", now=EVENTS_NOW + 7)
    mine = service.my_events(helper_id=HELPER, desk=events, now=EVENTS_NOW + 8)
    assert [e.event_id for e in mine] == [event.event_id]  # its Helper still has it
    assert any(m.subject == "Your event was hidden" and "Misleading." in m.text for m in events.mailer.sent)
    with pytest.raises(NotFound):  # hidden: nothing left to report
        moderation.file_report(kind="event", subject_id=event.event_id, reason="spam", note="", user_id="person-2",
                               now=EVENTS_NOW + 9, desk=ops)
