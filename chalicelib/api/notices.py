"""Routes of the notification centre: my notifications and marking them read, my preferences per
category and channel, and the one-click unsubscribe that notice emails carry (no sign-in: the
link's signed token says whose and which category)."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.guard import cognito_user, principal_of
from chalicelib.api.http import handles_errors, json_response, parse_body
from chalicelib.api.lazy import on_first_use

service = on_first_use("chalicelib.services.notices")

blueprint = Blueprint(__name__)

# RFC 8058: mail clients POST `List-Unsubscribe=One-Click` as a form; the site's page posts JSON.
UNSUBSCRIBE_BODIES = ["application/x-www-form-urlencoded", "multipart/form-data", "application/json", "text/plain"]


def _user_id() -> str:
    return principal_of(blueprint.current_request).user_id


def _query(name: str) -> object:
    return (blueprint.current_request.query_params or {}).get(name)


@blueprint.route("/me/notifications", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_notifications():
    return json_response(service.notifications(user_id=_user_id(), cursor=_query("cursor"), desk=deps.notice_desk()))


@blueprint.route("/me/notifications/read", methods=["POST"], authorizer=cognito_user)
@handles_errors
def mark_read():
    """All read; the body (`{}`), if any, is not read."""
    return json_response(service.mark_all_read(user_id=_user_id(), desk=deps.notice_desk()))


@blueprint.route("/me/notification-preferences", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_preferences():
    return json_response(service.preferences(user_id=_user_id(), desk=deps.notice_desk()))


@blueprint.route("/me/notification-preferences", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def change_preferences():
    body = parse_body(blueprint.current_request.raw_body, "NotificationPreferencesBody")
    change = {name: channels.model_dump(exclude_none=True) for name, channels in body.categories.items()}
    return json_response(service.set_preferences(user_id=_user_id(), categories=change, desk=deps.notice_desk()))


@blueprint.route("/notifications/unsubscribe", methods=["GET"])
@handles_errors
def unsubscribe_preview():
    """What the email's link page asks to confirm; changes nothing (mail scanners open links)."""
    return json_response(service.unsubscribe_preview(token=_query("token"), desk=deps.notice_desk()))


@blueprint.route("/notifications/unsubscribe", methods=["POST"], content_types=UNSUBSCRIBE_BODIES)
@handles_errors
def unsubscribe():
    """One click: that category's emails are off (the body, if any, is not read)."""
    return json_response(service.unsubscribe(token=_query("token"), desk=deps.notice_desk()))
