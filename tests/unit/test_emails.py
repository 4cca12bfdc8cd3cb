"""Every email comes from its templates: an HTML and a text part in one layout (brand header,
greeting, message, sign-off, support address, why the person got it), user text escaped in HTML,
and SES given both parts."""
from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest

from chalicelib.adapters.mailer import Email, InMemoryMailer, SesMailer
from chalicelib.domain.accounts import Profile
from chalicelib.services.emails import TEMPLATES_DIR, compose, tell
from chalicelib.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = Settings(brand_name="interKanect", support_email="help@example.test", ops_email="ops@example.test")
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'

# One example per kind: its context, and a phrase of its message (both parts must carry it).
ORDER = {"lines": [{"title": HOSTILE, "variant_name": "Blue", "quantity": 2, "line_cents": 2000}],
         "shipping_cents": 500, "total_cents": 2500, "ships": True, "shipment": None}
BOOKING = {"booking": SimpleNamespace(length=30, note=HOSTILE, price_cents=2500, fee_cents=1250, refund_cents=2500,
                                     kept_cents=0),
           "when": "Tuesday 2 June 2026, 10:00", "zone": "Europe/Paris", "helper_name": "Ada L",
           "customer_name": "Bob", "other_name": "Ada L", "booking_url": "/booking.html?id=b1"}
EVENT = {"title": "Fix your own leaks", "helper_name": "Ada L", "event_url": "/h/ada/events/e1",
         "when": "Tuesday 2 June 2026, 10:00", "zone": "Europe/Paris", "helper_when": "Tuesday 2 June 2026, 04:00",
         "helper_zone": "America/New_York", "online": False, "location": "12 Rue de la Paix, Paris", "event": {}}
FOLLOWED = {"helper_name": "Ada L", "page_url": "/h/ada", "unsubscribe_url": "/unsubscribe.html?token=t",
            "following_url": "/following.html",
            "items": [{"kind": "post", "title": "Fixing a leak", "summary": HOSTILE, "url": "/h/ada/blog/p1"},
                      {"kind": "event", "title": "Fix your own leaks", "summary": "", "url": "/h/ada/events/e1"}]}
