"""The wall clock as the services take it: an argument (`now=utc_now_iso`), so tests pass their own."""
from __future__ import annotations

import time
from datetime import date, datetime, timezone


def now_seconds() -> int:
    """Now, in whole seconds since the epoch (what the services' `now` arguments take)."""
    return int(time.time())


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def utc_today() -> date:
    return datetime.now(timezone.utc).date()
