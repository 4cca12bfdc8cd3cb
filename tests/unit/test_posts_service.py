"""The blog end to end on the in-memory twins: Ada writes, schedules and publishes posts, the
publish job puts a scheduled post out once and her followers hear of each post once, visitors see
only what is out, a taken address is refused, pictures are redrawn before they are shown, and a
reported post can be hidden by ops."""
from __future__ import annotations

import io

import pytest

from chalicelib.adapters.accounts import InMemoryAccountStore
from chalicelib.adapters.helper_pages import InMemoryHelperPageStore
from chalicelib.adapters.posts import InMemoryPostStore
from chalicelib.adapters.uploads import InMemoryUploadStorage
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.helper_pages import HelperPage
from chalicelib.domain.posts import PostStatus, SlugTaken
from chalicelib.services import posts as blog
from chalicelib.services.posts import PostDesk

NOW = 1_800_000_000


class Settings:
    site_url = "https://site.test"


@pytest.fixture
def told() -> list[dict]:
    return []


@pytest.fixture
def desk(told) -> PostDesk:
    pages = InMemoryHelperPageStore()
    pages.save(HelperPage(user_id="ada", username="ada", display_name="Ada", headline="Plumbing", offer="Ask."))
    return PostDesk(posts=InMemoryPostStore(), pages=pages,
                    accounts=InMemoryAccountStore(), images=InMemoryUploadStorage(), settings=Settings(),
                    announce=lambda **kwargs: told.append(kwargs))


def write(desk, now=NOW, **fields):
    return blog.create_post(helper_id="ada", fields={"title": "Five leaks you can fix",
                                                     "body": "# Start\nTurn off the **water**.", **fields},
                            desk=desk, now=now)


def shown(desk, now):
    return [p.slug for p in blog.public_posts(username="ada", desk=desk, now=now, limit=10).posts]


def test_a_draft_is_the_helpers_alone_until_published_and_followers_hear_once(desk, told):
    post = write(desk)
    assert (post.status, post.slug, post.body_html) == (PostStatus.DRAFT, "five-leaks-you-can-fix",
                                                        "<h2>Start</h2>\n<p>Turn off the <strong>water</strong>.</p>")
    assert post.excerpt == "Start Turn off the water." and shown(desk, NOW) == [] and told == []
    with pytest.raises(NotFound):
        blog.public_post(username="ada", slug=post.slug, desk=desk, now=NOW)
    out = blog.update_post(helper_id="ada", post_id=post.post_id, fields={"status": "published"}, desk=desk,
                           now=NOW + 10)
    assert out.published_at == NOW + 10 and shown(desk, NOW + 10) == [post.slug]
    assert told == [{"helper_id": "ada", "kind": "post", "item_id": post.post_id, "title": "Five leaks you can fix",
                     "path": "/h/ada/blog/five-leaks-you-can-fix", "summary": post.excerpt, "now": NOW + 10}]
    blog.update_post(helper_id="ada", post_id=post.post_id, fields={"title": "Six leaks"}, desk=desk, now=NOW + 20)
    again = blog.unpublish_post(helper_id="ada", post_id=post.post_id, desk=desk, now=NOW + 30)
    assert again.status is PostStatus.DRAFT and shown(desk, NOW + 30) == []
    back = blog.update_post(helper_id="ada", post_id=post.post_id, fields={"status": "published"}, desk=desk,
                            now=NOW + 40)
    assert back.published_at == NOW + 10 and back.slug == post.slug and len(told) == 1  # its date kept, told once


def test_the_job_publishes_a_scheduled_post_once_at_its_time(desk, told):
    post = write(desk, status="scheduled", publish_at=NOW + 3600)
    assert shown(desk, NOW + 60) == [] and blog.publish_due_posts(desk=desk, now=NOW + 60) == 0
    assert shown(desk, NOW + 3600) == [post.slug]  # visitors see it from its time, before the job ran
    assert blog.publish_due_posts(desk=desk, now=NOW + 3700) == 1
    assert blog.publish_due_posts(desk=desk, now=NOW + 4000) == 0  # publishing twice does nothing
    out = blog.my_post(helper_id="ada", post_id=post.post_id, desk=desk)
    assert (out.status, out.published_at, out.publish_at) == (PostStatus.PUBLISHED, NOW + 3600, None)
    assert [t["item_id"] for t in told] == [post.post_id]


def test_an_unpublished_scheduled_post_never_goes_out(desk, told):
    post = write(desk, status="scheduled", publish_at=NOW + 3600)
    blog.unpublish_post(helper_id="ada", post_id=post.post_id, desk=desk, now=NOW + 1)
    assert blog.publish_due_posts(desk=desk, now=NOW + 7200) == 0 and told == [] and shown(desk, NOW + 7200) == []


def test_a_taken_address_is_refused_when_chosen_and_numbered_when_made(desk):
    first = write(desk)
    assert write(desk).slug == "five-leaks-you-can-fix-2"
    with pytest.raises(SlugTaken) as refused:
        write(desk, title="Other", slug="five-leaks-you-can-fix")
    assert refused.value.code == "slug_taken"
    other = write(desk, title="Other")
    with pytest.raises(SlugTaken):
        blog.update_post(helper_id="ada", post_id=other.post_id, fields={"slug": first.slug}, desk=desk, now=NOW)
    assert blog.my_post(helper_id="ada", post_id=other.post_id, desk=desk).slug == "other"


