"""API Gateway's own answers (authorizer refusals, unknown routes), declared once for the CDK
stack and the local stack so both answer alike."""

_INVALID_TOKEN = {
    "error": {
        "code": "invalid_token",
        "message": "Sign in again: your session token is missing, expired or invalid.",
    }
}

GATEWAY_RESPONSES = {
    "UNAUTHORIZED": (401, _INVALID_TOKEN),
    "ACCESS_DENIED": (401, _INVALID_TOKEN),
    # API Gateway says "Missing Authentication Token" (403) for a route that does not exist.
    "MISSING_AUTHENTICATION_TOKEN": (404, {"error": {"code": "not_found", "message": "No such route."}}),
}
