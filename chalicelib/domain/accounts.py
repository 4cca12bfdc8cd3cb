"""Account rules: usernames, passwords, emails, display names and roles."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from chalicelib.domain.errors import InvalidInput, UsernameChangeTooSoon, UsernameReserved, WeakPassword
from chalicelib.domain.user_text import has_control_characters, one_line, visible_text

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{1,28})[A-Za-z0-9]$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
PASSWORD_MIN_LENGTH = 10
DISPLAY_NAME_MAX_LENGTH = 60

# Words that are, or may become, paths or roles of the site itself.
RESERVED_USERNAMES = frozenset(
    """
    about account accounts admin administrator api app apps assets auth billing blog
    call calls categories category config connect contact dashboard dev docs download
    events faq h help helper helpers home kbw legal login logout me mod
    moderator null ops pay payment payments payout payouts paypal polls privacy profile
    refund refunds register root search security settings sign-in sign-out sign-up
    signin signout signup site static status store stores support system terms test
    undefined user users webhook webhooks www
    """.split()
)

# Names that pass for staff, or for a company people trust: refused wherever they appear in a
# username once it is read as people read it (see `readings`). The brand comes from settings.
STAFF_WORDS = ("admin", "paypal", "support", "official", "security", "moderator", "noreply",
               "helpdesk", "webmaster", "postmaster", "hostmaster", "customerservice",
               "customercare", "trustandsafety", "verified")
# Short words that are staff only as a word of their own: `ops-team`, `0ps`, `Ops1`, `OpsTeam`,
# but not `tops`, `hopscotch`, `John-Stafford` or `modern-art`.
STAFF_TOKENS = ("ops", "staff", "mod", "mods", "root", "sysop", "sysadmin")
# Everyday words that hold a staff word; read past them (`badminton-coach` is nobody's admin).
INNOCENT_WORDS = ("badminton",)
# In a display name (free text people also use for their trade, "Tech Support Tom"), only the
# brand, PayPal and no-reply anywhere, and staff titles as words of their own, pass for staff.
DISPLAY_STAFF_WORDS = ("paypal", "noreply")
DISPLAY_STAFF_TOKENS = ("admin", "administrator", "moderator", "staff", "official")

_DIGITS_AS_I = str.maketrans("0123456789", "oizeasgtbg")  # 0→o 1→i 2→z 3→e 4→a 5→s 6→g 7→t 8→b 9→g
_DIGITS_AS_L = str.maketrans("1", "l")
_SEPARATORS = re.compile(r"[\W_]+")
_LOOKALIKE_PAIRS = (("rn", "m"), ("vv", "w"))


def _squeeze(word: str) -> str:
    """Doubled letters as one (`suppport`, `addmin`); words are compared squeezed too."""
    return re.sub(r"(.)\1+", r"\1", word)


def readings(text: str) -> set[str]:
    """The ways a reader may read `text`: case, accents and separators ignored, digits read as the
    letters they look like (1 as i or l) or as decoration (dropped), `rn` as m and `vv` as w,
    doubled letters as one."""
    folded = unicodedata.normalize("NFKD", visible_text(text).casefold())
    bare = _SEPARATORS.sub("", "".join(c for c in folded if not unicodedata.combining(c)))
    forms = {bare.translate(_DIGITS_AS_L).translate(_DIGITS_AS_I), bare.translate(_DIGITS_AS_I),
             re.sub(r"\d+$", "", bare).translate(_DIGITS_AS_I), re.sub(r"\d", "", bare)}
    for old, new in _LOOKALIKE_PAIRS:
        forms |= {form.replace(old, new) for form in forms}
    return {_squeeze(form) for form in forms}


def _words_of(text: str) -> list[str]:
    """The words of a name: split at separators and where `camelCase` starts a new word."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", visible_text(text))
    return [word for word in _SEPARATORS.split(spaced) if word]


def _canonical(word: str) -> str:
    """A staff or brand word as `readings` reads names: lower case, no separators, squeezed."""
    return _squeeze(_SEPARATORS.sub("", word.casefold()).translate(_DIGITS_AS_I))


