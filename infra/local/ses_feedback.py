"""SES's mailbox simulator on the local stack, and SNS delivering its feedback to the app.

On AWS, mail to `bounce@simulator.amazonses.com` bounces (permanently) and mail to
`complaint@simulator.amazonses.com` is complained about (both with any `+label`), and SES publishes
the notification to the topic the sender identity (or the configuration set) names. moto publishes
a canned message of its own to that topic, for any address merely containing "bounce", naming an
example recipient; here it publishes instead the notification SES would, in SES's own shape
(https://docs.aws.amazon.com/ses/latest/dg/notification-examples.html), for the simulator's
addresses only, naming the recipient it was sent to.

The topic's subscription is an HTTP one to `FeedbackRelay`, a loopback server that takes SNS's POST
(answering at once: moto publishes inside the SendEmail request, which holds the local AWS) and
hands it, as the Lambda SNS event, to the app's `@app.on_sns_message` handler on a thread of its
own, as SNS invokes the Lambda on AWS."""
from __future__ import annotations

import json
import logging
import queue
import threading
import uuid
from datetime import datetime, timezone
from email.utils import parseaddr
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable

from infra.local.loopback import LoopbackServer

log = logging.getLogger("local-stack.ses-feedback")

SIMULATOR_DOMAIN = "simulator.amazonses.com"
TOPIC_NAME = "interkanect-ses-feedback"  # app.SES_FEEDBACK_TOPIC (a unit test holds them equal)
KINDS = {"bounce": "Bounce", "complaint": "Complaint"}


def simulated(address: str) -> str | None:
    """"Bounce" or "Complaint" for an address of SES's mailbox simulator that yields one, else None."""
    local, _, domain = parseaddr(address)[1].lower().rpartition("@")
    if domain != SIMULATOR_DOMAIN:
        return None
    return KINDS.get(local.partition("+")[0])


