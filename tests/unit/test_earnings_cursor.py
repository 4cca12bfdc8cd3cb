"""The earnings history's page cursor (`before`) comes back from the browser: anything that is not
a line position is a clear 400 naming the field, never a query DynamoDB refuses (found by the API
fuzz: `GET /me/earnings?before=` was a 500, an empty string being no valid sort key)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.ledger import is_line_position, line_position
from chalicelib.services.earnings import earnings_view


@given(occurred_at=st.integers(min_value=0, max_value=10**12 - 1),
       transaction_id=st.text(min_size=1, max_size=120), leg_index=st.integers(min_value=0, max_value=999))
def test_every_position_the_ledger_gives_is_a_line_position(occurred_at, transaction_id, leg_index):
    assert is_line_position(line_position(occurred_at, transaction_id, leg_index))


@pytest.mark.parametrize("cursor", ["", "#", "abc", "000000000001#", "000000000001#tx#1", "00000000000１#tx#001",
                                    "000000000001##001", "x" * 601, None, 12])
def test_anything_else_is_not(cursor):
    assert not is_line_position(cursor)


@pytest.mark.parametrize("cursor", ["", "not-a-position", "000000000001#tx#01"])
def test_the_earnings_page_refuses_a_hand_made_cursor_before_reading_the_ledger(cursor):
    untouched = object()  # the stores are never reached
    with pytest.raises(InvalidInput) as refused:
        earnings_view(helper_id="helper-1", ledger=untouched, items=untouched, schedule=untouched, currency="USD",
                      now=0, before=cursor)
    assert refused.value.field == "before"
