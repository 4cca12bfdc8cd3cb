"""The local mailbox: every email the app sent through the local stack's SES, as pages a newcomer
opens to see what people receive. moto runs in this process (infra/local/aws.py), so the pages read
its SES backend directly; `_keep_both_parts_of_sent_emails` keeps each email's text and HTML parts,
and the files of one sent raw (an invitation, say).

Served by the local site (infra/local/site.py) only; on AWS the site is CloudFront and S3, and
SES delivers the email. Pages:
- `/_local/mailbox`: the emails, newest first (sent, to, subject), under the site's strict CSP;
- `/_local/mailbox/<id>`: one email's headers, its files, its HTML part in a sandboxed frame, its
  text part;
- `/_local/mailbox/<id>/html`: the HTML part itself, with a CSP that allows no script, no request
  and framing by the mailbox page only;
- `/_local/mailbox/<id>/attachment/<n>`: its n-th file (from 1), always a download, as
  `text/calendar` (an .ics) or `application/octet-stream`, never a type a browser would render.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

PREFIX = "/_local/mailbox"
TEMPLATES = Path(__file__).resolve().parent / "templates"
_EMAIL_PATH = re.compile(rf"^{PREFIX}/([A-Za-z0-9-]{{1,100}})(/html|/attachment/([1-9][0-9]{{0,2}}))?$")
# An email's own HTML: inline styles (mail clients need them) and data: images, nothing else.
EMAIL_HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class MailedFile:
    filename: str
    content_type: str  # as the email said; the download page does not trust it
    data: bytes


@dataclass(frozen=True)
class SentEmail:
    message_id: str
    sender: str
    to: tuple[str, ...]
    subject: str
    text: str | None
    html: str | None
    sent_at: float | None  # None for emails sent before the stack kept the time
    attachments: tuple[MailedFile, ...] = ()
    list_headers: tuple[tuple[str, str], ...] = ()  # `List-Unsubscribe` and its kin, of a raw email

    @property
    def sent(self) -> str:
        if self.sent_at is None:
            return "—"
        return datetime.fromtimestamp(self.sent_at).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


@dataclass(frozen=True)
class Page:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    email_html: bool = False  # an email's own HTML: sent with EMAIL_HTML_HEADERS, not the site's
    headers: tuple[tuple[str, str], ...] = ()  # beside the site's own (a download's disposition)


class Mailbox:
    """What moto's SES backends in this process hold, every account and region."""

    def emails(self) -> list[SentEmail]:
        """Newest first."""
        from moto.ses.models import ses_backends

        found = [(index, _sent_email(message))
                 for regions in list(ses_backends.values())
                 for backend in list(regions.values())
                 for index, message in enumerate(list(backend.sent_messages))]
        found.sort(key=lambda pair: (pair[1].sent_at or 0, pair[0]), reverse=True)
        return [email for _, email in found]

    def email(self, message_id: str) -> SentEmail | None:
        return next((email for email in self.emails() if email.message_id == message_id), None)

    def page(self, path: str) -> Page:
        """The page at `path` (under PREFIX)."""
        if path in (PREFIX, PREFIX + "/"):
            return Page(200, _render("mailbox.html", emails=self.emails()))
        if path == PREFIX + ".css":
            return Page(200, (TEMPLATES / "mailbox.css").read_bytes(), "text/css; charset=utf-8")
        match = _EMAIL_PATH.match(path)
        email = self.email(match.group(1)) if match else None
        if email is None:
            return Page(404, _render("mailbox_email.html", email=None))
        if match.group(3):
            return _download(email, int(match.group(3)))
        if match.group(2):
            return Page(200, (email.html or "").encode(), email_html=True)
        return Page(200, _render("mailbox_email.html", email=email))


def _download(email: SentEmail, number: int) -> Page:
    """An email's file as a download, whatever type the email gave it: the mailbox shares the
    site's origin, so a file shown inline (HTML, SVG) could run there. The site adds nosniff."""
    if number > len(email.attachments):
        return Page(404, _render("mailbox_email.html", email=None))
    file = email.attachments[number - 1]
    ics = file.filename.lower().endswith(".ics") or file.content_type in ("text/calendar", "application/ics")
    name = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_"
                   for c in unicodedata.normalize("NFKD", file.filename))[:100].lstrip(".") or "attachment"
    return Page(200, file.data, "text/calendar; charset=utf-8" if ics else "application/octet-stream",
                headers=(("Content-Disposition", f'attachment; filename="{name}"'),))


def _sent_email(message: Any) -> SentEmail:
    destinations = getattr(message, "destinations", None) or {}
    if isinstance(destinations, dict):
        to = tuple(address for key in ("ToAddresses", "CcAddresses", "BccAddresses")
                   for address in destinations.get(key, []))
    else:  # a raw email: the Destinations, and again each address its To header names
        to = tuple(dict.fromkeys(destinations))
    html = getattr(message, "html", None)
    text = message.text if hasattr(message, "text") else getattr(message, "body", None)  # kept before both were
    return SentEmail(message_id=message.id, sender=getattr(message, "source", ""), to=to,
                     subject=getattr(message, "subject", "") or "(no subject)", text=text, html=html,
                     sent_at=getattr(message, "sent_at", None),
                     attachments=tuple(MailedFile(*file) for file in getattr(message, "attachments", ())),
                     list_headers=tuple(tuple(pair) for pair in getattr(message, "list_headers", ())))


@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def _render(template: str, **context: Any) -> bytes:
    return _environment().get_template(template).render(prefix=PREFIX, **context).encode()
