"""PynamoDB models: the one definition of every DynamoDB table, used by the app, the local
stack (to create tables) and the CDK app (to declare them).

The models live in one module per part of the product (`accounts`, `pages`, `directory`,
`realtime`, `calls`, `money`, `reviews`, `store`, `bookings`), so a cold start defines only the
tables its first request reads: a Helper's public page imports `pages` alone (5 classes), not the
40-odd of the app. Each module registers its models here as it is imported; once `bind_tables` has
run, a module imported later is bound as it registers, so a store can import its records when
first used and still find them pointed at the right tables.
"""
from __future__ import annotations

import importlib
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.settings import TABLES, Settings

MODULES = ("accounts", "pages", "directory", "realtime", "calls", "money", "reviews", "store", "bookings", "posts",
           "events")
MODULES += ("follows",)
MODULES += ("push",)
MODULES += ("reports",)
MODULES += ("notices",)
MODULES += ("audit",)
MODULES += ("limits",)
MODULES += ("ops_stats",)
TTL_ATTRIBUTES = {"connections": "ttl", "calls": "ttl", "webhook_events": "ttl", "free_session_counts": "ttl",
                  "revocations": "ttl", "booking_steps": "ttl", "poll_watchers": "ttl"}

TTL_ATTRIBUTES["fanout_sends"] = "ttl"
TTL_ATTRIBUTES["rate_limits"] = "ttl"
TTL_ATTRIBUTES["notices"] = "ttl"
_registered: dict[str, type[Model]] = {}  # logical table name -> model, as the modules are imported
_logical: dict[type[Model], str] = {}
_binding: tuple[Settings, Connection] | None = None


def index(name: str, hash_attribute: tuple[str, type[Attribute]],
          range_attribute: tuple[str, type[Attribute]] | None = None) -> type[GlobalSecondaryIndex]:
    """A GSI projecting every attribute, keyed on the named attributes."""
    namespace: dict[str, Any] = {"Meta": type("Meta", (), {"index_name": name, "projection": AllProjection()})}
    hash_name, hash_type = hash_attribute
    namespace[hash_name] = hash_type(hash_key=True)
    if range_attribute:
        range_name, range_type = range_attribute
        namespace[range_name] = range_type(range_key=True)
    return type(f"Index_{name}", (GlobalSecondaryIndex,), namespace)


def register(*models: type[Model]) -> None:
    """Called by each table module for its models (whose `Meta.table_name` is the logical name)."""
    for model in models:
        _registered[model.Meta.table_name], _logical[model] = model, model.Meta.table_name
        if _binding is not None:
            _bind(model, *_binding)


def bind_tables(settings: Settings) -> Connection:
    """Point every model, imported now or later, at its table and endpoint, all through one
    pynamodb Connection (returned, for transactions); called once when dependencies are built.
    Left alone, pynamodb gives each model a connection with a botocore session of its own, and
    each loads the DynamoDB service model and endpoint data again: tens of ms per table a cold
    start touches."""
    global _binding
    shared = Connection(region=settings.region, host=settings.aws_endpoint_url)
    _binding = (settings, shared)
    for model in list(_registered.values()):
        _bind(model, settings, shared)
    return shared


def _bind(model: type[Model], settings: Settings, shared: Connection) -> None:
    model.Meta.table_name = settings.table_name(_logical[model])
    model.Meta.region = settings.region
    model.Meta.host = settings.aws_endpoint_url
    model._connection = None
    table = model._get_connection()  # pynamodb's own, with the table's keys and indexes
    shared.add_meta_table(table.get_meta_table())
    table.connection = shared


def all_models() -> dict[str, type[Model]]:
    """Every table's model by logical name, in `settings.TABLES` order (imports every module)."""
    for module in MODULES:
        importlib.import_module(f"{__name__}.{module}")
    missing = set(TABLES) ^ set(_registered)
    if missing:
        raise RuntimeError(f"settings.TABLES and the table modules disagree about {sorted(missing)}")
    return {logical: _registered[logical] for logical in TABLES}


def create_tables(settings: Settings) -> list[str]:
    """Create any missing table, and any index missing from a table kept from an older version
    (local stack and tests); returns the names created."""
    models = all_models()
    bind_tables(settings)
    created = []
    for model in models.values():
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
