"""Writing to DynamoDB beyond pynamodb's one-item calls: an UpdateItem built from placeholders
(alone, or as an item of a transaction), and TransactWriteItems that tell why they were cancelled
and are tried again when another transaction held one of their items. Shared by the store's and
the appointments' adapters."""
from __future__ import annotations

import uuid
from typing import Any, Iterable, Mapping

from botocore.exceptions import ClientError

ATTEMPTS = 3  # a transaction cancelled because another one held one of its items is tried again
CONDITION_FAILED = "ConditionalCheckFailed"
CONFLICT = "TransactionConflict"


class Update:
    """One UpdateItem, alone or in a transaction: its SET, REMOVE and ADD actions and its
    conditions, every name and value behind a placeholder (`status` is a reserved word; variant
    ids and download keys are data)."""

    def __init__(self, model: Any, key: dict) -> None:
        self.model, self.key = model, key
        self.sets: list[str] = []
        self.removes: list[str] = []
        self.adds: list[str] = []
        self.conditions: list[str] = []
        self.names: dict[str, str] = {}
        self.values: dict[str, dict] = {}
        self._placeholders: dict[str, str] = {}

    def name(self, *path: str) -> str:
        for part in path:
            if part not in self._placeholders:
                self._placeholders[part] = placeholder = f"#n{len(self.names)}"
                self.names[placeholder] = part
        return ".".join(self._placeholders[part] for part in path)

    def value(self, attribute_value: dict) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = attribute_value
        return placeholder

    def number(self, value: int) -> str:
        return self.value({"N": str(value)})

    def replacing_with(self, record: Any, *, keep: Iterable[str] = ()) -> "Update":
        """SETs every attribute of `record` but its key and `keep`, and REMOVEs those it has not
        (an index attribute of another state among them)."""
        item, kept = record.serialize(), set(keep) | set(self.key)
        for attribute in type(record).get_attributes().values():
            name = attribute.attr_name
            if name in kept:
                continue
            if name in item:
                self.sets.append(f"{self.name(name)} = {self.value(item[name])}")
            else:
                self.removes.append(self.name(name))
        return self

    def params(self) -> dict:
        actions = " ".join(f"{verb} {', '.join(parts)}" for verb, parts in
                           (("SET", self.sets), ("REMOVE", self.removes), ("ADD", self.adds)) if parts)
        params: dict[str, Any] = {"TableName": self.model.Meta.table_name, "Key": self.key}
        if actions:
            params["UpdateExpression"] = actions
        if self.conditions:
            params["ConditionExpression"] = " AND ".join(f"({condition})" for condition in self.conditions)
        if self.names:
            params["ExpressionAttributeNames"] = self.names
        if self.values:
            params["ExpressionAttributeValues"] = self.values
        return params

    def item(self, **extra: Any) -> dict:
        """This update as an item of a transaction (a ConditionCheck when it changes nothing)."""
        params = self.params()
        return {"Update" if "UpdateExpression" in params else "ConditionCheck": {**params, **extra}}


def written(client: Any, update: Update) -> bool:
    """One conditional UpdateItem; False when its condition failed (nothing written)."""
    try:
        client.update_item(**update.params())
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def transact(client: Any, items: list[dict]) -> list[dict] | None:
    """One TransactWriteItems: None when written, else why it was cancelled (one reason per
    item, in order). The request token makes botocore's own retries of it harmless."""
    try:
        client.transact_write_items(TransactItems=items, ClientRequestToken=uuid.uuid4().hex)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        return error.response.get("CancellationReasons") or [{} for _ in items]
    return None


def code(reason: Mapping) -> str | None:
    return reason.get("Code")


def conflicted(reasons: list[dict]) -> bool:
    return any(code(reason) == CONFLICT for reason in reasons)


def over_version(client: Any, items: list[dict]) -> bool:
    """Writes `items`, whose first is conditional on a version: False when that
    condition failed; again when another transaction held one of the items."""
    for _ in range(ATTEMPTS):
        reasons = transact(client, items)
        if reasons is None:
            return True
        if code(reasons[0]) == CONDITION_FAILED:
            return False
        if not conflicted(reasons):
            raise RuntimeError(f"DynamoDB cancelled the transaction: {[code(r) for r in reasons]}")
    raise RuntimeError(f"DynamoDB cancelled the transaction {ATTEMPTS} times for conflicts")


def time_page(index: Any, hash_key: str, *, start_key: Any, end: Any, upcoming: bool, now: int, longest: int,
              limit: int, after: dict | None) -> tuple[list[Any], dict | None]:
    """A page of the records of `hash_key` on an index ordered by `start_key` ("<start, 12
    digits>#…"): those ending after `now`, soonest first (`upcoming`; the key condition starts
    `longest` seconds back, the longest a thing lasts), or the others, latest first; and the key
    to continue after when more follow (one more is read to know, as the twins do). Shared by the
    bookings' and the events' lists. (A read among writes: the helpers for DynamoDB live here.)"""
    if upcoming:
        found = index.query(hash_key, start_key >= f"{now - longest:012d}", filter_condition=end > now,
                            scan_index_forward=True, limit=limit + 1, last_evaluated_key=after)
    else:
        found = index.query(hash_key, start_key <= f"{now:012d}~", filter_condition=end <= now,
                            scan_index_forward=False, limit=limit + 1, last_evaluated_key=after)
    records = list(found)
    page = records[:limit]
    if len(records) <= limit or not page:
        return page, None
    schema = index._model._get_schema()["key_schema"] + index._get_schema()["key_schema"]
    last = page[-1].serialize()
    return page, {name: last[name] for name in {key["AttributeName"] for key in schema}}
