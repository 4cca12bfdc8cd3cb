"""What SesMailer hands SES: a plain email through SendEmail as before; one with an invitation
or files as a raw MIME message whose alternative holds the text, the HTML and the text/calendar
part mail clients turn into "Add to calendar", with the .ics attached too."""
from __future__ import annotations

import email
from email import policy

import pytest

from chalicelib.adapters.mailer import Attachment, Email, SesMailer
from chalicelib.services.emails import compose
from chalicelib.settings import Settings

SENDER = "interKanect <no-reply@interkanect.local>"
ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:{method}\r\nBEGIN:VEVENT\r\nUID:b-1@interkanect.example\r\n"
       "SUMMARY:Séance avec Zoë\\, 30 min\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


class FakeSes:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def send_email(self, **kwargs) -> dict:
        self.calls.append(("send_email", kwargs))
        return {"MessageId": "1"}

    def send_raw_email(self, **kwargs) -> dict:
        self.calls.append(("send_raw_email", kwargs))
        return {"MessageId": "2"}


def sent_raw(mail: Email):
    ses = FakeSes()
    SesMailer(ses, sender=SENDER).send(mail)
    [(action, call)] = ses.calls
    assert action == "send_raw_email"
    assert call["Source"] == SENDER and call["Destinations"] == [mail.to]
    raw = call["RawMessage"]["Data"]
    return raw, email.message_from_bytes(raw, policy=policy.default)


def ics(method="REQUEST") -> bytes:
    return ICS.format(method=method).encode()


def unix(text: str) -> str:
    """Parts read back keep the wire's CRLF line ends."""
    return text.replace("\r\n", "\n")


def test_an_email_without_files_goes_through_send_email_as_before():
    ses = FakeSes()
    SesMailer(ses, sender=SENDER).send(Email(to="ada@example.com", subject="Hi", text="t", html="<p>h</p>"))
    assert ses.calls == [("send_email", {
        "Source": SENDER, "Destination": {"ToAddresses": ["ada@example.com"]},
        "Message": {"Subject": {"Data": "Hi", "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": "t", "Charset": "UTF-8"},
                             "Html": {"Data": "<p>h</p>", "Charset": "UTF-8"}}}})]


def test_an_invitation_is_text_html_and_calendar_alternatives_and_an_invite_ics_attachment():
    raw, message = sent_raw(Email(to="zoe@example.com", subject="Rendez-vous confirmé — 30 min avec Zoë",
                                  text="Bonjour Zoë,\nà bientôt.", html="<p>Bonjour Zoë</p>", calendar=ics()))

    raw.decode("ascii")  # 7-bit, as SES wants a raw message
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert message["From"] == SENDER and message["To"] == "zoe@example.com"
    assert message["Subject"] == "Rendez-vous confirmé — 30 min avec Zoë"
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n")[0] and message["Date"]  # RFC 2047
    assert message.get_content_type() == "multipart/mixed"
    alternative, attached = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    text, html, calendar = alternative.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert unix(text.get_content()) == "Bonjour Zoë,\nà bientôt.\n"
    assert unix(html.get_content()) == "<p>Bonjour Zoë</p>\n"
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST" and calendar.get_content_charset() == "utf-8"
    assert unix(calendar.get_content()) == unix(ics().decode())
    assert attached.get_content_type() == "application/ics" and attached.get_filename() == "invite.ics"
    assert attached.get_content_disposition() == "attachment" and attached.get_content() == ics()
    assert [part.get_filename() for part in message.iter_attachments()] == ["invite.ics"]
    assert raw.count(b"MIME-Version") == 1


def test_a_cancellation_says_method_cancel_where_clients_look():
    _, message = sent_raw(Email(to="a@example.com", subject="Cancelled", text="t", html="h",
                                calendar=ics("CANCEL")))
    [calendar] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert calendar.get_param("method") == "CANCEL"


def test_files_without_an_invitation_are_attached_after_the_alternative():
    pdf = Attachment("receipt #12.pdf", "application/pdf", b"%PDF-1.7\x00\xff binary")
    _, message = sent_raw(Email(to="a@example.com", subject="Receipt", text="t", html="<p>h</p>",
                                attachments=(pdf,)))
    alternative, attached = message.iter_parts()
    assert [part.get_content_type() for part in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert (attached.get_filename(), attached.get_content_type(), attached.get_content()) == (
        "receipt #12.pdf", "application/pdf", pdf.data)


def test_an_invitation_and_files_put_invite_ics_first():
    _, message = sent_raw(Email(to="a@example.com", subject="s", text="t", html="h", calendar=ics(),
                                attachments=(Attachment("notes.txt", "text/plain", b"notes"),)))
    assert [part.get_filename() for part in message.iter_attachments()] == ["invite.ics", "notes.txt"]


def test_the_method_is_read_from_the_calendar_and_a_calendar_needs_one():
    assert Email(to="a", subject="s", text="t", html="h", calendar=ics("CANCEL")).calendar_method == "CANCEL"
    assert Email(to="a", subject="s", text="t", html="h").calendar_method is None
    with pytest.raises(ValueError):
        SesMailer(FakeSes(), sender=SENDER).send(Email(to="a", subject="s", text="t", html="h",
                                                       calendar=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"))


def test_compose_passes_the_invitation_and_files_on_and_keeps_old_callers_working():
    plain = compose("payment_refunded", to="ada@example.com", settings=Settings(), amount_cents=1500,
                    reason="The call ended early.")
    assert plain.calendar is None and plain.attachments == ()
    file = Attachment("a.txt", "text/plain", b"a")
    invited = compose("payment_refunded", to="ada@example.com", settings=Settings(), amount_cents=1500,
                      reason="The call ended early.", calendar=ics(), attachments=[file])
    assert invited.calendar == ics() and invited.attachments == (file,)
    assert (invited.subject, invited.text, invited.html) == (plain.subject, plain.text, plain.html)
