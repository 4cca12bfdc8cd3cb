"""Services imported when a route first uses them, not when the app is imported.

Chalice needs every route's module at import (the decorators register the routes), but a cold
start serves one route: a blueprint that names its services with `on_first_use` imports only
the ones its first request calls. Python's import lock makes the first use thread-safe.
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class on_first_use:  # noqa: N801 - reads as the module it stands for
    """Stands for the module `name`: reading any of its names imports it (once)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def module(self) -> ModuleType:
        return importlib.import_module(self._name)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.module(), attribute)

    def __repr__(self) -> str:
        return f"<{self._name}, imported on first use>"
