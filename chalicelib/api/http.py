"""Turns domain errors and malformed input into clear 4xx JSON, in one place."""
from __future__ import annotations

import functools
from typing import Any, Callable

from chalice import Response

from chalicelib.domain import errors, json_input
from chalicelib.observability import logger

STATUS: dict[type[errors.DomainError], int] = {
    errors.InvalidInput: 400,
    errors.WeakPassword: 400,
    errors.InvalidConfirmationCode: 400,
    errors.UsernameReserved: 409,
    errors.UsernameTaken: 409,
    errors.EmailTaken: 409,
    errors.WrongCredentials: 401,
    errors.InvalidToken: 401,
    errors.AccountNotConfirmed: 403,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.TooManyAttempts: 429,
    errors.ServiceUnavailable: 503,
    errors.Conflict: 409,
    errors.PaymentFailed: 402,
}

# The largest body we take (a Helper page of 8,000 characters, each escaped as a surrogate pair,
# is under 100 KB); checked before parsing, as is nesting (domain.json_input).
MAX_BODY_BYTES = 128 * 1024

JSON_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}


def error_body(code: str, message: str, field: str | None = None,
               problems: tuple[errors.DomainError, ...] = ()) -> dict:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    if problems:
        body["errors"] = [{"message": p.message, **({"field": p.field} if p.field else {})} for p in problems]
    return {"error": body}


def error_response(error: errors.DomainError) -> Response:
    status = next((s for cls, s in STATUS.items() if isinstance(error, cls)), 400)
    body = error_body(error.code, error.message, error.field, error.problems)
    if error.details:
        body["error"]["details"] = error.details
    retry_after = getattr(error, "retry_after", None)  # errors.RateLimited
    headers = {**JSON_HEADERS, "Retry-After": str(retry_after)} if retry_after else JSON_HEADERS
    return Response(body, status_code=status, headers=headers)


def json_response(body: Any, status_code: int = 200) -> Response:
    return Response(body, status_code=status_code, headers=JSON_HEADERS)


def handles_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps a route so a DomainError becomes its 4xx JSON response."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except errors.DomainError as error:
            logger().info("request refused", extra={"code": error.code, "field": error.field})
            return error_response(error)

    return wrapper


def parse_body(raw_body: bytes | None, schema: str) -> Any:
    """Validates a JSON body against the pydantic model `schemas.<schema>`, naming every bad
    field (the first one first). Pydantic and the models load on the first request, not at cold
    import."""
    from pydantic import ValidationError

    from chalicelib.api import schemas

    model = getattr(schemas, schema)

    data = json_input.loads(raw_body, max_bytes=MAX_BODY_BYTES)
    if not isinstance(data, dict):
        raise errors.InvalidInput("The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = errors.Problems()
        for found in error.errors():
            field = ".".join(str(part) for part in found.get("loc", ())) or None
            problems.add(errors.InvalidInput(f"{field or 'body'}: {found.get('msg', 'is not valid')}", field=field))
    problems.raise_any()  # outside the except: the refusal does not chain pydantic's error


def limit_param(request, default: int) -> int:
    """The `limit` query parameter as a whole number (`default` when absent); its range is the
    service's to check."""
    raw = (request.query_params or {}).get("limit")
    if raw is None:
        return default
    if not raw.isdigit():
        raise errors.InvalidInput("limit is a whole number.", field="limit")
    return int(raw)


# Chalice's own answers (before or around a route) and the API's code for each.
FRAMEWORK_ERROR_CODES = {"UnsupportedMediaType": "unsupported_media_type", "InternalServerError": "internal_error",
                         "MethodNotAllowedError": "method_not_allowed", "BadRequest": "bad_request"}


def in_the_error_shape(response: Response) -> Response:
    """Chalice's own refusals (`{"Code", "Message"}`: 415 for a body that is not JSON, 500 for a
    bug) in the API's one error shape, so a client reads every error the same way."""
    body = response.body
    if response.status_code < 400 or not isinstance(body, dict) or set(body) != {"Code", "Message"}:
        return response
    code = FRAMEWORK_ERROR_CODES.get(body["Code"], "bad_request")
    return Response(error_body(code, str(body["Message"])), status_code=response.status_code,
                    headers={**response.headers, **JSON_HEADERS})
