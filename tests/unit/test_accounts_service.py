"""Sign-up and friends against the in-memory twins of Cognito and the account store."""
import pytest

from chalicelib.adapters.accounts import InMemoryAccountStore
from chalicelib.adapters.identity import InMemoryIdentity
from chalicelib.domain.accounts import Principal, Profile
from chalicelib.domain.errors import (
    AccountNotConfirmed,
    EmailTaken,
    InvalidConfirmationCode,
    NotFound,
    UsernameTaken,
    WrongCredentials,
)
from chalicelib.services import accounts

PASSWORD = "Corr3ct-horse"


@pytest.fixture
def identity():
    return InMemoryIdentity()


@pytest.fixture
def store():
    return InMemoryAccountStore()


def sign_up(identity, store, email="ada@example.com", username="ada"):
    return accounts.sign_up(email=email, password=PASSWORD, display_name="Ada Lovelace",
                            username=username, identity=identity, accounts=store, now=lambda: "T0")


def test_sign_up_creates_the_identity_and_the_profile(identity, store):
    profile = sign_up(identity, store)
    assert profile == Profile(user_id=profile.user_id, email="ada@example.com", username="ada",
                              display_name="Ada Lovelace", created_at="T0")
    assert store.get(profile.user_id) == profile
    assert "ada@example.com" in identity.accounts


def test_a_taken_username_is_refused_before_any_account_is_made(identity, store):
    sign_up(identity, store)
    with pytest.raises(UsernameTaken):
        sign_up(identity, store, email="other@example.com", username="ADA")
    assert "other@example.com" not in identity.accounts


def test_losing_a_username_race_removes_the_identity_just_made(identity, store):
    class RacedStore(InMemoryAccountStore):
        def username_available(self, username):
            return True  # the check passed, then someone else claimed the name

    raced = RacedStore()
    sign_up(identity, raced)
    with pytest.raises(UsernameTaken):
        sign_up(identity, raced, email="late@example.com")
    assert "late@example.com" not in identity.accounts


def test_an_email_already_registered_is_refused(identity, store):
    sign_up(identity, store)
    with pytest.raises(EmailTaken):
        sign_up(identity, store, username="another")


def test_sign_in_needs_a_confirmed_account_and_the_right_password(identity, store):
    sign_up(identity, store)
    with pytest.raises(AccountNotConfirmed):
        accounts.sign_in(email="ada@example.com", password=PASSWORD, identity=identity)
    with pytest.raises(InvalidConfirmationCode):
        accounts.confirm_sign_up(email="ada@example.com", code="000000x", identity=identity)
    accounts.confirm_sign_up(email="ada@example.com", code=identity.codes["ada@example.com"],
                             identity=identity)
    with pytest.raises(WrongCredentials):
        accounts.sign_in(email="ada@example.com", password="Wr0ng-password", identity=identity)
    session = accounts.sign_in(email="ADA@example.com", password=PASSWORD, identity=identity)
    assert session.access_token and session.refresh_token


def test_describe_me_shows_the_profile_and_roles(identity, store):
    profile = sign_up(identity, store)
    me = accounts.describe_me(principal=Principal(profile.user_id, ("ops",)), accounts=store,
                              ops_group="ops")
    assert me["username"] == "ada" and me["roles"] == ["customer", "ops"]
    with pytest.raises(NotFound):
        accounts.describe_me(principal=Principal("nobody"), accounts=store, ops_group="ops")
