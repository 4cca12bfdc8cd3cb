"""Routes of appointments: a Helper's booking rules and calendar feed, the free slots anyone can
see, booking, a person's bookings, and what each party may do with one (confirm, reschedule,
cancel with the fee shown first, mark a no-show)."""
from __future__ import annotations


from chalice import Blueprint

from chalicelib import deps
from chalicelib.clock import now_seconds
from chalicelib.api.guard import cognito_user, principal_of
from chalicelib.api.http import handles_errors, json_response, limit_param, parse_body
from chalicelib.api.lazy import on_first_use

service = on_first_use("chalicelib.services.bookings")

blueprint = Blueprint(__name__)



def _user_id() -> str:
    return principal_of(blueprint.current_request).user_id


def _params() -> dict:
    return blueprint.current_request.query_params or {}


def _rules(found, *, feed_url: str | None = None) -> dict:
    return {"rules": service.rules_view(found), "feed_url": feed_url}


def _feed_url(found) -> str | None:
    if found.feed_token is None:
        return None
    return f"{deps.settings().site_url.rstrip('/')}/api/calendar/{found.feed_token}.ics"


def _booking(booking) -> dict:
    return {"booking": service.booking_view(booking, viewer_id=_user_id(), desk=deps.booking_desk(), now=now_seconds())}


def _whole(name: str, default: int | None = None) -> int | None:
    from chalicelib.domain.errors import InvalidInput

    raw = _params().get(name)
    if raw is None:
        return default
    if not raw.isdigit() or len(raw) > 4:
        raise InvalidInput(f"{name} is a whole number.", field=name)
    return int(raw)


# -- the Helper's rules ------------------------------------------------------------------------------