def imitated_word(text: str, *, anywhere: tuple[str, ...], as_word: tuple[str, ...] = ()) -> str | None:
    """The staff or brand word `text` imitates, or None: one of `anywhere` inside it, or one of
    `as_word` as one of its words (or its plural), however it is spelled (`readings`)."""
    innocent = [_canonical(word) for word in INNOCENT_WORDS]
    for reading in readings(text):
        for word in innocent:
            reading = reading.replace(word, " ")
        for word in anywhere:
            if _canonical(word) and _canonical(word) in reading:
                return word
    for part in _words_of(text):
        part_readings = readings(part)
        part_readings |= {reading[:-1] for reading in part_readings if reading.endswith("s")}
        for word in as_word:
            if _canonical(word) in part_readings:
                return word
    return None


@lru_cache(maxsize=1)
def _reserved_forms() -> frozenset[str]:
    """The reserved names as compared, worked out on first use rather than at import (a cold
    start that never checks a username does not pay for it)."""
    return frozenset(_canonical(word) for word in RESERVED_USERNAMES)


def username_key(username: str) -> str:
    """The case-insensitive identity of a username (`Ada` and `ada` are one name)."""
    return username.casefold()


def check_username(username: str, *, brand: str) -> str:
    """A name for a page address: a clean URL segment, not a path of the site, and not passing
    for staff, for the brand (`settings.brand_name`) or for a company people trust."""
    if not USERNAME_PATTERN.fullmatch(username):
        raise InvalidInput(
            "Usernames are 3 to 30 letters, digits, '-' or '_', starting and ending "
            "with a letter or digit.",
            field="username",
        )
    if {_canonical(username), _canonical(username.translate(_DIGITS_AS_L))} & _reserved_forms():
        raise UsernameReserved(f"'{username}' is reserved; please choose another.", field="username")
    if imitated_word(username, anywhere=(brand, *STAFF_WORDS), as_word=STAFF_TOKENS):
        raise UsernameReserved(f"'{username}' could pass for {brand} staff or another company; "
                               "please choose another.", field="username")
    return username


def check_email(email: str) -> str:
    email = email.strip()
    if (len(email) > 254 or not EMAIL_PATTERN.fullmatch(email) or visible_text(email) != email
            or has_control_characters(email, allowed="")):
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


def check_display_name(display_name: str, *, brand: str) -> str:
    """The name others see: one visible line (domain.user_text), not passing for staff or the brand."""
    name = one_line(display_name)
    if not name or len(name) > DISPLAY_NAME_MAX_LENGTH or has_control_characters(display_name, allowed=""):
        raise InvalidInput(
            f"Display name is 1 to {DISPLAY_NAME_MAX_LENGTH} characters.", field="display_name"
        )
    if imitated_word(name, anywhere=(brand, *DISPLAY_STAFF_WORDS), as_word=DISPLAY_STAFF_TOKENS):
        raise InvalidInput(f"Display names cannot pass for {brand} staff or another company.",
                           field="display_name")
    return name


def _instant(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def username_changeable_at(changed_at: str | None, *, every_days: int) -> str | None:
    """When the username may change again: `every_days` after its last change. None when it
    never changed (the name picked at sign-up may be corrected at once) or there is no limit."""
    if changed_at is None or every_days <= 0:
        return None
    return (_instant(changed_at) + timedelta(days=every_days)).isoformat(timespec="seconds")


def check_username_change(changed_at: str | None, *, now: str, every_days: int) -> None:
    """A username changes at most once every `every_days` days: every old name stays held by its
    owner forever (old links redirect), so changes must not pile up names."""
    allowed_at = username_changeable_at(changed_at, every_days=every_days)
    if allowed_at is not None and _instant(now) < _instant(allowed_at):
        day = _instant(allowed_at)
        raise UsernameChangeTooSoon(
            f"You can change your username once every {every_days} days; next on "
            f"{day:%B} {day.day}, {day.year}.", field="username")


@dataclass(frozen=True)
class Profile:
    """What interKanect knows about a person beyond their Cognito credentials."""

    user_id: str
    email: str
    username: str
    display_name: str
    created_at: str
    username_changed_at: str | None = None  # the last change (never the choice at sign-up)


@dataclass(frozen=True)
class UsernameHold:
    """A username claimed by a sign-up not known to be confirmed, since `held_since` (epoch s)."""

    username: str
    user_id: str
    held_since: int


def hold_expired(hold: UsernameHold, *, now: int, days: int) -> bool:
    """An unconfirmed sign-up keeps its username `days` days, then gives it (and its email) back."""
    return now >= hold.held_since + days * 86400


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
