"""Dependencies built lazily, once per warm Lambda (never at import), and resettable in tests."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.settings import Settings, get_settings


def settings() -> Settings:
    return get_settings()


@lru_cache(maxsize=1)
def _boto_session() -> Any:
    import boto3

    return boto3.session.Session(region_name=settings().region)


def aws_client(service: str, endpoint_url: str | None = None, config: Any = None) -> Any:
    return _boto_session().client(service, endpoint_url=endpoint_url or settings().aws_endpoint_url,
                                  config=config)


@lru_cache(maxsize=1)
def identity():
    from chalicelib.adapters.identity import CognitoIdentity

    s = settings()
    return CognitoIdentity(aws_client("cognito-idp"), user_pool_id=s.user_pool_id,
                           client_id=s.user_pool_client_id)


@lru_cache(maxsize=1)
def token_verifier():
    from chalicelib.adapters.tokens import CognitoTokenVerifier

    s = settings()
    return CognitoTokenVerifier(issuer=s.issuer, client_id=s.user_pool_client_id, jwks_url=s.jwks_url)


@lru_cache(maxsize=1)
def revocations():
    from chalicelib.adapters.revocations import DynamoRevocationStore

    _tables_bound()
    return DynamoRevocationStore()


def end_connections(user_id: str, session_id: str | None) -> int:
    """Closes a person's open sockets of one session (all of them for None), for sign-outs."""
    import time

    from chalicelib.services.realtime import end_connections as end

    return end(user_id, session_id=session_id, book=presence_book(), sender=websocket_sender(),
               now=time.time(), desk=call_desk())


@lru_cache(maxsize=1)
def _tables_bound() -> Any:
    """Binds every model to its table, once; the pynamodb Connection they all share (one botocore
    client), which the stores that write transactions use too."""
    from chalicelib.adapters.tables import bind_tables

    return bind_tables(settings())


@lru_cache(maxsize=1)
def account_store():
    from chalicelib.adapters.accounts import DynamoAccountStore

    return DynamoAccountStore(_tables_bound())


@lru_cache(maxsize=1)
def connection_store():
    from chalicelib.adapters.connections import DynamoConnectionStore

    _tables_bound()
    return DynamoConnectionStore()


@lru_cache(maxsize=1)
def websocket_sender():
    from chalicelib.adapters.websocket import ApiGatewaySender

    return ApiGatewaySender(
        aws_client("apigatewaymanagementapi", endpoint_url=settings().websocket_management_url)
    )


@lru_cache(maxsize=1)
def helper_pages():
    from chalicelib.adapters.helper_pages import DynamoHelperPageStore

    _tables_bound()
    return DynamoHelperPageStore()


@lru_cache(maxsize=1)
def categories():
    from chalicelib.adapters.categories import DynamoCategoryStore

    _tables_bound()
    return DynamoCategoryStore()


@lru_cache(maxsize=1)
def page_facts():
    from chalicelib.adapters.page_facts import DynamoPageFacts

    _tables_bound()
    return DynamoPageFacts()


@lru_cache(maxsize=1)
def review_store():
    from chalicelib.adapters.reviews import DynamoReviewStore

    return DynamoReviewStore(_tables_bound())


@lru_cache(maxsize=1)
def booking_store():
    from chalicelib.adapters.bookings_dynamo import DynamoBookingStore

    return DynamoBookingStore(_tables_bound())


@lru_cache(maxsize=1)
def event_store():
    from chalicelib.adapters.events_dynamo import DynamoEventStore

    return DynamoEventStore(_tables_bound())


def event_desk(payments: Any = None):
    """Events, paid through the payment desk (which has the tickets' Purpose registered); a new
    event is announced to the Helper's followers (services.follows, as a new post is)."""
    from chalicelib.services.events import EventDesk

    return EventDesk(events=event_store(), payments=payments or payment_desk(), announce=_announce_post)


@lru_cache(maxsize=1)
def booking_rules():
    from chalicelib.adapters.bookings_dynamo import DynamoBookingRulesStore

    _tables_bound()
    return DynamoBookingRulesStore()


