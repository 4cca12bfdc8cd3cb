"""Local state kept from an older version (`make dev` keeps `.local/`): a table that exists
without an index the code now has gets the index, and the code can query it."""
from __future__ import annotations

import dataclasses
import uuid

import boto3
import pytest

pytestmark = pytest.mark.integration


def test_a_kept_table_gets_the_indexes_added_since(app_env):
    from chalicelib.adapters.payments import DynamoPaymentStore
    from chalicelib.adapters.tables import bind_tables, create_tables

    settings = dataclasses.replace(app_env.settings(), table_prefix=f"upgrade-{uuid.uuid4().hex[:8]}-")
    dynamodb = boto3.client("dynamodb", endpoint_url=settings.aws_endpoint_url, region_name=settings.region)
    payments = settings.table_name("payments")
    dynamodb.create_table(  # the payments table as the payments issue left it: no release index
        TableName=payments, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"},
                              {"AttributeName": "order_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_order", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "order_id", "KeyType": "HASH"}]}])
    try:
        created = create_tables(settings)
        assert f"{payments}/by_release" in created and payments not in created
        indexes = dynamodb.describe_table(TableName=payments)["Table"]["GlobalSecondaryIndexes"]
        assert {"by_order", "by_payer", "by_helper", "by_release"} <= {i["IndexName"] for i in indexes}
        assert DynamoPaymentStore().due_for_release(10**10) == []
        assert create_tables(settings) == []  # nothing left to add
    finally:
        for table in dynamodb.list_tables(Limit=100)["TableNames"]:
            if table.startswith(settings.table_prefix):
                dynamodb.delete_table(TableName=table)
        bind_tables(app_env.settings())
