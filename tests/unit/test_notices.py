"""The notification centre on twins: every email to a person (emails.tell / tell_each) of a kind
that is a notice is recorded, emailed only when the person's email preference for its category is
on (with List-Unsubscribe for that category), pushed when push is on, and sent to their open
sockets; preferences (partial, strict), the list (pages, read marks), one-click unsubscribe, and a
failing centre never failing the email or the money path."""
from __future__ import annotations

import json
from types import SimpleNamespace
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from chalicelib.adapters.connections import Connection, InMemoryConnectionStore
from chalicelib.adapters.mailer import InMemoryMailer, mime
from chalicelib.adapters.notices import InMemoryNoticeStore
from chalicelib.adapters.push import (InMemoryPushSubscriptionStore, RecordingPushSender, Subscription,
                                      WebPushSender, new_vapid_private_key, vapid_public_key)
from chalicelib.adapters.websocket import InMemorySender
from chalicelib.domain import notices as rules
from chalicelib.domain.accounts import Profile
from chalicelib.domain.cursors import CursorSeal
from chalicelib.domain.errors import InvalidInput
from chalicelib.services import notices
from chalicelib.services.emails import TEMPLATES_DIR, tell, tell_each
from chalicelib.services.notices import NoticeDesk
from chalicelib.services.push import PushDesk
from chalicelib.settings import Settings
from tests.support.push_service import serve
from tests.unit.test_emails import KINDS as EXAMPLES

NOW = 1_800_000_000
SITE = "https://ik.example"
SETTINGS = Settings(brand_name="interKanect", support_email="help@example.test", ops_email="ops@example.test",
                    site_url=SITE)
NOTICE_KINDS = sorted(rules.KINDS)
ADA = Profile(user_id="u-ada", email="ada@example.com", username="ada", display_name="Ada Lovelace",
              created_at="T0")
BOB = Profile(user_id="u-bob", email="bob@example.com", username="bob", display_name="Bob", created_at="T0")


class World:
    """A desk that emails (as the app's do) holding the notice desk's builder, and the twins."""

    def __init__(self, *, push_sender=None) -> None:
        self.mailer = InMemoryMailer()
        self.store = InMemoryNoticeStore()
        self.connections = InMemoryConnectionStore()
        self.sockets = InMemorySender()
        self.pushing = PushDesk(subscriptions=InMemoryPushSubscriptionStore(),
                                sender=push_sender or RecordingPushSender(), public_key=lambda: "k", site_url=SITE)
        self.clock = [NOW]
        ids = iter(f"n{i:04d}" for i in range(10_000))
        self.desk = NoticeDesk(notices=self.store, seal=CursorSeal(b"s" * 32), settings=SETTINGS,
                               connections=self.connections, sender=self.sockets, push=lambda: self.pushing,
                               clock=lambda: self.clock[0], new_id=lambda: next(ids))
        people = {p.user_id: p for p in (ADA, BOB)}
        self.emails = SimpleNamespace(
            accounts=SimpleNamespace(get=people.get, get_many=lambda ids: {i: people[i] for i in ids if i in people}),
            mailer=self.mailer, settings=SETTINGS, notices=lambda: self.desk)

    def tell(self, kind: str, user_id: str = ADA.user_id) -> None:
        tell(self.emails, user_id, kind, **EXAMPLES[kind][0])

    def subscribe(self, user_id: str = ADA.user_id, endpoint: str = "https://push.example/1") -> None:
        self.pushing.subscriptions.add(Subscription(user_id, endpoint, "p", "a", NOW), limit=10)

    def open_socket(self, connection_id: str, user_id: str = ADA.user_id) -> None:
        self.connections.add(Connection(connection_id, user_id, NOW, NOW + 3600))


def test_every_email_kind_is_a_notice_of_a_category_or_named_as_not_one():
    kinds = {path.stem for path in (TEMPLATES_DIR / "email").glob("*.txt")} - {"layout", "parts"}
    assert kinds == set(rules.KINDS) | rules.NOT_NOTICES
    assert not set(rules.KINDS) & rules.NOT_NOTICES
    assert {rule.category for rule in rules.KINDS.values()} == set(rules.BY_NAME)
    assert [c.name for c in rules.CATEGORIES] == ["calls", "payments", "refunds", "reviews", "bookings", "orders",
                                                  "events", "alerts"]


