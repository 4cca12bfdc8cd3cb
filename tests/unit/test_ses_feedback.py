"""SES bounces and complaints (services/ses_feedback.py) in SES's own JSON shapes (the examples of
https://docs.aws.amazon.com/ses/latest/dg/notification-examples.html, and the event-publishing
shape of a configuration set), the undeliverable twin, the mailer that skips a marked address,
and the local stack's mailbox simulator (infra/local/ses_feedback.py)."""
from __future__ import annotations

import json

import pytest

from chalicelib.adapters.mailer import Email, InMemoryMailer, SkipsUndeliverable
from chalicelib.adapters.undeliverable import InMemoryUndeliverableStore, Undeliverable
from chalicelib.domain.accounts import Principal, Profile
from chalicelib.services import accounts, ses_feedback
from infra.local import ses_feedback as simulator

MAIL = {"timestamp": "2016-01-27T14:59:38.237Z", "source": "john@example.com",
        "sourceArn": "arn:aws:ses:us-east-1:888888888888:identity/example.com", "sourceIp": "127.0.3.0",
        "sendingAccountId": "123456789012", "messageId": "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000",
        "destination": ["jane@example.com", "mary@example.com", "richard@example.com"]}
PERMANENT_BOUNCE = {
    "notificationType": "Bounce",
    "bounce": {"bounceType": "Permanent", "reportingMTA": "dns; email.example.com",
               "bouncedRecipients": [{"emailAddress": "Jane@Example.com", "status": "5.1.1", "action": "failed",
                                      "diagnosticCode": "smtp; 550 5.1.1 <jane@example.com>... User"}],
               "bounceSubType": "General", "timestamp": "2016-01-27T14:59:38.237Z",
               "feedbackId": "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000",
               "remoteMtaIp": "127.0.2.0"},
    "mail": MAIL,
}
TRANSIENT_BOUNCE = {
    "notificationType": "Bounce",
    "bounce": {"bounceType": "Transient", "bounceSubType": "MailboxFull",
               "bouncedRecipients": [{"emailAddress": "mary@example.com", "status": "4.2.2", "action": "failed"}],
               "timestamp": "2016-01-27T14:59:38.237Z", "feedbackId": "0000013811aa-000000"},
    "mail": MAIL,
}
COMPLAINT = {
    "notificationType": "Complaint",
    "complaint": {"userAgent": "AnyCompany Feedback Loop (V0.01)",
                  "complainedRecipients": [{"emailAddress": "richard@example.com"}],
                  "complaintFeedbackType": "abuse", "arrivalDate": "2016-01-27T14:59:38.237Z",
                  "timestamp": "2016-01-27T14:59:38.237Z",
                  "feedbackId": "000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000"},
    "mail": MAIL,
}
COMPLAINT_WITHOUT_FEEDBACK_REPORT = {  # no feedback type: Gmail-style feedback loops
    "notificationType": "Complaint",
    "complaint": {"complainedRecipients": [{"emailAddress": "richard@example.com"}],
                  "timestamp": "2016-01-27T14:59:38.237Z", "feedbackId": "0000013786031775-fea503bc-000000"},
    "mail": MAIL,
}
EVENT_PUBLISHED_BOUNCE = {  # a configuration set's event destination (AWS): eventType, not notificationType
    "eventType": "Bounce",
    "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
               "bouncedRecipients": [{"emailAddress": "recipient@example.com", "action": "failed",
                                      "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
               "timestamp": "2017-08-05T00:41:02.669Z", "feedbackId": "01000157c44f053b-61b59c11-000000",
               "reportingMTA": "dsn; mta.example.com"},
    "mail": {**MAIL, "tags": {"ses:configuration-set": ["interkanect-feedback"]}},
}
DELIVERY = {"notificationType": "Delivery", "mail": MAIL,
            "delivery": {"timestamp": "2016-01-27T14:59:38.237Z", "recipients": ["jane@example.com"]}}


def test_a_permanent_bounce_marks_its_recipients_lowercased():
    store = InMemoryUndeliverableStore()
    assert ses_feedback.record_feedback(json.dumps(PERMANENT_BOUNCE), store=store, now=100) == ["jane@example.com"]
    assert store.get("JANE@example.com") == Undeliverable(
        "jane@example.com", "bounce:Permanent/General", 100,
        "00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000")


def test_a_complaint_marks_its_recipients_with_or_without_a_feedback_type():
    store = InMemoryUndeliverableStore()
    assert ses_feedback.record_feedback(COMPLAINT, store=store, now=100) == ["richard@example.com"]
    assert store.get("richard@example.com").reason == "complaint:abuse"
    store = InMemoryUndeliverableStore()
    marked = ses_feedback.record_feedback(COMPLAINT_WITHOUT_FEEDBACK_REPORT, store=store, now=1)
    assert marked == ["richard@example.com"]
    assert store.get("richard@example.com").reason == "complaint:unspecified"


def test_a_configuration_sets_published_event_is_read_the_same():
    store = InMemoryUndeliverableStore()
    assert ses_feedback.record_feedback(json.dumps(EVENT_PUBLISHED_BOUNCE), store=store, now=5) == [
        "recipient@example.com"]


@pytest.mark.parametrize("message", [
    TRANSIENT_BOUNCE, DELIVERY,
    {**PERMANENT_BOUNCE, "bounce": {**PERMANENT_BOUNCE["bounce"], "bounceType": "Undetermined"}},
    {**COMPLAINT, "complaint": {**COMPLAINT["complaint"], "complaintFeedbackType": "not-spam"}},
    "not json", "[]", {"notificationType": "Bounce"}, {"notificationType": "Complaint", "complaint": "x"},
    {"notificationType": "Bounce", "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": 5},
                                                                                              "x", {}]}},
])
def test_transient_undetermined_not_spam_deliveries_and_junk_mark_nothing(message):
    store = InMemoryUndeliverableStore()
    assert ses_feedback.record_feedback(message, store=store, now=1) == []
    assert store.items == {}


