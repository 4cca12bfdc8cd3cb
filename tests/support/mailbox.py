"""The local mailbox: emails the app sent through the local stack's SES (moto), read for tests."""
from __future__ import annotations

import requests


def emails_to(aws: str, address: str) -> list[dict]:
    """Every email sent to `address` so far, oldest first: `{subject, text, html, source, ...}`
    (`body` is moto's own copy of one part: the HTML)."""
    sent = requests.get(f"{aws}/moto-api/data.json", timeout=30).json().get("ses", {}).get("Message", [])
    return [m for m in sent if address in (m.get("destinations") or {}).get("ToAddresses", [])]
