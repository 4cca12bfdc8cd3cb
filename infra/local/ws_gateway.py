"""A local stand-in for API Gateway's WebSocket API.

Browsers connect to it; it turns each connect, message and disconnect into the API Gateway
WebSocket event the Lambda would receive and calls the app's own `on_ws_*` handlers. Its
management endpoint answers `post_to_connection` like `https://{api}/{stage}/@connections/{id}`
does (a closed connection answers 410 Gone), so the app code never knows it is local.
"""
from __future__ import annotations

import asyncio
import base64
import importlib
import json
import logging
import secrets
import threading
import time
import uuid
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from infra.local.slow import timed

log = logging.getLogger("local-stack.ws")

MAX_FRAME_BYTES = 32 * 1024  # API Gateway's frame limit (messages up to 128 KB in frames)
MAX_MESSAGE_BYTES = 128 * 1024
CONNECT_TIMEOUT_SECONDS = 29
Handler = Callable[[dict, Any], Any]


def lambda_context(name: str) -> SimpleNamespace:
    """Enough of a Lambda context object for Chalice and Powertools."""
    deadline = time.monotonic() + 30
    return SimpleNamespace(
        function_name=name,
        function_version="$LATEST",
        memory_limit_in_mb=512,
        invoked_function_arn=f"arn:aws:lambda:local:000000000000:function:{name}",
        aws_request_id=str(uuid.uuid4()),
        log_group_name=f"/aws/lambda/{name}",
        log_stream_name="local",
        get_remaining_time_in_millis=lambda: int(max(0, deadline - time.monotonic()) * 1000),
    )


def handlers_of(app_module: Any) -> dict[str, Handler]:
    """The Lambda entrypoints of `$connect`, `$default` and `$disconnect`, as AWS would call them."""
    found = {}
    for route_key, config in app_module.app.websocket_handlers.items():
        module_name, attribute = config.handler_string.rsplit(".", 1)
        found[route_key] = getattr(importlib.import_module(module_name), attribute)
    return found


