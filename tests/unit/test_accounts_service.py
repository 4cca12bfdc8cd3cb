"""Sign-up and friends against the in-memory twins of Cognito and the account store."""
from types import SimpleNamespace

import pytest

from chalicelib.adapters.accounts import InMemoryAccountStore
from chalicelib.adapters.identity import InMemoryIdentity
from chalicelib.adapters.mailer import InMemoryMailer
from chalicelib.domain.accounts import Principal, Profile, UsernameHold
from chalicelib.domain.errors import (
    AccountNotConfirmed,
    InvalidInput,
    InvalidConfirmationCode,
    NotFound,
    UsernameTaken,
    WrongCredentials,
)
from chalicelib.services import accounts
from chalicelib.settings import Settings

PASSWORD = "Corr3ct-horse"
BRAND = "interKanect"
SETTINGS = Settings(brand_name=BRAND, support_email="help@example.test")
DAY = 86400
T0 = 1_750_000_000  # the clock of a sign-up, in seconds


@pytest.fixture
def identity():
    return InMemoryIdentity()


@pytest.fixture
def store():
    return InMemoryAccountStore()


@pytest.fixture
def mailer():
    return InMemoryMailer()


def sign_up(identity, store, email="ada@example.com", username="ada", mailer=None, at=T0):
    return accounts.sign_up(email=email, password=PASSWORD, display_name="Ada Lovelace",
                            username=username, identity=identity, accounts=store,
                            mailer=mailer or InMemoryMailer(), settings=SETTINGS, now=lambda: "T0",
                            clock=lambda: at)


def release(identity, store, now, days=7):
    return accounts.release_unconfirmed(identity=identity, accounts=store, now=now, days=days)


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


def test_signing_up_with_a_registered_email_answers_like_a_new_sign_up_and_emails_the_owner(
        identity, store, mailer):
    first = sign_up(identity, store, mailer=mailer)
    again = sign_up(identity, store, username="another", mailer=mailer)
    assert again.email == first.email and again.username == "another" and again.user_id != first.user_id
    assert set(vars(again)) == set(vars(first))  # the same answer shape: nothing tells them apart
    assert identity.accounts["ada@example.com"].user_id == first.user_id  # the account is untouched
    assert store.get(again.user_id) is None
    [notice] = mailer.sent
    assert notice.to == "ada@example.com" and BRAND in notice.subject
    assert "already has an account" in notice.text and "http" not in notice.text  # no link to sign in at
    assert "already has an account" in notice.html and "http" not in notice.html
    assert "help@example.test" in notice.text and "help@example.test" in notice.html  # the support address


def test_a_registered_email_holds_the_username_like_a_new_sign_up_would(identity, store):
    """Otherwise trying the same username again would tell which emails have accounts."""
    sign_up(identity, store)
    sign_up(identity, store, username="another")
    with pytest.raises(UsernameTaken):
        sign_up(identity, store, email="third@example.com", username="Another")
    assert release(identity, store, now=T0 + 7 * DAY) == 2  # both unconfirmed: both names come back
    sign_up(identity, store, email="third@example.com", username="another")


def test_a_sign_up_answers_the_same_when_the_notice_cannot_be_sent(identity, store):
    class DownMailer(InMemoryMailer):
        def send(self, email):
            raise ConnectionError("SES is down")

    sign_up(identity, store)
    assert sign_up(identity, store, username="another", mailer=DownMailer()).username == "another"


def test_confirming_says_the_same_for_an_unknown_email_and_a_wrong_code(identity, store):
    sign_up(identity, store)
    for email in ("ada@example.com", "nobody@example.com"):
        with pytest.raises(InvalidConfirmationCode):
            accounts.confirm_sign_up(email=email, code="000000x", identity=identity)


def test_resending_a_code_says_nothing_about_accounts(identity, store):
    sign_up(identity, store)
    accounts.confirm_sign_up(email="ada@example.com", code=identity.codes["ada@example.com"], identity=identity)
    for email in ("ada@example.com", "nobody@example.com"):
        accounts.resend_confirmation(email=email, identity=identity)  # no error either way


def test_a_sign_up_left_unconfirmed_for_seven_days_gives_back_its_username_and_email(identity, store):
    profile = sign_up(identity, store)
    assert release(identity, store, now=T0 + 7 * DAY - 1) == 0
    assert store.get(profile.user_id) is not None and not store.username_available("ada")
    assert release(identity, store, now=T0 + 7 * DAY) == 1
    assert store.get(profile.user_id) is None and store.username_available("ada")
    assert "ada@example.com" not in identity.accounts  # the email can sign up again
    again = sign_up(identity, store, at=T0 + 8 * DAY)
    assert store.get(again.user_id).username == "ada"


def test_a_confirmed_sign_up_keeps_its_username_for_good(identity, store):
    profile = sign_up(identity, store)
    accounts.confirm_sign_up(email="ada@example.com", code=identity.codes["ada@example.com"], identity=identity)
    assert release(identity, store, now=T0 + 30 * DAY) == 0
    assert store.holds == {}  # lifted: the job never looks at it again
    assert store.get(profile.user_id) is not None and store.owner_of_username("ada") == profile.user_id
    assert "ada@example.com" in identity.accounts


def test_releasing_is_safe_to_run_again_after_it_stopped_half_way(identity, store):
    profile = sign_up(identity, store)
    identity.delete_user(user_id=profile.user_id)  # the job stopped after deleting the Cognito account
    assert release(identity, store, now=T0 + 7 * DAY) == 1
    assert release(identity, store, now=T0 + 7 * DAY) == 0
    assert store.username_available("ada")


def test_a_hold_lifted_meanwhile_is_not_released(store):
    store.hold_username("ada", user_id="u1", held_since=T0)
    hold = UsernameHold("ada", "u1", T0)
    store.lift_hold(hold)
    assert store.release_hold(hold) is False and store.owner_of_username("ada") == "u1"


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
                              ops_group="ops", username_change_days=30)
    assert me["username"] == "ada" and me["roles"] == ["customer", "ops"]
    assert me["username_change"] == {"every_days": 30, "next_at": None}
    assert (me["is_helper"], me["avatar_url"]) == (False, None)
    page = SimpleNamespace(avatar_key="media/avatars/u/1.png")
    helper = accounts.describe_me(principal=Principal(profile.user_id), accounts=store, ops_group="ops",
                                  username_change_days=30, helper_page=lambda user_id: page)
    assert (helper["is_helper"], helper["avatar_url"]) == (True, "/media/avatars/u/1.png")
    with pytest.raises(NotFound):
        accounts.describe_me(principal=Principal("nobody"), accounts=store, ops_group="ops",
                             username_change_days=30)


def test_sign_up_names_every_invalid_field_at_once_and_creates_nothing(identity, store):
    with pytest.raises(InvalidInput) as refused:
        accounts.sign_up(email="not an email", password="short", display_name="\u202e", username="a",
                         identity=identity, accounts=store, mailer=InMemoryMailer(), settings=SETTINGS,
                         now=lambda: "T0", clock=lambda: T0)
    assert [p.field for p in refused.value.problems] == ["email", "password", "display_name", "username"]
    assert refused.value.field == "email"
    assert store.username_available("a") and identity.accounts == {}
