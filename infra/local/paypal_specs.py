"""PayPal's own OpenAPI contracts, used to check that the local sandbox answers and the app
asks exactly as PayPal does: a request or response body is validated against the schema of
one operation (spec + path + method + status), `$ref`s resolved inside the spec.

OpenAPI 3.0 schema objects are read as JSON Schema draft 4 (boolean `exclusiveMinimum`, `$ref`
siblings ignored) with three adjustments: `nullable: true` also admits `null`; a `readOnly`
property is never required of a request; a `writeOnly` property is never required of a response.
"""
from __future__ import annotations

import copy
import json
import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

SPEC_NAMES = (
    "checkout_orders_v2",
    "payments_payment_v2",
    "payments_payouts_batch_v1",
    "notifications_webhooks_v1",
)
SPEC_DIR_ENV = "IK_PAYPAL_OPENAPI_DIR"
VENDORED_SPEC_DIR = Path(__file__).resolve().parent / "paypal_openapi"  # copied unchanged: see its SOURCE
REQUEST, RESPONSE = "request", "response"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def default_spec_dir() -> Path:
    """Where the specs live: `$IK_PAYPAL_OPENAPI_DIR`, else the copy kept in the repository."""
    override = os.environ.get(SPEC_DIR_ENV)
    if override:
        return Path(override)
    return VENDORED_SPEC_DIR


class SpecViolation(ValueError):
    """A body does not match PayPal's contract; `errors` lists each mismatch, path first."""

    def __init__(self, where: str, errors: list[str]) -> None:
        super().__init__(f"{where} breaks PayPal's contract:\n  " + "\n  ".join(errors))
        self.where = where
        self.errors = errors


class UnknownOperation(LookupError):
    """The spec has no such path, method, status or body to validate against."""


@dataclass(frozen=True)
class Operation:
    """One path + method of a spec, with the JSON pointer of its operation object."""

    spec: str
    path: str
    method: str
    pointer: str


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _json_content(content: dict) -> str | None:
    """The media type whose schema describes a JSON body: `application/json` first."""
    if "application/json" in content:
        return "application/json"
    return next((kind for kind in content if "json" in kind), None)