@blueprint.route("/me/booking-rules", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_booking_rules():
    helper_id = _user_id()
    desk = deps.booking_desk()
    if desk.pages.get(helper_id) is None:
        from chalicelib.domain.errors import NotFound

        raise NotFound("Create your Helper page before taking bookings.")
    return json_response(_rules(service.rules_of(helper_id, desk)))


@blueprint.route("/me/booking-rules", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def set_booking_rules():
    body = parse_body(blueprint.current_request.raw_body, "BookingRulesBody")
    saved = service.save_rules(helper_id=_user_id(), raw=body.model_dump(exclude_unset=True),
                               desk=deps.booking_desk(), now=now_seconds())
    return json_response(_rules(saved))


@blueprint.route("/me/booking-rules/feed", methods=["POST"], authorizer=cognito_user)
@handles_errors
def renew_feed():
    saved = service.renew_feed(helper_id=_user_id(), desk=deps.booking_desk(), now=now_seconds())
    return json_response(_rules(saved, feed_url=_feed_url(saved)))


@blueprint.route("/me/booking-rules/feed", methods=["DELETE"], authorizer=cognito_user)
@handles_errors
def close_feed():
    saved = service.renew_feed(helper_id=_user_id(), desk=deps.booking_desk(), now=now_seconds(), revoke=True)
    return json_response(_rules(saved))


# -- anyone: the free slots ------------------------------------------------------------------------------

@blueprint.route("/helpers/{username}/slots", methods=["GET"])
@handles_errors
def slots(username):
    params = _params()
    return json_response(service.availability(username=username, length=_whole("length", 0),
                                              zone=params.get("zone", "UTC"), days=_whole("days"), now=now_seconds(),
                                              desk=deps.booking_desk()))


# -- booking and after ---------------------------------------------------------------------------------

@blueprint.route("/bookings", methods=["POST"], authorizer=cognito_user)
@handles_errors
def book():
    from chalicelib.services.payments import payment_view

    body = parse_body(blueprint.current_request.raw_body, "BookBody")
    booking, payment = service.book(customer_id=_user_id(), username=body.helper, length=body.length,
                                    start=body.start, zone=body.zone, note=body.note, desk=deps.booking_desk(),
                                    now=now_seconds())
    return json_response({**_booking(booking), "payment": payment_view(payment) if payment else None}, 201)


@blueprint.route("/me/bookings", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_bookings():
    from chalicelib.domain.errors import InvalidInput

    params, user_id, desk = _params(), _user_id(), deps.booking_desk()
    role, when = params.get("role", "customer"), params.get("when", "upcoming")
    if role not in ("customer", "helper"):
        raise InvalidInput("role is customer or helper.", field="role")
    if when not in ("upcoming", "past"):
        raise InvalidInput("when is upcoming or past.", field="when")
    limit = limit_param(blueprint.current_request, 20)
    if not 1 <= limit <= 100:
        raise InvalidInput("limit is from 1 to 100.", field="limit")
    scope = f"bookings:{user_id}:{role}:{when}"
    listing = desk.bookings.for_helper if role == "helper" else desk.bookings.for_customer
    now = now_seconds()
    found, after = listing(user_id, upcoming=when == "upcoming", now=now, limit=limit,
                           after=deps.cursor_seal().open(params.get("cursor"), scope=scope))
    return json_response({"bookings": [service.booking_view(b, viewer_id=user_id, desk=desk, now=now) for b in found],
                          "next_cursor": deps.cursor_seal().seal(after, scope=scope)})


@blueprint.route("/bookings/{booking_id}", methods=["GET"], authorizer=cognito_user)
@handles_errors
def get_booking(booking_id):
    return json_response({"booking": service.get_booking(booking_id=booking_id, user_id=_user_id(),
                                                         desk=deps.booking_desk(), now=now_seconds())})


@blueprint.route("/bookings/{booking_id}/cancel-quote", methods=["GET"], authorizer=cognito_user)
@handles_errors
def cancel_quote(booking_id):
    return json_response(service.quote_cancel(booking_id=booking_id, user_id=_user_id(), desk=deps.booking_desk(),
                                              now=now_seconds()))


@blueprint.route("/bookings/{booking_id}/cancel", methods=["POST"], authorizer=cognito_user)
@handles_errors
def cancel(booking_id):
    raw = blueprint.current_request.raw_body
    body = parse_body(raw, "CancelBody") if raw else None
    return json_response(_booking(service.cancel(booking_id=booking_id, user_id=_user_id(), desk=deps.booking_desk(),
                                                 now=now_seconds(), reason=body.reason if body else None)))


@blueprint.route("/bookings/{booking_id}/reschedule", methods=["POST"], authorizer=cognito_user)
@handles_errors
def reschedule(booking_id):
    body = parse_body(blueprint.current_request.raw_body, "RescheduleBody")
    return json_response(_booking(service.reschedule(booking_id=booking_id, user_id=_user_id(), start=body.start,
                                                     desk=deps.booking_desk(), now=now_seconds())))


@blueprint.route("/bookings/{booking_id}/confirm", methods=["POST"], authorizer=cognito_user)
@handles_errors
def confirm(booking_id):
    return json_response(_booking(service.confirm(booking_id=booking_id, helper_id=_user_id(),
                                                  desk=deps.booking_desk(), now=now_seconds())))


@blueprint.route("/bookings/{booking_id}/no-show", methods=["POST"], authorizer=cognito_user)
@handles_errors
def no_show(booking_id):
    return json_response(_booking(service.mark_no_show(booking_id=booking_id, helper_id=_user_id(),
                                                       desk=deps.booking_desk(), now=now_seconds())))


@blueprint.route("/calendar/{name}", methods=["GET"])
@handles_errors
def calendar_feed(name):
    """The private feed a calendar app subscribes to (`<token>.ics`)."""
    from chalice import Response

    from chalicelib.domain.errors import NotFound

    if not name.endswith(".ics"):
        raise NotFound("No such calendar.")
    body = service.calendar_feed(token=name[:-len(".ics")], desk=deps.booking_desk(), now=now_seconds())
    return Response(body.decode(), status_code=200, headers={
        "Content-Type": "text/calendar; charset=utf-8", "Cache-Control": "private, no-store",
        "Content-Disposition": 'inline; filename="bookings.ics"', "X-Content-Type-Options": "nosniff"})


# -- "Notify me" ------------------------------------------------------------------------------------

waiting = on_first_use("chalicelib.services.waiting")


@blueprint.route("/helpers/{username}/notify-me", methods=["GET"], authorizer=cognito_user)
@handles_errors
def notify_me_status(username):
    return json_response(waiting.is_waiting(username=username, user_id=_user_id(), desk=deps.waiting_desk()))


@blueprint.route("/helpers/{username}/notify-me", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def notify_me(username):
    return json_response(waiting.wait_for(username=username, user_id=_user_id(), desk=deps.waiting_desk(),
                                          now=now_seconds()))


@blueprint.route("/helpers/{username}/notify-me", methods=["DELETE"], authorizer=cognito_user)
@handles_errors
def stop_notifying(username):
    return json_response(waiting.stop_waiting(username=username, user_id=_user_id(), desk=deps.waiting_desk()))


@blueprint.route("/me/waiting", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_waiting():
    return json_response(waiting.waiting_count(helper_id=_user_id(), desk=deps.waiting_desk()))


def run_booking_jobs() -> int:
    """Called by the scheduled function (app.py)."""
    return service.run_due(desk=deps.booking_desk(), now=now_seconds())
