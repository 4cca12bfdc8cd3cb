"""A scripted PayPal for the gateway's tests: answers each `METHOD path` from a script (the
last answer repeats) and records every request — for what the local sandbox does not do
(malformed answers, timeouts, a token PayPal keeps refusing)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

from chalicelib.adapters.paypal import PayPalGateway
from chalicelib.settings import Settings

TOKEN = {"scope": "openid", "access_token": "A21AA-scripted", "token_type": "Bearer",
         "app_id": "APP-80W284485P519543T", "expires_in": 32400, "nonce": "n"}


def error(status: int, name: str, issue: str | None = None, description: str = "nope") -> tuple:
    body = {"name": name, "message": "The requested action could not be performed.",
            "debug_id": "f00dcafe12345"}
    if issue:
        body["details"] = [{"issue": issue, "description": description}]
    return status, body


class ScriptedPayPal(ThreadingHTTPServer):
    """Answers each `METHOD path` from a script (the last answer repeats) and records requests."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: dict[str, list] = {"POST /v1/oauth2/token": [(200, TOKEN)]}
        self.requests: list[dict] = []
        self.delay = 0.0

    def answer(self, route: str, *answers: tuple) -> None:
        self.script[route] = list(answers)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def calls(self, route: str) -> list[dict]:
        return [r for r in self.requests if f"{r['method']} {r['path']}" == route]

    def handle_error(self, request, client_address) -> None:
        pass  # a client that timed out and hung up is what the timeout test wants


class _Handler(BaseHTTPRequestHandler):
    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        route = f"{self.command} {self.path.split('?')[0]}"
        self.server.requests.append({"method": self.command, "path": self.path.split("?")[0],
                                     "headers": dict(self.headers), "body": raw})
        answers = self.server.script.get(route) or [error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")]
        status, body, *headers = answers.pop(0) if len(answers) > 1 else answers[0]
        time.sleep(self.server.delay)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if not isinstance(body, bytes) else "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Paypal-Debug-Id", "f00dcafe12345")
        for name, value in (headers[0] if headers else {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _serve

    def log_message(self, *args) -> None:
        pass


def running_scripted_paypal() -> Iterator[ScriptedPayPal]:
    """For a fixture: a scripted PayPal serving on a loopback port until the test is over."""
    server = ScriptedPayPal()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def gateway_for(paypal: ScriptedPayPal, **options) -> PayPalGateway:
    settings = Settings(paypal_base_url=paypal.url, paypal_client_id="id", paypal_client_secret="secret")
    return PayPalGateway(settings, **options)
