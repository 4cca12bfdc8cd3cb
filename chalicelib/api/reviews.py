"""Routes for rating a session, a Helper's reviews and the Helper's reply (reports: api/reports.py)."""
from __future__ import annotations

import time

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.guard import cognito_user, principal_of
from chalicelib.api.http import handles_errors, json_response, limit_param, parse_body
from chalicelib.api.lazy import on_first_use

service = on_first_use("chalicelib.services.reviews")

blueprint = Blueprint(__name__)


@blueprint.route("/calls/{call_id}/review", methods=["GET"], authorizer=cognito_user)
@handles_errors
def review_for_call(call_id):
    return json_response(service.review_for_call(call_id=call_id, user_id=principal_of(blueprint.current_request).user_id,
                                                 now=int(time.time()), desk=deps.review_desk()))


@blueprint.route("/calls/{call_id}/review", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def rate_session(call_id):
    request = blueprint.current_request
    body = parse_body(request.raw_body, "ReviewBody")
    review, created = service.rate_session(call_id=call_id, user_id=principal_of(request).user_id, stars=body.stars,
                                           text=body.text, now=int(time.time()), desk=deps.review_desk())
    return json_response({"review": review}, 201 if created else 200)


@blueprint.route("/me/reviews", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_reviews():
    return json_response(service.my_reviews(user_id=principal_of(blueprint.current_request).user_id,
                                            desk=deps.review_desk()))


@blueprint.route("/helpers/{username}/reviews", methods=["GET"])
@handles_errors
def helper_reviews(username):
    request = blueprint.current_request
    params = request.query_params or {}
    return json_response(service.helper_reviews(username=username, sort=params.get("sort", "newest"),
                                                limit=limit_param(request, 10), cursor=params.get("cursor"),
                                                desk=deps.review_desk()))


@blueprint.route("/reviews/{review_id}/reply", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def reply_to_review(review_id):
    request = blueprint.current_request
    body = parse_body(request.raw_body, "ReplyBody")
    review, created = service.reply_to_review(review_id=review_id, user_id=principal_of(request).user_id,
                                              text=body.text, now=int(time.time()), desk=deps.review_desk())
    return json_response({"review": review}, 201 if created else 200)


def send_review_reminders() -> int:
    """The scheduled job's body (app.py)."""
    return service.send_reminders(now=int(time.time()), desk=deps.review_desk(), reminders=deps.review_reminders())
