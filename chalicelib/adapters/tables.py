"""PynamoDB models: the one definition of every DynamoDB table, used by the app, the local
stack (to create tables) and the CDK app (to declare them)."""
from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.settings import Settings


class UserRecord(Model):
    """A person's account profile, keyed by the Cognito `sub`."""

    class Meta:
        table_name = "users"

    user_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute()
    username = UnicodeAttribute()
    display_name = UnicodeAttribute()
    created_at = UnicodeAttribute()
    username_changed_at = UnicodeAttribute(null=True)


class UsernamesOnHold(GlobalSecondaryIndex):
    """Names held by sign-ups not known to be confirmed, oldest first: the release job's Query."""

    class Meta:
        index_name = "on_hold"
        projection = AllProjection()

    hold = UnicodeAttribute(hash_key=True)
    held_since = NumberAttribute(range_key=True)


class UsernameRecord(Model):
    """Claims a username (case-folded) for one user; the key makes usernames unique."""

    class Meta:
        table_name = "usernames"

    username_key = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute()
    user_id = UnicodeAttribute()
    # Set by sign-up until the account is known to be confirmed (a sparse index).
    hold = UnicodeAttribute(null=True)  # "unconfirmed"
    held_since = NumberAttribute(null=True)  # epoch seconds
    on_hold = UsernamesOnHold()


class ConnectionsByUser(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True)


class ConnectionsByExpiry(GlobalSecondaryIndex):
    """Lets the sweeper find expired connections with a Query per shard, never a Scan."""

    class Meta:
        index_name = "by_expiry"
        projection = AllProjection()

    shard = NumberAttribute(hash_key=True)
    expires_at = NumberAttribute(range_key=True)


class ConnectionRecord(Model):
    """One open WebSocket connection and who holds it."""

    class Meta:
        table_name = "connections"

    connection_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    connected_at = NumberAttribute()
    expires_at = NumberAttribute()
    shard = NumberAttribute()
    ttl = NumberAttribute()
    session_id = UnicodeAttribute(null=True)  # the sign-in of the token it connected with
    by_user = ConnectionsByUser()
    by_expiry = ConnectionsByExpiry()


class PagesByUsername(GlobalSecondaryIndex):
    """A Helper's page by the case-folded username in its address: `/h/<username>` in one Query."""

    class Meta:
        index_name = "by_username"
        projection = AllProjection()

    username_key = UnicodeAttribute(hash_key=True)


class HelperPageRecord(Model):
    """A Helper's page: the Markdown sources, and the text as rendered at the last save."""

    class Meta:
        table_name = "helper_pages"

    user_id = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute()
    display_name = UnicodeAttribute()
    headline = UnicodeAttribute()
    offer = UnicodeAttribute()
    qualifications = UnicodeAttribute(default="")
    languages = ListAttribute(of=UnicodeAttribute, default=list)
    time_zone = UnicodeAttribute()
    prices = JSONAttribute()
    schedule = JSONAttribute()
    links = JSONAttribute()
    avatar_key = UnicodeAttribute(null=True)
    categories = ListAttribute(of=UnicodeAttribute, default=list)
    search_terms = ListAttribute(of=UnicodeAttribute, default=list)
    plan = UnicodeAttribute(default="free")
    # Written only by reviews (ADD, in the review's own transaction), never by a page save.
    rating_total = NumberAttribute(default=0)
    rating_count = NumberAttribute(default=0)
    rating_1 = NumberAttribute(null=True)  # how many counted reviews gave 1 star, ...
    rating_2 = NumberAttribute(null=True)
    rating_3 = NumberAttribute(null=True)
    rating_4 = NumberAttribute(null=True)
    rating_5 = NumberAttribute(null=True)
    payouts_ready = BooleanAttribute(default=False)
    username_key = UnicodeAttribute(null=True)  # absent on pages saved before the index
    by_username = PagesByUsername()
    rendered = JSONAttribute(null=True)  # domain.rich_text.ShownText; absent on pages saved before it
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class CategoriesInTree(GlobalSecondaryIndex):
    """All categories in display order: one Query, never a Scan."""

    class Meta:
        index_name = "in_tree"
        projection = AllProjection()

    tree = UnicodeAttribute(hash_key=True)
    position = NumberAttribute(range_key=True)


class CategoryRecord(Model):
    class Meta:
        table_name = "categories"

    slug = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    banner = UnicodeAttribute()
    parent = UnicodeAttribute(null=True)
    position = NumberAttribute()
    tree = UnicodeAttribute(default="categories")
    in_tree = CategoriesInTree()