@pytest.mark.parametrize("push_on", [True, False], ids=["push-on", "push-off"])
@pytest.mark.parametrize("email_on", [True, False], ids=["email-on", "email-off"])
@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_preferences_are_respected_for_every_kind(kind, email_on, push_on):
    world = World()
    category = rules.KINDS[kind].category
    notices.set_preferences(user_id=ADA.user_id, categories={category: {"email": email_on, "push": push_on}},
                            desk=world.desk)
    world.subscribe()
    world.open_socket("c1")
    world.tell(kind)

    listed = notices.notifications(user_id=ADA.user_id, cursor=None, desk=world.desk)
    [shown] = listed["notifications"]
    assert listed["unread"] == 1 and shown["kind"] == kind and shown["category"] == category
    assert shown["title"] and shown["url"].startswith("/") and shown["read"] is False and shown["at"] == NOW
    assert len(world.mailer.sent) == (1 if email_on else 0)
    if email_on:
        [email] = world.mailer.sent
        assert email.subject == shown["title"]
    sent = world.pushing.sender.sent
    assert len(sent) == (1 if push_on else 0)
    if push_on:
        payload = json.loads(sent[0].data)
        assert payload["type"] == "notice" and payload["id"] == shown["id"] and payload["url"] == SITE + shown["url"]
        assert (sent[0].ttl, sent[0].urgency) == (24 * 3600, "normal") and len(sent[0].topic) <= 32
    assert world.sockets.sent == [("c1", {"type": "notices", "unread": 1, "latest": shown})]


@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_every_notice_email_carries_one_click_unsubscribe_for_its_category(kind):
    world = World()
    world.tell(kind)
    [email] = world.mailer.sent
    headers = dict(email.headers)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = headers["List-Unsubscribe"]
    assert one_click.startswith(f"<{SITE}/api/notifications/unsubscribe?token=") and one_click.endswith(">")
    token = unquote(parse_qs(urlsplit(one_click[1:-1]).query)["token"][0])
    category = rules.BY_NAME[rules.KINDS[kind].category]
    assert notices.unsubscribe_preview(token=token, desk=world.desk) == {
        "category": category.name, "label": category.label, "email": True}
    footer = f"Stop emails about {rules.about(category)}"
    assert footer in email.text and f"{SITE}/unsubscribe.html?kind=notices&amp;token=" in email.html
    assert footer in email.html.replace("\u201c", "\u201c")
    raw = mime(email, sender="no-reply@example.test")
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw
    assert f"List-Unsubscribe: {one_click}\r\n".encode() in raw  # the URL as it is, never RFC 2047 words


@pytest.mark.parametrize("kind", sorted(rules.NOT_NOTICES & set(EXAMPLES)))
def test_emails_that_are_not_notices_go_as_before(kind):
    world = World()
    world.tell(kind)
    [email] = world.mailer.sent
    assert email.headers == () and "Stop emails about" not in email.text
    assert world.store.notices == {}


def test_one_click_turns_that_categorys_email_off_the_next_is_recorded_not_emailed():
    world = World()
    world.tell("booking_confirmed")
    [email] = world.mailer.sent
    token = unquote(parse_qs(urlsplit(dict(email.headers)["List-Unsubscribe"][1:-1]).query)["token"][0])
    assert notices.unsubscribe(token=token, desk=world.desk) == {"category": "bookings", "label": "Bookings",
                                                                 "email": False}
    world.tell("booking_reminder")
    world.tell("order_receipt")  # another category still emails
    assert [e.subject for e in world.mailer.sent][1:] == ["Your order is paid: $25.00"]
    listed = notices.notifications(user_id=ADA.user_id, cursor=None, desk=world.desk)
    assert [n["kind"] for n in listed["notifications"]] == ["order_receipt", "booking_reminder", "booking_confirmed"]
    prefs = {c["category"]: c for c in notices.preferences(user_id=ADA.user_id, desk=world.desk)["categories"]}
    assert prefs["bookings"]["email"] is False and prefs["bookings"]["push"] is True


@pytest.mark.parametrize("token", [None, "", "garbage", "a.b", 7])
def test_a_token_this_site_did_not_sign_is_a_400_and_changes_nothing(token):
    world = World()
    with pytest.raises(InvalidInput) as refused:
        notices.unsubscribe(token=token, desk=world.desk)
    assert refused.value.field == "token" and world.store.states == {}


def test_a_follow_unsubscribe_token_is_not_a_notice_one():
    world = World()
    follow_token = world.desk.seal.seal({"h": "u-ada", "f": "u-bob"}, scope="unsubscribe")
    with pytest.raises(InvalidInput):
        notices.unsubscribe_preview(token=follow_token, desk=world.desk)


