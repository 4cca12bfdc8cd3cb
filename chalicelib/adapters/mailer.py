"""Email to people: Amazon SES, and an in-memory twin. Every email has an HTML and a text part
(composed from templates by `chalicelib.services.emails`); none links to a sign-in page."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Email:
    """One email to one person, as text and as HTML."""

    to: str
    subject: str
    text: str
    html: str


class Mailer(Protocol):
    def send(self, email: Email) -> None: ...


class SesMailer:
    def __init__(self, ses: Any, *, sender: str) -> None:
        self._ses = ses
        self._sender = sender

    def send(self, email: Email) -> None:
        self._ses.send_email(
            Source=self._sender, Destination={"ToAddresses": [email.to]},
            Message={"Subject": {"Data": email.subject, "Charset": "UTF-8"},
                     "Body": {"Text": {"Data": email.text, "Charset": "UTF-8"},
                              "Html": {"Data": email.html, "Charset": "UTF-8"}}},
        )


class InMemoryMailer:
    def __init__(self) -> None:
        self.sent: list[Email] = []

    def send(self, email: Email) -> None:
        self.sent.append(email)
