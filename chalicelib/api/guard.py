"""The Chalice authorizer in front of every protected route, and who the caller is."""
from __future__ import annotations

from chalice import AuthResponse, Blueprint

from chalicelib import deps
from chalicelib.adapters.tokens import bearer_token
from chalicelib.domain.accounts import Principal
from chalicelib.domain.errors import InvalidToken
from chalicelib.observability import logger

blueprint = Blueprint(__name__)


@blueprint.authorizer()
def cognito_user(auth_request):
    """Allows the request when the bearer token is a valid access token of our user pool."""
    try:
        principal = deps.token_verifier().verify(bearer_token(auth_request.token))
    except InvalidToken as refusal:
        logger().info("token refused", extra={"reason": refusal.message})
        return AuthResponse(routes=[], principal_id="anonymous")
    return AuthResponse(routes=["*"], principal_id=principal.user_id,
                        context={"groups": ",".join(principal.groups)})


def principal_of(request) -> Principal:
    """The caller of a route behind `cognito_user`, from the authorizer's context."""
    context = request.context.get("authorizer") or {}
    user_id = context.get("principalId")
    if not user_id or user_id == "anonymous":
        raise InvalidToken("Sign in first.")
    groups = tuple(g for g in (context.get("groups") or "").split(",") if g)
    return Principal(user_id=user_id, groups=groups)


def is_ops(request) -> bool:
    """Whether the caller of a route behind `cognito_user` is in the ops group."""
    return deps.settings().ops_group in principal_of(request).groups