def test_bad_posts_change_nothing(desk):
    post = write(desk)
    for fields in ({"title": ""}, {"status": "live"}, {"status": "scheduled", "publish_at": NOW - 5},
                   {"status": "scheduled"}, {"slug": "Not A Slug"}, {"body": "x" * 50_001}, {"excerpt": 5}):
        with pytest.raises(InvalidInput):
            blog.update_post(helper_id="ada", post_id=post.post_id, fields=fields, desk=desk, now=NOW)
    assert blog.my_post(helper_id="ada", post_id=post.post_id, desk=desk) == post
    with pytest.raises(Conflict):
        blog.update_post(helper_id="ada", post_id=post.post_id, fields={"version": 7, "title": "x"}, desk=desk, now=NOW)
    with pytest.raises(NotFound):
        blog.update_post(helper_id="bob", post_id=post.post_id, fields={"title": "Mine"}, desk=desk, now=NOW)
    with pytest.raises(NotFound):
        blog.create_post(helper_id="nobody", fields={"title": "x", "body": ""}, desk=desk, now=NOW)


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (2000, 1000), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_a_cover_and_a_body_picture_are_redrawn_before_they_are_shown(desk):
    post = write(desk)
    form = blog.request_image_upload(helper_id="ada", post_id=post.post_id, content_type="image/png", desk=desk)
    desk.images.put(form["key"], png(), content_type="image/png")
    after, src = blog.add_image(helper_id="ada", post_id=post.post_id, key=form["key"], cover=True, desk=desk,
                                now=NOW + 1)
    assert src == f"/{after.cover_key}" and after.cover_key.endswith("/1600.webp")
    assert desk.images.objects[after.cover_key][1] == "image/webp" and form["key"] not in desk.images.objects
    assert desk.images.objects[after.cover_key.replace("1600", "640")]
    inline = blog.request_image_upload(helper_id="ada", post_id=post.post_id, content_type="image/jpeg", desk=desk)
    desk.images.put(inline["key"].replace(".jpg", ".png"), png(), content_type="image/png")
    with pytest.raises(InvalidInput):
        blog.add_image(helper_id="ada", post_id=post.post_id, key="incoming/products/x.png", cover=False, desk=desk,
                       now=NOW)
    with pytest.raises(InvalidInput):
        blog.request_image_upload(helper_id="ada", post_id=post.post_id, content_type="image/gif", desk=desk)
    body = blog.request_image_upload(helper_id="ada", post_id=post.post_id, content_type="image/png", desk=desk)
    desk.images.put(body["key"], png(), content_type="image/png")
    with_picture, src = blog.add_image(helper_id="ada", post_id=post.post_id, key=body["key"], cover=False,
                                       desk=desk, now=NOW + 2)
    saved = blog.update_post(helper_id="ada", post_id=post.post_id, fields={"body": f"![A tap]({src})"}, desk=desk,
                             now=NOW + 3)
    assert f'src="{src}"' in saved.body_html and 'loading="lazy"' in saved.body_html
    blog.delete_post(helper_id="ada", post_id=post.post_id, desk=desk)
    assert not [k for k in desk.images.objects if k.startswith("media/")] and with_picture.images


def test_a_reported_post_is_queued_and_ops_may_hide_it(desk):
    from chalicelib.adapters.audit import InMemoryAuditLog
    from chalicelib.adapters.reports import InMemoryReportStore
    from chalicelib.domain.cursors import CursorSeal
    from chalicelib.domain.reports import AlreadyDecided, AlreadyReported
    from chalicelib.services import moderation

    ops = moderation.ModerationDesk(reports=InMemoryReportStore(),
                                    subjects={"post": moderation.PostSubjects(lambda: desk)},
                                    audit=InMemoryAuditLog(), accounts=desk.accounts, pages=desk.pages,
                                    cursors=CursorSeal(b"test"))
    post = write(desk, status="published")
    key = f"ada/{post.post_id}"

    def report(user, reason="spam", now=NOW + 1):
        return moderation.file_report(kind="post", subject_id=key, reason=reason, note="Ads", user_id=user, now=now,
                                      desk=ops)

    assert report("bob")["received"]
    with pytest.raises(AlreadyReported):
        report("bob", now=NOW + 2)
    with pytest.raises(InvalidInput):
        report("cy", reason="boring")
    with pytest.raises(Conflict):
        report("ada")
    [card] = moderation.queue(limit=10, cursor=None, now=NOW + 3, desk=ops)["items"]
    assert (card["id"], card["count"], card["owner"]["username"], card["item"]["url"]) == (
        key, 1, "ada", f"/h/ada/blog/{post.slug}")
    with pytest.raises(InvalidInput):
        moderation.decide(kind="post", subject_id=key, ops_id="olga", decision="hide", note="", desk=ops, now=NOW)
    decided = moderation.decide(kind="post", subject_id=key, ops_id="olga", decision="hide", note="Advertising",
                                desk=ops, now=NOW + 5)
    assert decided["reports_closed"] == 1 and shown(desk, NOW + 6) == []
    assert blog.my_post(helper_id="ada", post_id=post.post_id, desk=desk).hidden_note == "Advertising"
    with pytest.raises(AlreadyDecided):
        moderation.decide(kind="post", subject_id=key, ops_id="olga", decision="keep", note="", desk=ops, now=NOW)
    assert moderation.queue(limit=10, cursor=None, now=NOW + 7, desk=ops)["items"] == []


def test_preview_uses_the_post_renderer(desk):
    slot = '<div class="poll-slot" data-poll="001800000000-abcd1234"></div>'
    assert blog.preview(body="[poll:001800000000-abcd1234]") == slot
    with pytest.raises(InvalidInput):
        blog.preview(body=None)
