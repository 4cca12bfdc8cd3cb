"""A push service on 127.0.0.1, as a browser vendor's would be for the app: it takes the app's
POSTs (VAPID-signed, aes128gcm-encrypted) for subscriptions whose keys it made, checks the VAPID
signature against the app's public key, decrypts each message with the subscription's private
key (http_ece, as the browser does) and keeps what it got. Answers 201, or the status set for an
endpoint (410: the subscription is gone)."""
from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    plaintext: bytes | None
    vapid_claims: dict | None


@dataclass
class PushService:
    base_url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    _keys: dict[str, tuple] = field(default_factory=dict)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def new_subscription(self) -> dict:
        """A PushSubscription.toJSON() as a browser would give it, its keys made here."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        private = ec.generate_private_key(ec.SECP256R1())
        public = private.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
        auth = os.urandom(16)
        path = f"/push/{_b64(os.urandom(12))}"
        self._keys[path] = (private, auth)
        return {"endpoint": f"{self.base_url}{path}", "keys": {"p256dh": _b64(public), "auth": _b64(auth)}}

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)

    def take(self, path: str, headers: dict, body: bytes) -> int:
        import http_ece

        plaintext = None
        if path in self._keys:
            private, auth = self._keys[path]
            plaintext = http_ece.decrypt(body, private_key=private, auth_secret=auth, version="aes128gcm")
        with self._arrived:
            self.received.append(Received(path, headers, body, plaintext, _vapid_claims(headers)))
            self._arrived.notify_all()
        return self.statuses.get(path, 201)


def _vapid_claims(headers: dict) -> dict | None:
    """The VAPID JWT's claims, once its ES256 signature verifies with the key in the header."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec

    value = headers.get("authorization", "")
    if not value.startswith("vapid "):
        return None
    fields = dict(part.strip().split("=", 1) for part in value[len("vapid "):].split(","))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(fields["k"]))
    claims = jwt.decode(fields["t"], public, algorithms=["ES256"], options={"verify_aud": False})
    return {**claims, "k": fields["k"]}


def serve() -> tuple[PushService, ThreadingHTTPServer]:
    service = PushService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = service.take(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return service, server


def decoded(received: Received) -> dict:
    return json.loads(received.plaintext)
