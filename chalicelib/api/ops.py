"""Ops' routes (the flags raised about Helpers, the payout runs) and the entry points of ops' scheduled jobs
(refund review reminders, flagging Helpers who host too many free sessions)."""
from __future__ import annotations

import json
import time
from urllib.parse import unquote

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.guard import cognito_user, principal_of
from chalicelib.api.http import handles_errors, json_response
from chalicelib.domain.errors import InvalidInput

blueprint = Blueprint(__name__)


def _now() -> int:
    return int(time.time())


def _is_ops() -> bool:
    return deps.settings().ops_group in principal_of(blueprint.current_request).groups


def _note(raw_body: bytes | None) -> object:
    """The `note` of a JSON body `{"note": "..."}` (the service checks the text itself)."""
    try:
        data = json.loads(raw_body or b"")
    except ValueError:
        raise InvalidInput("The request body must be JSON.") from None
    if not isinstance(data, dict):
        raise InvalidInput('The request body must be a JSON object: {"note": "..."}.')
    return data.get("note")


@blueprint.route("/ops/flags", methods=["GET"], authorizer=cognito_user)
@handles_errors
def ops_flags():
    from chalicelib.services import ops_watch

    flags = ops_watch.open_flags(is_ops=_is_ops(), flags=deps.ops_flags())
    accounts = deps.account_store()
    profiles = {helper_id: accounts.get(helper_id) for helper_id in {f.helper_id for f in flags}}
    return json_response({"flags": [{**ops_watch.flag_view(f),
                                      "username": getattr(profiles[f.helper_id], "username", None)}
                                     for f in flags]})


@blueprint.route("/ops/flags/{flag_id}/close", methods=["POST"], authorizer=cognito_user)
@handles_errors
def close_ops_flag(flag_id):
    from chalicelib.services import ops_watch

    request = blueprint.current_request
    is_ops = _is_ops()
    flag = ops_watch.close_flag(flag_id=unquote(flag_id), ops_id=principal_of(request).user_id, is_ops=is_ops,
                                note=_note(request.raw_body) if is_ops else None, flags=deps.ops_flags(),
                                now=_now())
    return json_response(ops_watch.flag_view(flag))


@blueprint.route("/ops/payouts", methods=["GET"], authorizer=cognito_user)
@handles_errors
def ops_payouts():
    from chalicelib.services.payouts import payouts_overview

    return json_response({"runs": payouts_overview(is_ops=_is_ops(), desk=deps.payout_desk(), now=_now())})


# -- scheduled jobs (app.py wires them to their rates) ----------------------------------------

def remind_refund_deadlines() -> list[str]:
    from chalicelib.services.ops_watch import remind_refund_deadlines as remind

    return remind(refunds=deps.refund_requests(), mailer=deps.mailer(), settings=deps.settings(), now=_now())


def flag_free_session_hosts() -> list[str]:
    from chalicelib.services.ops_watch import flag_free_session_hosts as flag

    raised = flag(counts=deps.free_sessions(), flags=deps.ops_flags(), mailer=deps.mailer(),
                  settings=deps.settings(), now=_now())
    return [f.flag_id for f in raised]
