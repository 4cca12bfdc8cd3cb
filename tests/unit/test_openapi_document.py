"""The OpenAPI document declares exactly the app's routes, each with who may call it, from the
same pydantic models the routes validate with; docs/api.md names every one of them."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from chalicelib.api import openapi, responses, schemas

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def app_routes() -> dict:
    from app import app

    return {(method, path): entry for path, methods in app.routes.items() for method, entry in methods.items()}


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi.build_document()


def test_every_route_of_the_app_is_declared_and_every_declaration_is_a_route(app_routes):
    declared = set(openapi.operations())
    assert sorted(set(app_routes) - declared) == [], "routes without a declaration (and a role rule) in openapi.py"
    assert sorted(declared - set(app_routes)) == [], "declarations of routes the app does not have"
    assert len(declared) == len(openapi.OPERATIONS), "a route is declared twice"


def test_every_declared_route_has_a_role_rule_and_the_bearer_authorizer_exactly_when_the_rule_needs_a_token(
        app_routes):
    for key, operation in openapi.operations().items():
        assert isinstance(operation.rule, openapi.Rule), key
        authorizer = app_routes[key].authorizer
        assert (authorizer is not None and authorizer.name == "cognito_user") == operation.rule.needs_token, key


def test_each_declared_body_is_the_schema_its_route_validates_with(app_routes):
    for key, operation in openapi.operations().items():
        source = inspect.getsource(app_routes[key].view_function)
        validated = re.findall(r'parse_body\([^)]*"(\w+)"\)', source)
        assert validated == ([operation.body] if operation.body else []), key
        if operation.body:
            assert issubclass(getattr(schemas, operation.body), schemas.BaseModel), key


def test_declared_answers_and_queries_are_models():
    for operation in openapi.OPERATIONS:
        if operation.answer and operation.answer != "OpenApiDocument":
            assert issubclass(getattr(responses, operation.answer), responses.BaseModel), operation.key
        if operation.query:
            assert issubclass(getattr(schemas, operation.query), schemas.BaseModel), operation.key


def test_the_document_is_valid_openapi_3_1_with_the_bearer_scheme(document):
    from openapi_spec_validator import validate

    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearer"] == {
        **document["components"]["securitySchemes"]["bearer"], "type": "http", "scheme": "bearer"}


def test_protected_operations_declare_the_bearer_scheme_and_401_with_the_error_shape(document):
    error = {"$ref": "#/components/schemas/ErrorBody"}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            rule = openapi.Rule(operation["x-rule"])
            assert (operation["security"] == [{"bearer": []}]) == rule.needs_token, (method, path)
            if rule.needs_token:
                assert operation["responses"]["401"]["content"]["application/json"]["schema"] == error
            if rule is openapi.Rule.OPS:
                assert "403" in operation["responses"], (method, path)


def test_the_error_shape_is_code_message_an_optional_field_the_list_of_every_bad_field_and_details(document):
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert detail["required"] == ["code", "message"]
    assert set(detail["properties"]) == {"code", "message", "field", "errors", "details"}
    for optional in ("field", "errors", "details"):
        assert "default" not in detail["properties"][optional]


def test_html_and_csv_routes_answer_text(document):
    assert "text/html" in document["paths"]["/h/{username}"]["get"]["responses"]["200"]["content"]
    assert "text/html" in document["paths"]["/h/{username}"]["get"]["responses"]["404"]["content"]
    assert "301" in document["paths"]["/h/{username}"]["get"]["responses"]
    assert "text/csv" in document["paths"]["/me/earnings/csv"]["get"]["responses"]["200"]["content"]


def test_query_parameters_come_from_their_models_and_are_never_null(document):
    parameters = {p["name"]: p for p in document["paths"]["/categories/{slug}"]["get"]["parameters"]}
    assert parameters["slug"]["in"] == "path" and parameters["slug"]["required"] is True
    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 50, "default": 20}
    assert parameters["cursor"]["schema"]["type"] == "string"


def test_request_bodies_are_the_pydantic_schemas_with_their_examples_valid(document):
    import jsonschema

    for operation in openapi.OPERATIONS:
        if not operation.body:
            continue
        model = getattr(schemas, operation.body)
        assert document["components"]["schemas"][operation.body] == {
            k: v for k, v in model.model_json_schema(ref_template="#/components/schemas/{model}").items()
            if k != "$defs"}
        assert operation.example is not None, operation.key
        model.model_validate(operation.example)  # the documented example is a body the route takes
        resolver_doc = {**document["components"]["schemas"][operation.body],
                        "components": document["components"]}
        jsonschema.validate(operation.example, resolver_doc)


def test_the_document_is_served_at_openapi_json_and_built_once():
    from chalice.test import Client

    from app import app

    openapi.document.cache_clear()
    with Client(app) as client:
        first = client.http.get("/openapi.json")
        client.http.get("/openapi.json")
    assert first.status_code == 200
    assert first.json_body["openapi"] == "3.1.0"
    assert openapi.document.cache_info().misses == 1


def test_docs_api_md_names_every_route_of_the_document(document):
    guide = (ROOT / "docs" / "api.md").read_text()
    missing = [f"{method.upper()} {path}" for path, methods in document["paths"].items() for method in methods
               if f"{method.upper()} {path}" not in guide]
    assert missing == []
