"""Contract tests: each in-memory twin and its real adapter (moto over HTTP) pass the same tests."""
import time
import uuid

import pytest

from chalicelib.adapters.accounts import InMemoryAccountStore
from chalicelib.adapters.connections import Connection, InMemoryConnectionStore
from chalicelib.adapters.identity import InMemoryIdentity
from chalicelib.domain.accounts import Profile
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
    assert provider.refresh(refresh_token=session.refresh_token).access_token
    provider.sign_out(access_token=session.access_token)
    with pytest.raises(InvalidToken):
        provider.refresh(refresh_token=session.refresh_token)
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
