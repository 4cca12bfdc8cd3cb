"""Routes of the Helper's page as a home for followers: polls (posts, follows and events join
here as they are built)."""
from __future__ import annotations


from chalice import Blueprint

from chalicelib import deps
from chalicelib.clock import now_seconds
from chalicelib.api.guard import cognito_user, principal_of
from chalicelib.api.http import handles_errors, json_response, parse_body
from chalicelib.api.lazy import on_first_use
from chalicelib.observability import logger

polls = on_first_use("chalicelib.services.polls")
poll_live = on_first_use("chalicelib.services.poll_live")

blueprint = Blueprint(__name__)
POLLS_SHOWN = 20



def _user_id() -> str:
    return principal_of(blueprint.current_request).user_id


def _helper_id(username: str) -> str:
    return deps.helper_id_named(username)


def _tell_watchers(poll, *, voted: bool) -> None:
    """The poll's watchers get its counts (a vote: at most once a second; a close: now). A send
    that fails is logged: the vote or the close stands, the page catches up on its next read."""
    try:
        if voted:
            poll_live.after_vote(poll, live=deps.live_polls())
        else:
            poll_live.send_results(poll, live=deps.live_polls())
    except Exception:  # noqa: BLE001 - the live view must never undo a vote
        logger().exception("poll results not sent live", extra={"poll_id": poll.poll_id})


def _view(poll, viewer_id: str | None) -> dict:
    return polls.poll_view(poll, viewer_id=viewer_id, desk=deps.poll_desk(), now=now_seconds())


@blueprint.route("/me/polls", methods=["POST"], authorizer=cognito_user)
@handles_errors
def ask():
    body = parse_body(blueprint.current_request.raw_body, "PollBody")
    poll = polls.create_poll(helper_id=_user_id(), fields=body.model_dump(exclude_none=True), desk=deps.poll_desk(),
                             now=now_seconds())
    return json_response({"poll": _view(poll, _user_id())}, 201)


@blueprint.route("/me/polls/{poll_id}/close", methods=["POST"], authorizer=cognito_user)
@handles_errors
def close(poll_id):
    poll = polls.close_poll(helper_id=_user_id(), poll_id=poll_id, desk=deps.poll_desk(), now=now_seconds())
    _tell_watchers(poll, voted=False)
    return json_response({"poll": _view(poll, _user_id())})


@blueprint.route("/me/polls", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_polls():
    found = deps.poll_desk().polls.for_helper(_user_id(), limit=POLLS_SHOWN)
    return json_response({"polls": [_view(poll, _user_id()) for poll in found]})


@blueprint.route("/helpers/{username}/polls", methods=["GET"])
@handles_errors
def helper_polls(username):
    found = deps.poll_desk().polls.for_helper(_helper_id(username), limit=POLLS_SHOWN)
    return json_response({"polls": [_view(poll, None) for poll in found]})


@blueprint.route("/helpers/{username}/polls/{poll_id}/vote", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_view(username, poll_id):
    poll = polls.find_poll(helper_id=_helper_id(username), poll_id=poll_id, desk=deps.poll_desk())
    return json_response({"poll": _view(poll, _user_id())})


@blueprint.route("/helpers/{username}/polls/{poll_id}/vote", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def vote(username, poll_id):
    body = parse_body(blueprint.current_request.raw_body, "VoteBody")
    poll = polls.cast_vote(helper_id=_helper_id(username), poll_id=poll_id, user_id=_user_id(), option=body.option,
                           desk=deps.poll_desk(), now=now_seconds())
    view = _view(poll, _user_id())
    _tell_watchers(poll, voted=True)
    return json_response({"poll": view})
