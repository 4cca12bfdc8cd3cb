"""Reports and ops' moderation queue, for every kind of subject: DynamoDB (`tables/reports.py`) and
the in-memory twin. Filing a report writes the report (refused if this person reported this subject
already) and counts it on the subject's case, in one transaction; the queue is one Query of the
cases' sparse index, oldest first; a decision closes the case's open reports at once."""
from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any, Protocol

from chalicelib.domain.reports import ALL_REASONS, OPEN, Case, Report

PAGE = tuple[list[Case], "dict | None"]


class ReportStore(Protocol):
    def file(self, report: Report) -> bool:
        """Keeps the report and counts it on its subject's case (opening the case again if it was
        decided); False when this person reported this subject already (nothing changed)."""
        ...

    def filed_since(self, reporter_id: str, since: int) -> int:
        """How many reports the person filed after `since`."""
        ...

    def filed_by(self, reporter_id: str, *, limit: int = 20) -> list[Report]:
        """The person's latest reports, newest first (the ops console's history of a person)."""
        ...

    def about_owner(self, owner_id: str, *, limit: int = 20) -> list[Report]:
        """The latest reports of what the person publishes, newest first (the ops console)."""
        ...

    def reported(self, kind: str, subject_id: str, reporter_id: str) -> bool:
        """Whether the person reported this subject already."""
        ...

    def case(self, kind: str, subject_id: str) -> Case | None: ...

    def reports_of(self, kind: str, subject_id: str, *, limit: int = 50) -> list[Report]:
        """The subject's reports, newest first."""
        ...

    def open_cases(self, *, limit: int, after: dict | None = None) -> PAGE:
        """The queue: cases with open reports, the longest waiting first."""
        ...

    def open_count(self) -> int: ...

    def decide(self, case: Case, *, state: str, decided_by: str, decided_at: int, note: str) -> bool:
        """Closes the case's open reports with the decision; False when it was not open (any more)."""
        ...


def _opened(at: int, subject: str) -> str:
    return f"{at:012d}#{subject}"


class InMemoryReportStore:
    def __init__(self) -> None:
        self.reports: dict[tuple[str, str], Report] = {}
        self.cases: dict[str, Case] = {}
        self._lock = threading.Lock()

    def file(self, report: Report) -> bool:
        with self._lock:
            key = (report.subject, report.reporter_id)
            if key in self.reports:
                return False
            self.reports[key] = report
            case = self.cases.get(report.subject) or Case(kind=report.kind, subject_id=report.subject_id,
                                                           owner_id=report.owner_id, state=OPEN)
            reasons = dict(case.reasons) if case.open else {}
            reasons[report.reason] = reasons.get(report.reason, 0) + 1
            self.cases[report.subject] = replace(
                case, state=OPEN, owner_id=report.owner_id, open_count=(case.open_count if case.open else 0) + 1,
                total=case.total + 1, reasons=reasons,
                opened_at=case.opened_at if case.open and case.opened_at is not None else report.created_at,
                last_at=report.created_at)
            return True

    def filed_since(self, reporter_id: str, since: int) -> int:
        return sum(1 for (_, reporter), r in self.reports.items() if reporter == reporter_id and r.created_at > since)

    def filed_by(self, reporter_id: str, *, limit: int = 20) -> list[Report]:
        theirs = [r for (_, reporter), r in self.reports.items() if reporter == reporter_id]
        return sorted(theirs, key=lambda r: (r.created_at, r.subject), reverse=True)[:limit]

    def about_owner(self, owner_id: str, *, limit: int = 20) -> list[Report]:
        theirs = [r for r in self.reports.values() if r.owner_id == owner_id]
        return sorted(theirs, key=lambda r: (r.created_at, r.subject, r.reporter_id), reverse=True)[:limit]

    def reported(self, kind: str, subject_id: str, reporter_id: str) -> bool:
        return (f"{kind}:{subject_id}", reporter_id) in self.reports

    def case(self, kind: str, subject_id: str) -> Case | None:
        return self.cases.get(f"{kind}:{subject_id}")

    def reports_of(self, kind: str, subject_id: str, *, limit: int = 50) -> list[Report]:
        subject = f"{kind}:{subject_id}"
        found = [r for (s, _), r in self.reports.items() if s == subject]
        return sorted(found, key=lambda r: (r.created_at, r.reporter_id), reverse=True)[:limit]

    def open_cases(self, *, limit: int, after: dict | None = None) -> PAGE:
        queue = sorted((c for c in self.cases.values() if c.open),
                       key=lambda c: _opened(c.opened_at or 0, c.subject))
        if after is not None:
            queue = [c for c in queue if _opened(c.opened_at or 0, c.subject) > after["opened"]]
        page = queue[:limit]
        more = len(queue) > limit and page
        return page, ({"opened": _opened(page[-1].opened_at or 0, page[-1].subject)} if more else None)

    def open_count(self) -> int:
        return sum(1 for c in self.cases.values() if c.open)

    def decide(self, case: Case, *, state: str, decided_by: str, decided_at: int, note: str) -> bool:
        with self._lock:
            current = self.cases.get(case.subject)
            if current is None or not current.open:
                return False
            self.cases[case.subject] = replace(current, state=state, decided_by=decided_by, decided_at=decided_at,
                                               decision_note=note, open_count=0, reasons={}, opened_at=None)
            return True


def _report(record: Any) -> Report:
    return Report(kind=record.kind, subject_id=record.subject_id, owner_id=record.owner_id,
                  reporter_id=record.reporter_id, reason=record.reason, note=record.note or "",
                  created_at=int(record.created_at))


