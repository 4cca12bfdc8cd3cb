"""Routes for a Helper's own page, its avatar and username, and the public page `/h/<username>`."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import deps
from chalicelib.api.guard import cognito_user, principal_of
from chalicelib.api.http import handles_errors, json_response, parse_body
from chalicelib.clock import now_seconds, utc_now_iso
from chalicelib.domain.errors import NotFound
from chalicelib.domain.helper_pages import SESSION_LENGTHS, HelperPage, card, rating_view
from chalicelib.domain.presence import Status
from chalicelib.services import helper_pages as service

blueprint = Blueprint(__name__)
PUBLIC_PAGE_CACHE = "public, max-age=30"


def page_json(page: HelperPage, status: Status) -> dict:
    text = page.shown_text()
    return {
        **card(page, status.value),
        "offer": page.offer, "offer_html": text.offer_html,
        "qualifications": page.qualifications, "qualifications_html": text.qualifications_html,
        "rating": rating_view(page),
        "languages": list(page.languages), "time_zone": page.time_zone,
        "schedule": [{"day": s.day, "start": s.start, "end": s.end} for s in page.schedule],
        "links": [{"label": link.label, "url": link.url} for link in page.links],
        "categories": list(page.categories), "created_at": page.created_at, "updated_at": page.updated_at,
    }


def my_page_json(page: HelperPage, status: Status) -> dict:
    """The owner's view: the prices as set (visitors may see fewer: `shown_prices`) and whether
    payouts can reach them yet."""
    from chalicelib.domain.standing import standing_view

    return {**page_json(page, status), "prices": {str(m): page.prices.get(m) for m in SESSION_LENGTHS},
            "payouts_ready": page.payouts_ready, "standing": standing_view(page.disqualified)}


def _status_of(user_id: str) -> Status:
    return deps.presence().get_many([user_id])[user_id]


@blueprint.route("/me/page", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_page():
    user_id = principal_of(blueprint.current_request).user_id
    page = deps.helper_pages().get(user_id)
    if page is None:
        raise NotFound("You have no Helper page yet.")
    return json_response(my_page_json(page, _status_of(user_id)))


@blueprint.route("/me/page", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def save_my_page():
    user_id = principal_of(blueprint.current_request).user_id
    body = parse_body(blueprint.current_request.raw_body, "PageBody")
    page, created = service.save_page(user_id=user_id, fields=body.model_dump(), pages=deps.helper_pages(),
                                      accounts=deps.account_store(), directory=deps.directory(),
                                      now=utc_now_iso, max_price_cents=deps.settings().max_session_price_cents,
                                      payouts_ready=lambda owner: deps.storefronts().get(owner) is not None)
    return json_response(my_page_json(page, _status_of(user_id)), 201 if created else 200)


@blueprint.route("/me/page/avatar-upload", methods=["POST"], authorizer=cognito_user)
@handles_errors
def avatar_upload():
    body = parse_body(blueprint.current_request.raw_body, "AvatarUploadBody")
    settings = deps.settings()
    return json_response(service.request_avatar_upload(
        user_id=principal_of(blueprint.current_request).user_id, content_type=body.content_type,
        pages=deps.helper_pages(), storage=deps.uploads(), max_bytes=settings.avatar_max_bytes,
        site_url=settings.site_url))


@blueprint.route("/me/page/avatar", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def set_avatar():
    user_id = principal_of(blueprint.current_request).user_id
    body = parse_body(blueprint.current_request.raw_body, "AvatarBody")
    page = service.set_avatar(user_id=user_id, key=body.key, pages=deps.helper_pages(), storage=deps.uploads(),
                              max_bytes=deps.settings().avatar_max_bytes, directory=deps.directory(),
                              now=utc_now_iso)
    return json_response(my_page_json(page, _status_of(user_id)))


@blueprint.route("/me/username", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def change_username():
    body = parse_body(blueprint.current_request.raw_body, "UsernameBody")
    username = service.change_username(user_id=principal_of(blueprint.current_request).user_id,
                                       username=body.username, pages=deps.helper_pages(),
                                       accounts=deps.account_store(), directory=deps.directory(),
                                       now=utc_now_iso, brand_name=deps.settings().brand_name,
                                       change_every_days=deps.settings().username_change_days)
    return json_response({"username": username, "page_url": f"/h/{username}"})


def _latest_posts(page) -> list:
    """The page's latest posts (a Helper who ever published one): the blog's module loads only then."""
    from chalicelib.api.blog_html import latest_post_cards

    return latest_post_cards(page.user_id, page.username)


def _upcoming_events(page, now: int) -> list:
    """The page's upcoming events (a Helper who ever announced one)."""
    from chalicelib.api.events_html import upcoming_event_cards

    return upcoming_event_cards(page.user_id, page.username, now=now)


@blueprint.route("/h/{username}", methods=["GET"])
def public_page(username):
    """The Helper's public page as HTML, rendered for visitors and link previews."""
    from chalicelib.api.page_html import render_helper_page, render_not_found

    settings = deps.settings()
    html_headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": PUBLIC_PAGE_CACHE}
    try:
        now = now_seconds()
        found = service.find_public_page(
            username=username, accounts=deps.account_store(), pages=deps.helper_pages(), facts=deps.page_facts(),
            alongside={"posts": _latest_posts, "events": lambda page: _upcoming_events(page, now)})
    except NotFound:
        return Response(render_not_found(username, settings.site_url), status_code=404, headers=html_headers)
    if isinstance(found, service.Redirect):
        return Response("", status_code=301, headers={"Location": f"/h/{found.username}",
                                                      "Cache-Control": PUBLIC_PAGE_CACHE})
    page, names = found.page, found.category_names
    view = {
        **page_json(page, found.status),
        "site_url": settings.site_url,
        "categories": [{"slug": slug, "name": names.get(slug, slug)} for slug in page.categories],
        "description": " — ".join(p for p in (page.headline.strip(), page.shown_text().offer_summary) if p)[:200],
        "posts": found.alongside.get("posts", []),
        "events": found.alongside.get("events", []),
        "followers": found.followers,
    }
    return Response(render_helper_page(view), status_code=200, headers=html_headers)