def test_one_notification_may_name_many_recipients():
    bounce = {**PERMANENT_BOUNCE, "bounce": {**PERMANENT_BOUNCE["bounce"], "bouncedRecipients": [
        {"emailAddress": "a@example.com"}, {"emailAddress": "\"B\" <b@example.com>"},
        {"emailAddress": "A@example.com"}]}}
    assert ses_feedback.parse(bounce).addresses == ("a@example.com", "b@example.com")


def test_the_twin_marks_again_and_clears_once():
    store = InMemoryUndeliverableStore()
    store.mark(Undeliverable("Ada@Example.com", "bounce:Permanent/General", 1))
    store.mark(Undeliverable("ada@example.com", "complaint:abuse", 2))
    assert store.get("ada@example.com") == Undeliverable("ada@example.com", "complaint:abuse", 2)
    assert store.clear("ADA@example.com") and not store.clear("ada@example.com")
    assert store.get("ada@example.com") is None


def _email(to):
    return Email(to=to, subject="Hello", text="t", html="<p>t</p>")


def test_the_mailer_skips_a_marked_address_and_sends_to_others():
    store, sent = InMemoryUndeliverableStore(), InMemoryMailer()
    store.mark(Undeliverable("ada@example.com", "complaint:abuse", 1))
    mailer = SkipsUndeliverable(sent, store)
    mailer.send(_email("Ada@Example.com"))
    mailer.send(_email("Ada Lovelace <ada@example.com>"))
    mailer.send(_email("bea@example.com"))
    assert [e.to for e in sent.sent] == ["bea@example.com"] and mailer.skipped == 2


def test_the_mailer_sends_when_the_mark_cannot_be_read():
    class Broken:
        def get(self, address):
            raise RuntimeError("DynamoDB is down")

    sent = InMemoryMailer()
    SkipsUndeliverable(sent, Broken()).send(_email("ada@example.com"))
    assert len(sent.sent) == 1


