"""REST routes for money: a Helper's storefront and plan, paying for calls and tips, the payer's
return from PayPal, refunds and the ops queue, and PayPal's webhook."""
from __future__ import annotations


from chalice import Blueprint

from chalicelib import deps
from chalicelib.clock import now_seconds
from chalicelib.api.guard import cognito_user, is_ops, principal_of
from chalicelib.api.http import handles_errors, json_response, parse_body
from chalicelib.api.lazy import on_first_use
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.observability import logger

books = on_first_use("chalicelib.domain.ledger")

blueprint = Blueprint(__name__)



def _user_id() -> str:
    return principal_of(blueprint.current_request).user_id


def _is_ops() -> bool:
    return is_ops(blueprint.current_request)


# -- storefront, plan, balance ---------------------------------------------------------------

@blueprint.route("/me/storefront", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_storefront():
    storefront = deps.storefronts().get(_user_id())
    if storefront is None:  # not an error: most people have none (and a 404 would log in browsers)
        return json_response({"paypal_email": None, "name": None, "updated_at": None})
    return json_response({"paypal_email": storefront.paypal_email, "name": storefront.name,
                          "updated_at": storefront.updated_at})


@blueprint.route("/me/storefront", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def save_my_storefront():
    from chalicelib.services.helper_pages import payouts_set_up
    from chalicelib.services.payments import save_storefront

    body = parse_body(blueprint.current_request.raw_body, "StorefrontBody")
    storefront = save_storefront(user_id=_user_id(), paypal_email=body.paypal_email, name=body.name,
                                 desk=deps.payment_desk(), now=now_seconds())
    payouts_set_up(user_id=_user_id(), pages=deps.helper_pages(), directory=deps.directory())
    return json_response({"paypal_email": storefront.paypal_email, "name": storefront.name,
                          "updated_at": storefront.updated_at})


@blueprint.route("/me/plan", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_plan():
    from chalicelib.services.payments import plan_view

    return json_response(plan_view(user_id=_user_id(), desk=deps.payment_desk(), now=now_seconds()))


@blueprint.route("/me/plan/upgrade", methods=["POST"], authorizer=cognito_user)
@handles_errors
def upgrade_my_plan():
    from chalicelib.services.payments import buy_upgrade, payment_view

    payment = buy_upgrade(user_id=_user_id(), desk=deps.payment_desk(), now=now_seconds())
    return json_response(payment_view(payment), status_code=201)


@blueprint.route("/me/balance", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_balance():
    user_id = _user_id()
    pending, payable = books.helper_pending(user_id), books.helper_payable(user_id)
    balances = deps.ledger().balances([pending, payable])
    return json_response({"pending_cents": balances[pending].credit_balance,
                          "payable_cents": balances[payable].credit_balance,
                          "currency": deps.settings().currency})


# -- paying ----------------------------------------------------------------------------------

@blueprint.route("/calls/{call_id}/payment", methods=["POST"], authorizer=cognito_user)
@handles_errors
def pay_for_call(call_id):
    from chalicelib.services import payments

    payment = payments.pay_for_call(call_id=call_id, payer_id=_user_id(), desk=deps.payment_desk(), now=now_seconds())
    return json_response(payments.payment_view(payment), status_code=201)


@blueprint.route("/calls/{call_id}/tips", methods=["POST"], authorizer=cognito_user)
@handles_errors
def tip_in_call(call_id):
    from chalicelib.services import payments

    body = parse_body(blueprint.current_request.raw_body, "TipBody")
    payment = payments.tip(call_id=call_id, payer_id=_user_id(), amount_cents=body.amount_cents,
                           desk=deps.payment_desk(), now=now_seconds())
    return json_response(payments.payment_view(payment), status_code=201)


@blueprint.route("/payments", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_payments():
    from chalicelib.services.payments import payment_view
    from chalicelib.services.refunds import refundable_until

    desk = deps.payment_desk()
    return json_response({"payments": [{**payment_view(p), "refundable_until": refundable_until(p, desk)}
                                       for p in desk.payments.for_payer(_user_id())]})


@blueprint.route("/payments/{payment_id}", methods=["GET"], authorizer=cognito_user)
@handles_errors
def one_payment(payment_id):
    from chalicelib.services.payments import payment_view

    payment = deps.payment_store().get(payment_id)
    if payment is None or _user_id() not in (payment.payer_id, payment.helper_id):
        raise NotFound("No such payment.")
    return json_response(payment_view(payment))


@blueprint.route("/payments/{payment_id}/complete", methods=["POST"], authorizer=cognito_user)
@handles_errors
def complete_payment(payment_id):
    from chalicelib.services import payments

    payment = payments.complete_payment(payment_id=payment_id, user_id=_user_id(), desk=deps.payment_desk(),
                                        now=now_seconds())
    return json_response(payments.payment_view(payment))


@blueprint.route("/payments/{payment_id}/cancel", methods=["POST"], authorizer=cognito_user)
@handles_errors
def cancel_payment(payment_id):
    from chalicelib.services import payments

    payment = payments.cancel_payment(payment_id=payment_id, user_id=_user_id(), desk=deps.payment_desk(),
                                      now=now_seconds())
    return json_response(payments.payment_view(payment))


# -- refunds ---------------------------------------------------------------------------------

@blueprint.route("/refunds", methods=["POST"], authorizer=cognito_user)
@handles_errors
def ask_for_refund():
    from chalicelib.services import refunds

    body = parse_body(blueprint.current_request.raw_body, "RefundBody")
    request = refunds.request_refund(payment_id=body.payment_id, user_id=_user_id(), reason=body.reason,
                                     desk=deps.payment_desk(), now=now_seconds())
    return json_response(refunds.refund_view(request), status_code=201)


@blueprint.route("/refunds", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_refunds():
    from chalicelib.services.refunds import refund_view

    store, user_id = deps.refund_requests(), _user_id()
    return json_response({"asked": [refund_view(r) for r in store.for_payer(user_id)],
                          "about_me": [refund_view(r) for r in store.for_helper(user_id)]})


@blueprint.route("/refunds/{request_id}", methods=["GET"], authorizer=cognito_user)
@handles_errors
def one_refund(request_id):
    from chalicelib.services import refunds

    request = refunds.visible_request(request_id=request_id, user_id=_user_id(), is_ops=_is_ops(),
                                      desk=deps.payment_desk())
    return json_response(refunds.refund_view(request))


@blueprint.route("/refunds/{request_id}/statement", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def helper_statement(request_id):
    from chalicelib.services import refunds

    body = parse_body(blueprint.current_request.raw_body, "StatementBody")
    request = refunds.add_statement(request_id=request_id, helper_id=_user_id(), statement=body.statement,
                                    desk=deps.payment_desk(), now=now_seconds())
    return json_response(refunds.refund_view(request))


@blueprint.route("/ops/refunds", methods=["GET"], authorizer=cognito_user)
@handles_errors
def ops_queue():
    from chalicelib.services import refunds

    waiting = refunds.queue(is_ops=_is_ops(), desk=deps.payment_desk())
    return json_response({"requests": [refunds.refund_view(r) for r in waiting]})


@blueprint.route("/ops/refunds/{request_id}/decision", methods=["POST"], authorizer=cognito_user)
@handles_errors
def ops_decision(request_id):
    from chalicelib.domain.errors import Forbidden
    from chalicelib.services import refunds

    if not _is_ops():
        raise Forbidden("Only ops decides refunds.")
    body = parse_body(blueprint.current_request.raw_body, "DecisionBody")
    request = refunds.decide(request_id=request_id, ops_id=_user_id(), decision=body.decision, note=body.note,
                             desk=deps.payment_desk(), now=now_seconds(), audit=deps.audit_log())
    return json_response(refunds.refund_view(request))


# -- PayPal's webhook ------------------------------------------------------------------------

@blueprint.route("/webhooks/paypal", methods=["POST"], content_types=["application/json"])
@handles_errors
def paypal_webhook():
    """Verified by PayPal's signature over the raw body; handled once per event id. An event that
    cannot be verified, even for want of its certificate, is a 400: PayPal redelivers any event
    not answered 2xx, and a 503 would tell anyone posting made-up certificate URLs to go on."""
    from chalicelib.adapters.paypal_webhooks import InvalidWebhook
    from chalicelib.services.webhooks import handle_webhook

    request = blueprint.current_request
    try:
        event = deps.webhook_verifier().verify(dict(request.headers), request.raw_body or b"")
    except InvalidWebhook as refusal:
        logger().warning("webhook refused", extra={"reason": str(refusal)})
        raise InvalidInput(f"The webhook's signature does not verify: {refusal}") from None
    return json_response(handle_webhook(event=event, handlers=deps.webhook_handlers(), events=deps.webhook_events(),
                                        now=now_seconds()))
