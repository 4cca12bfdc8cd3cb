"""API Gateway's own answers (authorizer refusals), declared once for CDK and the local stack."""

_INVALID_TOKEN = {
    "error": {
        "code": "invalid_token",
        "message": "Sign in again: your session token is missing, expired or invalid.",
    }
}

GATEWAY_RESPONSES = {
    "UNAUTHORIZED": (401, _INVALID_TOKEN),
    "ACCESS_DENIED": (401, _INVALID_TOKEN),
}
