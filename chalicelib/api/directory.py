"""Routes for help categories, listing yourself in them, search and online status."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib import deps
from chalicelib.api.guard import cognito_user, principal_of
from chalicelib.api.http import handles_errors, json_response, limit_param, parse_body
from chalicelib.api.lazy import on_first_use
from chalicelib.domain.errors import Forbidden, InvalidInput

service = on_first_use("chalicelib.services.directory")

blueprint = Blueprint(__name__)


def _category_json(category) -> dict:
    return {"slug": category.slug, "name": category.name, "banner": category.banner,
            "parent": category.parent, "position": category.position}


def _query(name: str, default: str | None = None) -> str | None:
    return (blueprint.current_request.query_params or {}).get(name, default)


def _limit() -> int:
    return limit_param(blueprint.current_request, 20)


@blueprint.route("/categories", methods=["GET"])
@handles_errors
def list_categories():
    tree = service.category_tree(categories=deps.categories())
    return json_response({"categories": [_category_json(c) for c in tree]})


@blueprint.route("/categories/{slug}", methods=["GET"])
@handles_errors
def show_category(slug):
    category, helpers, next_cursor = service.show_category(
        slug=slug, limit=_limit(), cursor=_query("cursor"), categories=deps.categories(), listings=deps.listings(),
        cursors=deps.cursor_seal())
    return json_response({"category": _category_json(category), "helpers": helpers, "next_cursor": next_cursor})


@blueprint.route("/categories/{slug}/helpers", methods=["POST"], authorizer=cognito_user)
@handles_errors
def join_category(slug):
    service.join_category(user_id=principal_of(blueprint.current_request).user_id, slug=slug,
                          pages=deps.helper_pages(), directory=deps.directory())
    return json_response({"listed": True})


@blueprint.route("/categories/{slug}/helpers", methods=["DELETE"], authorizer=cognito_user)
@handles_errors
def leave_category(slug):
    service.leave_category(user_id=principal_of(blueprint.current_request).user_id, slug=slug,
                           pages=deps.helper_pages(), directory=deps.directory())
    return json_response({"listed": False})


@blueprint.route("/ops/categories/{slug}", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def edit_category(slug):
    principal = principal_of(blueprint.current_request)
    if deps.settings().ops_group not in principal.groups:
        raise Forbidden("Only ops can edit categories.")
    body = parse_body(blueprint.current_request.raw_body, "CategoryBody")
    category = service.edit_category(slug=slug, name=body.name, banner=body.banner, parent=body.parent,
                                     position=body.position, pages=deps.helper_pages(),
                                     directory=deps.directory())
    return json_response(_category_json(category))


@blueprint.route("/search", methods=["GET"])
@handles_errors
def search():
    query = _query("q", "") or ""
    if len(query) > 200:
        raise InvalidInput("Searches are at most 200 characters.", field="q")
    helpers = service.search_helpers(query=query, limit=_limit(), index=deps.search_index(),
                                     pages=deps.helper_pages(), presence=deps.presence())
    return json_response({"helpers": helpers})


@blueprint.route("/presence", methods=["GET"])
@handles_errors
def presence():
    users = [u for u in (_query("users", "") or "").split(",") if u]
    return json_response({"statuses": service.statuses_of(user_ids=users, presence=deps.presence())})
