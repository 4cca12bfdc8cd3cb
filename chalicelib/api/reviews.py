"""Routes for rating a session, a Helper's reviews, the Helper's reply, reports and moderation."""
from __future__ import annotations

import time

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.guard import cognito_user, is_ops, principal_of
from chalicelib.api.http import handles_errors, json_response, limit_param, parse_body
from chalicelib.api.lazy import on_first_use
from chalicelib.domain.errors import Forbidden

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


@blueprint.route("/reviews/{review_id}/reports", methods=["POST"], authorizer=cognito_user)
@handles_errors
def report_review(review_id):
    request = blueprint.current_request
    body = parse_body(request.raw_body, "ReportBody")
    report, created = service.report_review(review_id=review_id, user_id=principal_of(request).user_id,
                                            reason=body.reason, text=body.text, now=int(time.time()),
                                            desk=deps.review_desk())
    return json_response(report, 201 if created else 200)


def _ops_only(request) -> str:
    if not is_ops(request):
        raise Forbidden("Only ops can moderate reviews.")
    return principal_of(request).user_id


@blueprint.route("/ops/reviews/reports", methods=["GET"], authorizer=cognito_user)
@handles_errors
def moderation_queue():
    request = blueprint.current_request
    _ops_only(request)
    return json_response(service.moderation_queue(limit=limit_param(request, 20),
                                                  cursor=(request.query_params or {}).get("cursor"),
                                                  desk=deps.review_desk()))


@blueprint.route("/ops/reviews/{review_id}/decision", methods=["POST"], authorizer=cognito_user)
@handles_errors
def decide_review(review_id):
    request = blueprint.current_request
    ops_id = _ops_only(request)
    body = parse_body(request.raw_body, "ModerationBody")
    return json_response(service.decide_review(review_id=review_id, ops_id=ops_id, decision=body.decision,
                                               note=body.note, now=int(time.time()), desk=deps.review_desk()))


def send_review_reminders() -> int:
    """The scheduled job's body (app.py)."""
    return service.send_reminders(now=int(time.time()), desk=deps.review_desk(), reminders=deps.review_reminders())
