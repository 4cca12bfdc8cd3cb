"""JSON from strangers (REST bodies, WebSocket frames), bounded in size and depth *before* the
standard parser sees it: Python's json recurses once per level, so a body nested 50,000 deep
would escape as a RecursionError (a 500) instead of a clear 400."""
from __future__ import annotations

import json
import re
from typing import Any

from chalicelib.domain.errors import InvalidInput

MAX_DEPTH = 16  # the deepest body or frame we accept is four levels; the rest is margin
# A string (its closing quote optional, so a match never fails and the scan stays linear) or a bracket.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


def nesting_depth(data: bytes, *, stop_above: int | None = None) -> int:
    """How deep arrays and objects nest, brackets inside strings not counted (O(n), no recursion),
    counting no further than `stop_above`. Unbalanced text is the parser's to refuse."""
    depth = deepest = 0
    for token in _TOKENS.findall(data):
        if token[:1] == b'"':
            continue
        if token in b"[{":
            depth += 1
            deepest = max(deepest, depth)
            if stop_above is not None and deepest > stop_above:
                break
        else:
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity: Python accepts them, JSON does not


def loads(raw: bytes | str | None, *, max_bytes: int, max_depth: int = MAX_DEPTH, what: str = "The request body") -> Any:
    """Parses `raw`, or raises InvalidInput naming the limit it broke."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw or b"")
    if len(data) > max_bytes:
        raise InvalidInput(f"{what} is at most {max_bytes // 1024} KB.")
    if nesting_depth(data, stop_above=max_depth) > max_depth:
        raise InvalidInput(f"{what} nests deeper than {max_depth} levels.")
    try:
        return json.loads(data, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidInput(f"{what} must be JSON.") from None