@lru_cache(maxsize=1)
def product_store():
    from chalicelib.adapters.store_dynamo import DynamoProductStore

    return DynamoProductStore(_tables_bound())


@lru_cache(maxsize=1)
def product_search():
    from chalicelib.adapters.store_dynamo import DynamoProductSearch

    _tables_bound()
    return DynamoProductSearch()


@lru_cache(maxsize=1)
def order_store():
    from chalicelib.adapters.store_dynamo import DynamoOrderStore

    return DynamoOrderStore(_tables_bound())


@lru_cache(maxsize=1)
def sales_book():
    from chalicelib.adapters.store_dynamo import DynamoSalesBook

    return DynamoSalesBook(_tables_bound())


@lru_cache(maxsize=1)
def report_store():
    """Reports on reviews, posts, products and events, and ops' queue of them."""
    from chalicelib.adapters.reports import DynamoReportStore

    return DynamoReportStore(_tables_bound())


def moderation_desk():
    from chalicelib.services import moderation

    return moderation.ModerationDesk(
        reports=report_store(), audit=audit_log(), accounts=account_store(), pages=helper_pages(),
        cursors=cursor_seal(), reports_per_day=settings().reports_per_day,
        subjects={"review": moderation.ReviewSubjects(review_desk), "post": moderation.PostSubjects(post_desk),
                  "product": moderation.ProductSubjects(store_desk), "event": moderation.EventSubjects(event_desk)})


@lru_cache(maxsize=1)
def review_reminders():
    from chalicelib.adapters.reviews import DynamoReminderStore

    _tables_bound()
    return DynamoReminderStore()


@lru_cache(maxsize=1)
def review_desk():
    from chalicelib.services.reviews import ReviewDesk

    s = settings()
    return ReviewDesk(reviews=review_store(), calls=call_store(), pages=helper_pages(), accounts=account_store(),
                      directory=directory(), cursors=cursor_seal(), mailer=mailer(),
                      settings=s, min_session_seconds=s.review_min_session_seconds,
                      days=s.review_days, edit_hours=s.review_edit_hours, notices=notice_desk)


@lru_cache(maxsize=1)
def listings():
    from chalicelib.adapters.categories import DynamoListingStore

    _tables_bound()
    return DynamoListingStore()


@lru_cache(maxsize=1)
def presence():
    from chalicelib.adapters.presence import DynamoPresenceStore

    _tables_bound()
    return DynamoPresenceStore()


@lru_cache(maxsize=1)
def search_index():
    from chalicelib.adapters.search_index import DynamoSearchIndex

    _tables_bound()
    return DynamoSearchIndex()


@lru_cache(maxsize=1)
def uploads():
    from chalicelib.adapters.uploads import S3UploadStorage

    return S3UploadStorage(aws_client("s3"), settings().uploads_bucket)


def directory():
    from chalicelib.services.helper_pages import Directory

    return Directory(listings=listings(), search=search_index(), categories=categories(), presence=presence())


def presence_book():
    from chalicelib.services.realtime import PresenceBook

    return PresenceBook(connections=connection_store(), presence=presence(), pages=helper_pages(),
                        listings=listings(), calls=call_store(), came_online=_tell_waiting, alerts=_has_call_alerts)


def _has_call_alerts(user_id: str) -> bool:
    from chalicelib.services.push import reachable

    return reachable(user_id, desk=push_desk())


def refresh_presence(user_id: str) -> None:
    """After someone's call alerts change: with no tab open, they become reachable or offline.
    Best effort: the alerts are changed whatever happens to the status."""
    import time

    from chalicelib.observability import logger
    from chalicelib.services.realtime import refresh_presence as refresh

    try:
        refresh(user_id, book=presence_book(), now_ms=int(time.time() * 1000))
    except Exception as error:  # noqa: BLE001
        logger().warning("presence not refreshed", extra={"user_id": user_id, "error": str(error)})


def _tell_waiting(helper_id: str, now: int) -> None:
    from chalicelib.services.waiting import tell_waiting

    tell_waiting(helper_id, desk=waiting_desk(), now=now)


@lru_cache(maxsize=1)
def poll_store():
    from chalicelib.adapters.polls import DynamoPollStore

    return DynamoPollStore(_tables_bound())


