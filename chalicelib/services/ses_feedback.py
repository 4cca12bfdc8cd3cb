"""SES bounces and complaints, as SES publishes them to the feedback topic (SNS) and SNS hands
them to the app's `ses_feedback` function: each permanently bounced or complaining address is
marked undeliverable (adapters/undeliverable.py), and the mailer sends nothing to it again
(adapters/mailer.SkipsUndeliverable) until its owner confirms it again (`clear_on_confirm`).

Two shapes carry the same facts: an identity's notifications (`notificationType`) and a
configuration set's event publishing (`eventType`), both with `bounce.bounceType`,
`bounce.bouncedRecipients[].emailAddress` and `complaint.complainedRecipients[].emailAddress`
(https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html). A transient bounce (a full
mailbox, a message too large, an auto-reply) marks nothing: the next email may get through.
Neither does an `Undetermined` bounce, nor a complaint whose feedback type says `not-spam`."""
from __future__ import annotations

import json
from dataclasses import dataclass
from email.utils import parseaddr

from chalicelib.adapters.undeliverable import Undeliverable, UndeliverableStore, address_key
from chalicelib.observability import logger


@dataclass(frozen=True)
class Feedback:
    kind: str  # "bounce" or "complaint"
    addresses: tuple[str, ...]  # lowercased
    reason: str  # "bounce:Permanent/General", "complaint:abuse"
    marks: bool  # the addresses are undeliverable from now on
    feedback_id: str | None = None


def parse(message: str | dict) -> Feedback | None:
    """The bounce or complaint an SES notification (the SNS message's text, or parsed) reports;
    None for anything else (a delivery, a send, a message that is not SES's)."""
    if isinstance(message, str):
        try:
            message = json.loads(message)
        except ValueError:
            return None
    if not isinstance(message, dict):
        return None
    kind = message.get("notificationType") or message.get("eventType")
    if kind == "Bounce":
        bounce = message.get("bounce") if isinstance(message.get("bounce"), dict) else {}
        bounce_type, sub_type = str(bounce.get("bounceType", "")), str(bounce.get("bounceSubType", ""))
        return Feedback("bounce", _addresses(bounce.get("bouncedRecipients")), f"bounce:{bounce_type}/{sub_type}",
                        marks=bounce_type == "Permanent", feedback_id=bounce.get("feedbackId"))
    if kind == "Complaint":
        complaint = message.get("complaint") if isinstance(message.get("complaint"), dict) else {}
        feedback_type = str(complaint.get("complaintFeedbackType") or "unspecified")
        return Feedback("complaint", _addresses(complaint.get("complainedRecipients")), f"complaint:{feedback_type}",
                        marks=feedback_type != "not-spam", feedback_id=complaint.get("feedbackId"))
    return None


def _addresses(recipients: object) -> tuple[str, ...]:
    found = []
    for recipient in recipients if isinstance(recipients, list) else ():
        raw = recipient.get("emailAddress") if isinstance(recipient, dict) else None
        address = address_key(parseaddr(raw)[1]) if isinstance(raw, str) else ""
        if "@" in address and address not in found:
            found.append(address)
    return tuple(found)


def record_feedback(message: str | dict, *, store: UndeliverableStore, now: int) -> list[str]:
    """Marks the addresses a permanent bounce or a complaint names; returns them (none for a
    transient bounce or anything else). Marking twice only renews the reason and time."""
    feedback = parse(message)
    if feedback is None:
        logger().info("SES notification ignored (not a bounce or complaint)")
        return []
    if not feedback.marks:
        logger().info("SES feedback does not mark", extra={"reason": feedback.reason,
                                                            "recipients": len(feedback.addresses)})
        return []
    for address in feedback.addresses:
        store.mark(Undeliverable(address, feedback.reason, now, feedback.feedback_id))
    logger().info("addresses marked undeliverable", extra={"reason": feedback.reason,
                                                           "recipients": len(feedback.addresses)})
    return list(feedback.addresses)


def clear_on_confirm(address: str, *, store: UndeliverableStore) -> bool:
    """Its owner confirmed the address again (a code sent to it got through): mail may go to it
    again. Best effort: never stops the confirmation."""
    try:
        return store.clear(address)
    except Exception as error:  # noqa: BLE001 - a mark left in place is the safe side
        logger().warning("undeliverable mark not cleared", extra={"error": str(error)})
        return False
