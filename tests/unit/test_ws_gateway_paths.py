"""The local WebSocket gateway's management API finds the connection a `/@connections/{id}` path
names, whatever characters its base64 id holds."""
import pytest

from infra.local.ws_gateway import connection_id_in


@pytest.mark.parametrize("path, connection_id", [
    ("/api/@connections/L0SM9cOFvHcCIhw%3D", "L0SM9cOFvHcCIhw="),
    ("/api/@connections/%2FrLckci%2FX1MTNw%3D%3D", "/rLckci/X1MTNw=="),  # a leading "/" is part of it
    ("/api/@connections/ab%2Fcd%3D%3D/", "ab/cd=="),
    ("/@connections/abc", "abc"),
])
def test_a_connection_id_with_slashes_stays_whole(path, connection_id):
    assert connection_id_in(path) == connection_id


@pytest.mark.parametrize("path", ["/api/@connections/", "/api/other/abc", "/"])
def test_a_path_without_a_connection_id_names_none(path):
    assert connection_id_in(path) is None
