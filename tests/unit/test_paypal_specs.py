"""PayPal's OpenAPI specs load, resolve their `$ref`s and tell good bodies from bad ones."""
from __future__ import annotations

from pathlib import Path

import pytest

from infra.local.paypal_specs import (
    SPEC_NAMES,
    VENDORED_SPEC_DIR,
    PayPalSpec,
    SpecViolation,
    UnknownOperation,
    default_spec_dir,
    paypal_specs,
    validate_request,
    validate_response,
)

ORDER_PATH = "/v2/checkout/orders/{id}"
NOT_FOUND = {
    "name": "RESOURCE_NOT_FOUND",
    "details": [{"issue": "INVALID_RESOURCE_ID",
                 "description": "Specified resource ID does not exist. "
                                "Please check the resource ID and try again."}],
    "message": "The specified resource does not exist.",
    "debug_id": "f1e2d3c4b5a69",
    "links": [{"href": "https://developer.paypal.com/docs/api/orders/v2/#error-INVALID_RESOURCE_ID",
               "rel": "information_link", "method": "GET"}],
}
ORDER_REQUEST = {"intent": "CAPTURE", "purchase_units": [
    {"reference_id": "session-1", "amount": {"currency_code": "USD", "value": "25.00"}}]}


@pytest.fixture(scope="module")
def orders() -> PayPalSpec:
    return paypal_specs()["checkout_orders_v2"]


def test_every_spec_loads_from_the_copy_in_the_repository() -> None:
    specs = paypal_specs()
    assert specs.directory == default_spec_dir() == VENDORED_SPEC_DIR
    for name in ("checkout_orders_v2", "payments_payment_v2.json", "payments_payouts_batch_v1",
                 "notifications_webhooks_v1"):
        assert list(specs[name].paths())
    assert specs.for_path("/v2/payments/captures/ABC/refund", "post").name == "payments_payment_v2"
    with pytest.raises(UnknownOperation):
        specs["not_a_spec"]


ROOT = Path(__file__).resolve().parents[2]
SHARED_SPECS = ROOT.parent / "shared" / "paypal-openapi"


def test_the_copy_in_the_repository_keeps_its_license_and_source() -> None:
    names = {path.name for path in VENDORED_SPEC_DIR.iterdir()}
    assert names == {"LICENSE", "SOURCE", *(f"{name}.json" for name in SPEC_NAMES)}
    assert "Apache License" in (VENDORED_SPEC_DIR / "LICENSE").read_text()
    assert "paypal/paypal-rest-api-specifications" in (VENDORED_SPEC_DIR / "SOURCE").read_text()


@pytest.mark.skipif(not SHARED_SPECS.is_dir(), reason="no ../shared/paypal-openapi beside this checkout")
def test_the_copy_in_the_repository_is_the_shared_one_unchanged() -> None:
    for path in VENDORED_SPEC_DIR.iterdir():
        assert path.read_bytes() == (SHARED_SPECS / path.name).read_bytes(), path.name


def test_the_product_runs_from_the_repository_alone() -> None:
    """Nothing the product runs (the app, the local stack, the benches, the Makefile) reads
    anything beside the checkout: `make dev` works without ../shared."""
    sources = [ROOT / "app.py", ROOT / "Makefile"] + [
        path for folder in ("chalicelib", "infra", "bench") for path in (ROOT / folder).rglob("*")
        if path.suffix in (".py", ".json", ".txt", ".sh", ".cfg", ".toml", ".ini", ".html", ".js", ".md")
        and "cdk.out" not in path.parts and path.parent != VENDORED_SPEC_DIR]
    mentions = [f"{path.relative_to(ROOT)}: {line.strip()}" for path in sources if path.is_file()
                for line in path.read_text(errors="replace").splitlines()
                if "../shared" in line or "shared/paypal-openapi" in line or '/ "shared"' in line]
    assert mentions == []


