"""The ops audit log: one item per ops action, never updated or deleted. Every entry sits in one
partition (`log`), ordered by its id (the time, then a random suffix), so the console reads the
newest first with one Query; an index by subject gives a person's or a thing's own entries."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.adapters.tables import index, register


class AuditRecord(Model):
    class Meta:
        table_name = "audit_log"

    log = UnicodeAttribute(hash_key=True)  # always "ops": one ordered log
    entry_id = UnicodeAttribute(range_key=True)  # "<at, 10 digits>#<32 hex>"
    at = NumberAttribute()
    ops_id = UnicodeAttribute()
    action = UnicodeAttribute()
    subject = UnicodeAttribute()  # "<kind>:<id>": "user:abc", "review:r1"
    reason = UnicodeAttribute()
    by_subject = index("by_subject", ("subject", UnicodeAttribute), ("entry_id", UnicodeAttribute))()


register(AuditRecord)