def poll_desk():
    from chalicelib.services.polls import PollDesk

    return PollDesk(polls=poll_store(), pages=helper_pages())


def live_polls():
    from chalicelib.services.poll_live import LiveDesk

    return LiveDesk(polls=poll_store(), sender=websocket_sender(), connections=connection_store())


def helper_id_named(username: str) -> str:
    """The user id of whoever is or was called `username` (NotFound if no one)."""
    from chalicelib.services.helper_pages import page_named

    return page_named(username, accounts=account_store(), pages=helper_pages()).user_id


@lru_cache(maxsize=1)
def follow_store():
    from chalicelib.adapters.follows import DynamoFollowStore

    return DynamoFollowStore(_tables_bound())


def follow_desk():
    """Following Helpers, and the announcements the blog and events send their followers."""
    from chalicelib.services.follows import FollowDesk

    return FollowDesk(follows=follow_store(), pages=helper_pages(), accounts=account_store(), mailer=mailer(),
                      settings=settings(), seal=cursor_seal())


@lru_cache(maxsize=1)
def post_store():
    from chalicelib.adapters.posts import DynamoPostStore

    return DynamoPostStore(_tables_bound())



def _announce_post(**announcement):
    from chalicelib.services.follows import announce

    announce(**announcement, desk=follow_desk())


def post_desk():
    """The blog; a post out for the first time is announced to the Helper's followers."""
    from chalicelib.services.posts import PostDesk

    return PostDesk(posts=post_store(), pages=helper_pages(), accounts=account_store(), images=uploads(),
                    settings=settings(), announce=_announce_post, mailer=mailer())


@lru_cache(maxsize=1)
def waiting_list():
    from chalicelib.adapters.waiting import DynamoWaitingList

    _tables_bound()
    return DynamoWaitingList()


def waiting_desk():
    from chalicelib.services.waiting import WaitingDesk

    return WaitingDesk(waiting=waiting_list(), pages=helper_pages(), accounts=account_store(), presence=presence(),
                       mailer=mailer(), settings=settings(), notices=notice_desk)


@lru_cache(maxsize=1)
def call_store():
    from chalicelib.adapters.calls import DynamoCallStore

    return DynamoCallStore(_tables_bound())


def call_desk():
    import time

    from chalicelib.services.calls import CallDesk
    from chalicelib.services.realtime import refresh_presence

    book = presence_book()
    return CallDesk(calls=call_store(), connections=connection_store(), sender=websocket_sender(),
                    pages=helper_pages(), accounts=account_store(),
                    refresh_presence=lambda user_id: refresh_presence(user_id, book=book,
                                                                      now_ms=int(time.time() * 1000)),
                    storefronts=storefronts(), plans=helper_plans(), free_sessions=free_sessions(),
                    max_price_cents=settings().max_session_price_cents, review_reminders=review_reminders(),
                    review_reminder_hours=settings().review_reminder_hours, booked_calls=_booked_calls,
                    push=push_desk, missed_call_emails=_missed_call_emails, stats=ops_stats(),
                    rings=rate_limiter(), rings_per_minute=settings().rings_per_minute)


@lru_cache(maxsize=1)
def vapid_private_key() -> str:
    """The VAPID private key (base64url), read on first use: Secrets Manager on AWS and the local
    stack, the environment in tests; empty when neither is set (push is then off)."""
    from chalicelib.adapters.push import vapid_public_key as public_of
    from chalicelib.observability import logger

    s = settings()
    if s.vapid_secret_arn:
        private = aws_client("secretsmanager").get_secret_value(SecretId=s.vapid_secret_arn)["SecretString"].strip()
    else:
        private = s.vapid_private_key
    try:
        public_of(private)
    except ValueError:  # the deployment's placeholder, before a key is put in (docs/runbook.md)
        logger().warning("no VAPID key is set: call alerts (Web Push) are off")
        return ""
    return private


@lru_cache(maxsize=1)
def vapid_public_key() -> str | None:
    from chalicelib.adapters.push import vapid_public_key as public_of

    private = vapid_private_key()
    return public_of(private) if private else None


