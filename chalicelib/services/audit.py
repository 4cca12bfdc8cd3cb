"""Writing the ops audit log: every ops action (disqualifying a Helper, a moderation decision,
closing a flag, a refund review) is recorded once, with who did it, to what and why."""
from __future__ import annotations

import uuid

from chalicelib.adapters.audit import AuditEntry, AuditLog


def record(log: AuditLog, *, ops_id: str, action: str, subject: str, reason: str, now: int) -> AuditEntry:
    """Appends one entry and returns it. Raises when the log cannot be written: an ops action
    the log does not hold should be retried, not silently done (callers record before they act,
    or record after and let the error reach ops)."""
    entry = AuditEntry(entry_id=f"{now:010d}#{uuid.uuid4().hex}", at=now, ops_id=ops_id, action=action,
                       subject=subject, reason=reason.strip())
    log.append(entry)
    return entry


def entry_view(entry: AuditEntry) -> dict:
    return {"id": entry.entry_id, "at": entry.at, "ops_id": entry.ops_id, "action": entry.action,
            "subject": entry.subject, "reason": entry.reason}
