"""Routes of events: the Helper's events (create, edit, cancel, the attendee list and its CSV),
anyone's view of a Helper's events, a person's RSVP (a place, a held paid place with its PayPal
order, or the waitlist) and leaving; and the server-rendered pages `/h/<username>/events`,
`/h/<username>/events/<event_id>` and the Helper's calendar feed `/h/<username>/events.ics`."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.api.guard import cognito_user, principal_of
from chalicelib.api.http import handles_errors, json_response, parse_body
from chalicelib.api.lazy import on_first_use
from chalicelib.clock import now_seconds

service = on_first_use("chalicelib.services.events")

blueprint = Blueprint(__name__)


def _user_id() -> str:
    return principal_of(blueprint.current_request).user_id


def _fields(body) -> dict:
    return body.model_dump(exclude_unset=True)


def _mine(event) -> dict:
    desk = deps.event_desk()
    return {"event": service.event_view(event, page=desk.pages.get(event.helper_id), owner=True)}


def _place(found: dict) -> dict:
    from chalicelib.services.payments import payment_view

    return {**found, "payment": payment_view(found["payment"]) if found.get("payment") else None}


# -- the Helper's events -----------------------------------------------------------------------------------

@blueprint.route("/me/events", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_events():
    past = (blueprint.current_request.query_params or {}).get("past") in ("1", "true")
    desk = deps.event_desk()
    found = service.my_events(helper_id=_user_id(), desk=desk, now=now_seconds(), past=past)
    page = desk.pages.get(_user_id())
    return json_response({"events": [service.event_view(e, page=page, owner=True) for e in found]})


@blueprint.route("/me/events", methods=["POST"], authorizer=cognito_user)
@handles_errors
def create_event():
    body = parse_body(blueprint.current_request.raw_body or b"{}", "EventBody")
    event = service.create_event(helper_id=_user_id(), fields=_fields(body), desk=deps.event_desk(), now=now_seconds())
    return json_response(_mine(event), 201)


@blueprint.route("/me/events/{event_id}", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_event(event_id):
    return json_response(_mine(service.my_event(helper_id=_user_id(), event_id=event_id, desk=deps.event_desk())))


@blueprint.route("/me/events/{event_id}", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def update_event(event_id):
    body = parse_body(blueprint.current_request.raw_body or b"{}", "EventBody")
    event = service.update_event(helper_id=_user_id(), event_id=event_id, fields=_fields(body), desk=deps.event_desk(),
                                 now=now_seconds())
    return json_response(_mine(event))


@blueprint.route("/me/events/{event_id}/cancel", methods=["POST"], authorizer=cognito_user)
@handles_errors
def cancel_event(event_id):
    body = parse_body(blueprint.current_request.raw_body or b"{}", "CancelEventBody")
    event = service.cancel_event(helper_id=_user_id(), event_id=event_id, desk=deps.event_desk(), now=now_seconds(),
                                 reason=body.reason)
    return json_response(_mine(event))


@blueprint.route("/me/events/{event_id}/attendees", methods=["GET"], authorizer=cognito_user)
@handles_errors
def attendees(event_id):
    desk = deps.event_desk()
    event, rows = service.attendees(helper_id=_user_id(), event_id=event_id, desk=desk)
    return json_response({**_mine(event), "attendees": rows})


@blueprint.route("/me/events/{event_id}/attendees.csv", methods=["GET"], authorizer=cognito_user)
@handles_errors
def attendees_csv(event_id):
    event, rows = service.attendees(helper_id=_user_id(), event_id=event_id, desk=deps.event_desk())
    return Response(service.attendees_csv(rows), status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="attendees-{event.event_id}.csv"'})


# -- anyone's view, and a person's place ----------------------------------------------------------------

@blueprint.route("/helpers/{username}/events", methods=["GET"])
@handles_errors
def helper_events(username):
    page, found = service.public_events(username=username, desk=deps.event_desk(), now=now_seconds())
    return json_response({"events": [service.event_view(e, page=page) for e in found]})


@blueprint.route("/events/{event_id}", methods=["GET"])
@handles_errors
def get_event(event_id):
    desk = deps.event_desk()
    event = service.get_event(event_id=event_id, desk=desk)
    return json_response({"event": service.event_view(event, page=desk.pages.get(event.helper_id))})


@blueprint.route("/events/{event_id}/me", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_place(event_id):
    return json_response(_place(service.my_place(event_id=event_id, user_id=_user_id(), desk=deps.event_desk(),
                                                 now=now_seconds())))


@blueprint.route("/events/{event_id}/rsvp", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def rsvp(event_id):
    body = parse_body(blueprint.current_request.raw_body or b"{}", "RsvpBody")
    desk, now, user_id = deps.event_desk(), now_seconds(), _user_id()
    _, _, payment = service.rsvp(event_id=event_id, user_id=user_id, zone=body.zone, desk=desk, now=now)
    found = service.my_place(event_id=event_id, user_id=user_id, desk=desk, now=now)
    return json_response(_place({**found, "payment": payment or found["payment"]}))


@blueprint.route("/events/{event_id}/rsvp", methods=["DELETE"], authorizer=cognito_user)
@handles_errors
def leave(event_id):
    desk, now, user_id = deps.event_desk(), now_seconds(), _user_id()
    service.leave(event_id=event_id, user_id=user_id, desk=desk, now=now)
    return json_response(_place(service.my_place(event_id=event_id, user_id=user_id, desk=desk, now=now)))


def run_event_jobs() -> int:
    """The scheduled job's body (app.py)."""
    return service.run_event_jobs(desk=deps.event_desk(), now=now_seconds())


