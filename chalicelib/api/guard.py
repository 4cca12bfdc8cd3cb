"""The Chalice authorizer in front of every protected route, and who the caller is."""
from __future__ import annotations

from chalice import AuthResponse, Blueprint

from chalicelib import deps
from chalicelib.adapters.tokens import bearer_token
from chalicelib.domain.accounts import Principal
from chalicelib.domain.errors import InvalidToken
from chalicelib.api.lazy import on_first_use
from chalicelib.observability import logger

sessions = on_first_use("chalicelib.services.sessions")  # routes with no authorizer never load it

blueprint = Blueprint(__name__)


@blueprint.authorizer(ttl_seconds=0)  # never cached by API Gateway: a sign-out holds at once
def cognito_user(auth_request):
    """Allows the request when the bearer token is a valid access token of our user pool whose
    session was not signed out (the signature first, then one read)."""
    try:
        verified = deps.token_verifier().verify(bearer_token(auth_request.token))
        principal = sessions.refuse_if_signed_out(verified, revocations=deps.revocations())
    except InvalidToken as refusal:
        logger().info("token refused", extra={"reason": refusal.message})
        return AuthResponse(routes=[], principal_id="anonymous")
    return AuthResponse(routes=["*"], principal_id=principal.user_id,
                        context={"groups": ",".join(principal.groups), "session_id": principal.session_id})


def principal_of(request) -> Principal:
    """The caller of a route behind `cognito_user`, from the authorizer's context."""
    context = request.context.get("authorizer") or {}
    user_id = context.get("principalId")
    if not user_id or user_id == "anonymous":
        raise InvalidToken("Sign in first.")
    groups = tuple(g for g in (context.get("groups") or "").split(",") if g)
    return Principal(user_id=user_id, groups=groups, session_id=context.get("session_id") or "")


def is_ops(request) -> bool:
    """Whether the caller of a route behind `cognito_user` is in the ops group."""
    return deps.settings().ops_group in principal_of(request).groups
