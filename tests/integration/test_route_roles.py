"""Every route of the app's own route table, called once as each role — anonymous, a customer,
another Helper, the owner Helper and ops — answers as the route's declared rule says
(`chalicelib.api.openapi`): a role outside the rule is refused (anonymous 401 `invalid_token`,
others 403 or 404), a role inside it is let through, and nobody ever gets a 5xx. A route without a
declaration fails here (and in the unit test of the document).

The cast: the owner, on the upgraded plan with a storefront, was paid by the customer for a call
that ended, and the customer asked for that money back; the other Helper has a page of their own;
ops is in the ops group. The owner's store sells a guide (with its file) and a mug, which the
customer bought in one order; the customer booked and paid 15 minutes of the owner's time."""
from __future__ import annotations

import uuid

import pytest
import requests

from app import app
from chalicelib.api.openapi import Rule, operations
from tests.support.accounts import CODE, SignedIn, new_identity, sign_in, sign_up_and_in
from tests.support.bookings import book, free_slots
from tests.support.pages import become_helper, open_storefront, page_fields
from tests.support.payments import approve_in_sandbox, ops_person, paid_call_that_ended, upgraded_helper
from tests.support.reviews import written_review
from tests.support.store import digital_product, physical_product

pytestmark = pytest.mark.integration

ROLES = ("anonymous", "customer", "other_helper", "owner", "ops")
SIGNED_IN = ROLES[1:]
ALLOWED = {
    Rule.PUBLIC: set(ROLES), Rule.PAYPAL: set(ROLES), Rule.SIGNED_IN: set(SIGNED_IN),
    Rule.HELPER: {"other_helper", "owner"}, Rule.OPS: {"ops"}, Rule.PAYER: {"customer"},
    Rule.PAYMENT_PARTIES: {"customer", "owner"}, Rule.REFUND_PARTIES: {"customer", "owner", "ops"},
    Rule.REFUND_HELPER: {"owner"}, Rule.REVIEWED_HELPER: {"owner"},
    Rule.ORDER_PARTIES: {"customer", "owner"}, Rule.ORDER_BUYER: {"customer"}, Rule.ORDER_SELLER: {"owner"},
    Rule.BOOKING_PARTIES: {"customer", "owner"}, Rule.BOOKING_HELPER: {"owner"},
}
# Rules about the thing in the path: a party finds it (no 404), a stranger does not.
ABOUT_A_THING = {Rule.PAYER, Rule.PAYMENT_PARTIES, Rule.REFUND_PARTIES, Rule.REFUND_HELPER, Rule.REVIEWED_HELPER,
                 Rule.ORDER_PARTIES, Rule.ORDER_BUYER, Rule.ORDER_SELLER, Rule.BOOKING_PARTIES, Rule.BOOKING_HELPER}
# Calls that change who the caller is, decide the refund, or end sessions go after the others,
# in this order (the statement must come while the request is open; signing out comes last).
LAST = ("PUT /me/username", "PUT /me/page", "POST /ops/refunds/{request_id}/decision",
        "POST /ops/moderation/decision", "POST /orders/{order_id}/refunds",
        "POST /bookings/{booking_id}/cancel", "POST /me/polls/{poll_id}/close",
        "POST /me/events/{event_id}/cancel", "POST /auth/sign-out",
        "POST /auth/sign-out-everywhere")
ENDS_SESSIONS = {"POST /auth/sign-out", "POST /auth/sign-out-everywhere"}


def _route_table() -> list[str]:
    routes = [f"{method} {path}" for path, methods in app.routes.items() for method in methods]
    return sorted(routes, key=lambda route: (LAST.index(route) + 1 if route in LAST else 0, routes.index(route)))