# -- the pages -----------------------------------------------------------------------------------------------

PUBLIC_PAGE_CACHE = "public, max-age=30"
HTML_HEADERS = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": PUBLIC_PAGE_CACHE}


def _html(body: str, status: int = 200) -> Response:
    return Response(body, status_code=status, headers=HTML_HEADERS)


def _not_found(username: str) -> Response:
    from chalicelib.api.page_html import render_not_found

    return _html(render_not_found(username, deps.settings().site_url), 404)


def _moved(location: str) -> Response:
    return Response("", status_code=301, headers={"Location": location, "Cache-Control": PUBLIC_PAGE_CACHE})


@blueprint.route("/h/{username}/events", methods=["GET"])
def events_page(username):
    """A Helper's upcoming events as HTML; an old or differently-cased username moves."""
    from chalicelib.api.events_html import render_events
    from chalicelib.domain.errors import DomainError

    try:
        page, found = service.public_events(username=username, desk=deps.event_desk(), now=now_seconds())
    except DomainError:
        return _not_found(username)
    if page.username != username:
        return _moved(f"/h/{page.username}/events")
    return _html(render_events(page=page, events=found, site_url=deps.settings().site_url))


@blueprint.route("/h/{username}/events/{event_id}", methods=["GET"])
def event_page(username, event_id):
    from chalicelib.api.events_html import render_event
    from chalicelib.domain.errors import DomainError

    try:
        page, event = service.public_event(username=username, event_id=event_id, desk=deps.event_desk())
    except DomainError:
        return _not_found(username)
    if page.username != username:
        return _moved(f"/h/{page.username}/events/{event.event_id}")
    return _html(render_event(page=page, event=event, site_url=deps.settings().site_url, now=now_seconds()))


@blueprint.route("/h/{username}/events.ics", methods=["GET"])
@handles_errors
def events_feed(username):
    """The Helper's public events as a calendar to subscribe to (no online links in it)."""
    body = service.calendar_feed(username=username, desk=deps.event_desk(), now=now_seconds())
    return Response(body.decode(), status_code=200, headers={
        "Content-Type": "text/calendar; charset=utf-8", "Cache-Control": PUBLIC_PAGE_CACHE,
        "Content-Disposition": 'inline; filename="events.ics"', "X-Content-Type-Options": "nosniff"})
