"""The local mailbox's pages read what moto's SES kept of each sent email: both parts, the time,
newest first; the list and an email's page are escaped, and its HTML part goes out alone under a
CSP that runs no script. A raw email (an invitation) keeps its files, each served as a download."""
from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.mailer import Attachment, Email, SesMailer
from chalicelib.services.emails import compose
from chalicelib.settings import Settings
from infra.local.aws import _keep_both_parts_of_sent_emails
from infra.local.mailbox import EMAIL_HTML_HEADERS, Mailbox

SENDER = "no-reply@interkanect.local"


@pytest.fixture
def mailer():
    _keep_both_parts_of_sent_emails()
    with mock_aws():
        ses = boto3.client("ses", region_name="us-east-1")
        ses.verify_email_identity(EmailAddress=SENDER)
        yield SesMailer(ses, sender=SENDER)


def test_the_list_shows_every_email_newest_first_with_its_subject_escaped(mailer):
    mailer.send(compose("sign_up_with_taken_email", to="first@example.com", settings=Settings()))
    mailer.send(Email(to="second@example.com", subject="<b>Bold</b> subject", text="t", html="<p>h</p>"))

    first, second = Mailbox().emails()[::-1]
    assert (first.to, second.to) == (("first@example.com",), ("second@example.com",))
    assert first.sent_at <= second.sent_at
    page = Mailbox().page("/_local/mailbox")
    assert page.status == 200 and not page.email_html
    html = page.body.decode()
    assert html.index("second@example.com") < html.index("first@example.com")
    assert "&lt;b&gt;Bold&lt;/b&gt; subject" in html and "<b>Bold" not in html
    assert f'href="/_local/mailbox/{first.message_id}"' in html and "<script" not in html


def test_an_email_page_frames_its_html_part_in_a_sandbox_and_shows_its_text_part(mailer):
    mailer.send(compose("payment_refunded", to="ada@example.com", settings=Settings(), name="<i>Ada</i>",
                        reason="The call ended early.", amount_cents=1500))
    [email] = Mailbox().emails()
    assert email.subject == "Your payment was refunded" and email.sender == SENDER
    assert "Hello <i>Ada</i>," in email.text and "Hello &lt;i&gt;Ada&lt;/i&gt;," in email.html

    page = Mailbox().page(f"/_local/mailbox/{email.message_id}").body.decode()
    assert f'<iframe class="email-html" sandbox src="/_local/mailbox/{email.message_id}/html"' in page
    assert "Hello &lt;i&gt;Ada&lt;/i&gt;," in page and "$15.00 is on its way back" in page  # the text part
    assert "<script" not in page

    part = Mailbox().page(f"/_local/mailbox/{email.message_id}/html")
    assert part.email_html and part.body.decode() == email.html
    assert "default-src 'none'" in EMAIL_HTML_HEADERS["Content-Security-Policy"]
    assert "sandbox" in EMAIL_HTML_HEADERS["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/_local/mailbox/nope", "/_local/mailbox/../../etc/passwd",
                                  "/_local/mailbox/%3Cscript%3E", "/_local/mailboxes"])
def test_an_unknown_email_is_a_404(mailer, path):
    page = Mailbox().page(path)
    assert page.status == 404 and not page.email_html and b"No such email" in page.body


def test_a_raw_email_keeps_its_parts_and_files_and_serves_each_file_as_a_download(mailer):
    ics = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:Caf\xc3\xa9\r\nEND:VCALENDAR\r\n"
    page_file = Attachment("<img src=x onerror=alert(1)>.html", "text/html", b"<script>alert(1)</script>")
    mailer.send(Email(to="zoe@example.com", subject="Rendez-vous — Zoë", text="Bonjour Zoë", html="<p>Zoë</p>",
                      calendar=ics, attachments=(page_file,)))
    [email] = Mailbox().emails()
    assert (email.to, email.subject, email.sender) == (("zoe@example.com",), "Rendez-vous — Zoë", SENDER)
    assert email.text.strip() == "Bonjour Zoë" and email.html.strip() == "<p>Zoë</p>" and email.sent_at
    assert [(f.filename, f.content_type) for f in email.attachments] == [
        ("invite.ics", "application/ics"), (page_file.filename, "text/html")]
    assert email.attachments[0].data == ics and email.attachments[1].data == page_file.data

    page = Mailbox().page(f"/_local/mailbox/{email.message_id}").body.decode()
    assert f'href="/_local/mailbox/{email.message_id}/attachment/1"' in page
    assert "&lt;img src=x onerror=alert(1)&gt;.html" in page and "<img" not in page

    invite = Mailbox().page(f"/_local/mailbox/{email.message_id}/attachment/1")
    assert (invite.status, invite.body, invite.content_type) == (200, ics, "text/calendar; charset=utf-8")
    assert not invite.email_html
    assert invite.headers == (("Content-Disposition", 'attachment; filename="invite.ics"'),)
    html_file = Mailbox().page(f"/_local/mailbox/{email.message_id}/attachment/2")
    assert html_file.content_type == "application/octet-stream" and html_file.body == page_file.data
    assert html_file.headers == (("Content-Disposition", 'attachment; filename="_img_src_x_onerror_alert_1__.html"'),)
    for missing in ("3", "0", "01", "x"):
        assert Mailbox().page(f"/_local/mailbox/{email.message_id}/attachment/{missing}").status == 404
