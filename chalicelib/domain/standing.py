"""A person's standing with the platform: in good standing (nothing recorded), or disqualified by
ops, with the reason, when and by whom. A disqualified Helper's page, store, blog, events and
listings are hidden, they cannot be rung, booked or sell, and their earned money is held (not
lost) until ops restores them. The standing lives on the Helper's page item, which every public
path reads anyway: checking it costs no request."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.user_text import has_control_characters, visible_text

REASON_MIN = 3
REASON_MAX = 1000


@dataclass(frozen=True)
class Standing:
    """A disqualification: why, when (epoch seconds) and which ops person decided it."""

    reason: str
    at: int
    by: str

    def record(self) -> dict:
        return {"reason": self.reason, "at": self.at, "by": self.by}


class AlreadyDisqualified(Conflict):
    code = "already_disqualified"


class NotDisqualified(Conflict):
    code = "not_disqualified"


class HelperUnavailable(Conflict):
    """The Helper was disqualified: not rung, booked or bought from."""

    code = "helper_unavailable"


def check_reason(raw: object) -> str:
    """The reason ops gives (the Helper reads it in their email and on their page)."""
    text = visible_text(raw).replace("\r\n", "\n").strip() if isinstance(raw, str) else None
    if text is None or not REASON_MIN <= len(text) <= REASON_MAX:
        raise InvalidInput(f"A reason is {REASON_MIN} to {REASON_MAX} characters.", field="reason")
    if has_control_characters(text):
        raise InvalidInput("A reason may not hold control characters.", field="reason")
    return text


def from_record(stored: Any) -> Standing | None:
    """The standing as stored on the page item; None for good standing (or nothing understood)."""
    try:
        return Standing(reason=str(stored["reason"]), at=int(stored["at"]), by=str(stored["by"]))
    except (TypeError, KeyError, ValueError):
        return None


def standing_view(standing: Standing | None) -> dict | None:
    """`{"disqualified": True, "reason", "at", "by"}`, or None in good standing."""
    if standing is None:
        return None
    return {"disqualified": True, "reason": standing.reason, "at": standing.at, "by": standing.by}


def unavailable(display_name: str) -> HelperUnavailable:
    return HelperUnavailable(f"{display_name or 'This Helper'} is not available on the platform any more.",
                             field="helper")