class WebsocketGateway:
    """Serves WebSockets on one port and the `@connections` management API on another."""

    def __init__(self, handlers: dict[str, Handler], *, host: str = "127.0.0.1", port: int = 0,
                 management_port: int = 0, stage: str = "api", api_id: str = "local") -> None:
        self._handlers = handlers
        self._host = host
        self._port = port
        self._management_port = management_port
        self._stage = stage
        self._api_id = api_id
        self._sockets: dict[str, ServerConnection] = {}
        self._connected_at: dict[str, int] = {}
        self._opened: dict[str, asyncio.Event] = {}  # set once the accepted socket is serving
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Any = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._management: ThreadingHTTPServer | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "WebsocketGateway":
        self._thread = threading.Thread(target=self._run_loop, name="ws-gateway", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        gateway = self

        class ManagementHandler(_ManagementRequestHandler):
            pass

        ManagementHandler.gateway = gateway
        self._management = ThreadingHTTPServer((self._host, self._management_port), ManagementHandler)
        self._management.daemon_threads = True
        threading.Thread(target=self._management.serve_forever, name="ws-management",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._management:
            self._management.shutdown()
            self._management.server_close()
        if self._loop and self._server:
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)

    async def _close(self) -> None:
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"ws://{self._host}:{self.port}"

    @property
    def port(self) -> int:
        return self._server.sockets[0].getsockname()[1]

    @property
    def management_url(self) -> str:
        assert self._management is not None
        return f"http://{self._host}:{self._management.server_address[1]}"

    def _run_loop(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(self._serve())
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self) -> Any:
        return await serve(
            self._session, self._host, self._port,
            process_request=self._on_handshake,
            select_subprotocol=self._chosen_subprotocol,
            max_size=MAX_MESSAGE_BYTES,
            ping_interval=None,  # API Gateway does not ping; the app sends its own heartbeat
            # API Gateway waits for `$connect` up to its integration timeout, 29 s; websockets'
            # default of 10 s closed handshakes on a loaded machine ("closed before receiving a
            # handshake response" in the browser) that AWS would have completed.
            open_timeout=CONNECT_TIMEOUT_SECONDS,
        )

    # -- the three routes ------------------------------------------------------------------
    async def _on_handshake(self, connection: ServerConnection, request: Request) -> Response | None:
        connection_id = base64.b64encode(secrets.token_bytes(10)).decode()
        connection.connection_id = connection_id  # type: ignore[attr-defined]
        self._connected_at[connection_id] = int(time.time() * 1000)
        event = self._event("$connect", "CONNECT", connection_id, request=request)
        result = await self._invoke("$connect", event)
        status = int((result or {}).get("statusCode", 200)) if isinstance(result, dict) else 500
        if status >= 300:  # API Gateway refuses the upgrade with the handler's status
            self._connected_at.pop(connection_id, None)
            try:
                refusal = HTTPStatus(status)
            except ValueError:
                refusal = HTTPStatus.FORBIDDEN
            return connection.respond(refusal, f"{refusal.phrase}\n")
        headers = {k.lower(): v for k, v in ((result or {}).get("headers") or {}).items()}
        connection.chosen_subprotocol = headers.get("sec-websocket-protocol")  # type: ignore[attr-defined]
        self._opened[connection_id] = asyncio.Event()
        return None

    def _chosen_subprotocol(self, connection: ServerConnection, offered: list[str]) -> str | None:
        chosen = getattr(connection, "chosen_subprotocol", None)
        return chosen if chosen in offered else None

    async def _session(self, connection: ServerConnection) -> None:
        connection_id = connection.connection_id  # type: ignore[attr-defined]
        self._sockets[connection_id] = connection
        opened = self._opened.pop(connection_id, None)
        if opened is not None:
            opened.set()
        status, reason = 1000, ""
        try:
            async for frame in connection:
                body = frame if isinstance(frame, str) else base64.b64encode(frame).decode()
                event = self._event("$default", "MESSAGE", connection_id, body=body,
                                    is_base64=not isinstance(frame, str))
                await self._invoke("$default", event)
        except ConnectionClosed as closed:
            status, reason = (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (1006, "")
        else:
            if connection.close_code is not None:
                status, reason = connection.close_code, connection.close_reason or ""
        finally:
            self._sockets.pop(connection_id, None)
            self._opened.pop(connection_id, None)
            event = self._event("$disconnect", "DISCONNECT", connection_id,
                                disconnect=(status, reason))
            await self._invoke("$disconnect", event)
            self._connected_at.pop(connection_id, None)

    async def _invoke(self, route_key: str, event: dict) -> Any:
        handler = self._handlers.get(route_key)
        if handler is None:
            return {"statusCode": 200}
        try:
            with timed(log, f"WebSocket {route_key} (waiting for a worker thread included)"):
                return await asyncio.to_thread(handler, event, lambda_context(f"websocket_{route_key}"))
        except Exception:  # a Lambda crash: API Gateway answers 500 and keeps going
            log.exception("WebSocket handler %s failed", route_key)
            return {"statusCode": 500}

    def _event(self, route_key: str, event_type: str, connection_id: str, *,
               request: Request | None = None, body: str | None = None, is_base64: bool = False,
               disconnect: tuple[int, str] | None = None) -> dict:
        now = datetime.now(timezone.utc)
        context: dict[str, Any] = {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": str(uuid.uuid4()),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "messageDirection": "IN",
            "stage": self._stage,
            "connectedAt": self._connected_at.get(connection_id, int(now.timestamp() * 1000)),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity": {"sourceIp": "127.0.0.1"},
            "requestId": str(uuid.uuid4()),
            "domainName": f"{self._host}:{self.port}",
            "connectionId": connection_id,
            "apiId": self._api_id,
        }
        event: dict[str, Any] = {"requestContext": context, "isBase64Encoded": is_base64}
        if request is not None:
            headers = _single_headers(request.headers)
            event["headers"] = headers
            event["multiValueHeaders"] = {k: request.headers.get_all(k) for k in headers}
            query = dict(parse_qsl(urlsplit(request.path).query))
            if query:
                event["queryStringParameters"] = query
        if route_key == "$default":
            context["messageId"] = str(uuid.uuid4())
            event["body"] = body
        if disconnect is not None:
            context["disconnectStatusCode"], context["disconnectReason"] = disconnect
        return event

    # -- the management API ----------------------------------------------------------------
    def post_to_connection(self, connection_id: str, data: bytes) -> bool:
        """Sends data to an open socket; False means gone (API Gateway's 410). A connection
        whose `$connect` was accepted is open, as on API Gateway, even if the socket's first
        frame is still on its way: the send waits for it."""
        if self._loop is None:
            return False
        opened = self._opened.get(connection_id)
        if opened is not None:
            try:
                asyncio.run_coroutine_threadsafe(asyncio.wait_for(opened.wait(), 10), self._loop).result(11)
            except (TimeoutError, asyncio.TimeoutError):
                return False
        socket = self._sockets.get(connection_id)
        if socket is None:
            return False
        message: str | bytes
        try:
            message = data.decode()
        except UnicodeDecodeError:
            message = data
        future = asyncio.run_coroutine_threadsafe(socket.send(message), self._loop)
        try:
            future.result(10)
        except ConnectionClosed:
            return False
        return True

    def connection_info(self, connection_id: str) -> dict | None:
        if connection_id not in self._sockets:
            return None
        connected = self._connected_at.get(connection_id, 0)
        stamp = datetime.fromtimestamp(connected / 1000, timezone.utc).isoformat()
        return {"connectedAt": stamp, "lastActiveAt": stamp, "identity": {"sourceIp": "127.0.0.1"}}

    def close_connection(self, connection_id: str) -> bool:
        socket = self._sockets.get(connection_id)
        if socket is None or self._loop is None:
            return False
        asyncio.run_coroutine_threadsafe(socket.close(1000, "closed by the application"),
                                         self._loop).result(10)
        return True


def connection_id_in(request_path: str) -> str | None:
    """The connection id of a `/@connections/{id}` path. Ids are base64 and may hold "/", which
    the client sends as %2F: split the path before decoding it, so such an id stays whole."""
    path = urlsplit(request_path).path
    marker = "/@connections/"
    if marker not in path:
        return None
    return unquote(path.split(marker, 1)[1].rstrip("/")) or None


def _single_headers(headers: Headers) -> dict[str, str]:
    # API Gateway passes header names as the client sent them; one value each.
    return {name: headers[name] for name in {k for k in headers.keys()}}


class _ManagementRequestHandler(BaseHTTPRequestHandler):
    """`POST|GET|DELETE /@connections/{id}` as the API Gateway management API answers them."""

    gateway: WebsocketGateway
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall per post_to_connection

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug(format, *args)

    def _connection_id(self) -> str | None:
        return connection_id_in(self.path)

    def _answer(self, status: int, body: dict | None = None, error_type: str | None = None) -> None:
        payload = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.end_headers()
        self.wfile.write(payload)

    def _gone(self) -> None:
        self._answer(410, {"message": None}, "GoneException")

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        connection_id = self._connection_id()
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        if connection_id is None:
            return self._answer(404, {"message": "Not Found"}, "NotFoundException")
        if len(data) > MAX_MESSAGE_BYTES:
            return self._answer(413, {"message": "Payload too large"}, "PayloadTooLargeException")
        if self.gateway.post_to_connection(connection_id, data):
            return self._answer(200)
        return self._gone()

    def do_GET(self) -> None:  # noqa: N802
        connection_id = self._connection_id()
        info = self.gateway.connection_info(connection_id) if connection_id else None
        if info is None:
            return self._gone()
        return self._answer(200, info)

    def do_DELETE(self) -> None:  # noqa: N802
        connection_id = self._connection_id()
        if connection_id and self.gateway.close_connection(connection_id):
            return self._answer(204)
        return self._gone()