def _case(record: Any) -> Case:
    reasons = {reason: int(getattr(record, f"r_{reason}")) for reason in ALL_REASONS
               if getattr(record, f"r_{reason}", None)}
    opened = record.opened
    return Case(kind=record.kind, subject_id=record.subject_id, owner_id=record.owner_id, state=record.state,
                open_count=int(record.open_count or 0), total=int(record.total or 0), reasons=reasons,
                opened_at=int(opened.partition("#")[0]) if opened else None, last_at=int(record.last_at or 0),
                decided_by=record.decided_by, decided_at=None if record.decided_at is None else int(record.decided_at),
                decision_note=record.decision_note or "")


class DynamoReportStore:
    def __init__(self, connection: Any) -> None:
        self._connection = connection  # the tables' shared pynamodb Connection, for transactions

    def file(self, report: Report) -> bool:
        from chalicelib.adapters.dynamo_writes import ATTEMPTS, CONDITION_FAILED, Update, code, conflicted, transact
        from chalicelib.adapters.tables.reports import ReportCaseRecord, ReportRecord

        record = ReportRecord(report.subject, report.reporter_id, kind=report.kind, subject_id=report.subject_id,
                              owner_id=report.owner_id, reason=report.reason, note=report.note,
                              created_at=report.created_at)
        put = {"Put": {"TableName": ReportRecord.Meta.table_name, "Item": record.serialize(),
                       "ConditionExpression": "attribute_not_exists(#s)",
                       "ExpressionAttributeNames": {"#s": "subject"}}}
        case = Update(ReportCaseRecord, {"subject": {"S": report.subject}})
        for name, value in (("kind", report.kind), ("subject_id", report.subject_id), ("owner_id", report.owner_id),
                            ("state", OPEN), ("queued", OPEN)):
            case.sets.append(f"{case.name(name)} = {case.value({'S': value})}")
        opened = case.name("opened")
        case.sets.append(f"{opened} = if_not_exists({opened}, "
                         f"{case.value({'S': _opened(report.created_at, report.subject)})})")
        case.sets.append(f"{case.name('last_at')} = {case.number(report.created_at)}")
        one = case.number(1)
        case.adds.extend(f"{case.name(name)} {one}" for name in ("open_count", "total", f"r_{report.reason}"))
        for _ in range(ATTEMPTS):
            reasons = transact(self._connection.client, [put, case.item()])
            if reasons is None:
                return True
            if code(reasons[0]) == CONDITION_FAILED:
                return False
            if not conflicted(reasons):
                raise RuntimeError(f"DynamoDB cancelled the report: {[code(r) for r in reasons]}")
        raise RuntimeError(f"DynamoDB cancelled the report {ATTEMPTS} times for conflicts")

    def filed_since(self, reporter_id: str, since: int) -> int:
        from chalicelib.adapters.tables.reports import ReportRecord

        return ReportRecord.by_reporter.count(reporter_id, ReportRecord.created_at > since)

    def filed_by(self, reporter_id: str, *, limit: int = 20) -> list[Report]:
        """One Query of the `by_reporter` index, newest first."""
        from chalicelib.adapters.tables.reports import ReportRecord

        return [_report(r) for r in ReportRecord.by_reporter.query(reporter_id, scan_index_forward=False, limit=limit)]

    def about_owner(self, owner_id: str, *, limit: int = 20) -> list[Report]:
        """One Query of the `by_owner` index, newest first."""
        from chalicelib.adapters.tables.reports import ReportRecord

        return [_report(r) for r in ReportRecord.by_owner.query(owner_id, scan_index_forward=False, limit=limit)]

    def reported(self, kind: str, subject_id: str, reporter_id: str) -> bool:
        from chalicelib.adapters.tables.reports import ReportRecord

        return ReportRecord.count(f"{kind}:{subject_id}", ReportRecord.reporter_id == reporter_id) > 0

    def case(self, kind: str, subject_id: str) -> Case | None:
        from chalicelib.adapters.tables.reports import ReportCaseRecord

        try:
            return _case(ReportCaseRecord.get(f"{kind}:{subject_id}", consistent_read=True))
        except ReportCaseRecord.DoesNotExist:
            return None

    def reports_of(self, kind: str, subject_id: str, *, limit: int = 50) -> list[Report]:
        from chalicelib.adapters.tables.reports import ReportRecord

        found = [_report(r) for r in ReportRecord.query(f"{kind}:{subject_id}", limit=limit)]
        return sorted(found, key=lambda r: (r.created_at, r.reporter_id), reverse=True)

    def open_cases(self, *, limit: int, after: dict | None = None) -> PAGE:
        from chalicelib.adapters.tables.reports import ReportCaseRecord

        results = ReportCaseRecord.open_oldest.query(OPEN, limit=limit, last_evaluated_key=after)
        return [_case(record) for record in results], results.last_evaluated_key

    def open_count(self) -> int:
        from chalicelib.adapters.tables.reports import ReportCaseRecord

        return ReportCaseRecord.open_oldest.count(OPEN)

    def decide(self, case: Case, *, state: str, decided_by: str, decided_at: int, note: str) -> bool:
        from chalicelib.adapters.dynamo_writes import Update, written
        from chalicelib.adapters.tables.reports import ReportCaseRecord

        update = Update(ReportCaseRecord, {"subject": {"S": case.subject}})
        for name, value in (("state", {"S": state}), ("decided_by", {"S": decided_by}),
                            ("decided_at", {"N": str(decided_at)}), ("decision_note", {"S": note}),
                            ("open_count", {"N": "0"})):
            update.sets.append(f"{update.name(name)} = {update.value(value)}")
        update.removes.extend(update.name(name) for name in ("queued", "opened", *(f"r_{r}" for r in ALL_REASONS)))
        update.conditions.append(f"attribute_exists({update.name('queued')})")
        return written(self._connection.client, update)
