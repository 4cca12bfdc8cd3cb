"""Routes of the Helper's page as a home for followers: polls (posts, follows and events join
here as they are built)."""
from __future__ import annotations


from chalice import Blueprint

from chalicelib import deps
from chalicelib.clock import now_seconds
from chalicelib.api.guard import cognito_user, principal_of
from chalicelib.api.http import handles_errors, json_response, parse_body
from chalicelib.api.lazy import on_first_use
from chalicelib.observability import logger

polls = on_first_use("chalicelib.services.polls")
poll_live = on_first_use("chalicelib.services.poll_live")

blueprint = Blueprint(__name__)
POLLS_SHOWN = 20



def _user_id() -> str:
    return principal_of(blueprint.current_request).user_id


def _helper_id(username: str) -> str:
    return deps.helper_id_named(username)


def _tell_watchers(poll, *, voted: bool) -> None:
    """The poll's watchers get its counts (a vote: at most once a second; a close: now). A send
    that fails is logged: the vote or the close stands, the page catches up on its next read."""
    try:
        if voted:
            poll_live.after_vote(poll, live=deps.live_polls())
        else:
            poll_live.send_results(poll, live=deps.live_polls())
    except Exception:  # noqa: BLE001 - the live view must never undo a vote
        logger().exception("poll results not sent live", extra={"poll_id": poll.poll_id})


def _view(poll, viewer_id: str | None) -> dict:
    return polls.poll_view(poll, viewer_id=viewer_id, desk=deps.poll_desk(), now=now_seconds())


@blueprint.route("/me/polls", methods=["POST"], authorizer=cognito_user)
@handles_errors
def ask():
    body = parse_body(blueprint.current_request.raw_body, "PollBody")
    poll = polls.create_poll(helper_id=_user_id(), fields=body.model_dump(exclude_none=True), desk=deps.poll_desk(),
                             now=now_seconds())
    return json_response({"poll": _view(poll, _user_id())}, 201)


@blueprint.route("/me/polls/{poll_id}/close", methods=["POST"], authorizer=cognito_user)
@handles_errors
def close(poll_id):
    poll = polls.close_poll(helper_id=_user_id(), poll_id=poll_id, desk=deps.poll_desk(), now=now_seconds())
    _tell_watchers(poll, voted=False)
    return json_response({"poll": _view(poll, _user_id())})


