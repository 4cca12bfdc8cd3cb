"""Delivery to WebSocket connections, as the Chalice chat tutorial's Sender does it: send, and
forget a connection API Gateway says is gone."""
from __future__ import annotations

from chalicelib.adapters.connections import ConnectionStore
from chalicelib.adapters.websocket import ConnectionGone, WebsocketSender


def deliver(*, connection_id: str, message: dict, sender: WebsocketSender,
            connections: ConnectionStore) -> bool:
    """Sends one message; a connection that is gone is forgotten. True if it was delivered."""
    try:
        sender.send(connection_id, message)
    except ConnectionGone:
        connections.remove(connection_id)
        return False
    return True


def deliver_to_each(connection_ids: set[str], message: dict, *, sender: WebsocketSender,
                    connections: ConnectionStore) -> None:
    """Sends one message to several connections, forgetting those that are gone."""
    for connection_id in connection_ids:
        deliver(connection_id=connection_id, message=message, sender=sender, connections=connections)