@lru_cache(maxsize=1)
def push_desk():
    """Built when a ring or a push route first needs it (the call desk holds the function)."""
    from chalicelib.adapters.push import DynamoPushSubscriptionStore, WebPushSender
    from chalicelib.services.push import PushDesk

    _tables_bound()
    s = settings()
    private = vapid_private_key()
    return PushDesk(subscriptions=DynamoPushSubscriptionStore(),
                    sender=WebPushSender(private, f"mailto:{s.support_email}") if private else None,
                    public_key=vapid_public_key, site_url=s.site_url, allow_local_endpoints=s.push_local_endpoints,
                    limit=s.push_subscriptions_per_user)


@lru_cache(maxsize=1)
def notice_store():
    from chalicelib.adapters.notices import DynamoNoticeStore

    _tables_bound()
    return DynamoNoticeStore()


@lru_cache(maxsize=1)
def notice_desk():
    """The notification centre; the desks that email people hold this function, so it is built
    when the first email is sent (services/emails.py), not with them."""
    from chalicelib.services.notices import NoticeDesk

    return NoticeDesk(notices=notice_store(), seal=cursor_seal(), settings=settings(), connections=connection_store(),
                      sender=websocket_sender(), push=push_desk)


def _missed_call_emails():
    from types import SimpleNamespace

    return SimpleNamespace(accounts=account_store(), mailer=mailer(), settings=settings(), notices=notice_desk)


def _booked_calls():
    from chalicelib.services.bookings import BookedCalls

    return BookedCalls(booking_desk())


@lru_cache(maxsize=1)
def signal_limiter():
    from chalicelib.services.signals import SignalLimiter

    return SignalLimiter()


@lru_cache(maxsize=1)
def turn_secret() -> str:
    """The TURN REST API shared secret, from SSM (never from code); empty when TURN is off."""
    name = settings().turn_secret_parameter
    if not name:
        return ""
    return aws_client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]


@lru_cache(maxsize=1)
def cursor_seal():
    """Seals page cursors with the secret from the settings: Secrets Manager on AWS, the
    environment locally; with neither, a key of this warm Lambda's own (cursors then page only
    within it, and a stale one is a clear 400, never a wrong page)."""
    import os

    from chalicelib.domain.cursors import CursorSeal
    from chalicelib.observability import logger

    s = settings()
    if s.cursor_secret_arn:
        secret = aws_client("secretsmanager").get_secret_value(SecretId=s.cursor_secret_arn)["SecretString"]
    elif s.cursor_secret:
        secret = s.cursor_secret
    else:
        logger().warning("no cursor secret is set (IK_CURSOR_SECRET_ARN or IK_CURSOR_SECRET)")
        return CursorSeal(os.urandom(32))
    return CursorSeal(secret.encode())


def liveness():
    from chalicelib.services.realtime import Liveness

    s = settings()
    return Liveness(stale_seconds=s.stale_connection_seconds, lifetime_seconds=s.connection_lifetime_seconds)


@lru_cache(maxsize=1)
def paypal_gateway():
    from chalicelib.adapters.paypal import PayPalGateway

    return PayPalGateway(settings(), ssm=aws_client("ssm"))


@lru_cache(maxsize=1)
def storefronts():
    from chalicelib.adapters.payments import DynamoStorefrontStore

    _tables_bound()
    return DynamoStorefrontStore()


@lru_cache(maxsize=1)
def helper_plans():
    from chalicelib.adapters.payments import DynamoPlanStore

    _tables_bound()
    return DynamoPlanStore()


@lru_cache(maxsize=1)
def payment_store():
    from chalicelib.adapters.payments import DynamoPaymentStore

    _tables_bound()
    return DynamoPaymentStore()


@lru_cache(maxsize=1)
def refund_requests():
    from chalicelib.adapters.refunds import DynamoRefundRequestStore

    _tables_bound()
    return DynamoRefundRequestStore()


@lru_cache(maxsize=1)
def webhook_events():
    from chalicelib.adapters.payments import DynamoWebhookEventLog

    _tables_bound()
    return DynamoWebhookEventLog()