class Cast:
    def __init__(self, local_stack: dict) -> None:
        self.stack = local_stack
        api = self.api = local_stack["api"]
        self.owner = become_helper(api, "owner")
        open_storefront(api, self.owner)
        upgraded_helper(local_stack, self.owner)  # tips are possible in the owner's calls
        self.customer = sign_up_and_in(api, "customer")
        self.other_helper = become_helper(api, "other")
        self.ops = ops_person(local_stack, "reviewer")
        self.payment = paid_call_that_ended(local_stack, self.owner, self.customer)
        asked = requests.post(f"{api}/refunds", headers=self.customer.auth, timeout=30,
                              json={"payment_id": self.payment["payment_id"], "reason": "The video froze all along."})
        assert asked.status_code == 201, asked.text
        self.refund = asked.json()
        self.category = requests.get(f"{api}/categories", timeout=30).json()["categories"][0]["slug"]
        self.review = written_review(local_stack, self.payment["call_id"])
        # The store: the owner sells a guide (with its file) and a mug; the customer bought both.
        put = requests.put(f"{api}/me/store/shipping", headers=self.owner.auth, timeout=30,
                           json={"flat_cents": 300, "countries": ["US"]})
        assert put.status_code == 200, put.text
        self.guide, self.guide_file = digital_product(api, self.owner, pictures=0)
        self.mug = physical_product(api, self.owner, pictures=0)
        lines = [{"slug": product["slug"], "variant_id": product["variants"][0]["variant_id"], "quantity": 1}
                 for product in (self.guide, self.mug)]
        bought = requests.post(f"{api}/checkout", headers=self.customer.auth, timeout=30,
                               json={"seller": self.owner.username, "lines": lines})
        assert bought.status_code == 201, bought.text
        approve_in_sandbox(local_stack, bought.json()["payment"])
        paid = requests.post(f"{api}/payments/{bought.json()['payment']['payment_id']}/complete",
                             headers=self.customer.auth, timeout=30)
        assert paid.status_code == 200, paid.text
        self.order_id = bought.json()["order"]["order_id"]
        self.slots = [slot["start"] for slot in free_slots(api, self.owner)]
        self.booking = book(local_stack, self.customer, self.owner, self.slots.pop(0))
        asked = requests.post(f"{api}/me/polls", headers=self.owner.auth, timeout=30,
                              json={"question": "Which day?", "options": ["Mon", "Tue"], "results": "live"})
        assert asked.status_code == 201, asked.text
        self.poll_id = asked.json()["poll"]["poll_id"]
        # An event of the owner's, which people RSVP to and the owner cancels last.
        announced = requests.post(f"{api}/me/events", headers=self.owner.auth, timeout=30,
                                  json=operations()[("POST", "/me/events")].example)
        assert announced.status_code == 201, announced.text
        self.event_id = announced.json()["event"]["event_id"]
        # The blog: a published post of the owner's, and a draft that the DELETE route removes.
        self.post, self.doomed_post = (
            requests.post(f"{api}/me/posts", headers=self.owner.auth, timeout=30,
                          json={"title": f"Role post {uuid.uuid4().hex[:6]}", "body": "Hello.", "status": status}
                          ).json()["post"] for status in ("published", "draft"))
        self.user_ids = {role: requests.get(f"{api}/me", headers=self.person(role).auth, timeout=30).json()["user_id"]
                         for role in SIGNED_IN}

    def person(self, role: str) -> SignedIn | None:
        return None if role == "anonymous" else getattr(self, role)

    def path_values(self, route: str) -> dict:
        if route.startswith("PUT /ops/"):
            slug = f"role-test-{uuid.uuid4().hex[:8]}"
        elif "/categories/" in route:
            slug = self.category
        elif "/posts/" in route or "/blog/" in route:
            slug = self.post["slug"]
        else:  # a product's
            slug = self.guide["slug"]
        return {"username": self.owner.username, "call_id": self.payment["call_id"],
                "review_id": self.payment["call_id"],
                "payment_id": self.payment["payment_id"], "request_id": self.refund["request_id"],
                "flag_id": "no-such-flag", "slug": slug, "order_id": self.order_id,
                "file_id": self.guide_file.file_id, "booking_id": self.booking["booking_id"],
                "name": "no-such-calendar.ics", "poll_id": self.poll_id, "event_id": self.event_id,
                "post_id": (self.doomed_post if route == "DELETE /me/posts/{post_id}" else self.post)["post_id"],
                "helper_id": self.user_ids["owner"],
                "user_id": self.user_ids["customer"]}  # a person ops looks up (not a Helper: never disqualified)

    def body(self, route: str, role: str, example: dict | None) -> dict | None:
        """A plausible body: the document's example, made real where it names people or things."""
        customer = self.customer
        real = {
            "POST /auth/sign-up": lambda: {k: v for k, v in new_identity("signup").items()},
            "POST /auth/confirm": lambda: {"email": customer.email, "code": CODE},
            # a fresh address each time: one address gets 3 codes an hour (IK_SIGN_UPS_PER_EMAIL_HOUR)
            "POST /auth/resend-code": lambda: {"email": new_identity("resend")["email"]},
            "POST /auth/sign-in": lambda: {"email": customer.email, "password": customer.password},
            "POST /auth/refresh": lambda: {"refresh_token": customer.tokens["refresh_token"]},
            "POST /auth/sign-out": lambda: {},
            "PUT /me/username": lambda: {"username": f"{role}_{uuid.uuid4().hex[:8]}"},
            "PUT /me/page": lambda: page_fields(),
            "PUT /me/page/avatar": lambda: {"key": f"incoming/avatars/{self.user_ids.get(role, 'x')}/none.png"},
            "POST /refunds": lambda: {"payment_id": self.payment["payment_id"], "reason": "The video froze again."},
            "PUT /me/products/{slug}": lambda: {
                "title": self.guide["title"], "kind": "digital", "status": "active", "description": "Still a guide.",
                "variants": [{"variant_id": v["variant_id"], "price_cents": v["price_cents"]}
                             for v in self.guide["variants"]]},
            "POST /me/products/{slug}/images": lambda: {
                "key": f"incoming/products/{self.user_ids.get(role, 'x')}/{self.guide['slug']}/none.png"},
            # the owner cannot buy from their own store: they try the other Helper's (no storefront: 409)
            "POST /checkout": lambda: {
                "seller": self.other_helper.username if role == "owner" else self.owner.username,
                "lines": [{"slug": self.mug["slug"], "variant_id": self.mug["variants"][0]["variant_id"],
                           "quantity": 1}]},
            # each role books a slot of its own; the owner cannot book their own time: the other
            # Helper's (who takes no paid bookings without a storefront: 400)
            "POST /bookings": lambda: {"helper": (self.other_helper if role == "owner" else self.owner).username,
                                       "length": 15, "start": self.slots.pop(), "zone": "America/New_York"},
            "PUT /me/booking-rules": lambda: {"lengths": [15, 30], "fee_policy": "half_price", "buffer_minutes": 0},
            "POST /bookings/{booking_id}/reschedule": lambda: {"start": self.slots[0]},
            "POST /me/notifications/read": lambda: {},  # the bell's own body (not read)
            # each role reports the owner's guide (the owner's own: 409); ops then keeps it
            "POST /reports": lambda: {"kind": "product", "id": f"{self.user_ids['owner']}/{self.guide['slug']}",
                                      "reason": "spam", "note": "Role test."},
            "POST /ops/moderation/decision": lambda: {
                "kind": "product", "id": f"{self.user_ids['owner']}/{self.guide['slug']}", "decision": "keep",
                "note": ""},
        }
        return real[route]() if route in real else example

    def headers(self, route: str, role: str) -> dict:
        person = self.person(role)
        if person is None:
            return {}
        if route in ENDS_SESSIONS:  # a session of its own, so the role's other calls keep theirs
            person = sign_in(self.api, person)
        return person.auth


