"""Server-rendered HTML of events: a Helper's events (`/h/<username>/events`) and an event page
(`/h/<username>/events/<event_id>`), shareable and fast like the store's pages, with schema.org
`Event` data; and the upcoming events shown on the Helper's own page.

Every value is escaped by Jinja's autoescape; only `description_html` (sanitized by
domain.rich_text when the event was saved) is inserted as HTML, and the JSON-LD is serialized by
page_html.json_ld. The online link is never in these pages (they are public and cached): the page
script (/js/pages/events.js) asks for it, for people going. Times are shown on the Helper's
clock; the script adds the visitor's own beside them."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable
from urllib.parse import quote
from zoneinfo import ZoneInfo

from chalicelib.api.page_html import DEFAULT_OG_IMAGE, SITE_NAME, format_money, json_ld, render
from chalicelib.domain.events import Event, EventState, Where
from chalicelib.domain.user_text import visible_text

PAGE_SCRIPT = "/js/pages/events.js"
DESCRIPTION_MAX = 200
ON_HELPER_PAGE = 3


def _host(page: Any) -> dict[str, Any]:
    name = visible_text(page.display_name).strip() or page.username
    base = f"/h/{quote(page.username, safe='')}"
    return {"user_id": page.user_id, "username": page.username, "name": name, "page_href": base,
            "events_href": f"{base}/events", "avatar": f"/{page.avatar_key}" if page.avatar_key else None,
            "initials": "".join(w[0] for w in name.split() if w[:1].isalnum())[:2].upper() or "?"}


def _clock(seconds: int, zone: str) -> datetime:
    return datetime.fromtimestamp(seconds, ZoneInfo(zone))


def _zone_label(moment: datetime) -> str:
    return moment.tzname() or ""


def _when(event: Event) -> dict[str, Any]:
    """The event's time on its Helper's clock, in the words the pages use."""
    start, end = _clock(event.starts_at, event.zone), _clock(event.ends_at, event.zone)
    same_day = start.date() == end.date()
    return {
        "start_iso": start.isoformat(), "end_iso": end.isoformat(),
        "starts_at": event.starts_at, "ends_at": event.ends_at,
        "month": f"{start:%b}".upper(), "day": start.day, "weekday": f"{start:%A}",
        "date": f"{start:%A}, {start.day} {start:%B %Y}",
        "time": f"{start:%H:%M} – {end:%H:%M}" if same_day else f"{start:%H:%M} – {end:%a} {end.day} {end:%b}, "
                                                                f"{end:%H:%M}",
        "zone": event.zone, "zone_label": _zone_label(start),
    }


def _price(event: Event) -> str:
    return "Free" if event.price_cents == 0 else format_money(event.price_cents)


def _card(event: Event, username: str) -> dict[str, Any]:
    return {"event_id": event.event_id, "title": visible_text(event.title), "summary": visible_text(event.summary),
            "href": f"/h/{quote(username, safe='')}/events/{event.event_id}", "when": _when(event),
            "where": "Online" if event.where is Where.ONLINE else visible_text(event.location),
            "online": event.where is Where.ONLINE, "price": _price(event),
            "cancelled": event.state is EventState.CANCELLED, "full": event.places_left == 0,
            "places_left": event.places_left}


def upcoming_event_cards(helper_id: str, username: str, *, now: int) -> list[dict[str, Any]]:
    """The Helper's next announced events for their own page (one Query); none if the events
    store cannot be read (the page shows without them)."""
    from chalicelib import deps
    from chalicelib.observability import logger

    try:
        found, _ = deps.event_store().for_helper(helper_id, now=now, upcoming=True, limit=ON_HELPER_PAGE * 3)
    except Exception:  # noqa: BLE001 - the Helper's page must not fail for its events
        logger().exception("upcoming events not read", extra={"helper_id": helper_id})
        return []
    return [_card(e, username) for e in found if e.state is EventState.ANNOUNCED and e.public][:ON_HELPER_PAGE]


def render_events(*, page: Any, events: Iterable[Event], site_url: str) -> str:
    site_url = site_url.rstrip("/")
    host = _host(page)
    url = site_url + host["events_href"]
    cards = [_card(e, page.username) for e in events]
    description = f"Upcoming events with {host['name']} on {SITE_NAME}: online and in person."
    data = {"@context": "https://schema.org", "@type": "ItemList", "name": f"Events with {host['name']}", "url": url,
            "itemListElement": [{"@type": "ListItem", "position": i + 1, "url": site_url + card["href"],
                                 "name": card["title"]} for i, card in enumerate(cards)]}
    return render("event_list.html", page_script=PAGE_SCRIPT, site_url=site_url, page_url=url, host=host,
                  events=cards, description=description, structured_data=json_ld(data),
                  og_image=site_url + (host["avatar"] or DEFAULT_OG_IMAGE),
                  feed_href=f"{host['events_href']}.ics")


def _structured(event: Event, *, host: dict, url: str, site_url: str, currency: str) -> dict[str, Any]:
    when = _when(event)
    online = event.where is Where.ONLINE
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "Event", "name": visible_text(event.title), "url": url,
        "description": visible_text(event.summary) or visible_text(event.title),
        "startDate": when["start_iso"], "endDate": when["end_iso"],
        "eventStatus": "https://schema.org/EventCancelled" if event.state is EventState.CANCELLED
        else "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode" if online
        else "https://schema.org/OfflineEventAttendanceMode",
        "location": {"@type": "VirtualLocation", "url": url} if online
        else {"@type": "Place", "name": visible_text(event.location), "address": visible_text(event.location)},
        "organizer": {"@type": "Person", "name": host["name"], "url": site_url + host["page_href"]},
        "maximumAttendeeCapacity": event.capacity,
        "offers": {"@type": "Offer", "price": f"{event.price_cents // 100}.{event.price_cents % 100:02d}",
                   "priceCurrency": currency, "url": url,
                   "availability": "https://schema.org/SoldOut" if event.places_left == 0
                   else "https://schema.org/InStock"},
    }
    if host["avatar"]:
        data["image"] = [site_url + host["avatar"]]
    return data


def render_event(*, page: Any, event: Event, site_url: str, now: int) -> str:
    site_url = site_url.rstrip("/")
    host = _host(page)
    url = f"{site_url}{host['events_href']}/{event.event_id}"
    when = _when(event)
    summary = visible_text(event.summary)[:DESCRIPTION_MAX]
    description = f"{when['date']}, {when['time']} ({when['zone_label']}) with {host['name']}. {summary}".strip()
    view = {
        **_card(event, page.username), "description_html": event.description_html, "capacity": event.capacity,
        "taken": event.taken, "waiting": event.waiting, "paid": event.price_cents > 0,
        "over": event.ends_at <= now, "started": event.starts_at <= now,
        "address": None if event.where is Where.ONLINE else visible_text(event.location),
    }
    return render("event_page.html", page_script=PAGE_SCRIPT, site_url=site_url, page_url=url, host=host,
                  event=view, description=description[:300],
                  structured_data=json_ld(_structured(event, host=host, url=url, site_url=site_url,
                                                      currency=event.currency)),
                  og_image=site_url + (host["avatar"] or DEFAULT_OG_IMAGE))
