"""Signing out (one session, or everywhere): the tokens of an ended session are refused at once and
its sockets closed, against the in-memory twins of Cognito, the revocations and the connections."""
import json

import pytest

from chalicelib.adapters.identity import InMemoryIdentity
from chalicelib.adapters.revocations import InMemoryRevocationStore
from chalicelib.adapters.websocket import InMemorySender
from chalicelib.domain.errors import InvalidToken
from chalicelib.domain.presence import Status
from chalicelib.domain.sessions import Revocations, revocation_kept_until, session_id_of, token_revoked
from chalicelib.services import realtime, sessions
from chalicelib.services.realtime import Liveness
from tests.support.twins import presence_book_twin

PASSWORD = "Corr3ct-horse"
LIVENESS = Liveness(stale_seconds=180, lifetime_seconds=7200)
DAY = 24 * 3600


# ---- the rules


def test_a_token_of_a_signed_out_session_is_revoked_whenever_it_was_issued():
    assert token_revoked(issued_at=2_000, revocations=Revocations(session_revoked=True))
    assert not token_revoked(issued_at=2_000, revocations=Revocations())


def test_signing_out_everywhere_revokes_tokens_issued_up_to_that_second_and_not_after():
    everywhere = Revocations(signed_out_everywhere_at=1_000)
    assert token_revoked(issued_at=999, revocations=everywhere)
    assert token_revoked(issued_at=1_000, revocations=everywhere)  # same second: cannot tell before from after
    assert not token_revoked(issued_at=1_001, revocations=everywhere)


def test_a_session_is_the_sign_in_its_token_came_from_else_the_token_itself():
    assert session_id_of({"origin_jti": "o1", "jti": "j1"}) == "o1"
    assert session_id_of({"jti": "j1"}) == "j1"
    assert session_id_of({}) == ""


def test_a_revocation_is_kept_as_long_as_the_session_could_make_tokens():
    assert revocation_kept_until(now=1_000, session_seconds=30 * DAY) == 1_000 + 30 * DAY


# ---- the use cases


class Clock:
    def __init__(self, now=1_700_000_000):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def identity(clock):
    return InMemoryIdentity(clock=clock)


@pytest.fixture
def revocations():
    return InMemoryRevocationStore()


@pytest.fixture
def book():
    return presence_book_twin()


@pytest.fixture
def sender():
    return InMemorySender()


@pytest.fixture
def desk(identity, revocations, book, sender, clock):
    """Everything the sign-out routes pass to the service, with twins."""
    def end_connections(user_id, session_id):
        return realtime.end_connections(user_id, session_id=session_id, book=book, sender=sender, now=clock())

    return {"identity": identity, "revocations": revocations, "end_connections": end_connections,
            "session_seconds": 30 * DAY}


def person(identity, email):
    identity.sign_up(email=email, password=PASSWORD, display_name="Someone")
    identity.confirm(email=email, code=identity.codes[email])
    return email


def signed_in(identity, email):
    """A new sign-in (a device): its tokens and who they say the caller is."""
    session = identity.sign_in(email=email, password=PASSWORD)
    return session, identity.verify(session.access_token)


def accepted(identity, revocations, token):
    return sessions.refuse_if_signed_out(identity.verify(token), revocations=revocations)


def open_socket(book, connection_id, principal, clock):
    realtime.connect(connection_id=connection_id, principal=principal, book=book, now=clock(), liveness=LIVENESS)


def test_signing_out_ends_that_session_at_once_and_leaves_the_others(identity, revocations, book, sender,
                                                                      clock, desk):
    ada = person(identity, "ada@example.com")
    laptop, on_laptop = signed_in(identity, ada)
    phone, on_phone = signed_in(identity, ada)
    open_socket(book, "laptop-tab", on_laptop, clock)
    open_socket(book, "phone-tab", on_phone, clock)

    closed = sessions.sign_out(principal=on_laptop, refresh_token=laptop.refresh_token, now=clock(), **desk)

    assert closed == 1 and sender.closed == ["laptop-tab"]
    assert book.connections.get("laptop-tab") is None and book.connections.get("phone-tab") is not None
    with pytest.raises(InvalidToken):
        accepted(identity, revocations, laptop.access_token)
    assert accepted(identity, revocations, phone.access_token) == on_phone
    with pytest.raises(InvalidToken):  # Cognito revoked the laptop's refresh token
        identity.refresh(refresh_token=laptop.refresh_token)
    assert sessions.refresh(refresh_token=phone.refresh_token, identity=identity, verify=identity.verify,
                            revocations=revocations).access_token
    assert revocations.sessions[on_laptop.session_id] == (on_laptop.user_id, clock() + 30 * DAY)


def test_tokens_refreshed_from_a_signed_out_session_are_refused_too(identity, revocations, clock, desk):
    ada = person(identity, "ada@example.com")
    tokens, me = signed_in(identity, ada)
    sessions.sign_out(principal=me, refresh_token=None, now=clock(), **desk)  # an old client: no refresh token
    clock.now += 60
    fresh = identity.refresh(refresh_token=tokens.refresh_token)  # Cognito still honours it
    with pytest.raises(InvalidToken):
        accepted(identity, revocations, fresh.access_token)
    with pytest.raises(InvalidToken):
        sessions.refresh(refresh_token=tokens.refresh_token, identity=identity, verify=identity.verify,
                         revocations=revocations)


def test_signing_out_everywhere_ends_every_session_of_the_person_and_nobody_elses(
        identity, revocations, book, sender, clock, desk):
    ada, bob = person(identity, "ada@example.com"), person(identity, "bob@example.com")
    laptop, on_laptop = signed_in(identity, ada)
    phone, on_phone = signed_in(identity, ada)
    bobs, on_bobs = signed_in(identity, bob)
    for connection_id, principal in (("laptop-tab", on_laptop), ("phone-tab", on_phone), ("bob-tab", on_bobs)):
        open_socket(book, connection_id, principal, clock)

    closed = sessions.sign_out_everywhere(principal=on_phone, access_token=phone.access_token, now=clock(), **desk)

    assert closed == 2 and sorted(sender.closed) == ["laptop-tab", "phone-tab"]
    assert book.presence.get_many([on_laptop.user_id])[on_laptop.user_id] is Status.OFFLINE
    for token in (laptop.access_token, phone.access_token):
        with pytest.raises(InvalidToken):
            accepted(identity, revocations, token)
    for refresh_token in (laptop.refresh_token, phone.refresh_token):
        with pytest.raises(InvalidToken):
            identity.refresh(refresh_token=refresh_token)
    assert accepted(identity, revocations, bobs.access_token) == on_bobs
    assert book.connections.get("bob-tab") is not None

    clock.now += 1  # signing in again a second later works
    again, _ = signed_in(identity, ada)
    assert accepted(identity, revocations, again.access_token).user_id == on_phone.user_id


def test_a_message_on_a_socket_of_a_signed_out_session_is_refused(identity, revocations, book, sender, clock, desk):
    ada = person(identity, "ada@example.com")
    tokens, me = signed_in(identity, ada)
    open_socket(book, "tab", me, clock)
    sessions.sign_out(principal=me, refresh_token=tokens.refresh_token, now=clock(), **desk)
    sender.gone.discard("tab")  # a ping already in flight when the socket closed
    realtime.handle_message(connection_id="tab", body=json.dumps({"action": "ping"}), connections=book.connections,
                            sender=sender, clock=clock, liveness=LIVENESS)
    assert sender.sent == []  # no pong: the connection is forgotten, and closed again