class ListingsByRank(GlobalSecondaryIndex):
    """A category's helpers, online first then by rating: a page of them is one Query."""

    class Meta:
        index_name = "by_rank"
        projection = AllProjection()

    category = UnicodeAttribute(hash_key=True)
    rank = UnicodeAttribute(range_key=True)


class ListingRecord(Model):
    """A Helper listed in a category, carrying the card the directory shows (denormalised)."""

    class Meta:
        table_name = "listings"

    category = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    rank = UnicodeAttribute()
    card = JSONAttribute()
    by_rank = ListingsByRank()


class PresenceRecord(Model):
    """Whether a person is online, busy (in a call) or offline, and since when."""

    class Meta:
        table_name = "presence"

    user_id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    in_call = BooleanAttribute(default=False)
    changed_at = NumberAttribute()


class SearchTermRecord(Model):
    """One word a Helper is found by; partition = the word's first two letters."""

    class Meta:
        table_name = "search_terms"

    partition = UnicodeAttribute(hash_key=True)
    term_user = UnicodeAttribute(range_key=True)  # "<term>#<user_id>"
    user_id = UnicodeAttribute()


class CallsByDeadline(GlobalSecondaryIndex):
    """Calls whose next timeout is due: the sweep's Query per shard, never a Scan."""

    class Meta:
        index_name = "by_deadline"
        projection = AllProjection()

    shard = NumberAttribute(hash_key=True)
    deadline = NumberAttribute(range_key=True)


