"""The ops console's routes: the dashboard, finding people, a person's history, and the audit log
(its pages and its CSV export). Ops only: a stranger hears 403, an anonymous caller 401."""
from __future__ import annotations

from urllib.parse import unquote

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.api.guard import cognito_user, is_ops
from chalicelib.api.http import handles_errors, json_response
from chalicelib.api.lazy import on_first_use
from chalicelib.clock import now_seconds

console = on_first_use("chalicelib.services.ops_console")

blueprint = Blueprint(__name__)


def _is_ops() -> bool:
    return is_ops(blueprint.current_request)


def _query(name: str) -> str | None:
    return (blueprint.current_request.query_params or {}).get(name)


@blueprint.route("/ops/dashboard", methods=["GET"], authorizer=cognito_user)
@handles_errors
def ops_dashboard():
    return json_response(console.dashboard(is_ops=_is_ops(), desk=deps.ops_console_desk(), now=now_seconds()))


@blueprint.route("/ops/people", methods=["GET"], authorizer=cognito_user)
@handles_errors
def ops_find_people():
    people = console.find_people(is_ops=_is_ops(), query=_query("q"), desk=deps.ops_console_desk())
    return json_response({"people": people})


@blueprint.route("/ops/people/{user_id}", methods=["GET"], authorizer=cognito_user)
@handles_errors
def ops_person(user_id):
    return json_response(console.person(is_ops=_is_ops(), user_id=unquote(user_id), desk=deps.ops_console_desk()))


@blueprint.route("/ops/audit", methods=["GET"], authorizer=cognito_user)
@handles_errors
def ops_audit():
    return json_response(console.audit_page(is_ops=_is_ops(), cursor=_query("cursor"), desk=deps.ops_console_desk()))


@blueprint.route("/ops/audit.csv", methods=["GET"], authorizer=cognito_user)
@handles_errors
def ops_audit_csv():
    text = console.audit_csv(is_ops=_is_ops(), desk=deps.ops_console_desk())
    return Response(text, status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
        "Content-Disposition": 'attachment; filename="interkanect-ops-audit.csv"'})
