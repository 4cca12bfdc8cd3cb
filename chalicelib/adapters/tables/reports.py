"""Reports about what people publish (reviews, posts, products, events) and ops' queue of them.

`reports`: one item per person and subject (`<kind>:<id>`, the reporter): a second report by the
same person is refused by the key; an index by reporter and time counts a person's reports of the
last 24 hours with one Query. `report_cases`: one item per reported subject, its open reports
counted on it (`open_count`, one `r_<reason>` counter per reason); `queued` is set while reports
wait (a sparse key), so ops' queue, oldest first, is one Query of `open_oldest`."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.adapters.tables import index, register
from chalicelib.domain.reports import ALL_REASONS


class ReportRecord(Model):
    class Meta:
        table_name = "reports"

    subject = UnicodeAttribute(hash_key=True)  # "<kind>:<id>"
    reporter_id = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    note = UnicodeAttribute(default="")
    created_at = NumberAttribute()
    by_reporter = index("by_reporter", ("reporter_id", UnicodeAttribute), ("created_at", NumberAttribute))()
    by_owner = index("by_owner", ("owner_id", UnicodeAttribute), ("created_at", NumberAttribute))()  # ops console


class ReportCaseRecord(Model):
    """Written with UpdateItem expressions (adapters/reports.py): the reason counters are
    attributes named `r_<reason>` beside these."""

    class Meta:
        table_name = "report_cases"

    subject = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    state = UnicodeAttribute()  # open, hidden, kept
    open_count = NumberAttribute(default=0)
    total = NumberAttribute(default=0)
    last_at = NumberAttribute(default=0)
    decided_by = UnicodeAttribute(null=True)
    decided_at = NumberAttribute(null=True)
    decision_note = UnicodeAttribute(default="")
    queued = UnicodeAttribute(null=True)  # "open" while reports wait (a sparse key)
    opened = UnicodeAttribute(null=True)  # "<first open report's time, 12 digits>#<subject>"
    open_oldest = index("open_oldest", ("queued", UnicodeAttribute), ("opened", UnicodeAttribute))()
    for _reason in ALL_REASONS:  # r_spam, r_offensive, ...: the open reports' reasons, counted
        vars()[f"r_{_reason}"] = NumberAttribute(null=True)
    del _reason


register(ReportRecord, ReportCaseRecord)