def _iso(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def notification(kind: str, *, address: str, source: str, message_id: str, account: str = "000000000000",
                 region: str = "us-east-1", now: datetime | None = None) -> dict:
    """What SES publishes for a message to the simulator (an identity's notification)."""
    at = _iso(now or datetime.now(timezone.utc))
    feedback_id = f"{uuid.uuid4().hex[:16]}-{uuid.uuid4()}-000000"
    mail = {"timestamp": at, "source": source, "sourceArn": f"arn:aws:ses:{region}:{account}:identity/{source}",
            "sourceIp": "127.0.0.1", "sendingAccountId": account, "messageId": message_id,
            "destination": [address]}
    if kind == "Bounce":
        return {"notificationType": "Bounce", "mail": mail, "bounce": {
            "bounceType": "Permanent", "bounceSubType": "General", "reportingMTA": "dns; amazonses.com",
            "bouncedRecipients": [{"emailAddress": address, "action": "failed", "status": "5.1.1",
                                   "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": at, "feedbackId": feedback_id, "remoteMtaIp": "127.0.2.0"}}
    return {"notificationType": "Complaint", "mail": mail, "complaint": {
        "userAgent": "Amazon SES Mailbox Simulator", "complainedRecipients": [{"emailAddress": address}],
        "complaintFeedbackType": "abuse", "arrivalDate": at, "timestamp": at, "feedbackId": feedback_id}}


def _addresses(destinations: Any) -> list[str]:
    if isinstance(destinations, dict):
        destinations = [*destinations.get("ToAddresses", []), *destinations.get("CcAddresses", []),
                        *destinations.get("BccAddresses", [])]
    found: list[str] = []
    for destination in destinations or ():
        address = parseaddr(destination)[1]
        if address and address.lower() not in (a.lower() for a in found):
            found.append(address)
    return found


def simulate_mailbox() -> None:
    """moto's SES publishes SES's own notifications for the simulator's addresses (and nothing for
    others) to the topics set on the sender identity (the address, or its domain)."""
    from moto.ses.models import SESBackend
    from moto.sns.models import sns_backends

    if getattr(SESBackend.__process_sns_feedback__, "simulates_the_mailbox", False):
        return

    def publish_feedback(self: Any, source: str, destinations: Any) -> None:
        sender = parseaddr(str(source))[1]
        topics = {**self.sns_topics.get(sender.rpartition("@")[2], {}), **self.sns_topics.get(sender, {})}
        for address in _addresses(destinations):
            kind = simulated(address)
            topic = topics.get(kind) if kind else None
            if topic is None:
                continue
            message = notification(kind, address=address, source=sender, message_id=str(uuid.uuid4()),
                                   account=self.account_id, region=self.region_name)
            sns_backends[self.account_id][self.region_name].publish(json.dumps(message), arn=topic)
            log.info("SES mailbox simulator: %s for %s published", kind, address)

    publish_feedback.simulates_the_mailbox = True  # type: ignore[attr-defined]
    SESBackend.__process_sns_feedback__ = publish_feedback


def provision(endpoint: str, region: str, *, sender: str, relay_url: str) -> str:
    """The feedback topic, the sender identity publishing bounces and complaints to it, and the
    relay subscribed to it; returns the topic's ARN. Idempotent (a restart subscribes the relay's
    new address; SNS state is not kept across runs)."""
    from infra.local.aws import client

    sns = client("sns", endpoint, region)
    topic = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
    ses = client("ses", endpoint, region)
    for kind in KINDS.values():
        ses.set_identity_notification_topic(Identity=sender, NotificationType=kind, SnsTopic=topic)
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=relay_url)
    return topic


def sns_handler_of(app_module: Any, topic: str = TOPIC_NAME) -> Callable[[dict, Any], Any]:
    """The app's `@app.on_sns_message` handler for the topic (as the Lambda runs it)."""
    import importlib

    from chalice.app import SNSEventConfig

    for source in app_module.app.event_sources:
        if isinstance(source, SNSEventConfig) and source.topic.rpartition(":")[2] == topic:
            module_name, attribute = source.handler_string.rsplit(".", 1)
            return getattr(importlib.import_module(module_name), attribute)
    raise LookupError(f"the app has no handler for the SNS topic {topic}")


def lambda_event(posted: dict, subscription_arn: str = "") -> dict:
    """SNS's HTTP POST body as the Lambda SNS event it is on AWS."""
    return {"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn or f"{posted.get('TopicArn', '')}:{uuid.uuid4()}",
        "Sns": {"Type": posted.get("Type", "Notification"), "MessageId": posted.get("MessageId", ""),
                "TopicArn": posted.get("TopicArn", ""), "Subject": posted.get("Subject"),
                "Message": posted.get("Message", ""), "Timestamp": posted.get("Timestamp", ""),
                "SignatureVersion": posted.get("SignatureVersion", "1"), "Signature": posted.get("Signature", ""),
                "SigningCertUrl": posted.get("SigningCertURL", ""), "UnsubscribeUrl": posted.get("UnsubscribeURL", ""),
                "MessageAttributes": posted.get("MessageAttributes", {})},
    }]}


class FeedbackRelay(LoopbackServer):
    """SNS's HTTP subscriber: each notification is queued and answered 200 at once; one worker
    thread runs the handler on each, in order (a failure is logged, as Lambda would)."""

    name = "ses-feedback"

    def __init__(self, handler: Callable[[dict, Any], Any], *, host: str, port: int) -> None:
        self._handler = handler
        self._queue: queue.Queue[dict | None] = queue.Queue()
        self.delivered = 0
        relay = self

        class Posted(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    posted = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    posted = None
                if isinstance(posted, dict) and posted.get("Type") == "Notification":
                    relay._queue.put(posted)
                self.send_response(200 if isinstance(posted, dict) else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Posted, host=host, port=port)
        self._worker = threading.Thread(target=self._deliver, name="ses-feedback-worker", daemon=True)

    def start(self) -> "FeedbackRelay":
        self._worker.start()
        return super().start()

    def stop(self) -> None:
        super().stop()
        self._queue.put(None)
        self._worker.join(10)

    def _deliver(self) -> None:
        from infra.local.ws_gateway import lambda_context

        while (posted := self._queue.get()) is not None:
            try:
                self._handler(lambda_event(posted), lambda_context("ses_feedback"))
                self.delivered += 1
            except Exception:  # noqa: BLE001 - as a failed Lambda invocation: logged
                log.exception("the SES feedback handler failed")
