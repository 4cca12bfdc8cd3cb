"""REST routes for a helper's earnings: balances, the next payout, payouts, the ledger history
page by page, and the whole history as a CSV file."""
from __future__ import annotations

import time

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.api.guard import cognito_user, principal_of
from chalicelib.api.http import handles_errors, json_response, limit_param

blueprint = Blueprint(__name__)


def _user_id() -> str:
    return principal_of(blueprint.current_request).user_id


@blueprint.route("/me/earnings", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_earnings():
    from chalicelib.services.earnings import earnings_view

    request = blueprint.current_request
    user_id = _user_id()
    storefront = deps.storefronts().get(user_id)
    return json_response(earnings_view(
        helper_id=user_id, ledger=deps.ledger(), items=deps.payout_items(), schedule=deps.payout_schedule(),
        currency=deps.settings().currency, now=int(time.time()), cursors=deps.cursor_seal(),
        payout_email=storefront.paypal_email if storefront else None,
        before=(request.query_params or {}).get("before"), limit=limit_param(request, 50),
        refunds=deps.refund_requests().for_helper(user_id)))


@blueprint.route("/me/earnings/csv", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_earnings_csv():
    from chalicelib.services.earnings import earnings_csv

    text = earnings_csv(helper_id=_user_id(), ledger=deps.ledger(), currency=deps.settings().currency)
    return Response(text, status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store",
        "Content-Disposition": 'attachment; filename="interkanect-earnings.csv"'})


def payout_job() -> dict:
    """The scheduled payout job (see app.run_payouts)."""
    from chalicelib.observability import logger
    from chalicelib.services.payouts import run_payouts

    outcome = run_payouts(desk=deps.payout_desk(), now=int(time.time()))
    logger().info("payout job", extra=outcome)
    return outcome
