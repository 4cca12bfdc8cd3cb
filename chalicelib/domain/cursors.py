"""Page cursors: opaque to clients and tamper-evident. A cursor carries the last key of a page and
the listing it belongs to, signed with a secret from the settings; anything else is refused as a
400 before it reaches DynamoDB (a hand-made key could name another table's attributes)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

from chalicelib.domain.errors import InvalidInput

MAX_CURSOR_LENGTH = 1024
_TAG_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class CursorSeal:
    """Seals and opens cursors with one secret; `scope` names the listing (a category's page, say),
    so a cursor of one listing cannot page another."""

    secret: bytes

    def _tag(self, scope: str, payload: bytes) -> bytes:
        message = scope.encode("utf-8", "surrogatepass") + b"\0" + payload
        return hmac.new(self.secret, message, hashlib.sha256).digest()[:_TAG_BYTES]

    def seal(self, key: dict | None, *, scope: str) -> str | None:
        """The cursor for the page after `key` (None: there is no next page)."""
        if not key:
            return None
        payload = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(payload)}.{_b64(self._tag(scope, payload))}"

    def open(self, cursor: str | None, *, scope: str, field: str = "cursor") -> dict | None:
        """The key a cursor of `scope` carries; InvalidInput (on `field`, the query parameter that
        brought it) for anything this seal did not make."""
        if cursor is None:
            return None
        refused = InvalidInput("That page cursor is not valid; start again from the first page.", field=field)
        if cursor == "":
            raise refused
        if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_LENGTH or cursor.count(".") != 1:
            raise refused
        encoded, tag = cursor.split(".")
        try:
            payload, given = _unb64(encoded), _unb64(tag)
        except (ValueError, TypeError):
            raise refused from None
        if not hmac.compare_digest(given, self._tag(scope, payload)):
            raise refused
        key = json.loads(payload)  # ours: we signed what json.dumps wrote
        if not isinstance(key, dict):
            raise refused
        return key

    def open_link(self, token: object, *, scope: str, name: str = "link") -> dict:
        """What an emailed link's token of `scope` carries (an unsubscribe link, say), or
        InvalidInput on `token`: "not complete" when it is missing, "not valid" for anything
        this seal did not make."""
        if not isinstance(token, str) or not token:
            raise InvalidInput(f"This {name} is not complete.", field="token")
        try:
            signed = self.open(token, scope=scope, field="token")
        except InvalidInput:
            raise InvalidInput(f"This {name} is not valid.", field="token") from None
        return signed or {}
