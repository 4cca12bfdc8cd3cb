"""The pure account rules: usernames, emails, passwords, display names, roles."""
import pytest

from chalicelib.domain import accounts as rules
from chalicelib.domain.errors import InvalidInput, UsernameReserved, WeakPassword


@pytest.mark.parametrize("name", ["ada", "Ada_Lovelace", "a-1", "x" * 30, "123"])
def test_usernames_of_letters_digits_dash_and_underscore_are_accepted(name):
    assert rules.check_username(name) == name


@pytest.mark.parametrize("name", ["ab", "x" * 31, "-ada", "ada_", "ada lovelace", "ada/h", "ädä", "", "a.b"])
def test_usernames_that_would_make_a_bad_url_are_refused(name):
    with pytest.raises(InvalidInput) as error:
        rules.check_username(name)
    assert error.value.field == "username"


@pytest.mark.parametrize("name", ["admin", "API", "Sign-Up", "ops", "interKanect", "h"[:0] + "help"])
def test_reserved_usernames_are_refused_whatever_their_case(name):
    with pytest.raises(UsernameReserved):
        rules.check_username(name)


def test_username_identity_ignores_case():
    assert rules.username_key("AdaL") == rules.username_key("adal")


@pytest.mark.parametrize("email", ["ada@example.com", " Ada@Example.COM "])
def test_emails_are_trimmed_and_lowercased(email):
    assert rules.check_email(email) == "ada@example.com"


@pytest.mark.parametrize("email", ["", "ada", "ada@", "@example.com", "ada@example", "a b@example.com",
                                   "x" * 250 + "@example.com"])
def test_invalid_emails_are_refused(email):
    with pytest.raises(InvalidInput):
        rules.check_email(email)


def test_a_weak_password_names_everything_it_lacks():
    with pytest.raises(WeakPassword) as error:
        rules.check_password("short")
    message = error.value.message
    assert "10 characters" in message and "uppercase" in message and "digit" in message
    assert error.value.field == "password"


def test_a_long_mixed_password_is_accepted():
    assert rules.check_password("Correct-horse-7") == "Correct-horse-7"


def test_display_names_collapse_whitespace_and_refuse_control_characters():
    assert rules.check_display_name("  Ada   Lovelace ") == "Ada Lovelace"
    for bad in ["", "   ", "x" * 61, "Ada\x00"]:
        with pytest.raises(InvalidInput):
            rules.check_display_name(bad)


def test_everyone_is_a_customer_and_the_ops_group_adds_ops():
    assert rules.roles_for((), "ops") == ["customer"]
    assert rules.roles_for(("ops", "other"), "ops") == ["customer", "ops"]