FOLLOWER_KINDS = {"follow_post", "follow_event", "follow_digest"}
KINDS = {
    "sign_up_with_taken_email": ({}, "It already has an account, so nothing was created"),
    "confirm_code": ({"code": "{####}"}, "Your confirmation code is"),  # Cognito's, rendered at synth
    "refund_review_reminder": ({"request_id": "req-1", "overdue": True, "refund_cents": 123450, "paid_cents": 130000,
                                "currency": "USD", "deadline": "end of Mon Dec 07, 2026 (PST)"},
                               "$1,234.50 back to the customer"),
    "free_sessions_flag": ({"detail": "25 free sessions in 2026-W50", "helper_id": "h-1",
                            "flag_id": "free_sessions:h-1:2026-W50", "flagged": "Fri Dec 11, 2026 10:30 AM PST"},
                           "close the flag with a note"),
    "refund_requested_ops": ({"request_id": "req-2", "refund_cents": 1450, "reason": HOSTILE,
                              "deadline": "end of Mon Dec 07, 2026 (PST)"}, "A refund of $14.50 was requested."),
    "refund_requested_helper": ({"paid_cents": 1500, "reason": HOSTILE, "review_days": 7},
                                "our team decides within 7 business days"),
    "refund_approved_customer": ({"refund_cents": 1450, "note": HOSTILE}, "$14.50"),
    "refund_approved_helper": ({"note": HOSTILE}, "your share of that payment was taken back"),
    "refund_declined_customer": ({"note": HOSTILE}, "We looked at your refund request and declined it."),
    "refund_declined_helper": ({"note": HOSTILE}, "your earnings stay"),
    "payment_refunded": ({"reason": "The call ended before your payment arrived.", "amount_cents": 1500},
                         "$15.00 is on its way back to your PayPal account."),
    "payment_reversed": ({"description": "30 minutes with Ada", "amount_cents": 3000},
                         "The payer reversed 30 minutes with Ada ($30.00) through PayPal."),
    "review_hidden": ({"note": HOSTILE, "helper_name": "Ada L"}, "our team hid it"),
    "content_hidden": ({"what": "product", "title": HOSTILE, "note": HOSTILE, "manage_url": "/my-store.html"},
                       "our team hid it: visitors no longer see it"),
    "review_reminder": ({"helper_name": "Ada L", "rate_url": "/rate.html?call=c1", "days": 14},
                        "Ada L for 14 days after the call"),
    "review_received": ({"author_name": "Carol", "stars": 5, "session_minutes": 30, "text": HOSTILE,
                         "page_url": "/h/ada"}, "Carol rated your 30-minute session 5 out of 5."),
    "payout_returned": ({"amount_cents": 4200, "receiver": "ada@paypal.example", "status": "RETURNED",
                         "error": "RECEIVER_UNREGISTERED"}, "PayPal could not pay $42.00 to ada@paypal.example"),
    "order_receipt": ({"order": ORDER, "library_url": "/library.html"}, "Total paid: $25.00"),
    "order_received": ({"order": ORDER, "orders_url": "/my-orders.html"},
                       "add the carrier and tracking number"),
    "order_delivered": ({"order": ORDER, "by_buyer": False, "refund_days": 14, "orders_url": "/library.html"},
                        "ask for a refund within 14 days"),
    "order_shipped": ({"order": {**ORDER, "shipment": {"carrier": "OTHER", "carrier_name": HOSTILE,
                                                       "tracking_number": "9400 1000"}},
                       "orders_url": "/library.html"}, "Tracking number: 9400 1000"),
    "booking_requested": ({**BOOKING, "as_helper": True}, "What they need help with:"),
    "booking_confirmed": ({**BOOKING, "as_helper": False}, "costs $12.50; cancelling earlier gives back"),
    "booking_moved": ({**BOOKING, "as_helper": False}, "now starts Tuesday 2 June 2026, 10:00"),
    "booking_cancelled": ({**BOOKING, "as_helper": False, "note": HOSTILE,
                           "reason_text": "The Helper cancelled the booking."}, "$25.00 goes back to you"),
    "booking_reminder": ({**BOOKING, "as_helper": False, "reminder": "1h"}, "press Join at the time"),
    "helper_online": ({"helper_name": "Ada L", "page_url": "/h/ada"}, "online and free to take a call right now"),
    "event_going": ({**EVENT, "moved_up": True}, "A place freed up and it is yours."),
    "event_offered": ({**EVENT, "hold_until": "Wednesday 3 June 2026, 10:00"}, "held for you until Wednesday"),
    "event_changed": (EVENT, "The updated invitation is attached."),
    "event_cancelled": ({**EVENT, "reason": HOSTILE, "refund_cents": 2500}, "$25.00, goes back to you in full"),
    "event_reminder": ({**EVENT, "reminder": "24h"}, "starts Tuesday 2 June 2026, 10:00 (Europe/Paris)"),
    "follow_post": ({**FOLLOWED, "item": FOLLOWED["items"][0]}, "Ada L published a new post"),
    "follow_event": ({**FOLLOWED, "item": FOLLOWED["items"][1]}, "Fix your own leaks"),
    "follow_digest": (FOLLOWED, "What Ada L published this week"),
    "missed_call": ({"caller_name": "Bob B", "when": "on Sunday 6 December 2026 at 15:20 (Europe/Paris)",
                     "alerts_on": 0, "alerts_url": "/become-a-helper.html#call-alerts"}, "turn on call alerts"),
    "disqualified": ({"reason": HOSTILE, "bookings_cancelled": 2, "help_url": "/my-page.html"},
                     "2 upcoming bookings were cancelled and the customers refunded in full."),
    "restored": ({"reason": HOSTILE, "page_url": "/h/ada"}, "Money held during the review goes out"),
}


