"""A call desk of in-memory twins for service tests: Ada (a Helper, page "ada"), Bob who calls
her and Olga of ops, Ada and Bob each with a connected tab."""
from __future__ import annotations

from chalicelib.adapters.accounts import InMemoryAccountStore
from chalicelib.adapters.calls import InMemoryCallStore
from chalicelib.adapters.categories import InMemoryListingStore
from chalicelib.adapters.connections import Connection, InMemoryConnectionStore
from chalicelib.adapters.helper_pages import InMemoryHelperPageStore
from chalicelib.adapters.payments import InMemoryPlanStore, InMemoryStorefrontStore
from chalicelib.adapters.presence import InMemoryPresenceStore
from chalicelib.adapters.websocket import InMemorySender
from chalicelib.domain.accounts import Profile
from chalicelib.domain.helper_pages import HelperPage
from chalicelib.services.calls import CallDesk
from chalicelib.services.realtime import PresenceBook

HELPER, CALLER, OPS = "helper-1", "caller-1", "ops-1"


def call_desk_twin(*, now: int, storefronts=None, plans=None, free_sessions=None) -> CallDesk:
    accounts = InMemoryAccountStore()
    for user_id, name in ((HELPER, "Ada"), (CALLER, "Bob"), (OPS, "Olga")):
        accounts.create(Profile(user_id=user_id, email=f"{user_id}@example.com", username=name.lower(),
                                display_name=name, created_at="2026-01-01T00:00:00Z"))
    pages = InMemoryHelperPageStore()
    pages.save(HelperPage(user_id=HELPER, username="ada", display_name="Ada", headline="Python help",
                          offer="I fix things."))
    connections = InMemoryConnectionStore()
    connections.add(Connection("c-helper", HELPER, now, now + 7200))
    connections.add(Connection("c-caller", CALLER, now, now + 7200))
    return CallDesk(calls=InMemoryCallStore(), connections=connections, sender=InMemorySender(), pages=pages,
                    accounts=accounts, refresh_presence=lambda user_id: None,
                    storefronts=storefronts if storefronts is not None else InMemoryStorefrontStore(),
                    plans=plans if plans is not None else InMemoryPlanStore(), free_sessions=free_sessions)


def presence_book_twin() -> PresenceBook:
    """Empty in-memory stores of everything a change of someone's connections touches."""
    return PresenceBook(connections=InMemoryConnectionStore(), presence=InMemoryPresenceStore(),
                        pages=InMemoryHelperPageStore(), listings=InMemoryListingStore(), calls=InMemoryCallStore())
