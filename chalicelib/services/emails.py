"""Emails to people, composed from templates and sent best effort: a mail failure never undoes
what the email tells about.

Each kind of email is two templates under `chalicelib/templates/email/`: `<kind>.txt` holds its
subject, why the person gets it and the text message; `<kind>.html` the same message as HTML. Both
extend one layout (`layout.txt`, `layout.html`): the brand's header, the greeting, the message, the
sign-off, and a footer with the support address and why the person got the email. Jinja loads on
the first email, not at cold import; the HTML part is autoescaped and an unknown name is an error.

An email to a person of a kind that is a notice (domain/notices.py) goes through the notification
centre when the desk holds one (services/notices.py `record_and_deliver`): recorded, and emailed
(with one-click unsubscribe for its category) and pushed as the person chose.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Protocol

from chalicelib.adapters.mailer import Attachment, Email
from chalicelib.domain.money import format_usd
from chalicelib.domain.user_text import visible_text
from chalicelib.observability import logger

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACES = re.compile(r"[ \t]+\n")


class Desk(Protocol):
    """What sending needs: who the person is, the mailer, and the settings emails are signed with."""

    accounts: Any
    mailer: Any
    settings: Any


@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    environment = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)),
                              autoescape=select_autoescape(["html"], default_for_string=False),
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)
    environment.filters["usd"] = format_usd
    return environment


def compose(kind: str, *, to: str, settings: Any, name: str | None = None, calendar: bytes | None = None,
            attachments: tuple[Attachment, ...] = (), **context: Any) -> Email:
    """The email of this kind to `to`, both parts from its templates; `name` is who the greeting
    addresses ("Hello," without one), `context` the values its templates name. `calendar` (an
    invitation from `chalicelib.services.calendar_files`) and `attachments` go with it as they
    are; `tell` passes them through like any other value."""
    environment = _environment()
    values = {"brand_name": settings.brand_name, "support_email": settings.support_email,
              "name": visible_text(name).strip() if name else None, **context}
    text_template = environment.get_template(f"email/{kind}.txt")
    parts = {block: " ".join(_render_block(text_template, block, values).split()) for block in ("subject", "why")}
    values.update(parts)
    text = _tidy(text_template.render(values))
    html = environment.get_template(f"email/{kind}.html").render(values)
    return Email(to=to, subject=parts["subject"], text=text, html=html, attachments=tuple(attachments),
                 calendar=calendar)


def tell(desk: Desk, user_id: str | None, kind: str, **context: Any) -> None:
    """Emails a person by their user id; nothing when they are unknown, a warning when SES fails."""
    profile = desk.accounts.get(user_id) if user_id else None
    if profile is not None:
        _send(desk, profile, kind, context)


def tell_each(desk: Desk, *messages: tuple[str | None, str, dict[str, Any]]) -> None:
    """Several emails, each `(user_id, kind, context)`, their people read at once (one request)."""
    profiles = desk.accounts.get_many([user_id for user_id, _, _ in messages if user_id])
    for user_id, kind, context in messages:
        if user_id in profiles:
            _send(desk, profiles[user_id], kind, context)


def tell_hidden(desk: Any, owner_id: str, *, what: str, title: str, note: str, url: str | None = None) -> None:
    """The owner of a hidden post, product or event is told which and why (best effort)."""
    tell(desk, owner_id, "content_hidden", what=what, title=visible_text(title), note=note,
         manage_url=f"{desk.settings.site_url.rstrip('/')}{url}" if url else None)


def _send(desk: Desk, profile: Any, kind: str, context: dict[str, Any]) -> None:
    """The email, and for a kind that is a notice (services/notices.py) through the notification
    centre when the desk has one (`notices`: a function building its NoticeDesk, so nothing is
    built unless an email is sent): recorded, and emailed and pushed as the person chose."""
    notices = getattr(desk, "notices", None)
    try:
        if notices is not None:
            from chalicelib.services.notices import is_notice, record_and_deliver

            if is_notice(kind):
                record_and_deliver(notices, user_id=profile.user_id, kind=kind, context=context,
                                   compose=lambda extra: _compose(desk, profile, kind, {**context, **extra}),
                                   mail=lambda email: _mail(desk, email, kind))
                return
        _mail(desk, _compose(desk, profile, kind, context), kind)
    except Exception as error:  # noqa: BLE001 - SES down must not fail the money path
        logger().warning("email not sent", extra={"error": str(error), "kind": kind})


def _compose(desk: Desk, profile: Any, kind: str, context: dict[str, Any]) -> Email:
    return compose(kind, to=profile.email, settings=desk.settings, name=profile.display_name, **context)


def _mail(desk: Desk, email: Email, kind: str) -> None:
    try:
        desk.mailer.send(email)
    except Exception as error:  # noqa: BLE001 - SES down must not fail the money path
        logger().warning("email not sent", extra={"error": str(error), "kind": kind})


def _render_block(template: Any, block: str, values: dict[str, Any]) -> str:
    return "".join(template.blocks[block](template.new_context(values)))


def _tidy(text: str) -> str:
    """The text part without trailing spaces or runs of blank lines that template tags leave."""
    return _BLANK_LINES.sub("\n\n", _TRAILING_SPACES.sub("\n", text)).strip() + "\n"