@blueprint.route("/me/polls", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_polls():
    found = deps.poll_desk().polls.for_helper(_user_id(), limit=POLLS_SHOWN)
    return json_response({"polls": [_view(poll, _user_id()) for poll in found]})


@blueprint.route("/helpers/{username}/polls", methods=["GET"])
@handles_errors
def helper_polls(username):
    found = deps.poll_desk().polls.for_helper(_helper_id(username), limit=POLLS_SHOWN)
    return json_response({"polls": [_view(poll, None) for poll in found]})


@blueprint.route("/helpers/{username}/polls/{poll_id}", methods=["GET"])
@handles_errors
def helper_poll(username, poll_id):
    poll = polls.find_poll(helper_id=_helper_id(username), poll_id=poll_id, desk=deps.poll_desk())
    return json_response({"poll": _view(poll, None)})


@blueprint.route("/helpers/{username}/polls/{poll_id}/vote", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_view(username, poll_id):
    poll = polls.find_poll(helper_id=_helper_id(username), poll_id=poll_id, desk=deps.poll_desk())
    return json_response({"poll": _view(poll, _user_id())})


@blueprint.route("/helpers/{username}/polls/{poll_id}/vote", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def vote(username, poll_id):
    body = parse_body(blueprint.current_request.raw_body, "VoteBody")
    poll = polls.cast_vote(helper_id=_helper_id(username), poll_id=poll_id, user_id=_user_id(), option=body.option,
                           desk=deps.poll_desk(), now=now_seconds())
    view = _view(poll, _user_id())
    _tell_watchers(poll, voted=True)
    return json_response({"poll": view})


# -- the blog: the Helper's posts, visitors' posts and pages, reports to ops ---------------------

blog = on_first_use("chalicelib.services.posts")
POSTS_PER_PAGE = 10  # the blog page's posts per page
FEED_ITEMS = 20
PAGE_CACHE = "public, max-age=30"


def _params() -> dict:
    return blueprint.current_request.query_params or {}


def _posts_limit(default: int) -> int:
    from chalicelib.api.http import limit_param
    from chalicelib.domain.errors import InvalidInput

    limit = limit_param(blueprint.current_request, default)
    if not 1 <= limit <= 50:
        raise InvalidInput("limit is from 1 to 50.", field="limit")
    return limit


def _mine(post) -> dict:
    page = deps.helper_pages().get(post.helper_id)
    return blog.post_view(post, owner=True, username=page.username if page else None)


def _post_fields(body) -> dict:
    return body.model_dump(exclude_unset=True)


@blueprint.route("/me/posts", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_posts():
    scope = f"my-posts:{_user_id()}"
    seal = deps.cursor_seal()
    found, after = blog.my_posts(helper_id=_user_id(), desk=deps.post_desk(), limit=_posts_limit(20),
                                 after=seal.open(_params().get("cursor"), scope=scope))
    page = deps.helper_pages().get(_user_id())
    username = page.username if page else None
    return json_response({"posts": [blog.post_view(p, owner=True, username=username) for p in found],
                          "next_cursor": seal.seal(after, scope=scope)})


@blueprint.route("/me/posts", methods=["POST"], authorizer=cognito_user)
@handles_errors
def write_post():
    body = parse_body(blueprint.current_request.raw_body, "PostBody")
    post = blog.create_post(helper_id=_user_id(), fields=_post_fields(body), desk=deps.post_desk(), now=now_seconds())
    return json_response({"post": _mine(post)}, 201)


@blueprint.route("/me/posts/{post_id}", methods=["GET"], authorizer=cognito_user)
@handles_errors
def my_post(post_id):
    return json_response({"post": _mine(blog.my_post(helper_id=_user_id(), post_id=post_id, desk=deps.post_desk()))})


@blueprint.route("/me/posts/{post_id}", methods=["PUT"], authorizer=cognito_user)
@handles_errors
def edit_post(post_id):
    body = parse_body(blueprint.current_request.raw_body, "PostBody")
    post = blog.update_post(helper_id=_user_id(), post_id=post_id, fields=_post_fields(body), desk=deps.post_desk(),
                            now=now_seconds())
    return json_response({"post": _mine(post)})


@blueprint.route("/me/posts/{post_id}/unpublish", methods=["POST"], authorizer=cognito_user)
@handles_errors
def unpublish_post(post_id):
    post = blog.unpublish_post(helper_id=_user_id(), post_id=post_id, desk=deps.post_desk(), now=now_seconds())
    return json_response({"post": _mine(post)})


@blueprint.route("/me/posts/{post_id}", methods=["DELETE"], authorizer=cognito_user)
@handles_errors
def delete_post(post_id):
    blog.delete_post(helper_id=_user_id(), post_id=post_id, desk=deps.post_desk())
    return json_response({"deleted": True})


@blueprint.route("/me/posts/{post_id}/image-upload", methods=["POST"], authorizer=cognito_user)
@handles_errors
def post_image_upload(post_id):
    body = parse_body(blueprint.current_request.raw_body, "AvatarUploadBody")
    return json_response(blog.request_image_upload(helper_id=_user_id(), post_id=post_id,
                                                   content_type=body.content_type, desk=deps.post_desk()))


@blueprint.route("/me/posts/{post_id}/images", methods=["POST"], authorizer=cognito_user)
@handles_errors
def add_post_image(post_id):
    body = parse_body(blueprint.current_request.raw_body, "PostImageBody")
    post, src = blog.add_image(helper_id=_user_id(), post_id=post_id, key=body.key, cover=body.cover,
                               desk=deps.post_desk(), now=now_seconds())
    return json_response({"post": _mine(post), "src": src})


@blueprint.route("/me/posts/{post_id}/cover", methods=["DELETE"], authorizer=cognito_user)
@handles_errors
def remove_post_cover(post_id):
    post = blog.remove_cover(helper_id=_user_id(), post_id=post_id, desk=deps.post_desk(), now=now_seconds())
    return json_response({"post": _mine(post)})


@blueprint.route("/me/post-preview", methods=["POST"], authorizer=cognito_user)
@handles_errors
def preview_post():
    body = parse_body(blueprint.current_request.raw_body, "PreviewBody")
    return json_response({"html": blog.preview(body=body.body)})


@blueprint.route("/helpers/{username}/posts", methods=["GET"])
@handles_errors
def helper_posts(username):
    scope = f"posts:{username.casefold()}"
    seal = deps.cursor_seal()
    found = blog.public_posts(username=username, desk=deps.post_desk(), now=now_seconds(),
                              limit=_posts_limit(POSTS_PER_PAGE), after=seal.open(_params().get("cursor"), scope=scope))
    return json_response({"username": found.page.username,
                          "posts": [blog.post_view(p, username=found.page.username) for p in found.posts],
                          "next_cursor": seal.seal(found.after, scope=scope)})


@blueprint.route("/helpers/{username}/posts/{slug}", methods=["GET"])
@handles_errors
def helper_post(username, slug):
    page, post = blog.public_post(username=username, slug=slug, desk=deps.post_desk(), now=now_seconds())
    return json_response({"post": blog.post_view(post, username=page.username)})


def publish_due_posts() -> int:
    """The scheduled job's body (app.py)."""
    return blog.publish_due_posts(desk=deps.post_desk(), now=now_seconds())


# -- the blog's pages (server-rendered) ----------------------------------------------------------

def _page_response(body: str, status: int = 200, content_type: str = "text/html; charset=utf-8"):
    from chalice import Response

    return Response(body, status_code=status, headers={"Content-Type": content_type, "Cache-Control": PAGE_CACHE})


def _moved(location: str):
    from chalice import Response

    return Response("", status_code=301, headers={"Location": location, "Cache-Control": PAGE_CACHE})


def _missing(username: str):
    from chalicelib.api.page_html import render_not_found

    return _page_response(render_not_found(username, deps.settings().site_url), 404)


def _blog_of(username: str, *, limit: int, cursor: str | None = None):
    """The Helper's public posts, or None when there is no such Helper (or a stale cursor)."""
    from chalicelib.domain.errors import DomainError

    scope = f"blog:{username.casefold()}"
    try:
        after = deps.cursor_seal().open(cursor, scope=scope)
    except DomainError:  # a stale or hand-made cursor: the first page
        after = None
    try:
        found = blog.public_posts(username=username, desk=deps.post_desk(), now=now_seconds(), limit=limit,
                                  after=after)
    except DomainError:
        return None, None
    return found, deps.cursor_seal().seal(found.after, scope=scope)


@blueprint.route("/h/{username}/blog", methods=["GET"])
def blog_page(username):
    """A Helper's blog as HTML, newest first; an old or differently-cased username moves."""
    from chalicelib.api.blog_html import render_blog

    found, next_cursor = _blog_of(username, limit=POSTS_PER_PAGE, cursor=_params().get("cursor"))
    if found is None:
        return _missing(username)
    if found.page.username != username:
        return _moved(f"/h/{found.page.username}/blog")
    return _page_response(render_blog(page=found.page, posts=found.posts, next_cursor=next_cursor,
                                      first_page=not _params().get("cursor"), site_url=deps.settings().site_url))


def _feed(username: str, kind: str):
    from chalicelib.api.blog_html import render_feed

    found, _ = _blog_of(username, limit=FEED_ITEMS)
    if found is None:
        return _missing(username)
    if found.page.username != username:
        return _moved(f"/h/{found.page.username}/blog/{kind}.xml")
    body, content_type = render_feed(kind, page=found.page, posts=found.posts, site_url=deps.settings().site_url)
    return _page_response(body, content_type=content_type)


@blueprint.route("/h/{username}/blog/rss.xml", methods=["GET"])
def blog_rss(username):
    return _feed(username, "rss")


@blueprint.route("/h/{username}/blog/atom.xml", methods=["GET"])
def blog_atom(username):
    return _feed(username, "atom")


@blueprint.route("/h/{username}/blog/{slug}", methods=["GET"])
def post_page(username, slug):
    from chalicelib.api.blog_html import render_post_page
    from chalicelib.domain.errors import DomainError

    try:
        page, post = blog.public_post(username=username, slug=slug, desk=deps.post_desk(), now=now_seconds())
    except DomainError:
        return _missing(username)
    if page.username != username or post.slug != slug:  # an old name, or the post's old address
        return _moved(f"/h/{page.username}/blog/{post.slug}")
    return _page_response(render_post_page(page=page, post=post, site_url=deps.settings().site_url))
