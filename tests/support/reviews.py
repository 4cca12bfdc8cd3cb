"""Sessions to review, and reviews written straight into a stack's store for tests whose
sessions cannot run for the minimum time (the route x role test's paid call ends at once)."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import Locator, Page

from chalicelib.domain.reviews import Review
from tests.support.calls import Peer, agree_terms
from tests.support.stack import deps_pointed_at


def free_session_that_ended(local_stack: dict, helper, caller) -> str:
    """A free session that started, then the caller hung up: the call's id."""
    helper_tab, caller_tab = Peer(local_stack, helper), Peer(local_stack, caller)
    try:
        call_id = agree_terms(helper_tab, caller_tab, helper, price_cents=0, minutes=15)
        caller_tab.call_state("in_session")
        caller_tab.send(action="end", call_id=call_id)
        helper_tab.call_state("ended")
    finally:
        helper_tab.close()
        caller_tab.close()
    return call_id


def written_review(local_stack: dict, call_id: str, *, stars: int = 4, text: str = "Helpful.") -> Review:
    """The caller's review of `call_id`, as if its session had run long enough, counted on the
    Helper's page as the service would (one transaction)."""
    with pytest.MonkeyPatch.context() as patch:
        pointed = deps_pointed_at(local_stack, patch)
        deps = next(pointed)
        try:
            call = deps.call_store().get(call_id)
            review = Review(call_id=call_id, helper_id=call.helper_id, caller_id=call.caller_id, stars=stars,
                            text=text, created_at=int(time.time()), session_minutes=call.minutes_used,
                            author_name="A customer")
            assert deps.review_store().create(review), f"{call_id} has a review already"
        finally:
            next(pointed, None)
    return review


def card_of(page: Page, review_id: str) -> Locator:
    """The review's card in the moderation queue (tests/support/moderation.py)."""
    from tests.support.moderation import case_of

    return case_of(page, f"review:{review_id}")