@pytest.fixture(scope="module")
def cast(local_stack) -> Cast:
    return Cast(local_stack)


@pytest.mark.parametrize("route", _route_table())
def test_each_role_gets_what_the_routes_rule_says(cast, route):
    method, path = route.split(" ", 1)
    declared = operations().get((method, path))
    assert declared is not None, f"{route} has no declaration (and so no role rule) in chalicelib/api/openapi.py"
    url = cast.api + path.format(**cast.path_values(route))
    outcomes = {}
    for role in ROLES:
        answer = requests.request(method, url, json=cast.body(route, role, declared.example),
                                  headers=cast.headers(route, role), allow_redirects=False, timeout=60)
        code = answer.json().get("error", {}).get("code") if "json" in answer.headers.get("Content-Type", "") else None
        outcomes[role] = (answer.status_code, code)
    wrong = {}
    for role, (status, code) in outcomes.items():
        if status >= 500:
            wrong[role] = "a server error"
        elif role not in ALLOWED[declared.rule]:
            expected = {401} if role == "anonymous" else {403, 404}
            if status not in expected or (role == "anonymous" and code != "invalid_token"):
                wrong[role] = f"should be refused ({sorted(expected)})"
        elif status == 403 or (status == 401 and code == "invalid_token") or \
                (status == 404 and declared.rule in ABOUT_A_THING):
            wrong[role] = "should be let through"
    assert not wrong, f"{route} ({declared.rule.value}): {wrong}; answers {outcomes}"
