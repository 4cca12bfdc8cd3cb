"""Routes of following: follow a Helper (choosing how to hear of their posts and events), change
how, unfollow, my state and the count, my Following list, and the one-click unsubscribe that
emails link to (no sign-in: the link's signed token says who and from whom)."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.guard import cognito_user, principal_of
from chalicelib.api.http import handles_errors, json_response, parse_body
from chalicelib.api.lazy import on_first_use
from chalicelib.clock import now_seconds

service = on_first_use("chalicelib.services.follows")

blueprint = Blueprint(__name__)

# RFC 8058: mail clients POST `List-Unsubscribe=One-Click` as a form; the site's page posts JSON.
UNSUBSCRIBE_BODIES = ["application/x-www-form-urlencoded", "multipart/form-data", "application/json", "text/plain"]


def _user_id() -> str:
    return principal_of(blueprint.current_request).user_id


def _token() -> object:
    return (blueprint.current_request.query_params or {}).get("token")


@blueprint.route("/helpers/{username}/follow", methods=["GET"], authorizer=cognito_user)
@handles_errors
def follow_state(username):
    return json_response(service.follow_state(username=username, user_id=_user_id(), desk=deps.follow_desk()))


@blueprint.route("/helpers/{username}/follow", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def follow(username):
    body = parse_body(blueprint.current_request.raw_body, "FollowBody")
    return json_response(service.follow(username=username, user_id=_user_id(), mode=body.mode,
                                        desk=deps.follow_desk(), now=now_seconds()))


@blueprint.route("/helpers/{username}/follow", methods=["DELETE"], authorizer=cognito_user)
@handles_errors
def unfollow(username):
    return json_response(service.unfollow(username=username, user_id=_user_id(), desk=deps.follow_desk()))


@blueprint.route("/me/following", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_following():
    cursor = (blueprint.current_request.query_params or {}).get("cursor")
    return json_response(service.following(user_id=_user_id(), cursor=cursor, desk=deps.follow_desk()))


@blueprint.route("/follows/unsubscribe", methods=["GET"])
@handles_errors
def unsubscribe_preview():
    """What the email's link page asks to confirm; changes nothing (mail scanners open links)."""
    return json_response(service.unsubscribe_preview(token=_token(), desk=deps.follow_desk()))


@blueprint.route("/follows/unsubscribe", methods=["POST"], content_types=UNSUBSCRIBE_BODIES)
@handles_errors
def unsubscribe():
    """One click: the follow's mode becomes "none" (the body, if any, is not read)."""
    return json_response(service.unsubscribe(token=_token(), desk=deps.follow_desk()))


def send_announcements() -> dict:
    """The scheduled job's body (app.py)."""
    return service.send_announcements(desk=deps.follow_desk(), now=now_seconds())