class Tags(HTMLParser):
    """An HTML document's start tags, the text a reader sees, and whether each opened element closed."""

    VOID = {"meta", "br", "img", "hr", "link", "input"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.started: list[str] = []
        self.open: list[str] = []
        self.shown: list[str] = []
        self.feed(html)
        self.close()

    @property
    def text(self) -> str:
        return " ".join("".join(self.shown).split())

    def handle_starttag(self, tag, attrs):
        self.started.append(tag)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()

    def handle_data(self, data):
        if self.open[-1:] != ["title"]:
            self.shown.append(data)


def test_every_kind_of_email_has_an_example_here():
    kinds = {path.stem for path in (TEMPLATES_DIR / "email").glob("*.txt")} - {"layout", "parts"}
    assert kinds == set(KINDS)
    assert kinds == {path.stem for path in (TEMPLATES_DIR / "email").glob("*.html")} - {"layout", "parts"}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_renders_both_parts_in_the_layout(kind):
    context, phrase = KINDS[kind]
    email = compose(kind, to="ada@example.com", settings=SETTINGS, name="Ada", **context)

    assert email.to == "ada@example.com"
    assert email.subject and "\n" not in email.subject and "{" not in email.subject
    tags = Tags(email.html)
    for part in (email.text, tags.text):
        assert "interKanect" in part and "Hello Ada," in part and "— interKanect" in part
        assert "help@example.test" in part and "You got this email because" in part
        assert phrase in part
        # transactional or internal: no opt-out line (see layout.txt); news from a Helper one follows has one
        assert ("unsubscribe" in part.lower()) == (kind in FOLLOWER_KINDS)
    assert email.text.startswith("interKanect\n\nHello Ada,\n\n") and "<" not in email.text.replace(HOSTILE, "")
    assert "\n\n\n" not in email.text and not any(line != line.rstrip() for line in email.text.splitlines())
    assert tags.open == [] and "script" not in tags.started
    assert f"<title>{email.subject}</title>".replace("'", "&#39;") in email.html
    assert 'href="mailto:help@example.test"' in email.html and "http" not in email.html  # no link but support's


def test_a_greeting_without_a_name_says_hello_alone():
    email = compose("sign_up_with_taken_email", to="ada@example.com", settings=SETTINGS)
    assert email.subject == "Someone tried to sign up to interKanect with your email"
    assert "\nHello,\n" in email.text and "<p>Hello,</p>" in email.html


def test_user_text_is_escaped_in_html_and_kept_as_written_in_text():
    email = compose("refund_requested_helper", to="ada@example.com", settings=SETTINGS, name=HOSTILE,
                    paid_cents=1500, reason=f"line one\n{HOSTILE}", review_days=7)
    assert "<script" not in email.html and "<img" not in email.html
    assert "&lt;script&gt;" in email.html and "onerror=alert(1)&gt;" in email.html
    assert f"Hello {HOSTILE}," in email.text and f"line one\n{HOSTILE}" in email.text
    assert "white-space:pre-line" in email.html  # a reason's line breaks show in HTML too


def test_the_brand_and_review_days_come_from_settings():
    other = Settings(brand_name="HelpNow", support_email="care@helpnow.test", refund_review_business_days=5)
    email = compose("refund_requested_helper", to="ada@example.com", settings=other, name="Ada",
                    paid_cents=1500, reason="No show", review_days=other.refund_review_business_days)
    assert "interKanect" not in email.text + email.html
    assert "Payments on HelpNow; our team decides within 5 business days" in email.text
    assert "care@helpnow.test" in email.html


def test_an_unknown_name_in_a_template_is_an_error_not_a_blank():
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        compose("payment_refunded", to="ada@example.com", settings=SETTINGS, amount_cents=1500)


def test_ses_gets_the_html_and_the_text_part():
    class FakeSes:
        def __init__(self):
            self.calls = []

        def send_email(self, **request):
            self.calls.append(request)
            return {"MessageId": "m-1"}

    ses = FakeSes()
    SesMailer(ses, sender="no-reply@example.test").send(Email(to="ada@example.com", subject="Hi", text="Plain",
                                                              html="<p>Rich</p>"))
    [request] = ses.calls
    assert request["Source"] == "no-reply@example.test"
    assert request["Destination"] == {"ToAddresses": ["ada@example.com"]}
    assert request["Message"] == {"Subject": {"Data": "Hi", "Charset": "UTF-8"},
                                  "Body": {"Text": {"Data": "Plain", "Charset": "UTF-8"},
                                           "Html": {"Data": "<p>Rich</p>", "Charset": "UTF-8"}}}


def desk_with(profile, mailer):
    return SimpleNamespace(accounts=SimpleNamespace(get=lambda user_id: profile if user_id == profile.user_id else None),
                           mailer=mailer, settings=SETTINGS)


def ada(display_name="Ada Lovelace"):
    return Profile(user_id="u-ada", email="ada@example.com", username="ada", display_name=display_name,
                   created_at="T0")


def test_telling_a_person_greets_them_by_their_display_name_escaped_in_html():
    mailer = InMemoryMailer()
    tell(desk_with(ada(display_name="<script>alert(1)</script> Ada"), mailer), "u-ada", "payment_refunded",
         reason="The call ended early.", amount_cents=1500)
    [email] = mailer.sent
    assert email.to == "ada@example.com" and email.subject == "Your payment was refunded"
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt; Ada," in email.html and "<script" not in email.html
    assert "Hello <script>alert(1)</script> Ada," in email.text


def test_telling_an_unknown_person_sends_nothing_and_a_failed_send_does_not_raise():
    mailer = InMemoryMailer()
    tell(desk_with(ada(), mailer), "someone-else", "payment_refunded", reason="r", amount_cents=1)
    tell(desk_with(ada(), mailer), None, "payment_refunded", reason="r", amount_cents=1)
    assert mailer.sent == []

    class DownMailer:
        def send(self, email):
            raise ConnectionError("SES is down")

    tell(desk_with(ada(), DownMailer()), "u-ada", "payment_refunded", reason="r", amount_cents=1)


def test_emails_load_jinja_on_the_first_email_not_at_import():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, chalicelib.services.emails, chalicelib.services.accounts; "
                               "print('jinja2' in sys.modules)"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "False"
