"""Ops' routes (the flags raised about Helpers, the payout runs) and the entry points of ops' scheduled jobs
(refund review reminders, flagging Helpers who host too many free sessions)."""
from __future__ import annotations

from urllib.parse import unquote

from chalice import Blueprint

from chalicelib import deps
from chalicelib.clock import now_seconds
from chalicelib.api.guard import cognito_user, is_ops, principal_of
from chalicelib.api.http import handles_errors, json_response, parse_body

blueprint = Blueprint(__name__)



def _is_ops() -> bool:
    return is_ops(blueprint.current_request)


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
    caller_is_ops = _is_ops()  # a stranger hears 403 whatever the body
    note = parse_body(request.raw_body, "CloseFlagBody").note if caller_is_ops else None
    flag = ops_watch.close_flag(flag_id=unquote(flag_id), ops_id=principal_of(request).user_id, is_ops=caller_is_ops,
                                note=note, flags=deps.ops_flags(), now=now_seconds(), audit=deps.audit_log())
    return json_response(ops_watch.flag_view(flag))


def _change_standing(change: str, user_id: str, reason: str | None, caller_is_ops: bool):
    from chalicelib.services import standing

    act = standing.disqualify if change == "disqualify" else standing.restore
    return json_response(act(user_id=unquote(user_id), ops_id=principal_of(blueprint.current_request).user_id,
                             is_ops=caller_is_ops, reason=reason, desk=deps.standing_desk(), now=now_seconds()))


@blueprint.route("/ops/people/{user_id}/disqualify", methods=["POST"], authorizer=cognito_user)
@handles_errors
def disqualify_person(user_id):
    """Hides a Helper everywhere, cancels and refunds their open bookings, holds their payouts."""
    caller_is_ops = _is_ops()  # a stranger hears 403 whatever the body
    reason = parse_body(blueprint.current_request.raw_body, "StandingBody").reason if caller_is_ops else None
    return _change_standing("disqualify", user_id, reason, caller_is_ops)


@blueprint.route("/ops/people/{user_id}/restore", methods=["POST"], authorizer=cognito_user)
@handles_errors
def restore_person(user_id):
    caller_is_ops = _is_ops()
    reason = parse_body(blueprint.current_request.raw_body, "StandingBody").reason if caller_is_ops else None
    return _change_standing("restore", user_id, reason, caller_is_ops)


@blueprint.route("/ops/payouts", methods=["GET"], authorizer=cognito_user)
@handles_errors
def ops_payouts():
    from chalicelib.services.payouts import payouts_overview

    return json_response({"runs": payouts_overview(is_ops=_is_ops(), desk=deps.payout_desk(), now=now_seconds())})


# -- scheduled jobs (app.py wires them to their rates) ----------------------------------------

def remind_refund_deadlines() -> list[str]:
    from chalicelib.services.ops_watch import remind_refund_deadlines as remind

    return remind(refunds=deps.refund_requests(), mailer=deps.mailer(), settings=deps.settings(), now=now_seconds())


def flag_free_session_hosts() -> list[str]:
    from chalicelib.services.ops_watch import flag_free_session_hosts as flag

    raised = flag(counts=deps.free_sessions(), flags=deps.ops_flags(), mailer=deps.mailer(),
                  settings=deps.settings(), now=now_seconds())
    return [f.flag_id for f in raised]
