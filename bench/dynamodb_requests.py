"""Counting the DynamoDB requests the app's code makes in this process, for the benches that
judge how many requests an operation costs."""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def counting_dynamodb() -> Iterator[Counter]:
    """Every DynamoDB request this process makes, by operation, while the block runs: counted
    at botocore's client, so requests pynamodb makes and those made with its client directly
    (adapters/page_facts.py) both count."""
    from botocore.client import BaseClient

    counts: Counter = Counter()
    original = BaseClient._make_api_call

    def counted(client, operation_name, operation_kwargs):
        if client.meta.service_model.service_name == "dynamodb":
            counts[operation_name] += 1
        return original(client, operation_name, operation_kwargs)

    BaseClient._make_api_call = counted
    try:
        yield counts
    finally:
        BaseClient._make_api_call = original
