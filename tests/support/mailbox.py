"""The local mailbox: emails the app sent through the local stack's SES (moto), read for tests."""
from __future__ import annotations

import requests


def emails_to(aws: str, address: str) -> list[dict]:
    """Every email sent to `address` so far, oldest first: `{id, subject, text, html, source, ...}`
    (`body` is moto's own copy of one part: the HTML). Emails sent raw (with an invitation or
    files) come in too, with `raw_data`, the MIME message; their files are at the mailbox's
    `/_local/mailbox/<id>/attachment/<n>`."""
    ses = requests.get(f"{aws}/moto-api/data.json", timeout=30).json().get("ses", {})
    sent = [*ses.get("Message", []), *ses.get("RawMessage", [])]
    found = [m for m in sent if address in _addresses(m.get("destinations"))]
    return sorted(found, key=lambda m: m.get("sent_at") or 0)


def _addresses(destinations: dict | list | None) -> list[str]:
    if isinstance(destinations, dict):
        return destinations.get("ToAddresses", [])
    return destinations or []  # a raw email's: its Destinations and its To header's