def test_my_account_says_my_email_is_undeliverable_and_confirming_it_again_clears_it():
    from chalicelib.adapters.accounts import InMemoryAccountStore
    from chalicelib.adapters.identity import InMemoryIdentity

    store, marks, identity = InMemoryAccountStore(), InMemoryUndeliverableStore(), InMemoryIdentity()
    user_id = identity.sign_up(email="ada@example.com", password="Corr3ct-horse", display_name="Ada")
    store.create(Profile(user_id=user_id, email="ada@example.com", username="ada", display_name="Ada", created_at="T"))
    me = (lambda: accounts.describe_me(principal=Principal(user_id=user_id, groups=()), accounts=store, ops_group="ops",
                                       username_change_days=30, undeliverable=marks.get))
    assert me()["email_undeliverable"] is False
    marks.mark(Undeliverable("ada@example.com", "bounce:Permanent/General", 1))
    assert me()["email_undeliverable"] is True
    code = identity.accounts["ada@example.com"].code
    with pytest.raises(Exception):  # a wrong code clears nothing
        accounts.confirm_sign_up(email="ada@example.com", code="000000x", identity=identity, undeliverable=marks)
    assert me()["email_undeliverable"] is True
    accounts.confirm_sign_up(email="ada@example.com", code=code, identity=identity, undeliverable=marks)
    assert me()["email_undeliverable"] is False


@pytest.mark.parametrize("address, kind", [
    ("bounce@simulator.amazonses.com", "Bounce"), ("complaint+a1b2@simulator.amazonses.com", "Complaint"),
    ("Complaint@Simulator.AmazonSES.com", "Complaint"), ("success@simulator.amazonses.com", None),
    ("bounce@example.com", None), ("bouncer@simulator.amazonses.com", None), ("ada-bounce@example.com", None),
])
def test_the_local_mailbox_simulator_answers_for_ses_simulator_addresses_only(address, kind):
    assert simulator.simulated(address) == kind


@pytest.mark.parametrize("kind", ["Bounce", "Complaint"])
def test_the_local_simulators_notifications_are_read_as_ses_own(kind):
    address = f"{kind.lower()}+x1@simulator.amazonses.com"
    message = simulator.notification(kind, address=address, source="no-reply@interkanect.local", message_id="m1")
    store = InMemoryUndeliverableStore()
    assert ses_feedback.record_feedback(json.dumps(message), store=store, now=1) == [address]


def test_the_local_relay_hands_sns_post_to_the_handler_as_the_lambda_sns_event():
    from chalice.app import SNSEvent

    posted = {"Type": "Notification", "MessageId": "id-1", "TopicArn": "arn:aws:sns:us-east-1:1:t",
              "Message": json.dumps(COMPLAINT), "Timestamp": "2026-01-01T00:00:00.000Z"}
    event = SNSEvent(simulator.lambda_event(posted), context=None)
    assert json.loads(event.message) == COMPLAINT and event.subject is None


def test_the_apps_sns_handler_is_on_the_topic_the_local_stack_provisions():
    import app

    assert app.SES_FEEDBACK_TOPIC == simulator.TOPIC_NAME
    assert simulator.sns_handler_of(app) is app.ses_feedback


def test_the_lambda_marks_what_sns_delivers(monkeypatch):
    """`app.ses_feedback` as Lambda runs it: the SNS event of a complaint marks its recipient."""
    import app
    from chalicelib import deps

    store = InMemoryUndeliverableStore()
    monkeypatch.setattr(deps, "undeliverable", lambda: store)
    posted = {"Type": "Notification", "MessageId": "id-2", "TopicArn": "arn:aws:sns:us-east-1:1:t",
              "Message": json.dumps(COMPLAINT)}
    app.ses_feedback(simulator.lambda_event(posted), None)
    assert store.get("richard@example.com").reason == "complaint:abuse"
