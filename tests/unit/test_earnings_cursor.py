"""The earnings history's page cursor (`before`) comes back from the browser: it is sealed like
every page cursor, so anything the app did not hand to this Helper is a clear 400 naming the
field, never a query DynamoDB refuses (found by the API fuzz: `GET /me/earnings?before=` was a
500, an empty string being no valid sort key)."""
from __future__ import annotations

import pytest

from chalicelib.adapters.ledger import InMemoryLedgerStore
from chalicelib.adapters.payouts import InMemoryPayoutItemStore, InMemoryPayoutRunStore
from chalicelib.domain import ledger as books
from chalicelib.domain.cursors import CursorSeal
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.fees import PaymentKind, Split
from chalicelib.domain.payout_schedule import PRESETS
from chalicelib.services.earnings import earnings_view

SEAL = CursorSeal(b"earnings test secret")
HELPER = "helper-1"


def view(ledger, before=None, helper_id=HELPER, limit=2):
    return earnings_view(helper_id=helper_id, ledger=ledger, items=InMemoryPayoutItemStore(InMemoryPayoutRunStore()),
                         schedule=PRESETS["weekly"], currency="USD", now=1_790_000_000, cursors=SEAL,
                         before=before, limit=limit)


@pytest.fixture
def ledger():
    """Three captures of 25.00 for the Helper: three lines of its pending account to page through."""
    ledger = InMemoryLedgerStore()
    for n in range(3):
        split = Split(amount_cents=2500, paypal_fee_cents=136, helper_cents=2000, platform_cents=364)
        ledger.post(books.capture_transaction(capture_id=f"cap-{n}", split=split, helper_id=HELPER,
                                              kind=PaymentKind.SESSION, occurred_at=1_789_000_000 + n))
    return ledger


def test_the_history_pages_on_with_the_sealed_cursor_it_gave(ledger):
    first = view(ledger)
    assert first["next_before"] and "#" not in first["next_before"]  # a line position, sealed
    second = view(ledger, before=first["next_before"])
    assert len(first["history"]) == 2 and len(second["history"]) == 1
    assert {r["position"] for r in first["history"]}.isdisjoint(r["position"] for r in second["history"])


@pytest.mark.parametrize("cursor", ["", "not-a-position", "000000000001#tx#001", "a.b", "." * 3000])
def test_a_hand_made_cursor_is_refused_before_the_ledger_is_read(cursor):
    untouched = object()  # the stores are never reached
    with pytest.raises(InvalidInput) as refused:
        earnings_view(helper_id=HELPER, ledger=untouched, items=untouched, schedule=untouched, currency="USD",
                      now=0, cursors=SEAL, before=cursor)
    assert refused.value.field == "before"


def test_another_helpers_cursor_is_refused(ledger):
    theirs = SEAL.seal({"before": "999999999999#x#000"}, scope="earnings:helper-2")
    with pytest.raises(InvalidInput) as refused:
        view(ledger, before=theirs)
    assert refused.value.field == "before"
