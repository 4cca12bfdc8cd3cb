"""Contract tests: each in-memory twin and its real adapter (moto over HTTP) pass the same tests."""
import time
import uuid

import pytest

from chalicelib.adapters.accounts import InMemoryAccountStore
from chalicelib.adapters.connections import Connection, InMemoryConnectionStore
from chalicelib.adapters.identity import InMemoryIdentity
from chalicelib.adapters.revocations import InMemoryRevocationStore
from chalicelib.domain.accounts import Profile, UsernameHold
from chalicelib.domain.sessions import Revocations
from chalicelib.domain.errors import (
    AccountNotConfirmed,
    EmailTaken,
    InvalidConfirmationCode,
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


def test_several_profiles_are_read_at_once_and_unknown_ids_left_out(account_store):
    ada, bob = profile(unique("Many")), profile(unique("Many"))
    account_store.create(ada)
    account_store.create(bob)
    assert account_store.get_many([ada.user_id, "nobody", bob.user_id, ada.user_id]) == {
        ada.user_id: ada, bob.user_id: bob}
    assert account_store.get_many([]) == {}


def test_a_sign_up_holds_its_username_until_the_hold_is_lifted_or_released(account_store):
    """Holds are found by when they began (the release job's Query); the small times keep this
    test's holds apart from real sign-ups on the shared stack."""
    base = uuid.uuid4().int % 10**6
    held = profile(unique("Held"))
    account_store.create(held, held_since=base + 10)
    bare_name, bare_id = unique("Bare"), str(uuid.uuid4())
    account_store.hold_username(bare_name, user_id=bare_id, held_since=base + 5)  # no profile behind it
    with pytest.raises(UsernameTaken):
        account_store.hold_username(bare_name.upper(), user_id="someone-else", held_since=base)
    with pytest.raises(UsernameTaken):
        account_store.create(profile(held.username.lower()))
    ours = {held.user_id, bare_id}

    def holds_made_by(cutoff):
        return [h for h in account_store.holds_made_by(cutoff, limit=1000) if h.user_id in ours]

    assert holds_made_by(base + 10) == [UsernameHold(bare_name, bare_id, base + 5),
                                        UsernameHold(held.username, held.user_id, base + 10)]
    assert holds_made_by(base + 9) == [UsernameHold(bare_name, bare_id, base + 5)]
    lifted = UsernameHold(held.username, held.user_id, base + 10)
    account_store.lift_hold(lifted)  # confirmed: the name is the user's for good
    account_store.lift_hold(lifted)  # lifting twice is fine
    assert holds_made_by(base + 10) == [UsernameHold(bare_name, bare_id, base + 5)]
    assert account_store.release_hold(lifted) is False
    assert account_store.get(held.user_id) == held and account_store.owner_of_username(held.username) == held.user_id
    bare = UsernameHold(bare_name, bare_id, base + 5)
    assert account_store.release_hold(bare) is True and account_store.username_available(bare_name)
    assert account_store.release_hold(bare) is False and holds_made_by(base + 10) == []


def test_releasing_an_unconfirmed_sign_up_forgets_its_profile_and_frees_its_name(account_store):
    gone = profile(unique("Gone"))
    account_store.create(gone, held_since=77)
    assert account_store.release_hold(UsernameHold(gone.username, gone.user_id, 77)) is True
    assert account_store.get(gone.user_id) is None and account_store.username_available(gone.username)
    assert account_store.owner_of_username(gone.username) is None


def test_a_username_change_remembers_when(account_store):
    person = profile(unique("Was"))
    account_store.create(person)
    new = unique("Now")
    account_store.change_username(person.user_id, person.username, new, changed_at="2026-11-23T10:00:00+00:00")
    changed = account_store.get(person.user_id)
    assert (changed.username, changed.username_changed_at) == (new, "2026-11-23T10:00:00+00:00")
    assert account_store.owner_of_username(person.username) == person.user_id  # the old name stays held


def test_the_identity_tells_the_release_job_whether_an_account_is_confirmed(identity):
    provider, code_for = identity
    email = f"{unique('state')}@example.com"
    user_id = provider.sign_up(email=email, password=PASSWORD, display_name="Someone")
    assert provider.is_confirmed(user_id=user_id) is False
    provider.confirm(email=email, code=code_for(email))
    assert provider.is_confirmed(user_id=user_id) is True
    provider.delete_user(user_id=user_id)
    assert provider.is_confirmed(user_id=user_id) is None
    assert provider.is_confirmed(user_id=str(uuid.uuid4())) is None


def test_confirming_and_resending_tell_no_accounts_apart(identity):
    provider, code_for = identity
    with pytest.raises(InvalidConfirmationCode):
        provider.confirm(email=f"{unique('nobody')}@example.com", code="123456")
    email = f"{unique('known')}@example.com"
    provider.sign_up(email=email, password=PASSWORD, display_name="Someone")
    provider.confirm(email=email, code=code_for(email))
    provider.resend_code(email=email)  # confirmed already: no error, as for an unknown email
    provider.resend_code(email=f"{unique('nobody')}@example.com")


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