def test_defaults_email_everything_and_push_what_is_urgent():
    view = notices.preferences(user_id="nobody", desk=World().desk)["categories"]
    assert {c["category"]: (c["email"], c["push"]) for c in view} == {
        "calls": (True, True), "payments": (True, False), "refunds": (True, False), "reviews": (True, True),
        "bookings": (True, True), "orders": (True, False), "events": (True, False), "alerts": (True, True)}
    assert all(c["label"] and c["description"] for c in view)


def test_preferences_change_partially_and_a_bad_change_changes_nothing():
    world = World()
    after = notices.set_preferences(user_id=ADA.user_id, categories={"orders": {"email": False}}, desk=world.desk)
    orders = next(c for c in after["categories"] if c["category"] == "orders")
    assert (orders["email"], orders["push"]) == (False, False)
    assert world.store.state(ADA.user_id).preferences == {"orders": {"email": False}}  # choices, not defaults
    notices.set_preferences(user_id=ADA.user_id, categories={"orders": {"push": True}}, desk=world.desk)
    for bad, field in [({"nope": {"email": True}}, "categories.nope"), ({"orders": {"email": 1}},
                                                                        "categories.orders.email"),
                       ({"orders": {"sms": True}}, "categories.orders"), ({"orders": True}, "categories.orders"),
                       ([], "categories")]:
        with pytest.raises(InvalidInput) as refused:
            notices.set_preferences(user_id=ADA.user_id, categories=bad, desk=world.desk)
        assert refused.value.field == field
    orders = next(c for c in notices.preferences(user_id=ADA.user_id, desk=world.desk)["categories"]
                  if c["category"] == "orders")
    assert (orders["email"], orders["push"]) == (False, True)


def test_the_list_pages_newest_first_and_reading_all_marks_them_read():
    world = World()
    for n in range(25):
        world.clock[0] = NOW + n
        world.tell("helper_online")
    first = notices.notifications(user_id=ADA.user_id, cursor=None, desk=world.desk)
    assert len(first["notifications"]) == 20 and first["unread"] == 25 and first["next"]
    assert [n["at"] for n in first["notifications"]] == [NOW + n for n in range(24, 4, -1)]
    second = notices.notifications(user_id=ADA.user_id, cursor=first["next"], desk=world.desk)
    assert [n["at"] for n in second["notifications"]] == [NOW + n for n in range(4, -1, -1)] and second["next"] is None
    assert notices.mark_all_read(user_id=ADA.user_id, desk=world.desk) == {"unread": 0}
    world.clock[0] = NOW + 100
    world.tell("review_received")
    after = notices.notifications(user_id=ADA.user_id, cursor=None, desk=world.desk)
    assert after["unread"] == 1
    assert [n["read"] for n in after["notifications"][:3]] == [False, True, True]
    with pytest.raises(InvalidInput):
        notices.notifications(user_id=BOB.user_id, cursor=first["next"], desk=world.desk)  # Ada's cursor
    assert notices.notifications(user_id=BOB.user_id, cursor=None, desk=world.desk)["notifications"] == []


def test_tell_each_records_each_persons_own_notice():
    world = World()
    tell_each(world.emails, (ADA.user_id, "order_receipt", EXAMPLES["order_receipt"][0]),
              (BOB.user_id, "order_received", EXAMPLES["order_received"][0]), ("u-nobody", "order_receipt", {}))
    assert [e.to for e in world.mailer.sent] == ["ada@example.com", "bob@example.com"]
    assert [n["kind"] for n in notices.notifications(user_id=BOB.user_id, cursor=None,
                                                      desk=world.desk)["notifications"]] == ["order_received"]


def test_a_gone_socket_is_forgotten_and_the_others_still_get_the_frame():
    world = World()
    world.open_socket("c1")
    world.open_socket("c2")
    world.open_socket("c-bob", BOB.user_id)
    world.sockets.gone.add("c1")
    world.tell("missed_call")
    assert [c for c, _ in world.sockets.sent] == ["c2"] and world.connections.get("c1") is None


def test_a_push_service_saying_gone_removes_the_subscription():
    world = World()
    world.subscribe(endpoint="https://push.example/gone")
    world.pushing.sender.statuses["https://push.example/gone"] = 410
    world.tell("missed_call")
    assert world.pushing.subscriptions.for_user(ADA.user_id) == []


class Broken:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("DynamoDB is down")
        return fail


