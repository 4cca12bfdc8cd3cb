"""Money: payments, storefronts and plans, refunds, PayPal's webhooks, the ledger and payouts."""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.adapters.tables import index, register


class PaymentRecord(Model):
    """One PayPal payment, from order to capture (and refund); every change is conditional."""

    class Meta:
        table_name = "payments"

    payment_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()
    payer_id = UnicodeAttribute()
    helper_id = UnicodeAttribute(null=True)
    amount_cents = NumberAttribute()
    currency = UnicodeAttribute()
    state = UnicodeAttribute()
    created_at = NumberAttribute()
    description = UnicodeAttribute()
    helper_plan = UnicodeAttribute(default="free")
    call_id = UnicodeAttribute(null=True)
    order_id = UnicodeAttribute(null=True)
    approve_url = UnicodeAttribute(null=True)
    capture_id = UnicodeAttribute(null=True)
    paypal_fee_cents = NumberAttribute(null=True)
    helper_cents = NumberAttribute(null=True)
    platform_cents = NumberAttribute(null=True)
    captured_at = NumberAttribute(null=True)
    refunded_cents = NumberAttribute(default=0)
    closed_reason = UnicodeAttribute(null=True)
    release_at = NumberAttribute(null=True)  # earnings waiting to become payable: when to look again
    release_queue = UnicodeAttribute(null=True)  # "due" while release_at is set (a sparse index)
    by_release = index("by_release", ("release_queue", UnicodeAttribute), ("release_at", NumberAttribute))()
    by_order = index("by_order", ("order_id", UnicodeAttribute))()
    by_payer = index("by_payer", ("payer_id", UnicodeAttribute), ("created_at", NumberAttribute))()
    by_helper = index("by_helper", ("helper_id", UnicodeAttribute), ("created_at", NumberAttribute))()


class StorefrontRecord(Model):
    """A Helper's storefront: the PayPal email payouts go to, and how the store ships."""

    class Meta:
        table_name = "storefronts"

    user_id = UnicodeAttribute(hash_key=True)
    paypal_email = UnicodeAttribute()
    name = UnicodeAttribute()
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    shipping = JSONAttribute(null=True)  # domain.store.ShippingRule; absent: the default rule


class HelperPlanRecord(Model):
    """A Helper's paid plan and until when; apart from the page so a page save never loses it."""

    class Meta:
        table_name = "helper_plans"

    user_id = UnicodeAttribute(hash_key=True)
    plan = UnicodeAttribute()
    until = NumberAttribute()
    last_payment_id = UnicodeAttribute(null=True)


class RefundRequestRecord(Model):
    """A customer's refund request; `queue` is set while it waits for ops (a sparse index)."""

    class Meta:
        table_name = "refund_requests"

    request_id = UnicodeAttribute(hash_key=True)
    payment_id = UnicodeAttribute()
    payer_id = UnicodeAttribute()
    helper_id = UnicodeAttribute(null=True)
    paid_cents = NumberAttribute()
    refund_cents = NumberAttribute()
    currency = UnicodeAttribute()
    reason = UnicodeAttribute()
    statement = UnicodeAttribute(null=True)
    state = UnicodeAttribute()
    requested_at = NumberAttribute()
    deadline = NumberAttribute()
    decided_at = NumberAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    refund_id = UnicodeAttribute(null=True)
    reminded_at = NumberAttribute(null=True)
    queue = UnicodeAttribute(null=True)
    by_queue = index("by_queue", ("queue", UnicodeAttribute), ("deadline", NumberAttribute))()
    by_payer = index("by_payer", ("payer_id", UnicodeAttribute), ("requested_at", NumberAttribute))()
    by_helper = index("by_helper", ("helper_id", UnicodeAttribute), ("requested_at", NumberAttribute))()


class WebhookEventRecord(Model):
    """A PayPal webhook event handled once: its id, kept 30 days to recognise replays."""

    class Meta:
        table_name = "webhook_events"

    event_id = UnicodeAttribute(hash_key=True)
    event_type = UnicodeAttribute()
    received_at = NumberAttribute()
    ttl = NumberAttribute()


class LedgerTransactionRecord(Model):
    """One posted ledger transaction; its id is derived from PayPal's, so a replay is refused."""

    class Meta:
        table_name = "ledger_transactions"

    transaction_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()
    occurred_at = NumberAttribute()
    legs = JSONAttribute()  # [{"account", "direction", "amount_cents"}, ...] in leg order
    memo = JSONAttribute(default=dict)


class LedgerLineRecord(Model):
    """One leg filed under its account: a statement page is one Query, newest first."""

    class Meta:
        table_name = "ledger_lines"

    account = UnicodeAttribute(hash_key=True)
    position = UnicodeAttribute(range_key=True)  # "{occurred_at:012d}#{transaction_id}#{leg_index:03d}"
    transaction_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    direction = UnicodeAttribute()
    amount_cents = NumberAttribute()
    occurred_at = NumberAttribute()
    leg_index = NumberAttribute()
    memo = JSONAttribute(default=dict)


class LedgerBalanceRecord(Model):
    """An account's running debits and credits, moved only by ADD in the posting transaction."""

    class Meta:
        table_name = "ledger_balances"

    account = UnicodeAttribute(hash_key=True)
    debits_cents = NumberAttribute(default=0)
    credits_cents = NumberAttribute(default=0)
    payee = UnicodeAttribute(null=True)  # "payable" on helpers' payable accounts: the payout run's index
    by_payee = index("by_payee", ("payee", UnicodeAttribute), ("account", UnicodeAttribute))()


class PayoutRunRecord(Model):
    """One payout day's run: its state, and the PayPal batch of each chunk of its items."""

    class Meta:
        table_name = "payout_runs"

    run_id = UnicodeAttribute(hash_key=True)  # the payout day, "2026-12-04"
    state = UnicodeAttribute()
    version = NumberAttribute()
    started_at = NumberAttribute()
    updated_at = NumberAttribute()
    pay_by = NumberAttribute()
    item_count = NumberAttribute(default=0)
    total_cents = NumberAttribute(default=0)
    batches = JSONAttribute(default=dict)  # {"<chunk>": "<payout_batch_id>"}
    finished_at = NumberAttribute(null=True)
    queue = UnicodeAttribute(null=True)  # "open" until every item has its outcome (a sparse index)
    by_queue = index("by_queue", ("queue", UnicodeAttribute), ("run_id", UnicodeAttribute))()


class PayoutItemRecord(Model):
    """What one helper is paid in one run (a strongly consistent Query lists a run's items);
    "{run_id}.{helper_id}" is PayPal's sender_item_id."""

    class Meta:
        table_name = "payout_items"

    run_id = UnicodeAttribute(hash_key=True)
    helper_id = UnicodeAttribute(range_key=True)
    amount_cents = NumberAttribute()
    currency = UnicodeAttribute()
    receiver = UnicodeAttribute()
    state = UnicodeAttribute()
    created_at = NumberAttribute()
    updated_at = NumberAttribute()
    payout_item_id = UnicodeAttribute(null=True)
    paypal_status = UnicodeAttribute(null=True)
    fee_cents = NumberAttribute(null=True)
    error = UnicodeAttribute(null=True)
    by_helper = index("by_helper", ("helper_id", UnicodeAttribute), ("created_at", NumberAttribute))()


register(PaymentRecord, StorefrontRecord, HelperPlanRecord, RefundRequestRecord, WebhookEventRecord,
         LedgerTransactionRecord, LedgerLineRecord, LedgerBalanceRecord, PayoutRunRecord, PayoutItemRecord)
