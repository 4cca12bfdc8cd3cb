"""The pure account rules: usernames, emails, passwords, display names, roles."""
import pytest

from chalicelib.domain import accounts as rules
from chalicelib.domain.accounts import UsernameHold
from chalicelib.domain.errors import InvalidInput, UsernameChangeTooSoon, UsernameReserved, WeakPassword

BRAND = "interKanect"  # settings.brand_name's default; the rules take it as an argument


@pytest.mark.parametrize("name", ["ada", "Ada_Lovelace", "a-1", "x" * 30, "123"])
def test_usernames_of_letters_digits_dash_and_underscore_are_accepted(name):
    assert rules.check_username(name, brand=BRAND) == name


@pytest.mark.parametrize("name", ["ab", "x" * 31, "-ada", "ada_", "ada lovelace", "ada/h", "ädä", "", "a.b"])
def test_usernames_that_would_make_a_bad_url_are_refused(name):
    with pytest.raises(InvalidInput) as error:
        rules.check_username(name, brand=BRAND)
    assert error.value.field == "username"


@pytest.mark.parametrize("name", ["admin", "API", "Sign-Up", "ops", "interKanect", "h"[:0] + "help", "h3lp",
                                  "signup"])
def test_reserved_usernames_are_refused_whatever_their_case(name):
    with pytest.raises(UsernameReserved):
        rules.check_username(name, brand=BRAND)


@pytest.mark.parametrize("name", [
    "admin1", "the-admin", "SiteAdmin", "4dmin", "adm1n", "addmin", "adrnin",  # admin anywhere, however spelt
    "ops-team", "0ps", "ops1", "0ps1", "OpsTeam", "night_ops", "OPS",  # ops as a word of its own
    "interkanect-support", "1nterKanect", "inter_kanect", "the-interkanect-guy",  # the brand anywhere
    "paypal-support", "PayPal", "p4yp4l", "paypal_refunds",
    "noreply", "no-reply", "n0_reply", "support", "suppport", "tech-support", "5upport",
    "official-ada", "0fficial", "security-desk", "m0derator", "verified_ada", "ada-mods", "ada-mod",
    "staff", "5taff", "Staff-Ada", "root", "sysadmin", "helpdesk", "webmaster",
])
def test_names_that_pass_for_staff_or_the_brand_are_refused(name):
    with pytest.raises(UsernameReserved) as error:
        rules.check_username(name, brand=BRAND)
    assert error.value.field == "username"


@pytest.mark.parametrize("name", ["tops", "hopscotch", "John-Stafford", "modern-art", "badminton-coach",
                                  "maths-helper", "user123", "opsgroup_1a2b", "Moderna", "grassroots-band"])
def test_names_that_merely_contain_the_letters_of_a_staff_word_are_fine(name):
    assert rules.check_username(name, brand=BRAND) == name


def test_the_brand_comes_from_the_settings_not_the_code():
    assert rules.check_username("interkanect-fan", brand="Acme Help") == "interkanect-fan"
    with pytest.raises(UsernameReserved):
        rules.check_username("acmehelp-desk", brand="Acme Help")
    with pytest.raises(UsernameReserved):
        rules.check_username("4cme-h3lp", brand="Acme Help")


def test_readings_ignore_case_separators_digits_for_letters_and_doubled_letters():
    assert "admin" in rules.readings("A-d_M-1-n")
    assert "ops" in rules.readings("0ps1")
    assert "suport" in rules.readings("SUPPORT")  # squeezed: words are compared squeezed too


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
    assert rules.check_display_name("  Ada   Lovelace ", brand=BRAND) == "Ada Lovelace"
    for bad in ["", "   ", "x" * 61, "Ada\x00", "Ada\x1b[31m", "\u200b\u200b", "\u202e\u202c"]:
        with pytest.raises(InvalidInput):
            rules.check_display_name(bad, brand=BRAND)


def test_display_names_lose_bidi_overrides_and_other_invisible_characters():
    assert rules.check_display_name("Support \u202eecilA\u202c", brand=BRAND) == "Support ecilA"
    assert rules.check_display_name("A\u200bda \u2066Love\u2069lace\ufeff", brand=BRAND) == "Ada Lovelace"
    assert rules.check_display_name("Dev \U0001F469\u200d\U0001F4BB", brand=BRAND) == "Dev \U0001F469\u200d\U0001F4BB"


@pytest.mark.parametrize("name", ["interKanect Team", "Inter Kanect", "PayPal Help", "Ada (Admin)", "Staff",
                                  "Ada the 4dmin", "Moderators", "Official", "No-Reply"])
def test_display_names_that_pass_for_staff_or_the_brand_are_refused(name):
    with pytest.raises(InvalidInput) as error:
        rules.check_display_name(name, brand=BRAND)
    assert error.value.field == "display_name"


@pytest.mark.parametrize("name", ["Tech Support Tom", "Badminton Bob", "Zoë Staffordshire", "Ops 1a2b"])
def test_display_names_may_name_a_trade(name):
    assert rules.check_display_name(name, brand=BRAND) == name


@pytest.mark.parametrize("email", ["ada\u200b@example.com", "ad\u202ea@example.com", "ada@exa\x00mple.com"])
def test_emails_with_invisible_or_control_characters_are_refused(email):
    with pytest.raises(InvalidInput):
        rules.check_email(email)


def test_a_username_changes_at_most_once_per_period():
    assert rules.username_changeable_at(None, every_days=30) is None  # the sign-up choice may be fixed at once
    rules.check_username_change(None, now="2025-01-01T00:00:00+00:00", every_days=30)
    changed = "2025-01-01T12:00:00+00:00"
    assert rules.username_changeable_at(changed, every_days=30) == "2025-01-31T12:00:00+00:00"
    with pytest.raises(UsernameChangeTooSoon) as error:
        rules.check_username_change(changed, now="2025-01-31T11:59:59+00:00", every_days=30)
    assert error.value.field == "username" and "30 days" in error.value.message
    assert "January 31, 2025" in error.value.message
    rules.check_username_change(changed, now="2025-01-31T12:00:00+00:00", every_days=30)
    rules.check_username_change(changed, now="2025-01-01T12:00:01+00:00", every_days=0)  # 0: no limit


def test_an_unconfirmed_sign_up_holds_its_name_for_the_set_days():
    hold = UsernameHold("ada", "u1", held_since=1_000_000)
    assert not rules.hold_expired(hold, now=1_000_000 + 7 * 86400 - 1, days=7)
    assert rules.hold_expired(hold, now=1_000_000 + 7 * 86400, days=7)


def test_everyone_is_a_customer_and_the_ops_group_adds_ops():
    assert rules.roles_for((), "ops") == ["customer"]
    assert rules.roles_for(("ops", "other"), "ops") == ["customer", "ops"]