class CallsByHelper(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_helper"
        projection = AllProjection()

    helper_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class CallsByCaller(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_caller"
        projection = AllProjection()

    caller_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class CallRecord(Model):
    """One call and its state; every change is a write conditional on `version`."""

    class Meta:
        table_name = "calls"

    call_id = UnicodeAttribute(hash_key=True)
    caller_id = UnicodeAttribute()
    helper_id = UnicodeAttribute()
    state = UnicodeAttribute()
    version = NumberAttribute()
    plan = UnicodeAttribute()
    created_at = NumberAttribute()
    state_deadline = NumberAttribute(null=True)
    deadline = NumberAttribute(null=True)  # absent once ended, so the sweep index forgets it
    shard = NumberAttribute()
    caller_connection = UnicodeAttribute(null=True)
    helper_connection = UnicodeAttribute(null=True)
    proposed = JSONAttribute(null=True)
    agreed = JSONAttribute(null=True)
    extension = BooleanAttribute(default=False)
    session_started_at = NumberAttribute(null=True)
    session_ends_at = NumberAttribute(null=True)
    minutes_used = NumberAttribute(default=0)
    caller_gone_since = NumberAttribute(null=True)
    helper_gone_since = NumberAttribute(null=True)
    negotiation_deadline = NumberAttribute(null=True)
    accepted_version = NumberAttribute(null=True)  # names the payment of the paid terms last accepted
    ended_at = NumberAttribute(null=True)
    end_reason = UnicodeAttribute(null=True)
    ttl = NumberAttribute(null=True)
    by_deadline = CallsByDeadline()
    by_helper = CallsByHelper()
    by_caller = CallsByCaller()


class CallSlotRecord(Model):
    """A helper's call slot on a plan with a limit of calls at once (the free plan has one)."""

    class Meta:
        table_name = "call_slots"

    helper_id = UnicodeAttribute(hash_key=True)
    slot = NumberAttribute(range_key=True)
    call_id = UnicodeAttribute()


def _index(name: str, hash_attribute, range_attribute=None) -> type[GlobalSecondaryIndex]:
    """A GSI projecting every attribute, keyed on the named attributes."""
    namespace = {"Meta": type("Meta", (), {"index_name": name, "projection": AllProjection()})}
    hash_name, hash_type = hash_attribute
    namespace[hash_name] = hash_type(hash_key=True)
    if range_attribute:
        range_name, range_type = range_attribute
        namespace[range_name] = range_type(range_key=True)
    return type(f"Index_{name}", (GlobalSecondaryIndex,), namespace)


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
    by_release = _index("by_release", ("release_queue", UnicodeAttribute), ("release_at", NumberAttribute))()
    by_order = _index("by_order", ("order_id", UnicodeAttribute))()
    by_payer = _index("by_payer", ("payer_id", UnicodeAttribute), ("created_at", NumberAttribute))()
    by_helper = _index("by_helper", ("helper_id", UnicodeAttribute), ("created_at", NumberAttribute))()


class StorefrontRecord(Model):
    """A Helper's storefront: the PayPal email payouts go to."""

    class Meta:
        table_name = "storefronts"

    user_id = UnicodeAttribute(hash_key=True)
    paypal_email = UnicodeAttribute()
    name = UnicodeAttribute()
    created_at = NumberAttribute()
    updated_at = NumberAttribute()


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
    by_queue = _index("by_queue", ("queue", UnicodeAttribute), ("deadline", NumberAttribute))()
    by_payer = _index("by_payer", ("payer_id", UnicodeAttribute), ("requested_at", NumberAttribute))()
    by_helper = _index("by_helper", ("helper_id", UnicodeAttribute), ("requested_at", NumberAttribute))()


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
    by_payee = _index("by_payee", ("payee", UnicodeAttribute), ("account", UnicodeAttribute))()


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
    by_queue = _index("by_queue", ("queue", UnicodeAttribute), ("run_id", UnicodeAttribute))()


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
    by_helper = _index("by_helper", ("helper_id", UnicodeAttribute), ("created_at", NumberAttribute))()


class FreeSessionCountRecord(Model):
    """Free sessions a helper hosted in one week (Pacific, ISO week): one item per helper and week."""

    class Meta:
        table_name = "free_session_counts"

    week = UnicodeAttribute(hash_key=True)  # "2026-W49"
    helper_id = UnicodeAttribute(range_key=True)
    count = NumberAttribute(default=0)
    call_ids = UnicodeSetAttribute(null=True)  # the calls counted: a retried start is not counted twice
    ttl = NumberAttribute(null=True)


class OpsFlagRecord(Model):
    """Something ops should look at about a helper (hosting too many free sessions), raised once."""

    class Meta:
        table_name = "ops_flags"

    flag_id = UnicodeAttribute(hash_key=True)  # "{reason}:{helper_id}:{period}"
    helper_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    detail = UnicodeAttribute()
    flagged_at = NumberAttribute()
    state = UnicodeAttribute(default="open")
    closed_at = NumberAttribute(null=True)
    closed_by = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)  # ops' note on closing
    queue = UnicodeAttribute(null=True)  # "open" while ops has not closed it (a sparse index)
    by_queue = _index("by_queue", ("queue", UnicodeAttribute), ("flagged_at", NumberAttribute))()


class RevocationRecord(Model):
    """A sign-out on record until the session it ended could no longer make tokens: one item per
    signed-out session (`session#<id>`) and one per person signed out everywhere (`user#<id>`),
    both read by one BatchGetItem for every token checked."""

    class Meta:
        table_name = "revocations"

    revocation_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    revoked_at = NumberAttribute()
    ttl = NumberAttribute()


class ReviewRecord(Model):
    """A caller's review of one session, keyed by its call (so a session has at most one), with
    the Helper's reply. `shown_helper` is the Helper's id while the review is shown (a sparse
    key: a hidden review leaves the Helper's indexes)."""

    class Meta:
        table_name = "reviews"

    call_id = UnicodeAttribute(hash_key=True)
    helper_id = UnicodeAttribute()
    caller_id = UnicodeAttribute()
    stars = NumberAttribute()
    text = UnicodeAttribute(default="")
    created_at = NumberAttribute()
    edited_at = NumberAttribute(null=True)
    session_minutes = NumberAttribute()
    author_name = UnicodeAttribute(default="")
    reply = JSONAttribute(null=True)  # {"text", "created_at", "edited_at"}
    refunded = BooleanAttribute(default=False)
    hidden = BooleanAttribute(default=False)
    moderation = JSONAttribute(null=True)  # {"decision", "note", "decided_by", "decided_at"}
    version = NumberAttribute()  # every change is conditional on the version it read
    shown_helper = UnicodeAttribute(null=True)
    newest = UnicodeAttribute()  # "<created_at, 12 digits>#<call_id>"
    by_stars = UnicodeAttribute()  # "<stars>#<created_at, 12 digits>#<call_id>"
    helper_newest = _index("helper_newest", ("shown_helper", UnicodeAttribute), ("newest", UnicodeAttribute))()
    helper_by_stars = _index("helper_by_stars", ("shown_helper", UnicodeAttribute),
                             ("by_stars", UnicodeAttribute))()
    caller_newest = _index("caller_newest", ("caller_id", UnicodeAttribute), ("newest", UnicodeAttribute))()


class ReviewReportRecord(Model):
    """One person's report of one review (`<review_id>#<reporter_id>`: a second report by them is
    the same one). `open` is set while undecided: the moderation queue is a Query of its index,
    oldest first."""

    class Meta:
        table_name = "review_reports"

    report_id = UnicodeAttribute(hash_key=True)
    review_id = UnicodeAttribute()
    reporter_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    text = UnicodeAttribute(default="")
    created_at = NumberAttribute()
    decision = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_at = NumberAttribute(null=True)
    note = UnicodeAttribute(default="")
    open = UnicodeAttribute(null=True)  # "open" until decided (a sparse key)
    queued = UnicodeAttribute()  # "<created_at, 12 digits>#<report_id>"
    open_oldest = _index("open_oldest", ("open", UnicodeAttribute), ("queued", UnicodeAttribute))()
    of_review = _index("of_review", ("review_id", UnicodeAttribute))()


class ReviewReminderRecord(Model):
    """A session whose caller is asked once, by email, to rate it if they have not; due at a
    time, found by the reminder job with a Query per shard of its index (never a Scan)."""

    class Meta:
        table_name = "review_reminders"

    call_id = UnicodeAttribute(hash_key=True)
    caller_id = UnicodeAttribute()
    due_at = NumberAttribute()
    shard = NumberAttribute()
    by_due = _index("by_due", ("shard", NumberAttribute), ("due_at", NumberAttribute))()


MODELS: dict[str, type[Model]] = {
    "users": UserRecord,
    "usernames": UsernameRecord,
    "connections": ConnectionRecord,
    "helper_pages": HelperPageRecord,
    "categories": CategoryRecord,
    "listings": ListingRecord,
    "presence": PresenceRecord,
    "search_terms": SearchTermRecord,
    "calls": CallRecord,
    "call_slots": CallSlotRecord,
    "payments": PaymentRecord,
    "storefronts": StorefrontRecord,
    "helper_plans": HelperPlanRecord,
    "refund_requests": RefundRequestRecord,
    "webhook_events": WebhookEventRecord,
    "ledger_transactions": LedgerTransactionRecord,
    "ledger_lines": LedgerLineRecord,
    "ledger_balances": LedgerBalanceRecord,
    "payout_runs": PayoutRunRecord,
    "payout_items": PayoutItemRecord,
    "free_session_counts": FreeSessionCountRecord,
    "ops_flags": OpsFlagRecord,
    "revocations": RevocationRecord,
    "reviews": ReviewRecord,
    "review_reports": ReviewReportRecord,
    "review_reminders": ReviewReminderRecord,
}
TTL_ATTRIBUTES = {"connections": "ttl", "calls": "ttl", "webhook_events": "ttl", "free_session_counts": "ttl",
                  "revocations": "ttl"}


def bind_tables(settings: Settings) -> Connection:
    """Point every model at its table and endpoint, all through one pynamodb Connection (returned,
    for transactions); called once when dependencies are built. Left alone, pynamodb gives each
    model a connection with a botocore session of its own, and each loads the DynamoDB service
    model and endpoint data again: tens of ms per table a cold start touches."""
    shared = Connection(region=settings.region, host=settings.aws_endpoint_url)
    for logical, model in MODELS.items():
        model.Meta.table_name = settings.table_name(logical)
        model.Meta.region = settings.region
        model.Meta.host = settings.aws_endpoint_url
        model._connection = None
        table = model._get_connection()  # pynamodb's own, with the table's keys and indexes
        shared.add_meta_table(table.get_meta_table())
        table.connection = shared
    return shared


def create_tables(settings: Settings) -> list[str]:
    """Create any missing table, and any index missing from a table kept from an older version
    (local stack and tests); returns the names created."""
    bind_tables(settings)
    created = []
    for model in MODELS.values():
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
            created.append(model.Meta.table_name)
        else:
            created += _add_missing_indexes(model)
    return created


def _add_missing_indexes(model: type[Model]) -> list[str]:
    """A new global secondary index on a table that exists: added one at a time, as DynamoDB wants."""
    connection = model._get_connection()
    described = connection.describe_table()
    have = {index["IndexName"] for index in described.get("GlobalSecondaryIndexes", [])}
    schema = model._get_schema()
    added = []
    for index in schema.get("global_secondary_indexes", []):
        if index["index_name"] in have:
            continue
        names = {key["AttributeName"] for key in index["key_schema"]}
        connection.connection.client.update_table(
            TableName=model.Meta.table_name,
            AttributeDefinitions=[a for a in schema["attribute_definitions"] if a["AttributeName"] in names],
            GlobalSecondaryIndexUpdates=[{"Create": {
                "IndexName": index["index_name"], "KeySchema": index["key_schema"],
                "Projection": index["projection"]}}])
        added.append(f"{model.Meta.table_name}/{index['index_name']}")
    return added
