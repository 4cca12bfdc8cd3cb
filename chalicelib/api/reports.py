"""Routes for reporting a review, post, product or event, and ops' one moderation queue."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.guard import cognito_user, is_ops, principal_of
from chalicelib.api.http import handles_errors, json_response, limit_param, parse_body
from chalicelib.api.lazy import on_first_use
from chalicelib.clock import now_seconds
from chalicelib.domain.errors import Forbidden

service = on_first_use("chalicelib.services.moderation")

blueprint = Blueprint(__name__)


@blueprint.route("/reports", methods=["POST"], authorizer=cognito_user)
@handles_errors
def file_report():
    request = blueprint.current_request
    body = parse_body(request.raw_body, "ReportBody")
    return json_response(service.file_report(kind=body.kind, subject_id=body.id, reason=body.reason, note=body.note,
                                             user_id=principal_of(request).user_id, now=now_seconds(),
                                             desk=deps.moderation_desk()), 201)


def _ops_only() -> str:
    request = blueprint.current_request
    if not is_ops(request):
        raise Forbidden("Only ops can moderate.")
    return principal_of(request).user_id


@blueprint.route("/ops/moderation", methods=["GET"], authorizer=cognito_user)
@handles_errors
def moderation_queue():
    _ops_only()
    request = blueprint.current_request
    return json_response(service.queue(limit=limit_param(request, 20),
                                       cursor=(request.query_params or {}).get("cursor"), now=now_seconds(),
                                       desk=deps.moderation_desk()))


@blueprint.route("/ops/moderation/decision", methods=["POST"], authorizer=cognito_user)
@handles_errors
def decide():
    ops_id = _ops_only()
    body = parse_body(blueprint.current_request.raw_body, "ModerationBody")
    return json_response(service.decide(kind=body.kind, subject_id=body.id, decision=body.decision, note=body.note,
                                        ops_id=ops_id, now=now_seconds(), desk=deps.moderation_desk()))
