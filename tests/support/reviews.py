"""Reviews written straight into a stack's store, for tests whose sessions cannot run for the
minimum time (the route x role test's paid call ends at once)."""
from __future__ import annotations

import time

import pytest

from chalicelib.domain.reviews import Review
from tests.support.stack import app_environment


def written_review(local_stack: dict, call_id: str, *, stars: int = 4, text: str = "Helpful.") -> Review:
    """The caller's review of `call_id`, as if its session had run long enough, counted on the
    Helper's page as the service would (one transaction)."""
    from chalicelib import deps

    with pytest.MonkeyPatch.context() as patch:
        for name, value in app_environment(local_stack).items():
            patch.setenv(name, value)
        deps.reset()
        try:
            call = deps.call_store().get(call_id)
            review = Review(call_id=call_id, helper_id=call.helper_id, caller_id=call.caller_id, stars=stars,
                            text=text, created_at=int(time.time()), session_minutes=call.minutes_used,
                            author_name="A customer")
            assert deps.review_store().create(review), f"{call_id} has a review already"
        finally:
            deps.reset()
    return review
