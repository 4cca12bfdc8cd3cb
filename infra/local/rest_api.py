"""The Chalice app's REST API served by Chalice's own local server, with the same authorizer,
and API Gateway's gateway responses (as configured in infra) for the authorizer's refusals."""
from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    ForbiddenError,
    LocalChalice,
    LocalDevServer,
    LocalGatewayException,
    NotAuthorizedError,
)

from chalicelib.api.gateway_responses import GATEWAY_RESPONSES
from infra.local.slow import timed

log = logging.getLogger("local-stack.api")


def _response_type(error: LocalGatewayException) -> str | None:
    """Which API Gateway gateway response AWS would send for this local refusal."""
    if isinstance(error, NotAuthorizedError):
        return "UNAUTHORIZED"
    if isinstance(error, ForbiddenError):
        denied = (error.headers or {}).get("x-amzn-ErrorType") == "AccessDeniedException"
        return "ACCESS_DENIED" if denied else "MISSING_AUTHENTICATION_TOKEN"
    return None


class _GatewayRequestHandler(ChaliceRequestHandler):
    disable_nagle_algorithm = True  # keep-alive responses without a 40 ms delayed-ACK stall

    def _send_error_response(self, error: LocalGatewayException) -> None:
        response_type = _response_type(error)
        if response_type is None:
            return super()._send_error_response(error)
        self._send_gateway_response(response_type)

    def _send_gateway_response(self, response_type: str) -> None:
        status, body = GATEWAY_RESPONSES[response_type]
        payload = json.dumps(body).encode()
        super()._send_http_response(status, {"Content-Type": "application/json"}, payload)

    def _send_http_response(self, code: int, headers: dict, body: Any) -> None:
        if code == 405:  # a method the route does not declare: API Gateway never calls the app
            return self._send_gateway_response("MISSING_AUTHENTICATION_TOKEN")
        super()._send_http_response(code, headers, body)

    def _no_such_method(self) -> None:
        self._parse_payload()
        self._send_gateway_response("MISSING_AUTHENTICATION_TOKEN")

    def __getattr__(self, name: str) -> Any:
        """Methods Chalice does not serve (TRACE, CONNECT, QUERY, ...), which http.server would
        answer 501 in HTML: API Gateway has no route for them."""
        if name.startswith("do_"):
            return self._no_such_method
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by default
        pass

    def _generic_handle(self) -> None:
        with timed(log, f"REST {self.command} {self.path.split('?')[0]}"):
            super()._generic_handle()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle


class LocalRestApi:
    def __init__(self, app_object: Any, project_dir: Path, *, host: str = "127.0.0.1", port: int = 0,
                 stage: str = "dev") -> None:
        config = Config.create(chalice_stage=stage, app_name=app_object.app_name,
                               chalice_app=app_object, project_dir=str(project_dir))
        CustomLocalChalice.__bases__ = (LocalChalice, app_object.__class__)
        app_object.__class__ = CustomLocalChalice
        self._server = LocalDevServer(app_object, config, host, port, handler_cls=_GatewayRequestHandler)
        self._server.server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self._server.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "LocalRestApi":
        threading.Thread(target=self._server.server.serve_forever, name="rest-api", daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server.server_close()
