"""Typed settings read from the environment once per warm Lambda, never at import."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Mapping

TABLES = ("users", "usernames", "connections", "helper_pages", "categories", "listings", "presence",
          "search_terms", "calls", "call_slots")
TABLES += ("payments", "storefronts", "helper_plans", "refund_requests", "webhook_events")
TABLES += ("ledger_transactions", "ledger_lines", "ledger_balances")
TABLES += ("payout_runs", "payout_items", "free_session_counts", "ops_flags")
TABLES += ("revocations",)
TABLES += ("reviews", "review_reminders")
TABLES += ("products", "product_terms", "orders", "sales")
TABLES += ("bookings", "booking_steps", "booking_rules", "waiting")
TABLES += ("follows", "follower_counts", "fanouts", "fanout_sends")
TABLES += ("polls", "poll_votes", "poll_watchers")
TABLES += ("events", "event_attendance")
TABLES += ("posts", "post_slugs")
TABLES += ("reports", "report_cases")
TABLES += ("push_subscriptions",)
TABLES += ("notices", "notice_states")
TABLES += ("audit_log",)
TABLES += ("rate_limits", "undeliverable")
TABLES += ("ops_stats",)


@dataclass(frozen=True, repr=False, eq=False)  # no repr: it would log the secrets; one per process
class Settings:
    """Every knob the app reads; the same code runs locally, in tests and on AWS."""

    region: str = "us-east-1"
    aws_endpoint_url: str | None = None
    table_prefix: str = "interkanect-"
    table_names: Mapping[str, str] = field(default_factory=dict)
    user_pool_id: str = ""
    user_pool_client_id: str = ""
    cognito_issuer: str = ""
    cognito_jwks_url: str = ""
    ops_group: str = "ops"
    # Usernames: changed at most once per this many days (every old name stays held, redirecting);
    # a sign-up left unconfirmed this many days gives its username (and email) back.
    username_change_days: int = 30
    unconfirmed_sign_up_days: int = 7
    # How long a sign-in can make tokens (the app client's refresh token validity, Cognito's
    # default 30 days): a sign-out stays on record that long.
    session_seconds: int = 30 * 24 * 60 * 60
    websocket_management_url: str = ""
    connection_lifetime_seconds: int = 2 * 60 * 60
    site_bucket: str = ""
    site_url: str = "http://127.0.0.1:8080"
    uploads_bucket: str = ""
    avatar_max_bytes: int = 2 * 1024 * 1024
    stale_connection_seconds: int = 180
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret_parameter: str = ""
    turn_credential_seconds: int = 3600
    paypal_base_url: str = "https://api-m.sandbox.paypal.com"
    paypal_client_id: str = ""
    paypal_client_secret: str = ""
    paypal_client_secret_parameter: str = ""
    paypal_webhook_id: str = ""
    # Where PayPal's webhook certificates may come from; the local stack adds its sandbox.
    paypal_cert_urls: tuple[str, ...] = ("https://api.paypal.com/", "https://api.sandbox.paypal.com/",
                                         "https://api-m.paypal.com/", "https://api-m.sandbox.paypal.com/")
    currency: str = "USD"
    brand_name: str = "interKanect"
    # Fees (basis points: 2000 = 20%) and PayPal's processing fee (3.49% + $0.49 by default).
    free_plan_fee_basis_points: int = 2000
    upgraded_plan_fee_basis_points: int = 0
    paypal_fee_basis_points: int = 349
    paypal_fee_fixed_cents: int = 49
    upgrade_price_cents: int = 1500
    upgrade_days: int = 30
    # The most a session may cost, on a Helper's page and in a negotiated call (a typo guard).
    max_session_price_cents: int = 1000_00
    # Signs page cursors so they are opaque and tamper-evident: an ARN (Secrets Manager, on AWS)
    # or the secret itself (the local stack); with neither, a key of the warm Lambda's own.
    cursor_secret_arn: str = ""
    cursor_secret: str = ""
    tip_min_cents: int = 100
    tip_max_cents: int = 500_00
    refund_request_hours: int = 24
    # Reviews (domain.reviews): the shortest session that can be rated, how long after the call
    # it can be, and how long a review or a reply can be changed.
    review_min_session_seconds: int = 120
    review_days: int = 14
    review_edit_hours: int = 48
    review_reminder_hours: int = 24  # one email this long after a session its caller has not rated
    reports_per_day: int = 20  # reports one person may file in any 24 hours (one per thing)
    refund_review_business_days: int = 7
    # The store (domain.store): the private bucket of digital goods, how long a download link
    # works, how often a file may be downloaded, how long stock waits for an unpaid checkout, the
    # holds before a sale's earnings are released, and the buyers' refund windows.
    files_bucket: str = ""
    # Where buyers fetch those files: the downloads distribution (CloudFront on AWS, a loopback
    # server locally), which adds `nosniff` that S3 cannot; empty, the presigned S3 URL as is.
    files_download_url: str = ""
    download_link_seconds: int = 300
    download_limit: int = 5
    reservation_seconds: int = 30 * 60
    digital_hold_hours: int = 24
    physical_hold_days: int = 7
    digital_refund_hours: int = 24
    physical_refund_days: int = 14
    refund_keeps_paypal_fee: bool = True  # an approved refund is the amount minus PayPal's fee
    email_sender: str = "no-reply@interkanect.local"
    ops_email: str = "ops@interkanect.local"
    support_email: str = "support@interkanect.local"  # shown to people: FAQ, Terms, Privacy, emails
    # Payouts: a preset of domain.payout_schedule.PRESETS (weekly, biweekly, monthly); the
    # minimum and the holiday rule override the preset's when set.
    payout_schedule: str = "weekly"
    payout_minimum_cents: int | None = None
    payout_holiday_shift: str | None = None
    # Ops watch: reminders before a refund review's deadline, free-session hosts flagged.
    refund_reminder_hours: int = 48
    free_sessions_flag_per_week: int = 25
    # Followers' emails: the sending jobs keep to SES's sending rate and stop within their run
    # (the next run, a minute later, goes on where they stopped).
    ses_sends_per_second: float = 14.0
    fanout_seconds_per_run: float = 50.0
    # Web Push (call alerts when no tab is open): the VAPID private key, an ARN (Secrets Manager,
    # on AWS and the local stack) or the key itself (tests); neither: push is off. Subscriptions on
    # http://127.0.0.1 only when the local stack says so (its push service).
    vapid_secret_arn: str = ""
    vapid_private_key: str = ""
    push_local_endpoints: bool = False
    push_subscriptions_per_user: int = 10
    # Abuse limits the app enforces where WAF cannot see who asks (adapters/rate_limits.py): rings
    # per caller a minute, sign-ups (confirmation codes) per email address and per source IP an
    # hour; 0 turns one off. SES bounces and complaints reach the app through the configuration set
    # named here (on AWS; the local stack's sender identity publishes them without one).
    rings_per_minute: int = 6
    sign_ups_per_email_hour: int = 3
    sign_ups_per_ip_hour: int = 20
    ses_configuration_set: str = ""

    def table_name(self, logical: str) -> str:
        return self.table_names.get(logical) or f"{self.table_prefix}{logical}"

    @property
    def issuer(self) -> str:
        return self.cognito_issuer or (
            f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"
        )

    @property
    def jwks_url(self) -> str:
        return self.cognito_jwks_url or f"{self.issuer}/.well-known/jwks.json"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Settings":
        def get(name: str, default: str = "") -> str:
            return env.get(name, default) or default

        return cls(
            region=get("AWS_REGION", get("AWS_DEFAULT_REGION", "us-east-1")),
            aws_endpoint_url=get("IK_AWS_ENDPOINT_URL") or None,
            table_prefix=get("IK_TABLE_PREFIX", "interkanect-"),
            table_names={t: env[f"IK_TABLE_{t.upper()}"] for t in TABLES if env.get(f"IK_TABLE_{t.upper()}")},
            user_pool_id=get("IK_USER_POOL_ID"),
            user_pool_client_id=get("IK_USER_POOL_CLIENT_ID"),
            cognito_issuer=get("IK_COGNITO_ISSUER"),
            cognito_jwks_url=get("IK_COGNITO_JWKS_URL"),
            ops_group=get("IK_OPS_GROUP", "ops"),
            username_change_days=int(get("IK_USERNAME_CHANGE_DAYS", "30")),
            unconfirmed_sign_up_days=int(get("IK_UNCONFIRMED_SIGN_UP_DAYS", "7")),
            session_seconds=int(get("IK_SESSION_SECONDS", str(30 * 24 * 60 * 60))),
            websocket_management_url=get("IK_WEBSOCKET_MANAGEMENT_URL"),
            connection_lifetime_seconds=int(get("IK_CONNECTION_LIFETIME_SECONDS", "7200")),
            site_bucket=get("IK_SITE_BUCKET"),
            site_url=get("IK_SITE_URL", "http://127.0.0.1:8080").rstrip("/"),
            uploads_bucket=get("IK_UPLOADS_BUCKET"),
            avatar_max_bytes=int(get("IK_AVATAR_MAX_BYTES", str(2 * 1024 * 1024))),
            stale_connection_seconds=int(get("IK_STALE_CONNECTION_SECONDS", "180")),
            stun_urls=tuple(u.strip() for u in get("IK_STUN_URLS").split(",") if u.strip()),
            turn_urls=tuple(u.strip() for u in get("IK_TURN_URLS").split(",") if u.strip()),
            turn_secret_parameter=get("IK_TURN_SECRET_PARAMETER"),
            turn_credential_seconds=int(get("IK_TURN_CREDENTIAL_SECONDS", "3600")),
            paypal_base_url=get("IK_PAYPAL_BASE_URL", "https://api-m.sandbox.paypal.com"),
            paypal_client_id=get("IK_PAYPAL_CLIENT_ID"),
            paypal_client_secret=get("IK_PAYPAL_CLIENT_SECRET"),
            paypal_client_secret_parameter=get("IK_PAYPAL_CLIENT_SECRET_PARAMETER"),
            paypal_webhook_id=get("IK_PAYPAL_WEBHOOK_ID"),
            paypal_cert_urls=cls.paypal_cert_urls + tuple(
                u.strip() for u in get("IK_PAYPAL_EXTRA_CERT_URLS").split(",") if u.strip()),
            currency=get("IK_CURRENCY", "USD"),
            brand_name=get("IK_BRAND_NAME", "interKanect"),
            free_plan_fee_basis_points=int(get("IK_FREE_PLAN_FEE_BASIS_POINTS", "2000")),
            upgraded_plan_fee_basis_points=int(get("IK_UPGRADED_PLAN_FEE_BASIS_POINTS", "0")),
            paypal_fee_basis_points=int(get("IK_PAYPAL_FEE_BASIS_POINTS", "349")),
            paypal_fee_fixed_cents=int(get("IK_PAYPAL_FEE_FIXED_CENTS", "49")),
            upgrade_price_cents=int(get("IK_UPGRADE_PRICE_CENTS", "1500")),
            upgrade_days=int(get("IK_UPGRADE_DAYS", "30")),
            max_session_price_cents=int(get("IK_MAX_SESSION_PRICE_CENTS", "100000")),
            cursor_secret_arn=get("IK_CURSOR_SECRET_ARN"),
            cursor_secret=get("IK_CURSOR_SECRET"),
            tip_min_cents=int(get("IK_TIP_MIN_CENTS", "100")),
            tip_max_cents=int(get("IK_TIP_MAX_CENTS", "50000")),
            refund_request_hours=int(get("IK_REFUND_REQUEST_HOURS", "24")),
            refund_review_business_days=int(get("IK_REFUND_REVIEW_BUSINESS_DAYS", "7")),
            files_bucket=get("IK_FILES_BUCKET"),
            files_download_url=get("IK_FILES_DOWNLOAD_URL").rstrip("/"),
            download_link_seconds=int(get("IK_DOWNLOAD_LINK_SECONDS", "300")),
            download_limit=int(get("IK_DOWNLOAD_LIMIT", "5")),
            reservation_seconds=int(get("IK_RESERVATION_SECONDS", "1800")),
            digital_hold_hours=int(get("IK_DIGITAL_HOLD_HOURS", "24")),
            physical_hold_days=int(get("IK_PHYSICAL_HOLD_DAYS", "7")),
            digital_refund_hours=int(get("IK_DIGITAL_REFUND_HOURS", "24")),
            physical_refund_days=int(get("IK_PHYSICAL_REFUND_DAYS", "14")),
            review_min_session_seconds=int(get("IK_REVIEW_MIN_SESSION_SECONDS", "120")),
            review_days=int(get("IK_REVIEW_DAYS", "14")),
            review_edit_hours=int(get("IK_REVIEW_EDIT_HOURS", "48")),
            review_reminder_hours=int(get("IK_REVIEW_REMINDER_HOURS", "24")),
            reports_per_day=int(get("IK_REPORTS_PER_DAY", "20")),
            refund_keeps_paypal_fee=get("IK_REFUND_KEEPS_PAYPAL_FEE", "true").lower() != "false",
            email_sender=get("IK_EMAIL_SENDER", "no-reply@interkanect.local"),
            ops_email=get("IK_OPS_EMAIL", "ops@interkanect.local"),
            support_email=get("IK_SUPPORT_EMAIL", "support@interkanect.local"),
            payout_schedule=get("IK_PAYOUT_SCHEDULE", "weekly"),
            payout_minimum_cents=int(get("IK_PAYOUT_MINIMUM_CENTS")) if get("IK_PAYOUT_MINIMUM_CENTS") else None,
            payout_holiday_shift=get("IK_PAYOUT_HOLIDAY_SHIFT") or None,
            refund_reminder_hours=int(get("IK_REFUND_REMINDER_HOURS", "48")),
            free_sessions_flag_per_week=int(get("IK_FREE_SESSIONS_FLAG_PER_WEEK", "25")),
            ses_sends_per_second=float(get("IK_SES_SENDS_PER_SECOND", "14")),
            fanout_seconds_per_run=float(get("IK_FANOUT_SECONDS_PER_RUN", "50")),
            vapid_secret_arn=get("IK_VAPID_SECRET_ARN"),
            vapid_private_key=get("IK_VAPID_PRIVATE_KEY"),
            push_local_endpoints=get("IK_PUSH_LOCAL_ENDPOINTS", "false").lower() == "true",
            push_subscriptions_per_user=int(get("IK_PUSH_SUBSCRIPTIONS_PER_USER", "10")),
            rings_per_minute=int(get("IK_RINGS_PER_MINUTE", "6")),
            sign_ups_per_email_hour=int(get("IK_SIGN_UPS_PER_EMAIL_HOUR", "3")),
            sign_ups_per_ip_hour=int(get("IK_SIGN_UPS_PER_IP_HOUR", "20")),
            ses_configuration_set=get("IK_SES_CONFIGURATION_SET"),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings.from_env(os.environ)