def test_a_failing_centre_never_fails_the_email():
    world = World()
    world.desk = NoticeDesk(notices=Broken(), seal=world.desk.seal, settings=SETTINGS)
    world.tell("payment_refunded")
    [email] = world.mailer.sent
    assert email.subject == "Your payment was refunded"
    world.emails.notices = lambda: (_ for _ in ()).throw(RuntimeError("no secret"))
    world.tell("payment_refunded")
    assert len(world.mailer.sent) == 2


def test_a_failing_store_write_still_emails_and_a_failing_push_or_socket_changes_nothing():
    world = World(push_sender=RecordingPushSender(failing={"https://push.example/1": ConnectionError("down")}))
    world.subscribe()
    world.open_socket("c1")

    def broken_add(notice, *, ttl):
        raise ConnectionError("throttled")

    world.store.add = broken_add
    world.tell("missed_call")
    assert len(world.mailer.sent) == 1 and world.sockets.sent == []
    del world.store.add
    world.sockets.send = lambda *a: (_ for _ in ()).throw(RuntimeError("boom"))
    world.tell("missed_call")
    assert len(world.mailer.sent) == 2 and world.store.states[ADA.user_id].unread == 1


def test_a_desk_without_notices_emails_as_before():
    mailer = InMemoryMailer()
    desk = SimpleNamespace(accounts=SimpleNamespace(get={ADA.user_id: ADA}.get), mailer=mailer, settings=SETTINGS)
    tell(desk, ADA.user_id, "missed_call", **EXAMPLES["missed_call"][0])
    [email] = mailer.sent
    assert email.headers == () and "Stop emails about" not in email.text


def test_notices_keep_180_days_and_bodies_are_one_short_line():
    world = World()
    tell(world.emails, ADA.user_id, "refund_declined_customer", note="Line one\nline two " + "x" * 500)
    [(key, ttl)] = world.store.ttls.items()
    assert ttl == NOW + 180 * 24 * 3600 and key[1].startswith(f"{NOW:010d}#")
    [notice] = world.store.notices[ADA.user_id].values()
    assert "\n" not in notice.body and len(notice.body) <= rules.BODY_MAX


def test_urls_are_paths_of_this_site_only():
    assert rules.site_path(f"{SITE}/booking.html?id=b1", SITE) == "/booking.html?id=b1"
    assert rules.site_path("/library.html", SITE) == "/library.html"
    assert rules.site_path("https://evil.example/x", SITE) is None
    assert rules.site_path("//evil.example/x", SITE) is None
    assert rules.site_path("javascript:alert(1)", SITE) is None


def test_a_pushed_notice_decrypts_at_a_local_push_service():
    service, server = serve()
    try:
        private = new_vapid_private_key()
        world = World(push_sender=WebPushSender(private, "mailto:support@interkanect.local"))
        subscription = service.new_subscription()
        world.pushing = PushDesk(subscriptions=world.pushing.subscriptions, sender=world.pushing.sender,
                                 public_key=lambda: vapid_public_key(private), site_url=SITE,
                                 allow_local_endpoints=True)
        world.subscribe(endpoint=subscription["endpoint"])
        world.pushing.subscriptions.add(Subscription(ADA.user_id, subscription["endpoint"],
                                                     subscription["keys"]["p256dh"], subscription["keys"]["auth"],
                                                     NOW), limit=10)
        world.tell("booking_reminder")
        [got] = service.wait_for(1)
        payload = json.loads(got.plaintext)
        assert payload["type"] == "notice" and payload["kind"] == "booking_reminder"
        assert payload["title"] == world.mailer.sent[0].subject and payload["url"] == f"{SITE}/booking.html?id=b1"
        assert (got.headers["ttl"], got.headers["urgency"]) == ("86400", "normal") and got.headers["topic"]
        assert got.vapid_claims["k"] == vapid_public_key(private)
    finally:
        server.shutdown()
        server.server_close()


# -- the paths the issue names reach the centre (and push) through `tell` ---------------------------

