"""Contract tests: each in-memory twin and its real adapter (moto over HTTP) pass the same tests."""
import time
import uuid

import pytest

from chalicelib.adapters.accounts import InMemoryAccountStore
from chalicelib.adapters.connections import Connection, InMemoryConnectionStore
from chalicelib.adapters.identity import InMemoryIdentity
from chalicelib.adapters.revocations import InMemoryRevocationStore
from chalicelib.domain.accounts import Profile
from chalicelib.domain.sessions import Revocations
from chalicelib.domain.errors import (
    AccountNotConfirmed,
    EmailTaken,
    InvalidToken,
    UsernameTaken,
    WrongCredentials,
)

pytestmark = pytest.mark.integration
PASSWORD = "Corr3ct-horse"


def unique(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@pytest.fixture(params=["in-memory", "dynamodb"])
def account_store(request):
    if request.param == "in-memory":
        return InMemoryAccountStore()
    return request.getfixturevalue("app_env").account_store()


@pytest.fixture(params=["in-memory", "cognito"])
def identity(request):
    if request.param == "in-memory":
        twin = InMemoryIdentity()
        return twin, lambda email: twin.codes[email]
    return request.getfixturevalue("app_env").identity(), lambda email: "123456"  # moto takes any code


@pytest.fixture(params=["in-memory", "dynamodb"])
def connection_store(request):
    if request.param == "in-memory":
        return InMemoryConnectionStore()
    return request.getfixturevalue("app_env").connection_store()


@pytest.fixture(params=["in-memory", "dynamodb"])
def revocation_store(request):
    if request.param == "in-memory":
        return InMemoryRevocationStore()
    return request.getfixturevalue("app_env").revocations()


def profile(username):
    return Profile(user_id=str(uuid.uuid4()), email=f"{username}@example.com", username=username,
                   display_name="Someone", created_at="2026-11-22T00:00:00+00:00")


def test_a_username_is_claimed_once_ignoring_case(account_store):
    name = unique("Claim")
    first = profile(name)
    assert account_store.username_available(name)
    account_store.create(first)
    assert account_store.get(first.user_id) == first
    assert not account_store.username_available(name.lower())
    with pytest.raises(UsernameTaken):
        account_store.create(profile(name.upper()))
    assert account_store.get("nobody") is None


def test_the_identity_signs_up_confirms_signs_in_refreshes_and_signs_out(identity):
    provider, code_for = identity
    email = f"{unique('id')}@example.com"
    user_id = provider.sign_up(email=email, password=PASSWORD, display_name="Someone")
    assert user_id
    with pytest.raises(EmailTaken):
        provider.sign_up(email=email, password=PASSWORD, display_name="Someone")
    with pytest.raises(AccountNotConfirmed):
        provider.sign_in(email=email, password=PASSWORD)
    provider.confirm(email=email, code=code_for(email))
    with pytest.raises(WrongCredentials):
        provider.sign_in(email=email, password="Wrong-passw0rd")
    session = provider.sign_in(email=email, password=PASSWORD)
    other_device = provider.sign_in(email=email, password=PASSWORD)
    assert provider.refresh(refresh_token=session.refresh_token).access_token
    provider.revoke_refresh_token(refresh_token=session.refresh_token)
    with pytest.raises(InvalidToken):
        provider.refresh(refresh_token=session.refresh_token)
    provider.revoke_refresh_token(refresh_token=session.refresh_token)  # again: nothing more to do
    assert provider.refresh(refresh_token=other_device.refresh_token).access_token  # one session only
    provider.sign_out_everywhere(access_token=other_device.access_token, user_id=user_id)
    with pytest.raises(InvalidToken):
        provider.refresh(refresh_token=other_device.refresh_token)
    provider.delete_user(user_id=user_id)
    with pytest.raises(WrongCredentials):
        provider.sign_in(email=email, password=PASSWORD)


def test_connections_are_found_by_user_and_by_expiry(connection_store):
    user = unique("u")
    now = int(time.time())
    fresh = Connection(unique("c"), user, now, now + 7200)
    stale = Connection(unique("c"), user, now - 8000, now - 800)
    connection_store.add(fresh)
    connection_store.add(stale)
    assert connection_store.get(fresh.connection_id) == fresh
    assert {c.connection_id for c in connection_store.for_user(user)} == {fresh.connection_id, stale.connection_id}
    expired = {c.connection_id: c for c in connection_store.expired(now)}
    assert expired.get(stale.connection_id) == stale and fresh.connection_id not in expired
    assert connection_store.touch(fresh.connection_id, now + 60) is True
    assert connection_store.get(fresh.connection_id).expires_at == now + 60
    assert connection_store.touch(unique("never-connected"), now + 60) is False
    connection_store.remove(stale.connection_id)
    connection_store.remove(stale.connection_id)  # removing twice is fine
    assert [c.connection_id for c in connection_store.for_user(user)] == [fresh.connection_id]

def test_a_signed_out_session_and_a_sign_out_everywhere_are_found_with_one_read(revocation_store):
    user, session, other = unique("u"), unique("s"), unique("s")
    assert revocation_store.find(user_id=user, session_id=session) == Revocations()
    revocation_store.revoke_session(user_id=user, session_id=session, at=1_000, keep_until=9_000)
    assert revocation_store.find(user_id=user, session_id=session) == Revocations(session_revoked=True)
    assert revocation_store.find(user_id=user, session_id=other) == Revocations()
    assert revocation_store.find(user_id=user, session_id="") == Revocations()  # a token without a session id
    revocation_store.revoke_everywhere(user_id=user, at=2_000, keep_until=9_000)
    assert revocation_store.find(user_id=user, session_id=other) == Revocations(signed_out_everywhere_at=2_000)
    assert revocation_store.find(user_id=unique("u"), session_id=other) == Revocations()  # nobody else's


def test_signing_out_everywhere_never_moves_the_time_back(revocation_store):
    user = unique("u")
    revocation_store.revoke_everywhere(user_id=user, at=2_000, keep_until=9_000)
    revocation_store.revoke_everywhere(user_id=user, at=1_000, keep_until=8_000)  # a slower, earlier request
    assert revocation_store.find(user_id=user, session_id="").signed_out_everywhere_at == 2_000
    revocation_store.revoke_everywhere(user_id=user, at=3_000, keep_until=9_500)
    assert revocation_store.find(user_id=user, session_id="").signed_out_everywhere_at == 3_000


def test_a_connection_remembers_the_session_it_was_opened_with(connection_store):
    user, now = unique("u"), int(time.time())
    with_session = Connection(unique("c"), user, now, now + 180, session_id=unique("s"))
    connection_store.add(with_session)
    assert connection_store.get(with_session.connection_id) == with_session
    assert connection_store.for_user(user) == [with_session]