@lru_cache(maxsize=1)
def ledger():
    from chalicelib.adapters.ledger import DynamoLedgerStore

    return DynamoLedgerStore(_tables_bound())


@lru_cache(maxsize=1)
def mailer():
    """SES, skipping (and logging) any address SES reported undeliverable."""
    from chalicelib.adapters.mailer import SesMailer, SkipsUndeliverable

    s = settings()
    return SkipsUndeliverable(SesMailer(aws_client("ses"), sender=s.email_sender,
                                        configuration_set=s.ses_configuration_set), undeliverable())


@lru_cache(maxsize=1)
def undeliverable():
    from chalicelib.adapters.undeliverable import DynamoUndeliverableStore

    _tables_bound()
    return DynamoUndeliverableStore()


@lru_cache(maxsize=1)
def rate_limiter():
    from chalicelib.adapters.rate_limits import DynamoRateLimiter

    _tables_bound()
    return DynamoRateLimiter()


def fee_schedule():
    from chalicelib.domain.fees import FeeSchedule

    s = settings()
    return FeeSchedule.from_settings(s.free_plan_fee_basis_points, s.upgraded_plan_fee_basis_points,
                                     s.paypal_fee_basis_points, s.paypal_fee_fixed_cents)


@lru_cache(maxsize=1)
def webhook_verifier():
    from chalicelib.adapters.paypal_webhooks import WebhookVerifier, fetch_certificate

    s = settings()
    return WebhookVerifier(webhook_id=s.paypal_webhook_id, allowed_cert_urls=s.paypal_cert_urls,
                           fetch=fetch_certificate)


def payment_desk():
    """Paying, with what the store's orders pay for registered on it."""
    from chalicelib.domain.fees import PaymentKind
    from chalicelib.services import bookings, store
    from chalicelib.services.payments import PaymentDesk

    desk = PaymentDesk(payments=payment_store(), storefronts=storefronts(), plans=helper_plans(),
                       ledger=ledger(), gateway=paypal_gateway(), events=webhook_events(), calls=call_desk(),
                       fees=fee_schedule(), settings=settings(), mailer=mailer(), accounts=account_store(),
                       refunds=refund_requests(), reviews=review_desk(), stats=ops_stats(),
                       notices=notice_desk)
    desk.purposes[PaymentKind.MERCHANDISE] = store.order_purpose(store_desk(desk))
    desk.purposes[PaymentKind.APPOINTMENT] = bookings.booking_purpose(booking_desk(desk))
    desk.purposes[PaymentKind.TICKET] = _ticket_purpose(desk)
    return desk


def _ticket_purpose(desk: Any):
    from chalicelib.services import events

    return events.ticket_purpose(event_desk(desk))


def booking_desk(payments: Any = None):
    """Appointments, paid through the payment desk (which has their Purpose registered)."""
    from chalicelib.services.bookings import BookingDesk

    return BookingDesk(bookings=booking_store(), rules=booking_rules(), payments=payments or payment_desk(),
                       flags=ops_flags())


def store_desk(payments: Any = None):
    from chalicelib.services.store import StoreDesk

    return StoreDesk(products=product_store(), search=product_search(), orders=order_store(), sales=sales_book(),
                     payments=payments or payment_desk(), images=uploads(), files=store_files())


@lru_cache(maxsize=1)
def store_files():
    """The files bucket, its links served from the downloads distribution. On AWS they are signed
    (SigV4) for the bucket's regional virtual-hosted name, the distribution's origin: the Host it
    sends S3. Locally moto's endpoint is the host (path style) and the loopback server sends that."""
    from botocore.config import Config

    from chalicelib.adapters.uploads import S3UploadStorage

    s = settings()
    on_aws = {"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"}
    client = aws_client("s3", config=Config(signature_version="s3v4", s3={} if s.aws_endpoint_url else on_aws))
    return S3UploadStorage(client, s.files_bucket, download_origin=s.files_download_url)


def webhook_handlers() -> dict:
    """Every capability's PayPal event handlers, as one table (services.webhooks)."""
    from chalicelib.services import payments, payouts
    from chalicelib.services.webhooks import joined

    return joined(payments.webhook_handlers(payment_desk()), payouts.webhook_handlers(payout_desk()))