def test_spec_folder_can_be_overridden(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("IK_PAYPAL_OPENAPI_DIR", str(tmp_path))
    assert default_spec_dir() == tmp_path
    with pytest.raises(FileNotFoundError):
        paypal_specs()["checkout_orders_v2"]


def test_refs_resolve_through_allof_and_shared_schemas(orders) -> None:
    # 404 is allOf [$ref error_404, $ref 404]; details and links $ref shared schemas
    assert orders.response_errors(ORDER_PATH, "get", 404, NOT_FOUND) == []
    bad = {**NOT_FOUND, "name": "NOT_FOUND", "details": [{"description": "no issue"}],
           "links": [{"href": "https://example.com"}]}
    errors = orders.response_errors(ORDER_PATH, "get", 404, bad)
    assert any(e.startswith("/name:") for e in errors)
    assert any(e.startswith("/details/0:") and "issue" in e for e in errors)
    assert any(e.startswith("/links/0:") and "rel" in e for e in errors)


def test_known_good_and_known_bad_component(orders) -> None:
    assert orders.component_errors("money", {"currency_code": "USD", "value": "10.50"}) == []
    errors = orders.component_errors("money", {"currency_code": "US", "value": "ten"})
    assert [e.split(":")[0] for e in errors] == ["/currency_code", "/value"]


def test_concrete_paths_and_default_responses(orders) -> None:
    assert orders.operation("/v2/checkout/orders/5O190127TN364715T", "GET").path == ORDER_PATH
    # 500 is not listed: the `default` response ($ref to components/responses) applies
    server_error = {"name": "INTERNAL_SERVER_ERROR", "message": "An internal server error occurred.",
                    "debug_id": "abc"}
    assert orders.response_errors(ORDER_PATH, "get", 500, server_error) == []
    with pytest.raises(UnknownOperation):
        orders.operation("/v2/checkout/nothing", "get")
    with pytest.raises(UnknownOperation):
        orders.operation(ORDER_PATH, "put")


def test_request_bodies_are_validated_too() -> None:
    validate_request("checkout_orders_v2", "/v2/checkout/orders", "post", ORDER_REQUEST)
    with pytest.raises(SpecViolation) as info:
        validate_request("checkout_orders_v2", "/v2/checkout/orders", "post", {"intent": "SELL"})
    assert any(e.startswith("/intent:") for e in info.value.errors)
    assert any("purchase_units" in e for e in info.value.errors)


def test_validate_response_raises_with_every_error() -> None:
    validate_response("checkout_orders_v2", ORDER_PATH, "get", 404, NOT_FOUND)
    with pytest.raises(SpecViolation) as info:
        validate_response("checkout_orders_v2", ORDER_PATH, "get", 404, {"name": 404})
    assert "checkout_orders_v2 GET /v2/checkout/orders/{id} -> 404" in str(info.value)


def test_openapi_nullable_and_read_write_only_are_honoured() -> None:
    thing = {"application/json": {"schema": {"$ref": "#/components/schemas/thing"}}}
    spec = PayPalSpec("synthetic", {
        "openapi": "3.0.3",
        "paths": {"/v1/things": {"post": {
            "requestBody": {"content": thing},
            "responses": {"201": {"content": thing}, "204": {"description": "no body"}},
        }}},
        "components": {"schemas": {
            "id": {"type": "string", "readOnly": True},
            "thing": {"type": "object", "required": ["id", "note", "secret", "size"], "properties": {
                "id": {"$ref": "#/components/schemas/id"},
                "note": {"type": "string", "nullable": True, "enum": ["a", "b"]},
                "secret": {"type": "string", "writeOnly": True},
                "size": {"allOf": [{"type": "integer"}], "nullable": True},
            }},
        }},
    })
    assert spec.request_errors("/v1/things", "post", {"note": None, "secret": "s", "size": None}) == []
    assert spec.response_errors("/v1/things", "post", 201, {"id": "T1", "note": "a", "size": 3}) == []
    assert spec.response_errors("/v1/things", "post", 201, {"note": "a", "size": 3}) == [
        "/: 'id' is a required property"]
    assert spec.request_errors("/v1/things", "post", {"note": "c", "secret": "s", "size": "big"}) != []
    assert spec.response_errors("/v1/things", "post", 204, None) == []
    assert spec.response_errors("/v1/things", "post", 204, {"x": 1}) != []
