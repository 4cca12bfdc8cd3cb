"""The notification centre's rules (no I/O): the categories a person hears about, what each
email kind becomes in the centre (its category, body and link; its title is the email's own
subject), each person's preferences per category and channel, and the notices' keys.

Every email to a person about their own account (services/emails.py `tell` / `tell_each`) is a
notice of one category. Emails that are not: the sign-up code and the taken-address warning (a
notice would be read after signing in, too late to matter), the follower fan-out (news a person
follows, with its own per-Helper unsubscribe: services/follows.py), ops' emails, and ops' decisions
about a person or what they wrote (disqualified, restored, a review or other content hidden).

Defaults: every category is emailed (as every email was before the centre); push is on for what
is worth a buzz on the phone now (missed calls, bookings and their reminders, "Notify me" alerts,
new reviews) and off for the rest (money and orders are read in the centre and the email)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import format_usd
from chalicelib.domain.user_text import one_line, visible_text

TTL_SECONDS = 180 * 24 * 3600  # a notice is kept half a year (DynamoDB TTL), then forgotten
PAGE_SIZE = 20
TITLE_MAX = 140
BODY_MAX = 240


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    description: str
    push: bool  # push on by default (email always is)


CATEGORIES: tuple[Category, ...] = (
    Category("calls", "Missed calls", "A call that rang while you were away.", True),
    Category("payments", "Payments", "Payments to you that were reversed, and payouts that came back.", False),
    Category("refunds", "Refunds", "Refunds asked for, approved or declined, and payments refunded to you.", False),
    Category("reviews", "Reviews", "New reviews of your sessions, and reminders to rate one.", True),
    Category("bookings", "Bookings", "Sessions booked, moved or cancelled, and reminders before they start.", True),
    Category("orders", "Orders", "Orders in your store and of your purchases: paid, shipped, delivered.", False),
    Category("events", "Events", "Events you go to: places, changes, cancellations and reminders.", False),
    Category("alerts", "Notify me", "A Helper you asked to hear about is online.", True),
)
BY_NAME = {category.name: category for category in CATEGORIES}


def about(category: Category) -> str:
    """The category in a sentence ("Stop emails about missed calls")."""
    return "\u201cNotify me\u201d alerts" if category.name == "alerts" else category.label.lower()
CHANNELS = ("email", "push")


def _text(value: Any, limit: int) -> str:
    text = one_line(visible_text(str(value))) if value is not None else ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _usd(cents: Any) -> str:
    return format_usd(int(cents)) if isinstance(cents, int) else ""


def _get(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


@dataclass(frozen=True)
class KindRule:
    category: str
    body: Callable[[dict], str]
    url: Callable[[dict], str | None]  # from the email's own context; None: the category's page


def _key(name: str) -> Callable[[dict], Any]:
    return lambda context: context.get(name)


def _booking_body(context: dict) -> str:
    return f"With {context.get('other_name') or 'your Helper'}, {context.get('when') or ''}".strip(", ")


def _event_body(context: dict) -> str:
    return f"{context.get('helper_name') or ''}: {context.get('when') or ''}".strip(": ")


def _order_body(context: dict) -> str:
    order = context.get("order")
    total = _usd(_get(order, "total_cents"))
    return f"Order of {total}" if total else "Your order"


_BOOKING = KindRule("bookings", _booking_body, _key("booking_url"))
_EVENT = KindRule("events", _event_body, _key("event_url"))

KINDS: dict[str, KindRule] = {
    "missed_call": KindRule("calls", lambda c: f"{c.get('caller_name') or 'Someone'} called {c.get('when') or ''}",
                            lambda c: "/earnings.html"),
    "helper_online": KindRule("alerts", lambda c: f"{c.get('helper_name')} is online and free now: call them.",
                              _key("page_url")),
    "booking_requested": _BOOKING, "booking_confirmed": _BOOKING, "booking_moved": _BOOKING,
    "booking_cancelled": _BOOKING, "booking_reminder": _BOOKING,
    "event_going": _EVENT, "event_offered": _EVENT, "event_changed": _EVENT, "event_cancelled": _EVENT,
    "event_reminder": _EVENT,
    "order_receipt": KindRule("orders", _order_body, _key("library_url")),
    "order_received": KindRule("orders", _order_body, _key("orders_url")),
    "order_shipped": KindRule("orders", _order_body, _key("orders_url")),
    "order_delivered": KindRule("orders", _order_body, _key("orders_url")),
    "payment_refunded": KindRule("refunds", lambda c: f"{_usd(c.get('amount_cents'))} is on its way back to you.",
                                 lambda c: "/payments.html"),
    "refund_requested_helper": KindRule("refunds", lambda c: c.get("reason") or "", lambda c: "/earnings.html"),
    "refund_approved_customer": KindRule("refunds", lambda c: f"{_usd(c.get('refund_cents'))} is refunded to you.",
                                         lambda c: "/payments.html"),
    "refund_approved_helper": KindRule("refunds", lambda c: c.get("note") or "", lambda c: "/earnings.html"),
    "refund_declined_customer": KindRule("refunds", lambda c: c.get("note") or "", lambda c: "/payments.html"),
    "refund_declined_helper": KindRule("refunds", lambda c: c.get("note") or "", lambda c: "/earnings.html"),
    "payment_reversed": KindRule("payments", lambda c: f"{c.get('description') or 'A payment'}: "
                                                       f"{_usd(c.get('amount_cents'))}", lambda c: "/earnings.html"),
    "payout_returned": KindRule("payments", lambda c: f"{_usd(c.get('amount_cents'))} to {c.get('receiver') or ''}"
                                                      " came back.", lambda c: "/earnings.html"),
    "review_received": KindRule("reviews", lambda c: f"{c.get('stars')} out of 5 from {c.get('author_name')}",
                                _key("page_url")),
    "review_reminder": KindRule("reviews", lambda c: f"Rate your session with {c.get('helper_name')}.",
                                _key("rate_url")),
}
# Emails that are not notices (see the module's docstring); ops' decisions about a person or what
# they wrote (disqualified, restored, a review or other content hidden) are always emailed, never a
# category one turns off.
NOT_NOTICES = frozenset({"confirm_code", "sign_up_with_taken_email", "follow_post", "follow_event", "follow_digest",
                         "refund_requested_ops", "refund_review_reminder", "free_sessions_flag",
                         "disqualified", "restored", "content_hidden", "review_hidden"})


@dataclass(frozen=True)
class Notice:
    user_id: str
    notice_id: str
    at: int
    kind: str
    category: str
    title: str
    body: str
    url: str

    @property
    def sort_key(self) -> str:
        return sort_key(self.at, self.notice_id)


def sort_key(at: int, notice_id: str) -> str:
    """Newest last in key order: ten digits of Unix seconds (good until 2286), then the id."""
    return f"{int(at):010d}#{notice_id}"


def site_path(url: Any, site_url: str) -> str | None:
    """A link of this site as a path ("/booking.html?id=..."); None for anything else."""
    if not isinstance(url, str) or not url:
        return None
    site = site_url.rstrip("/")
    if site and url.startswith(site + "/"):
        url = url[len(site):]
    if not url.startswith("/") or url.startswith("//"):
        return None
    return url[:500]


def notice_for(kind: str, *, user_id: str, notice_id: str, at: int, title: str, context: dict,
               site_url: str) -> Notice | None:
    """What an email of `kind` (its subject `title`, its template's `context`) becomes in the
    person's centre; None for a kind that is not a notice."""
    rule = KINDS.get(kind)
    if rule is None:
        return None
    try:
        body = rule.body(context)
    except Exception:  # noqa: BLE001 - an odd context costs the body, never the notice
        body = ""
    try:
        url = site_path(rule.url(context), site_url)
    except Exception:  # noqa: BLE001
        url = None
    return Notice(user_id=user_id, notice_id=notice_id, at=at, kind=kind, category=rule.category,
                  title=_text(title, TITLE_MAX), body=_text(body, BODY_MAX), url=url or "/")


def view(notice: Notice, *, read: bool) -> dict:
    """A notice as its person sees it (GET /me/notifications, the WebSocket frame)."""
    return {"id": notice.notice_id, "kind": notice.kind, "category": notice.category, "title": notice.title,
            "body": notice.body, "url": notice.url, "at": notice.at, "read": read}


# -- preferences ----------------------------------------------------------------------------------

Preferences = dict[str, dict[str, bool]]  # category -> {"email": bool, "push": bool}


def defaults() -> Preferences:
    return {c.name: {"email": True, "push": c.push} for c in CATEGORIES}


def effective(stored: dict | None) -> Preferences:
    """The person's choices over the defaults (a stored choice for a category or channel no
    longer known is ignored)."""
    chosen = defaults()
    for name, channels in (stored or {}).items():
        if name in chosen and isinstance(channels, dict):
            for channel in CHANNELS:
                if isinstance(channels.get(channel), bool):
                    chosen[name][channel] = channels[channel]
    return chosen


def changed(stored: dict | None, change: Any) -> dict:
    """The stored choices after a PUT's `categories` (partial: a category or channel left out
    keeps its value). Only choices are stored, never the defaults, so a default changed later
    reaches everyone who did not choose. An unknown category or a value that is not true/false
    is a 400, and then nothing changes."""
    if not isinstance(change, dict):
        raise InvalidInput("categories must be an object of category -> {email, push}.", field="categories")
    result = {name: {channel: value for channel, value in channels.items()
                     if channel in CHANNELS and isinstance(value, bool)}
              for name, channels in (stored or {}).items() if name in BY_NAME and isinstance(channels, dict)}
    for name, channels in change.items():
        if name not in BY_NAME:
            raise InvalidInput(f"There is no category {str(name)[:40]!r}; the categories are "
                               f"{', '.join(BY_NAME)}.", field=f"categories.{str(name)[:40]}")
        if not isinstance(channels, dict) or set(channels) - set(CHANNELS):
            raise InvalidInput("Each category takes email and push, true or false.", field=f"categories.{name}")
        for channel, value in channels.items():
            if not isinstance(value, bool):
                raise InvalidInput(f"{channel} must be true or false.", field=f"categories.{name}.{channel}")
            result.setdefault(name, {})[channel] = value
    return result


def preferences_view(stored: dict | None) -> dict:
    chosen = effective(stored)
    return {"categories": [{"category": c.name, "label": c.label, "description": c.description,
                            "email": chosen[c.name]["email"], "push": chosen[c.name]["push"]} for c in CATEGORIES]}
