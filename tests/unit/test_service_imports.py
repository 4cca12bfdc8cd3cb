"""The import arrows between services run one way: the WebSocket side (realtime) uses the call
desk (calls), and both deliver through `delivery`; calls never reaches back into realtime."""
from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "chalicelib" / "services"


def imported_services(module: str) -> set[str]:
    """The services a module imports, at the top or inside a function."""
    tree = ast.parse((SERVICES / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("chalicelib.services."):
                found.add(node.module.split(".")[2])
            elif node.module == "chalicelib.services":
                found |= {alias.name for alias in node.names}
    return found


def test_calls_do_not_import_the_websocket_side():
    assert "realtime" not in imported_services("calls")


def test_delivery_and_signals_depend_on_no_other_call_service():
    assert imported_services("delivery") == set()
    assert imported_services("signals") <= {"delivery", "frames"}


def test_no_two_services_import_each_other():
    modules = [path.stem for path in SERVICES.glob("*.py") if path.stem != "__init__"]
    graph = {module: imported_services(module) & set(modules) for module in modules}
    cycles = sorted((a, b) for a in graph for b in graph[a] if a < b and a in graph.get(b, set()))
    assert cycles == []
