"""Email to people: Amazon SES, and an in-memory twin. Every email has an HTML and a text part
(composed from templates by `chalicelib.services.emails`); none links to a sign-in page.

An email may carry files, and a calendar invitation (ICS). The invitation goes twice: as a
`text/calendar; method=...` alternative beside the text and HTML, which makes Gmail, Outlook and
Apple Mail show their "Add to calendar" buttons, and as the attachment `invite.ics` for the
clients that only offer files. Such an email is built with `email.message.EmailMessage` and sent
raw (SES SendRawEmail), as is one with header lines of its own (`List-Unsubscribe`); the others go
through SendEmail as before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

_METHOD = re.compile(rb"^METHOD:([A-Za-z-]+)\r?$", re.MULTILINE)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf"
    data: bytes


@dataclass(frozen=True)
class Email:
    """One email to one person, as text and as HTML, with its files and invitation if any."""

    to: str
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()
    calendar: bytes | None = None  # an iCalendar object with a METHOD (REQUEST, CANCEL)
    headers: tuple[tuple[str, str], ...] = ()  # more header lines ("List-Unsubscribe", "<https://...>")

    @property
    def calendar_method(self) -> str | None:
        """The invitation's METHOD, read from the ICS itself so the two never disagree."""
        if self.calendar is None:
            return None
        found = _METHOD.search(self.calendar)
        if found is None:
            raise ValueError("a calendar sent by email needs a METHOD (REQUEST, CANCEL)")
        return found.group(1).decode().upper()


class Mailer(Protocol):
    def send(self, email: Email) -> None: ...


class SesMailer:
    """`configuration_set` (on AWS): the SES configuration set whose event destination publishes
    bounces and complaints to the feedback topic (services/ses_feedback.py); empty, none is named
    (the local stack's identity publishes them itself)."""

    def __init__(self, ses: Any, *, sender: str, configuration_set: str = "") -> None:
        self._ses = ses
        self._sender = sender
        self._set = {"ConfigurationSetName": configuration_set} if configuration_set else {}

    def send(self, email: Email) -> None:
        if email.attachments or email.calendar is not None or email.headers:
            self._ses.send_raw_email(Source=self._sender, Destinations=[email.to],
                                     RawMessage={"Data": mime(email, sender=self._sender)}, **self._set)
            return
        self._ses.send_email(
            Source=self._sender, Destination={"ToAddresses": [email.to]},
            Message={"Subject": {"Data": email.subject, "Charset": "UTF-8"},
                     "Body": {"Text": {"Data": email.text, "Charset": "UTF-8"},
                              "Html": {"Data": email.html, "Charset": "UTF-8"}}},
            **self._set,
        )


class SkipsUndeliverable:
    """A mailer that does not send to an address SES reported undeliverable (a permanent bounce,
    a complaint: adapters/undeliverable.py): the email is skipped and logged, never raised, so
    whatever sent it goes on as if it had gone. If the mark cannot be read, the email is sent."""

    def __init__(self, mailer: Mailer, undeliverable: Any) -> None:
        self._mailer = mailer
        self._undeliverable = undeliverable  # an adapters.undeliverable.UndeliverableStore
        self.skipped = 0

    def send(self, email: Email) -> None:
        from email.utils import parseaddr

        from chalicelib.observability import logger

        address = parseaddr(email.to)[1] or email.to
        try:
            marked = self._undeliverable.get(address)
        except Exception as error:  # noqa: BLE001 - the mark unread: send, as before marks existed
            logger().warning("undeliverable mark not read", extra={"error": str(error)})
            marked = None
        if marked is not None:
            self.skipped += 1
            logger().info("email not sent: the address is undeliverable",  # no address or subject: they name people
                          extra={"domain": address.rpartition("@")[2], "reason": marked.reason})
            return
        self._mailer.send(email)


def mime(email: Email, *, sender: str) -> bytes:
    """The email as a MIME message: multipart/mixed holding a multipart/alternative (text,
    HTML, the invitation as text/calendar) and the files, `invite.ics` first. 7-bit clean (a
    non-ASCII subject RFC 2047-encoded, non-ASCII parts quoted-printable or base64), as SES asks
    of raw messages, with CRLF line ends. `List-*` header lines (an unsubscribe URL) are written
    as they are: a URL has no space to fold at, and RFC 2047 would encode it into words mail
    clients do not read as a URL (RFC 2369)."""
    from email.message import EmailMessage
    from email.policy import EmailPolicy
    from email.utils import formatdate

    class ListHeadersAsTheyAre(EmailPolicy):
        def fold_binary(self, name, value):
            text = str(value)
            if name.lower().startswith("list-") and text.isascii() and len(name) + len(text) + 2 <= 998:
                return f"{name}: {text}{self.linesep}".encode("ascii")
            return super().fold_binary(name, value)

    smtp = ListHeadersAsTheyAre(linesep="\r\n", cte_type="7bit")
    message = EmailMessage(policy=smtp)
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    for name, value in email.headers:
        message[name] = value
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    files = list(email.attachments)
    if email.calendar is not None:
        message.add_alternative(email.calendar.decode(), subtype="calendar",
                                params={"method": email.calendar_method})
        files.insert(0, Attachment("invite.ics", "application/ics", email.calendar))
    for file in files:
        maintype, _, subtype = file.content_type.partition("/")
        message.add_attachment(file.data, maintype=maintype, subtype=subtype, filename=file.filename)
    for part in message.iter_parts():  # EmailMessage marks its parts too; only the message needs it
        del part["MIME-Version"]
        for inner in part.iter_parts():
            del inner["MIME-Version"]
    return message.as_bytes()


class InMemoryMailer:
    def __init__(self) -> None:
        self.sent: list[Email] = []

    def send(self, email: Email) -> None:
        self.sent.append(email)