def test_a_missed_call_reaches_the_centre_and_push_through_the_email_path():
    import dataclasses

    from chalicelib.services import calls
    from tests.support.twins import CALLER, HELPER, call_desk_twin

    desk = call_desk_twin(now=NOW)
    desk.connections.remove("c-helper")  # no tab: the ring is pushed, then missed
    world = World()
    world.pushing.subscriptions.add(Subscription(HELPER, "https://push.example/h", "p", "a", NOW), limit=10)
    emails = SimpleNamespace(accounts=desk.accounts, mailer=world.mailer, settings=SETTINGS,
                             notices=lambda: world.desk)
    desk = dataclasses.replace(desk, push=lambda: world.pushing, missed_call_emails=lambda: emails)
    call = calls.start_call(caller_id=CALLER, caller_connection="c-caller", helper_username="ada", desk=desk, now=NOW)
    assert calls.sweep_calls(desk=desk, now=call.state_deadline + 1) == 1
    [notice] = notices.notifications(user_id=HELPER, cursor=None, desk=world.desk)["notifications"]
    assert (notice["kind"], notice["category"]) == ("missed_call", "calls")
    assert notice["title"] == "You missed a call from Bob"
    pushed = [json.loads(s.data) for s in world.pushing.sender.sent]
    assert [p["type"] for p in pushed] == ["ring", "notice"] and pushed[1]["id"] == notice["id"]
    [email] = world.mailer.sent
    assert dict(email.headers)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_notify_me_reaches_the_centre_through_the_email_path():
    from dataclasses import replace

    from chalicelib.adapters.waiting import InMemoryWaitingList
    from chalicelib.services.waiting import WaitingDesk, tell_waiting
    from tests.support.twins import CALLER, HELPER, call_desk_twin

    twin = call_desk_twin(now=NOW)
    world = World()
    world.open_socket("c-bob", CALLER)
    desk = WaitingDesk(waiting=InMemoryWaitingList(), pages=twin.pages, accounts=twin.accounts, presence=None,
                       mailer=world.mailer, settings=SETTINGS, notices=lambda: world.desk)
    desk.waiting.add(HELPER, CALLER, now=NOW)
    assert tell_waiting(HELPER, desk=desk, now=NOW) == 1
    [frame] = [m for c, m in world.sockets.sent if c == "c-bob"]
    assert frame["latest"]["kind"] == "helper_online" and frame["latest"]["url"] == "/h/ada"
    assert replace(desk, notices=None).notices is None


def test_every_desk_deps_builds_with_a_mailer_also_holds_the_notice_desk():
    """deps.py: each desk or namespace given `mailer=` (they email people through `tell`) is given
    `notices=notice_desk` too, so no email to a person skips the centre."""
    import ast
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "chalicelib" / "deps.py").read_text()
    built = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
             and any(k.arg == "mailer" for k in node.keywords)]
    # the follower fan-out, the mailer itself, and desks that send only kinds that are not notices
    # (ops' decisions: content hidden, disqualified, restored)
    exempt = {"FollowDesk", "SkipsUndeliverable", "SesMailer", "PostDesk", "StandingDesk"}
    named = {getattr(n.func, "id", getattr(n.func, "attr", "")) for n in built}
    assert {"PaymentDesk", "PayoutDesk", "ReviewDesk", "WaitingDesk", "SimpleNamespace"} <= named
    for node in built:
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        if name in exempt:
            continue
        notices_given = [k for k in node.keywords if k.arg == "notices"]
        assert notices_given and ast.unparse(notices_given[0].value) == "notice_desk", name


def test_a_booking_email_carries_its_invitation_and_the_unsubscribe_headers_together():
    world = World()
    invitation = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    tell(world.emails, ADA.user_id, "booking_confirmed", calendar=invitation,
         **{**EXAMPLES["booking_confirmed"][0], "booking_url": f"{SITE}/booking.html?id=b9"})
    [email] = world.mailer.sent
    raw = mime(email, sender="no-reply@example.test")
    assert b"List-Unsubscribe: <https://ik.example/api/notifications/unsubscribe?token=" in raw
    assert b"text/calendar" in raw and b"invite.ics" in raw
    [notice] = notices.notifications(user_id=ADA.user_id, cursor=None, desk=world.desk)["notifications"]
    assert notice["url"] == "/booking.html?id=b9" and notice["category"] == "bookings"


def test_the_store_bookings_and_events_hold_the_notice_desk_through_the_payment_desk():
    from chalicelib.services.bookings import BookingDesk
    from chalicelib.services.events import EventDesk
    from chalicelib.services.payments import PaidThrough
    from chalicelib.services.store import StoreDesk

    builder = object()
    for desk in (BookingDesk, StoreDesk, EventDesk):
        assert issubclass(desk, PaidThrough) and "notices" not in desk.__dataclass_fields__
    through = PaidThrough()
    through.payments = SimpleNamespace(notices=builder)
    assert through.notices is builder
    through.payments = SimpleNamespace()  # a payment desk without one (tests): none
    assert through.notices is None
