"""Routes for signing up, confirming, signing in and out, and `GET /me`."""
from __future__ import annotations

import time

from chalice import Blueprint

from chalicelib import deps
from chalicelib.adapters.tokens import bearer_token
from chalicelib.api.guard import cognito_user, principal_of
from chalicelib.api.http import handles_errors, json_response, parse_body
from chalicelib.api.lazy import on_first_use
from chalicelib.domain.accounts import Session

accounts = on_first_use("chalicelib.services.accounts")
sessions = on_first_use("chalicelib.services.sessions")

blueprint = Blueprint(__name__)


def source_ip(request) -> str | None:
    """The address the request came from: the viewer's, which CloudFront appends to
    X-Forwarded-For (API Gateway appends CloudFront's own after it), when the request came
    through CloudFront (its `Via`); else API Gateway's source IP. None when neither is known."""
    headers = request.headers or {}
    forwarded = [part.strip() for part in (headers.get("x-forwarded-for") or "").split(",") if part.strip()]
    if "cloudfront" in (headers.get("via") or "").lower() and len(forwarded) >= 2:
        return forwarded[-2]
    return ((request.context or {}).get("identity") or {}).get("sourceIp") or None


def _session_body(session: Session) -> dict:
    body = {"access_token": session.access_token, "id_token": session.id_token,
            "expires_in": session.expires_in, "token_type": "Bearer"}
    if session.refresh_token:
        body["refresh_token"] = session.refresh_token
    return body


@blueprint.route("/auth/sign-up", methods=["POST"])
@handles_errors
def sign_up():
    body = parse_body(blueprint.current_request.raw_body, "SignUpBody")
    profile = accounts.sign_up(**body.model_dump(), identity=deps.identity(), accounts=deps.account_store(),
                               mailer=deps.mailer(), settings=deps.settings(), limiter=deps.rate_limiter(),
                               source_ip=source_ip(blueprint.current_request))
    return json_response({"user_id": profile.user_id, "email": profile.email,
                          "username": profile.username, "confirmation_required": True}, 201)


@blueprint.route("/auth/confirm", methods=["POST"])
@handles_errors
def confirm():
    body = parse_body(blueprint.current_request.raw_body, "ConfirmBody")
    accounts.confirm_sign_up(email=body.email, code=body.code, identity=deps.identity(),
                             undeliverable=deps.undeliverable())
    return json_response({"confirmed": True})


@blueprint.route("/auth/resend-code", methods=["POST"])
@handles_errors
def resend_code():
    body = parse_body(blueprint.current_request.raw_body, "EmailBody")
    accounts.resend_confirmation(email=body.email, identity=deps.identity(), limiter=deps.rate_limiter(),
                                 settings=deps.settings())
    return json_response({"sent": True})


@blueprint.route("/auth/sign-in", methods=["POST"])
@handles_errors
def sign_in():
    body = parse_body(blueprint.current_request.raw_body, "SignInBody")
    session = accounts.sign_in(email=body.email, password=body.password, identity=deps.identity())
    return json_response(_session_body(session))


@blueprint.route("/auth/refresh", methods=["POST"])
@handles_errors
def refresh():
    body = parse_body(blueprint.current_request.raw_body, "RefreshBody")
    session = sessions.refresh(refresh_token=body.refresh_token, identity=deps.identity(),
                               verify=deps.token_verifier().verify, revocations=deps.revocations())
    return json_response(_session_body(session))


@blueprint.route("/auth/sign-out", methods=["POST"], authorizer=cognito_user)
@handles_errors
def sign_out():
    request = blueprint.current_request
    body = parse_body(request.raw_body or b"{}", "SignOutBody")  # the body is optional
    sessions.sign_out(principal=principal_of(request), refresh_token=body.refresh_token, identity=deps.identity(),
                      revocations=deps.revocations(), end_connections=deps.end_connections,
                      now=int(time.time()), session_seconds=deps.settings().session_seconds)
    return json_response({"signed_out": True})


@blueprint.route("/auth/sign-out-everywhere", methods=["POST"], authorizer=cognito_user)
@handles_errors
def sign_out_everywhere():
    request = blueprint.current_request
    token = bearer_token(request.headers.get("authorization"))
    sessions.sign_out_everywhere(principal=principal_of(request), access_token=token, identity=deps.identity(),
                                 revocations=deps.revocations(), end_connections=deps.end_connections,
                                 now=int(time.time()), session_seconds=deps.settings().session_seconds)
    from chalicelib.services.push import forget_everywhere  # imported only here: signing out everywhere is rare

    if forget_everywhere(principal_of(request).user_id, desk=deps.push_desk):
        deps.refresh_presence(principal_of(request).user_id)  # no alerts left: no longer reachable
    return json_response({"signed_out": True})


@blueprint.route("/me", methods=["GET"], authorizer=cognito_user)
@handles_errors
def me():
    return json_response(accounts.describe_me(principal=principal_of(blueprint.current_request),
                                              accounts=deps.account_store(),
                                              ops_group=deps.settings().ops_group,
                                              username_change_days=deps.settings().username_change_days,
                                              helper_page=deps.helper_pages().get,
                                              undeliverable=deps.undeliverable().get))


@blueprint.route("/me/email/try-again", methods=["POST"], authorizer=cognito_user)
@handles_errors
def try_email_again():
    return json_response(accounts.try_email_again(principal=principal_of(blueprint.current_request),
                                                  accounts=deps.account_store(), undeliverable=deps.undeliverable()))


def release_unconfirmed_sign_ups() -> int:
    """The scheduled job's body: usernames and emails of sign-ups unconfirmed for days come back."""
    return accounts.release_unconfirmed(identity=deps.identity(), accounts=deps.account_store(),
                                        now=int(time.time()), days=deps.settings().unconfirmed_sign_up_days)
