"""Delivers messages to WebSocket connections through the API Gateway management API."""
from __future__ import annotations

import json
from typing import Any, Protocol


class ConnectionGone(Exception):
    """The connection is closed; API Gateway answered 410 Gone."""


class WebsocketSender(Protocol):
    def send(self, connection_id: str, message: dict) -> None: ...
    def close(self, connection_id: str) -> None: ...


class ApiGatewaySender:
    """`post_to_connection` on a boto3 `apigatewaymanagementapi` client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def send(self, connection_id: str, message: dict) -> None:
        try:
            self._client.post_to_connection(
                ConnectionId=connection_id, Data=json.dumps(message, separators=(",", ":")).encode()
            )
        except self._client.exceptions.GoneException as error:
            raise ConnectionGone(connection_id) from error

    def close(self, connection_id: str) -> None:
        """Ends a connection from the server side; a gone one is already closed."""
        try:
            self._client.delete_connection(ConnectionId=connection_id)
        except self._client.exceptions.GoneException:
            pass


class InMemorySender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []
        self.gone: set[str] = set()
        self.closed: list[str] = []

    def send(self, connection_id: str, message: dict) -> None:
        if connection_id in self.gone:
            raise ConnectionGone(connection_id)
        self.sent.append((connection_id, message))

    def close(self, connection_id: str) -> None:
        self.closed.append(connection_id)
        self.gone.add(connection_id)
