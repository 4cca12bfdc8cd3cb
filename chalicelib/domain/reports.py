"""Reports to ops about what people publish (a review, a blog post, a product, an event) and ops'
decision about it: the one set of rules for every kind.

A report names its subject (`<kind>:<id>`), the subject's owner (who is told when it is hidden), the
person reporting, a reason and a note. A person reports a subject once (a second report is refused,
changing nothing) and files at most `settings.reports_per_day` reports in any 24 hours. The open
reports of one subject are one item of ops' queue (a `Case`: how many, for which reasons), decided
once: hidden (the report upheld) or kept (dismissed). A subject kept and reported again by someone
else is in the queue again."""
from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.domain.errors import Conflict, InvalidInput, TooManyAttempts
from chalicelib.domain.user_text import checked_text, has_control_characters

KINDS = ("review", "post", "product", "event")
KIND_NAMES = {"review": "review", "post": "blog post", "product": "product", "event": "event"}

_COMMON = {
    "spam": "Spam or advertising",
    "offensive": "Offensive, hateful or harassing",
    "personal_information": "Shares someone's personal information",
}
_ELSE = {"other": "Something else"}
REASONS: dict[str, dict[str, str]] = {
    "review": {**_COMMON, "not_about_the_session": "Not about the session",
               "fake": "Fake, or written for a reward", **_ELSE},
    "post": {**_COMMON, "misleading": "False or misleading", "illegal": "Illegal content", **_ELSE},
    "product": {**_COMMON, "misleading": "False or misleading", "illegal": "Illegal or not allowed for sale",
                "counterfeit": "Counterfeit or infringing", **_ELSE},
    "event": {**_COMMON, "misleading": "False or misleading", "illegal": "Illegal content", **_ELSE},
}
ALL_REASONS = tuple(dict.fromkeys(reason for reasons in REASONS.values() for reason in reasons))
NOTE_MAX = 1000  # what the person reporting may add
DECISION_NOTE_MAX = 2000  # ops' note, told to the owner when the thing is hidden
ID_MAX = 200
REPORTS_PER_DAY = 20  # the settings' default
DAY = 24 * 3600

OPEN, HIDDEN, KEPT = "open", "hidden", "kept"
DECISIONS = {"hide": HIDDEN, "keep": KEPT}


class AlreadyReported(Conflict):
    code = "already_reported"


class AlreadyDecided(Conflict):
    code = "already_decided"


class TooManyReports(TooManyAttempts):
    code = "too_many_reports"


def subject_of(kind: str, subject_id: str) -> str:
    return f"{kind}:{subject_id}"


@dataclass(frozen=True)
class Report:
    """One person's report of one subject."""

    kind: str
    subject_id: str
    owner_id: str
    reporter_id: str
    reason: str
    note: str
    created_at: int

    @property
    def subject(self) -> str:
        return subject_of(self.kind, self.subject_id)


@dataclass(frozen=True)
class Case:
    """A subject's item in ops' queue: its reports since it was last decided (`open_count`, by
    reason), every report ever (`total`), and the last decision (who, when, why)."""

    kind: str
    subject_id: str
    owner_id: str
    state: str  # open, hidden (upheld) or kept (dismissed)
    open_count: int = 0
    total: int = 0
    reasons: dict[str, int] = field(default_factory=dict)  # the open reports' reasons, how many each
    opened_at: int | None = None  # the first open report's time (the queue's order); None once decided
    last_at: int = 0
    decided_by: str | None = None
    decided_at: int | None = None
    decision_note: str = ""

    @property
    def subject(self) -> str:
        return subject_of(self.kind, self.subject_id)

    @property
    def open(self) -> bool:
        return self.state == OPEN


def check_kind(kind: object) -> str:
    if kind not in KINDS:
        raise InvalidInput(f"Report a {', '.join(KINDS[:-1])} or {KINDS[-1]}.", field="kind")
    return str(kind)


def check_subject_id(subject_id: object) -> str:
    if not isinstance(subject_id, str) or not 0 < len(subject_id) <= ID_MAX or has_control_characters(subject_id):
        raise InvalidInput("Say which one is reported.", field="id")
    return subject_id


def check_report(kind: object, subject_id: object, reason: object, note: object) -> tuple[str, str, str, str]:
    """The report's kind, subject, reason (one of the kind's) and note, or InvalidInput."""
    kind = check_kind(kind)
    subject_id = check_subject_id(subject_id)
    if reason not in REASONS[kind]:
        raise InvalidInput(f"Pick a reason: {', '.join(REASONS[kind])}.", field="reason")
    return kind, subject_id, str(reason), checked_text(note, field_name="note", maximum=NOTE_MAX, what="note")


def check_decision(decision: object, note: object, *, kind: str = "review") -> tuple[str, str]:
    """hide or keep, and ops' note (required to hide: the owner is told why)."""
    if decision not in DECISIONS:
        raise InvalidInput("Decide hide or keep.", field="decision")
    note = checked_text(note, field_name="note", maximum=DECISION_NOTE_MAX, what="note")
    if decision == "hide" and not note:
        raise InvalidInput(f"Say why the {KIND_NAMES.get(kind, kind)} is hidden: its owner is told.", field="note")
    return str(decision), note


def check_within_limit(filed_today: int, *, limit: int = REPORTS_PER_DAY) -> None:
    """Refuses a report beyond the person's allowance for 24 hours."""
    if filed_today >= limit:
        raise TooManyReports(f"You can send at most {limit} reports a day; thank you. Try again tomorrow.")


def check_not_own(owner_id: str, reporter_id: str, kind: str) -> None:
    if owner_id == reporter_id:
        raise Conflict(f"This is your own {KIND_NAMES[kind]}.")


def reason_label(kind: str, reason: str) -> str:
    return REASONS.get(kind, {}).get(reason) or next(
        (reasons[reason] for reasons in REASONS.values() if reason in reasons), reason)
