"""Emails to people, best effort: a mail failure never undoes what the email tells about."""
from __future__ import annotations

from typing import Any, Protocol

from chalicelib.adapters.mailer import Email
from chalicelib.observability import logger


class Desk(Protocol):
    """What sending needs: who the person is, the mailer, and the brand the email is signed with."""

    accounts: Any
    mailer: Any
    settings: Any


def tell(desk: Desk, user_id: str | None, subject: str, text: str) -> None:
    """Emails a person by their user id; nothing when they are unknown, a warning when SES fails."""
    profile = desk.accounts.get(user_id) if user_id else None
    if profile is None:
        return
    try:
        desk.mailer.send(Email(to=profile.email, subject=subject, text=f"Hello {profile.display_name},\n\n{text}\n\n"
                                                                      f"— {desk.settings.brand_name}"))
    except Exception as error:  # noqa: BLE001 - SES down must not fail the money path
        logger().warning("email not sent", extra={"error": str(error), "subject": subject})
