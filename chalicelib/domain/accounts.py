"""Account rules: usernames, passwords, emails, display names and roles."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from chalicelib.domain.errors import InvalidInput, UsernameReserved, WeakPassword

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{1,28})[A-Za-z0-9]$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
PASSWORD_MIN_LENGTH = 10
DISPLAY_NAME_MAX_LENGTH = 60

# Words that are, or may become, paths or roles of the site itself.
RESERVED_USERNAMES = frozenset(
    """
    about account accounts admin administrator api app apps assets auth billing blog
    call calls categories category config connect contact dashboard dev docs download
    events faq h help helper helpers home interkanect kbw legal login logout me mod
    moderator null ops pay payment payments payout payouts paypal polls privacy profile
    refund refunds register root search security settings sign-in sign-out sign-up
    signin signout signup site static status store stores support system terms test
    undefined user users webhook webhooks www
    """.split()
)


def username_key(username: str) -> str:
    """The case-insensitive identity of a username (`Ada` and `ada` are one name)."""
    return username.casefold()


def check_username(username: str) -> str:
    if not USERNAME_PATTERN.fullmatch(username):
        raise InvalidInput(
            "Usernames are 3 to 30 letters, digits, '-' or '_', starting and ending "
            "with a letter or digit.",
            field="username",
        )
    if username_key(username) in RESERVED_USERNAMES:
        raise UsernameReserved(f"'{username}' is reserved; please choose another.", field="username")
    return username


def check_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not EMAIL_PATTERN.fullmatch(email):
        raise InvalidInput("Enter a valid email address.", field="email")
    return email.lower()


def password_problems(password: str) -> list[str]:
    """What a password lacks against the user pool's policy (same numbers as infra)."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(f"at least {PASSWORD_MIN_LENGTH} characters")
    if not re.search(r"[a-z]", password):
        problems.append("a lowercase letter")
    if not re.search(r"[A-Z]", password):
        problems.append("an uppercase letter")
    if not re.search(r"[0-9]", password):
        problems.append("a digit")
    if len(password) > 256:
        problems.append("at most 256 characters")
    return problems


def check_password(password: str) -> str:
    problems = password_problems(password)
    if problems:
        raise WeakPassword("Password needs " + ", ".join(problems) + ".", field="password")
    return password


def check_display_name(display_name: str) -> str:
    name = " ".join(display_name.split())
    if not name or len(name) > DISPLAY_NAME_MAX_LENGTH or any(ord(c) < 32 for c in display_name):
        raise InvalidInput(
            f"Display name is 1 to {DISPLAY_NAME_MAX_LENGTH} characters.", field="display_name"
        )
    return name


@dataclass(frozen=True)
class Profile:
    """What interKanect knows about a person beyond their Cognito credentials."""

    user_id: str
    email: str
    username: str
    display_name: str
    created_at: str


@dataclass(frozen=True)
class Principal:
    """Who is calling, as proven by a verified token."""

    user_id: str
    groups: tuple[str, ...] = field(default_factory=tuple)
    session_id: str = ""  # the sign-in the token belongs to (domain.sessions), "" when unknown
    issued_at: int = 0  # the token's `iat`, epoch seconds


def roles_for(groups: tuple[str, ...] | list[str], ops_group: str) -> list[str]:
    """Everyone is a customer; the ops Cognito group adds the ops role."""
    roles = ["customer"]
    if ops_group in groups:
        roles.append("ops")
    return roles


@dataclass(frozen=True)
class Session:
    """Tokens of a signed-in session, as handed to the browser."""

    access_token: str
    id_token: str
    refresh_token: str | None
    expires_in: int
