"""Contract tests for the ops audit log: the in-memory twin and DynamoDB (moto over HTTP) pass the
same tests — an entry is written once and never overwritten, the log reads newest first in pages
whose cursor is checked, and a subject's entries are its own."""
from __future__ import annotations

import dataclasses

import pytest

from chalicelib.adapters.audit import AuditEntry, InMemoryAuditLog
from chalicelib.domain.errors import InvalidInput
from chalicelib.services import audit
from tests.support.stack import own_tables

pytestmark = pytest.mark.integration


@pytest.fixture
def dynamo(app_env):
    """The audit table of this test alone on the stack's moto (a prefix of its own)."""
    from chalicelib.adapters.audit import DynamoAuditLog
    from chalicelib.adapters.tables.audit import AuditRecord

    with own_tables(app_env.settings(), AuditRecord, prefix="au"):
        yield DynamoAuditLog()


@pytest.fixture(params=["twin", "dynamo"])
def log(request):
    return InMemoryAuditLog() if request.param == "twin" else request.getfixturevalue("dynamo")


def test_an_entry_is_written_once_and_never_overwritten(log):
    entry = audit.record(log, ops_id="ops-1", action="disqualify", subject="user:ada", reason=" too many free ",
                         now=1_800_000_000)
    assert entry.reason == "too many free"
    with pytest.raises(Exception):
        log.append(dataclasses.replace(entry, reason="rewritten"))
    assert log.page()[0] == [entry]


def test_the_log_reads_newest_first_in_pages(log):
    written = [audit.record(log, ops_id="ops-1", action="close_flag", subject=f"flag:{n}", reason="ok",
                            now=1_800_000_000 + n) for n in range(5)]
    first, cursor = log.page(limit=2)
    assert [e.subject for e in first] == ["flag:4", "flag:3"] and cursor
    second, cursor = log.page(limit=2, cursor=cursor)
    third, last = log.page(limit=2, cursor=cursor)
    assert [e.subject for e in second + third] == ["flag:2", "flag:1", "flag:0"]
    assert not log.page(limit=2, cursor=last)[0] if last else True
    assert {e.entry_id for e in first + second + third} == {e.entry_id for e in written}


def test_a_cursor_of_another_shape_is_refused(log):
    with pytest.raises(InvalidInput):
        log.page(cursor="log#anything")


def test_a_subjects_entries_are_its_own(log):
    audit.record(log, ops_id="ops-1", action="disqualify", subject="user:ada", reason="a", now=1_800_000_001)
    audit.record(log, ops_id="ops-2", action="restore", subject="user:ada", reason="b", now=1_800_000_002)
    audit.record(log, ops_id="ops-1", action="hide_review", subject="review:r1", reason="c", now=1_800_000_003)
    assert [e.action for e in log.for_subject("user:ada")] == ["restore", "disqualify"]
    assert log.for_subject("user:bob") == []
    assert isinstance(log.for_subject("review:r1")[0], AuditEntry)
