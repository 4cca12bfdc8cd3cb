"""Open WebSocket connections: DynamoDB, and an in-memory twin."""
from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from typing import Iterator, Protocol

SHARDS = 4


def shard_of(connection_id: str) -> int:
    """Spreads connections over a few index partitions so the sweep query never hot-spots."""
    return zlib.crc32(connection_id.encode()) % SHARDS


@dataclass(frozen=True)
class Connection:
    """One open WebSocket connection and who holds it."""

    connection_id: str
    user_id: str
    connected_at: int
    expires_at: int
    session_id: str = ""  # the sign-in of the token it connected with: a sign-out closes it


class ConnectionStore(Protocol):
    def add(self, connection: Connection) -> None: ...
    def get(self, connection_id: str) -> Connection | None: ...
    def remove(self, connection_id: str) -> None: ...
    def for_user(self, user_id: str) -> list[Connection]: ...
    def expired(self, now: int) -> Iterator[Connection]: ...
    def touch(self, connection_id: str, expires_at: int) -> bool: ...


class DynamoConnectionStore:
    def add(self, connection: Connection) -> None:
        from chalicelib.adapters.tables.realtime import ConnectionRecord

        ConnectionRecord(
            connection.connection_id,
            user_id=connection.user_id,
            connected_at=connection.connected_at,
            expires_at=connection.expires_at,
            shard=shard_of(connection.connection_id),
            ttl=connection.expires_at + 3600,
            session_id=connection.session_id or None,
        ).save()

    def get(self, connection_id: str) -> Connection | None:
        from chalicelib.adapters.tables.realtime import ConnectionRecord

        try:
            record = ConnectionRecord.get(connection_id)
        except ConnectionRecord.DoesNotExist:
            return None
        return _connection(record)

    def remove(self, connection_id: str) -> None:
        from chalicelib.adapters.tables.realtime import ConnectionRecord

        ConnectionRecord(connection_id).delete()

    def for_user(self, user_id: str) -> list[Connection]:
        from chalicelib.adapters.tables.realtime import ConnectionRecord

        return [_connection(r) for r in ConnectionRecord.by_user.query(user_id)]

    def expired(self, now: int) -> Iterator[str]:
        from chalicelib.adapters.tables.realtime import ConnectionRecord

        for shard in range(SHARDS):
            for record in ConnectionRecord.by_expiry.query(shard, ConnectionRecord.expires_at <= now):
                yield _connection(record)

    def touch(self, connection_id: str, expires_at: int) -> bool:
        """Moves a live connection's expiry on; False if it is already gone (swept)."""
        from pynamodb.exceptions import UpdateError

        from chalicelib.adapters.tables.realtime import ConnectionRecord

        try:
            ConnectionRecord(connection_id).update(
                actions=[ConnectionRecord.expires_at.set(expires_at), ConnectionRecord.ttl.set(expires_at + 3600)],
                condition=ConnectionRecord.connection_id.exists())
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _connection(record) -> Connection:
    return Connection(connection_id=record.connection_id, user_id=record.user_id,
                      connected_at=int(record.connected_at), expires_at=int(record.expires_at),
                      session_id=record.session_id or "")


class InMemoryConnectionStore:
    def __init__(self) -> None:
        self.connections: dict[str, Connection] = {}

    def add(self, connection: Connection) -> None:
        self.connections[connection.connection_id] = connection

    def get(self, connection_id: str) -> Connection | None:
        return self.connections.get(connection_id)

    def remove(self, connection_id: str) -> None:
        self.connections.pop(connection_id, None)

    def for_user(self, user_id: str) -> list[Connection]:
        return sorted((c for c in self.connections.values() if c.user_id == user_id),
                      key=lambda c: c.connection_id)

    def expired(self, now: int) -> Iterator[Connection]:
        return iter([c for c in self.connections.values() if c.expires_at <= now])

    def touch(self, connection_id: str, expires_at: int) -> bool:
        current = self.connections.get(connection_id)
        if current is None:
            return False
        self.connections[connection_id] = replace(current, expires_at=expires_at)
        return True
