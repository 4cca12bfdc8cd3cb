"""PayPal's webhooks: a verified event is handled once (by its id) by the one handler its event
type is registered to. Each capability offers its handlers as a table (`payments.webhook_handlers`,
`payouts.webhook_handlers`, ...) and `deps.webhook_handlers` joins them, so this module depends
on none of them, as a message bus keeps its handlers: one table of event type -> handler."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from chalicelib.adapters.payments import WebhookEventLog
from chalicelib.domain.errors import InvalidInput

Handler = Callable[[dict, int], str]  # (the event's resource, now) -> what was done, for the answer


def joined(*tables: Mapping[str, Handler]) -> dict[str, Handler]:
    """The handlers of several capabilities as one table; an event type claimed twice is a bug."""
    handlers: dict[str, Handler] = {}
    for table in tables:
        twice = handlers.keys() & table.keys()
        if twice:
            raise ValueError(f"PayPal events with two handlers: {sorted(twice)}")
        handlers.update(table)
    return handlers


def handle_webhook(*, event: Any, handlers: Mapping[str, Handler], events: WebhookEventLog, now: int) -> dict:
    """A verified PayPal event: handled once by its id (replays are answered, not redone); an
    event type nobody handles is recorded and answered, so PayPal stops sending it."""
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or \
            not isinstance(event.get("event_type"), str) or not isinstance(event.get("resource"), dict):
        raise InvalidInput("A webhook event has an id, an event_type and a resource.")
    event_id, event_type = event["id"], event["event_type"]
    if events.seen(event_id):
        return {"event_id": event_id, "outcome": "replay ignored"}
    handler = handlers.get(event_type)
    try:
        outcome = handler(event["resource"], now) if handler else "not handled"
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidInput(f"The {event_type} resource is not what PayPal sends: {error}") from None
    events.record(event_id, event_type, now)
    return {"event_id": event_id, "outcome": outcome}
