"""Routes of Web Push: the VAPID public key browsers subscribe with, and turning call alerts on
and off for one of my browsers (its PushSubscription)."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.guard import cognito_user, principal_of
from chalicelib.api.http import handles_errors, json_response, parse_body
from chalicelib.api.lazy import on_first_use
from chalicelib.clock import now_seconds

service = on_first_use("chalicelib.services.push")

blueprint = Blueprint(__name__)


def _user_id() -> str:
    return principal_of(blueprint.current_request).user_id


@blueprint.route("/push/key", methods=["GET"])
@handles_errors
def push_key():
    return json_response(service.public_key(desk=deps.push_desk()))


@blueprint.route("/me/push-subscriptions", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def subscribe():
    body = parse_body(blueprint.current_request.raw_body, "PushSubscriptionBody")
    answer = service.subscribe(user_id=_user_id(), endpoint=body.endpoint, p256dh=body.keys.p256dh,
                               auth=body.keys.auth, desk=deps.push_desk(), now=now_seconds())
    deps.refresh_presence(_user_id())  # with no tab open, now reachable
    return json_response(answer)


@blueprint.route("/me/push-subscriptions", methods=["DELETE"], authorizer=cognito_user)
@handles_errors
def unsubscribe():
    body = parse_body(blueprint.current_request.raw_body, "PushEndpointBody")
    answer = service.unsubscribe(user_id=_user_id(), endpoint=body.endpoint, desk=deps.push_desk())
    if not answer["subscriptions"]:
        deps.refresh_presence(_user_id())  # with no tab open, offline again
    return json_response(answer)