class _OpenApiToJsonSchema:
    """Rewrites a spec's schema objects so a draft 4 validator reads them the OpenAPI 3.0 way."""

    def __init__(self, document: dict, direction: str) -> None:
        self._document = document
        self._hidden = "readOnly" if direction == REQUEST else "writeOnly"

    def convert(self) -> dict:
        converted = copy.deepcopy(self._document)
        self._walk(converted)
        return converted

    def _walk(self, node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                self._walk(item)
            return
        if not isinstance(node, dict):
            return
        for value in node.values():
            self._walk(value)
        if node.get("nullable") is True:
            self._admit_null(node)
        required, properties = node.get("required"), node.get("properties")
        if isinstance(required, list) and isinstance(properties, dict):
            node["required"] = [name for name in required if not self._is_hidden(properties.get(name))]

    @staticmethod
    def _admit_null(node: dict) -> None:
        node.pop("nullable")
        kind = node.get("type")
        if isinstance(kind, str):
            node["type"] = [kind, "null"]
            if isinstance(node.get("enum"), list) and None not in node["enum"]:
                node["enum"].append(None)
            return
        if kind is None and ("$ref" in node or any(k in node for k in ("allOf", "anyOf", "oneOf"))):
            original = {k: node.pop(k) for k in list(node) if k in ("$ref", "allOf", "anyOf", "oneOf")}
            node["anyOf"] = [{"type": "null"}, original]

    def _is_hidden(self, schema: Any) -> bool:
        if not isinstance(schema, dict):
            return False
        if schema.get(self._hidden) is True:
            return True
        target = self._local(schema.get("$ref"))
        return isinstance(target, dict) and target.get(self._hidden) is True

    def _local(self, ref: Any) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return None
        node: Any = self._document
        for token in ref[2:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or token not in node:
                return None
            node = node[token]
        return node


class PayPalSpec:
    """One PayPal OpenAPI document: finds operations and validates bodies against their schemas."""

    def __init__(self, name: str, document: dict) -> None:
        self.name = name
        self.document = document
        self._registries: dict[str, Any] = {}
        self._validators: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._templates = [(path, self._template_regex(path)) for path in document.get("paths", {})]

    @classmethod
    def load(cls, path: Path) -> "PayPalSpec":
        with path.open(encoding="utf-8") as handle:
            return cls(path.stem, json.load(handle))

    @staticmethod
    def _template_regex(path: str) -> re.Pattern:
        parts = re.split(r"(\{[^/{}]+\})", path)
        return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")

    # -- finding things -------------------------------------------------------------------
    def operation(self, path: str, method: str) -> Operation:
        """The operation for a template (`/v2/checkout/orders/{id}`) or a concrete path."""
        paths = self.document.get("paths", {})
        template = path if path in paths else next(
            (t for t, pattern in self._templates if pattern.match(path)), None)
        method = method.lower()
        if template is None or method not in paths[template]:
            raise UnknownOperation(f"{self.name} has no operation {method.upper()} {path}")
        return Operation(self.name, template, method, f"/paths/{_escape(template)}/{method}")

    def paths(self) -> Iterator[tuple[str, str]]:
        """Every (path template, method) the spec defines."""
        for template, item in self.document.get("paths", {}).items():
            for method in item:
                if method in _METHODS:
                    yield template, method

    def _resolve(self, pointer: str) -> tuple[str, Any]:
        """A node by JSON pointer, following a local `$ref` on it (responses, request bodies)."""
        node: Any = self.document
        for token in pointer.lstrip("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        ref = node.get("$ref") if isinstance(node, dict) else None
        if isinstance(ref, str) and ref.startswith("#/"):
            return self._resolve(ref[1:])
        return pointer, node

    def response_schema_pointer(self, path: str, method: str, status: int | str) -> str | None:
        """The pointer of the JSON schema for that status (exact, then `4XX`, then `default`),
        or None when PayPal sends no body."""
        op = self.operation(path, method)
        responses = self._resolve(op.pointer)[1].get("responses", {})
        code = str(status)
        key = next((k for k in (code, f"{code[0]}XX", f"{code[0]}xx", "default") if k in responses), None)
        if key is None:
            raise UnknownOperation(f"{self.name} {method.upper()} {op.path} has no response {code}")
        pointer, response = self._resolve(f"{op.pointer}/responses/{_escape(key)}")
        kind = _json_content(response.get("content") or {})
        if kind is None or "schema" not in response["content"][kind]:
            return None
        return f"{pointer}/content/{_escape(kind)}/schema"

    def request_schema_pointer(self, path: str, method: str) -> str | None:
        """The pointer of the JSON schema of the operation's request body, or None if it takes none."""
        op = self.operation(path, method)
        if "requestBody" not in self._resolve(op.pointer)[1]:
            return None
        pointer, body = self._resolve(f"{op.pointer}/requestBody")
        kind = _json_content(body.get("content") or {})
        if kind is None or "schema" not in body["content"][kind]:
            return None
        return f"{pointer}/content/{_escape(kind)}/schema"

    # -- validating -----------------------------------------------------------------------
    def _validator(self, pointer: str, direction: str) -> Any:
        with self._lock:
            key = (direction, pointer)
            if key not in self._validators:
                from jsonschema import Draft4Validator

                uri = f"urn:paypal-openapi:{self.name}:{direction}"
                self._validators[key] = Draft4Validator(
                    {"$ref": f"{uri}#{pointer}"},
                    registry=self._registry(uri, direction),
                    format_checker=Draft4Validator.FORMAT_CHECKER,
                )
            return self._validators[key]

    def _registry(self, uri: str, direction: str) -> Any:
        if direction not in self._registries:
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT4

            contents = _OpenApiToJsonSchema(self.document, direction).convert()
            self._registries[direction] = Registry().with_resource(
                uri, Resource(contents=contents, specification=DRAFT4))
        return self._registries[direction]

    def errors_at(self, pointer: str, body: Any, direction: str = RESPONSE) -> list[str]:
        """Every mismatch between `body` and the schema at `pointer`, readable, sorted by place."""
        from jsonschema.exceptions import best_match

        found = []
        for error in self._validator(pointer, direction).iter_errors(body):
            place = "/" + "/".join(str(p) for p in error.absolute_path)
            message = error.message if len(error.message) < 300 else error.message[:300] + "..."
            if error.context:
                deepest = best_match(error.context)
                inner = "/" + "/".join(str(p) for p in deepest.absolute_path)
                message += f" (closest: {inner}: {deepest.message[:300]})"
            found.append(f"{place}: {message}")
        return sorted(found)

    def response_errors(self, path: str, method: str, status: int | str, body: Any) -> list[str]:
        pointer = self.response_schema_pointer(path, method, status)
        if pointer is None:
            return [] if body in (None, b"", "") else ["/: PayPal sends no body for this response"]
        return self.errors_at(pointer, body, RESPONSE)

    def request_errors(self, path: str, method: str, body: Any) -> list[str]:
        pointer = self.request_schema_pointer(path, method)
        if pointer is None:
            return [] if body in (None, b"", "") else ["/: PayPal takes no body for this request"]
        return self.errors_at(pointer, body, REQUEST)

    def component_errors(self, schema_name: str, body: Any, direction: str = RESPONSE) -> list[str]:
        """Mismatches against a named schema of `components/schemas` (e.g. `order`, `money`)."""
        if schema_name not in self.document.get("components", {}).get("schemas", {}):
            raise UnknownOperation(f"{self.name} has no schema {schema_name!r}")
        return self.errors_at(f"/components/schemas/{_escape(schema_name)}", body, direction)

    def validate_response(self, path: str, method: str, status: int | str, body: Any) -> None:
        """Raises SpecViolation unless `body` is what PayPal answers with that status."""
        errors = self.response_errors(path, method, status, body)
        if errors:
            raise SpecViolation(f"{self.name} {method.upper()} {path} -> {status}", errors)

    def validate_request(self, path: str, method: str, body: Any) -> None:
        """Raises SpecViolation unless `body` is a request body PayPal accepts for the operation."""
        errors = self.request_errors(path, method, body)
        if errors:
            raise SpecViolation(f"{self.name} {method.upper()} {path} request", errors)


class PayPalSpecs:
    """The set of PayPal specs in one folder, each loaded on first use."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory else default_spec_dir()
        self._loaded: dict[str, PayPalSpec] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> PayPalSpec:
        name = name.removesuffix(".json")
        if name not in SPEC_NAMES:
            raise UnknownOperation(f"no PayPal spec named {name!r}; known: {', '.join(SPEC_NAMES)}")
        with self._lock:
            if name not in self._loaded:
                path = self.directory / f"{name}.json"
                if not path.is_file():
                    raise FileNotFoundError(f"PayPal spec {path} is missing (set {SPEC_DIR_ENV})")
                self._loaded[name] = PayPalSpec.load(path)
            return self._loaded[name]

    def for_path(self, path: str, method: str) -> PayPalSpec:
        """The spec that defines `method path` (concrete or template)."""
        for name in SPEC_NAMES:
            try:
                self[name].operation(path, method)
            except UnknownOperation:
                continue
            return self[name]
        raise UnknownOperation(f"no PayPal spec defines {method.upper()} {path}")


def paypal_specs(directory: str | Path | None = None) -> PayPalSpecs:
    """The shared, cached spec set for a folder (default: see `default_spec_dir`)."""
    return _specs_in(str(Path(directory) if directory else default_spec_dir()))


@lru_cache(maxsize=4)
def _specs_in(directory: str) -> PayPalSpecs:
    return PayPalSpecs(Path(directory))


def validate_response(spec: str, path: str, method: str, status: int | str, body: Any) -> None:
    """Raises SpecViolation unless `body` is what PayPal's `spec` answers for `method path status`."""
    paypal_specs()[spec].validate_response(path, method, status, body)


def validate_request(spec: str, path: str, method: str, body: Any) -> None:
    """Raises SpecViolation unless `body` is a request PayPal's `spec` accepts for `method path`."""
    paypal_specs()[spec].validate_request(path, method, body)
