"""Counting the DynamoDB requests the app's code makes in this process, for the benches that
judge how many requests an operation costs."""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def counting_dynamodb() -> Iterator[Counter]:
    """Every DynamoDB request pynamodb makes, by operation, while the block runs."""
    from pynamodb.connection.base import Connection

    counts: Counter = Counter()
    original = Connection._make_api_call

    def counted(connection, operation_name, operation_kwargs):
        counts[operation_name] += 1
        return original(connection, operation_name, operation_kwargs)

    Connection._make_api_call = counted
    try:
        yield counts
    finally:
        Connection._make_api_call = original