@lru_cache(maxsize=1)
def payout_runs():
    from chalicelib.adapters.payouts import DynamoPayoutRunStore

    _tables_bound()
    return DynamoPayoutRunStore()


@lru_cache(maxsize=1)
def payout_items():
    from chalicelib.adapters.payouts import DynamoPayoutItemStore

    return DynamoPayoutItemStore(_tables_bound())


@lru_cache(maxsize=1)
def free_sessions():
    from chalicelib.adapters.ops_watch import DynamoFreeSessionCounter

    _tables_bound()
    return DynamoFreeSessionCounter()


@lru_cache(maxsize=1)
def audit_log():
    from chalicelib.adapters.audit import DynamoAuditLog

    _tables_bound()
    return DynamoAuditLog()


def standing_desk():
    """Disqualifying and restoring Helpers (services.standing); bookings built only to cancel them."""
    from chalicelib.services.standing import StandingDesk

    return StandingDesk(pages=helper_pages(), accounts=account_store(), directory=directory(), audit=audit_log(),
                        mailer=mailer(), settings=settings(), bookings=booking_desk)


@lru_cache(maxsize=1)
def ops_stats():
    """The ops dashboard's daily counters (the desks raise them best effort)."""
    from chalicelib.adapters.ops_stats import DynamoOpsStats

    _tables_bound()
    return DynamoOpsStats()


@lru_cache(maxsize=1)
def ops_flags():
    from chalicelib.adapters.ops_watch import DynamoOpsFlagStore

    _tables_bound()
    return DynamoOpsFlagStore()


@lru_cache(maxsize=1)
def payout_schedule():
    from chalicelib.domain.payout_schedule import schedule_of

    return schedule_of(settings())


def payout_desk():
    from chalicelib.services.payouts import PayoutDesk

    from chalicelib.domain.fees import PaymentKind
    from chalicelib.services import bookings, store

    return PayoutDesk(payments=payment_store(), refunds=refund_requests(), calls=call_store(), ledger=ledger(),
                      storefronts=storefronts(), gateway=paypal_gateway(), runs=payout_runs(),
                      items=payout_items(), schedule=payout_schedule(), settings=settings(), mailer=mailer(),
                      accounts=account_store(), holds={PaymentKind.MERCHANDISE: store.earnings_hold(store_desk()),
                                                       PaymentKind.APPOINTMENT: bookings.earnings_hold(booking_desk()),
                                                       PaymentKind.TICKET: _ticket_hold()},
                      stats=ops_stats(), pages=helper_pages(), notices=notice_desk)


def _ticket_hold():
    from chalicelib.services import events

    return events.earnings_hold(event_desk())


def reset() -> None:
    """Forget every built dependency and the settings (tests that change the environment):
    every cached builder of this module, so a new one cannot be left out."""
    get_settings.cache_clear()
    for built in list(globals().values()):
        if callable(getattr(built, "cache_clear", None)) and getattr(built, "__module__", None) == __name__:
            built.cache_clear()


def ops_console_desk():
    """The ops console's reads; the moderation queue and a person's standing come from their own
    parts (services.moderation, services.standing), built only when the console asks."""
    from chalicelib.services.ops_console import OpsConsoleDesk

    return OpsConsoleDesk(stats=ops_stats(), refunds=refund_requests(), flags=ops_flags(), runs=payout_runs(),
                          schedule=payout_schedule(), accounts=account_store(), identity=identity(),
                          search=search_index(), pages=helper_pages(), calls=call_store(), payments=payment_store(),
                          audit=audit_log(), moderation=_moderation_count, standing=_standing_of,
                          reports=report_store())


def _moderation_count() -> tuple[int, bool, str]:
    """How many reported things wait for a moderation decision: `(count, more, source)`, from the
    one moderation queue (services.moderation: a Query counting its open cases)."""
    from chalicelib.services import moderation

    return moderation.open_count(moderation_desk()), False, "moderation"


def _standing_of(user_id: str) -> dict | None:
    """A person's standing (services.standing): None in good standing."""
    from chalicelib.services import standing

    return standing.standing_of(user_id, desk=standing_desk())
