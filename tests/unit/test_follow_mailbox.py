"""A follower's email on SES (moto): sent raw because it carries `List-Unsubscribe` and
`List-Unsubscribe-Post`, with both parts, and the local mailbox shows those header lines."""
from __future__ import annotations

import email
from email import policy

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.mailer import Email, SesMailer
from infra.local.aws import _keep_both_parts_of_sent_emails
from infra.local.mailbox import Mailbox

SENDER = "no-reply@interkanect.local"
LINK = "http://127.0.0.1:8080/api/follows/unsubscribe?token=abc.def"


@pytest.fixture
def ses():
    _keep_both_parts_of_sent_emails()
    with mock_aws():
        client = boto3.client("ses", region_name="us-east-1")
        client.verify_email_identity(EmailAddress=SENDER)
        yield client


def test_an_email_with_header_lines_goes_raw_and_the_mailbox_shows_them(ses):
    SesMailer(ses, sender=SENDER).send(Email(
        to="fan@example.com", subject="Ada posted: Zoë's café", text="Read it", html="<p>Read it</p>",
        headers=(("List-Unsubscribe", f"<{LINK}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))))
    from moto.ses.models import ses_backends

    [raw] = [m for regions in ses_backends.values() for backend in regions.values() for m in backend.sent_messages]
    parsed = email.message_from_string(raw.raw_data, policy=policy.default)
    assert parsed["List-Unsubscribe"].strip() == f"<{LINK}>"  # a long link is folded onto a line of its own
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed.get_body(("plain",)).get_content().strip() == "Read it"

    [shown] = Mailbox().emails()
    assert shown.subject == "Ada posted: Zoë's café" and shown.html.strip() == "<p>Read it</p>"
    assert dict(shown.list_headers) == {"List-Unsubscribe": f"<{LINK}>",
                                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    page = Mailbox().page(f"/_local/mailbox/{shown.message_id}").body.decode()
    assert '<dd data-list-header="List-Unsubscribe">&lt;http://127.0.0.1:8080/api/follows/unsubscribe' in page


def test_an_email_without_header_lines_still_goes_through_send_email(ses):
    SesMailer(ses, sender=SENDER).send(Email(to="a@example.com", subject="s", text="t", html="<p>h</p>"))
    [shown] = Mailbox().emails()
    assert shown.list_headers == () and shown.text == "t"
