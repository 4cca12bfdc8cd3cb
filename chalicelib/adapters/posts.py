"""Blog posts and their addresses: the in-memory twin and DynamoDB
(`tables/posts.py`). A post and the address it holds are written in one transaction, on condition
nobody else holds the address and (for a change) that the post is still the version read; the
Helper's posts, the public ones and the scheduled ones due each come from one Query."""
from __future__ import annotations

import threading
from typing import Any, Protocol

from chalicelib.domain.posts import Post, PostStatus, SlugTaken

PAGE = tuple[list[Post], "dict | None"]


class PostStore(Protocol):
    def create(self, post: Post) -> None:
        """Raises SlugTaken when another of the Helper's posts has the address."""
        ...

    def get(self, helper_id: str, post_id: str) -> Post | None: ...
    def by_slug(self, helper_id: str, slug: str) -> Post | None:
        """The post at that address, or that had it: a post's addresses once published stay its own
        (the page moves to the current one), as usernames do."""
        ...

    def for_helper(self, helper_id: str, *, limit: int, after: dict | None = None) -> PAGE:
        """Every post of the Helper, drafts too, newest first."""
        ...

    def public(self, helper_id: str, *, now: int, limit: int, after: dict | None = None) -> PAGE:
        """The posts visitors see at `now`, newest first (a scheduled post from its time)."""
        ...

    def change(self, before: Post, after: Post) -> bool:
        """False when the post changed meanwhile (nothing written); SlugTaken as for create."""
        ...

    def delete(self, post: Post) -> None: ...

    def due(self, now: int, *, limit: int) -> list[Post]:
        """Scheduled posts whose time has come, oldest first."""
        ...


def listed_key(post: Post) -> str | None:
    shown = post.shown_from
    return None if shown is None else f"{shown:012d}#{post.post_id}"


def keeps_old_address(post: Post) -> bool:
    """A post that was ever published keeps its old address when it gets a new one (links to it
    are out there: they move to the new one); a draft's is let go."""
    return post.published_at is not None


def _upper(now: int) -> str:
    return f"{now:012d}#~"  # every key shown by `now` sorts below it


class InMemoryPostStore:
    def __init__(self) -> None:
        self.posts: dict[tuple[str, str], Post] = {}
        self.slugs: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def create(self, post: Post) -> None:
        with self._lock:
            if (post.helper_id, post.slug) in self.slugs:
                raise SlugTaken("Another of your posts has that address.", field="slug")
            self.slugs[(post.helper_id, post.slug)] = post.post_id
            self.posts[(post.helper_id, post.post_id)] = post

    def get(self, helper_id: str, post_id: str) -> Post | None:
        return self.posts.get((helper_id, post_id))

    def by_slug(self, helper_id: str, slug: str) -> Post | None:
        post_id = self.slugs.get((helper_id, slug))
        return self.posts.get((helper_id, post_id)) if post_id else None

    @staticmethod
    def _page(found: list[Post], key: Any, limit: int, after: dict | None) -> PAGE:
        ordered = sorted(found, key=key, reverse=True)
        if after is not None:
            ordered = [p for p in ordered if key(p) < after["key"]]
        page = ordered[:limit]
        return page, ({"key": key(page[-1])} if len(ordered) > limit else None)

    def for_helper(self, helper_id: str, *, limit: int, after: dict | None = None) -> PAGE:
        mine = [p for (helper, _), p in self.posts.items() if helper == helper_id]
        return self._page(mine, lambda p: p.post_id, limit, after)

    def public(self, helper_id: str, *, now: int, limit: int, after: dict | None = None) -> PAGE:
        shown = [p for (helper, _), p in self.posts.items()
                 if helper == helper_id and listed_key(p) is not None and listed_key(p) <= _upper(now)]
        return self._page(shown, listed_key, limit, after)

    def change(self, before: Post, after: Post) -> bool:
        key = (before.helper_id, before.post_id)
        with self._lock:
            current = self.posts.get(key)
            if current is None or current.version != before.version:
                return False
            if after.slug != current.slug:
                if self.slugs.get((after.helper_id, after.slug), after.post_id) != after.post_id:
                    raise SlugTaken("Another of your posts has that address.", field="slug")
                if not keeps_old_address(current):
                    del self.slugs[(current.helper_id, current.slug)]
                self.slugs[(after.helper_id, after.slug)] = after.post_id
            self.posts[key] = after
            return True

    def delete(self, post: Post) -> None:
        with self._lock:
            self.posts.pop((post.helper_id, post.post_id), None)
            for key in [k for k, post_id in self.slugs.items() if k[0] == post.helper_id and post_id == post.post_id]:
                del self.slugs[key]

    def due(self, now: int, *, limit: int) -> list[Post]:
        found = [p for p in self.posts.values() if p.status is PostStatus.SCHEDULED and p.publish_at is not None
                 and p.publish_at <= now]
        return sorted(found, key=lambda p: (p.publish_at, p.post_id))[:limit]


def _post(record: Any) -> Post:
    def number(value: Any) -> int | None:
        return None if value is None else int(value)

    return Post(helper_id=record.helper_id, post_id=record.post_id, title=record.title, slug=record.slug,
                body=record.body or "", body_html=record.body_html or "", excerpt=record.excerpt or "",
                status=PostStatus(record.status), created_at=int(record.created_at),
                updated_at=int(record.updated_at), publish_at=number(record.publish_at),
                published_at=number(record.published_at), cover_key=record.cover_key,
                images=tuple(record.images or ()), hidden_note=record.hidden_note, version=int(record.version))


def _record(post: Post) -> Any:
    from chalicelib.adapters.tables.posts import PostRecord

    return PostRecord(post.helper_id, post.post_id, title=post.title, slug=post.slug, body=post.body,
                      body_html=post.body_html, excerpt=post.excerpt, status=post.status.value,
                      created_at=post.created_at, updated_at=post.updated_at, publish_at=post.publish_at,
                      published_at=post.published_at, cover_key=post.cover_key, images=list(post.images),
                      hidden_note=post.hidden_note, version=post.version, listed=listed_key(post),
                      scheduled="due" if post.status is PostStatus.SCHEDULED else None)


class DynamoPostStore:
    def __init__(self, connection: Any) -> None:
        self._connection = connection  # the tables' shared pynamodb Connection, for transactions

    @staticmethod
    def _slug_put(post: Post) -> dict:
        from chalicelib.adapters.tables.posts import PostSlugRecord

        item = PostSlugRecord(post.helper_id, post.slug, post_id=post.post_id).serialize()
        return {"Put": {"TableName": PostSlugRecord.Meta.table_name, "Item": item,
                        "ConditionExpression": "attribute_not_exists(#slug) OR #post = :post",
                        "ExpressionAttributeNames": {"#slug": "slug", "#post": "post_id"},
                        "ExpressionAttributeValues": {":post": {"S": post.post_id}}}}

    def _write(self, items: list[dict], *, slug_at: int | None) -> bool:
        """The transaction; False when the post's own condition failed, SlugTaken when the address's did."""
        from chalicelib.adapters.dynamo_writes import ATTEMPTS, CONDITION_FAILED, code, conflicted, transact

        for _ in range(ATTEMPTS):
            reasons = transact(self._connection.client, items)
            if reasons is None:
                return True
            if slug_at is not None and code(reasons[slug_at]) == CONDITION_FAILED:
                raise SlugTaken("Another of your posts has that address.", field="slug")
            if any(code(reason) == CONDITION_FAILED for reason in reasons):
                return False
            if not conflicted(reasons):
                raise RuntimeError(f"DynamoDB cancelled the transaction: {[code(r) for r in reasons]}")
        raise RuntimeError(f"DynamoDB cancelled the transaction {ATTEMPTS} times for conflicts")

    def create(self, post: Post) -> None:
        from chalicelib.adapters.tables.posts import PostRecord

        put = {"Put": {"TableName": PostRecord.Meta.table_name, "Item": _record(post).serialize(),
                       "ConditionExpression": "attribute_not_exists(#post)",
                       "ExpressionAttributeNames": {"#post": "post_id"}}}
        if not self._write([self._slug_put(post), put], slug_at=0):
            raise RuntimeError("a new post's id was taken")

    def get(self, helper_id: str, post_id: str) -> Post | None:
        from chalicelib.adapters.tables.posts import PostRecord

        try:
            return _post(PostRecord.get(helper_id, post_id, consistent_read=True))
        except PostRecord.DoesNotExist:
            return None

    def by_slug(self, helper_id: str, slug: str) -> Post | None:
        from chalicelib.adapters.tables.posts import PostSlugRecord

        try:
            held = PostSlugRecord.get(helper_id, slug)
        except PostSlugRecord.DoesNotExist:
            return None
        return self.get(helper_id, held.post_id)

    @staticmethod
    def _page(results: Any) -> PAGE:
        return [_post(record) for record in results], results.last_evaluated_key

    def for_helper(self, helper_id: str, *, limit: int, after: dict | None = None) -> PAGE:
        from chalicelib.adapters.tables.posts import PostRecord

        return self._page(PostRecord.query(helper_id, scan_index_forward=False, limit=limit,
                                           last_evaluated_key=after))

    def public(self, helper_id: str, *, now: int, limit: int, after: dict | None = None) -> PAGE:
        from chalicelib.adapters.tables.posts import PostRecord

        return self._page(PostRecord.public_newest.query(helper_id, PostRecord.listed <= _upper(now),
                                                         scan_index_forward=False, limit=limit,
                                                         last_evaluated_key=after))

    def change(self, before: Post, after: Post) -> bool:
        from chalicelib.adapters.dynamo_writes import Update
        from chalicelib.adapters.tables.posts import PostRecord, PostSlugRecord

        update = Update(PostRecord, {"helper_id": {"S": before.helper_id}, "post_id": {"S": before.post_id}})
        update.replacing_with(_record(after))
        update.conditions.append(f"{update.name('version')} = {update.number(before.version)}")
        if after.slug == before.slug:
            return self._write([update.item()], slug_at=None)
        if keeps_old_address(before):  # the old address stays the post's, and moves to the new one
            return self._write([update.item(), self._slug_put(after)], slug_at=1)
        release = {"Delete": {"TableName": PostSlugRecord.Meta.table_name,
                              "Key": {"helper_id": {"S": before.helper_id}, "slug": {"S": before.slug}}}}
        return self._write([update.item(), self._slug_put(after), release], slug_at=1)

    def delete(self, post: Post) -> None:
        from chalicelib.adapters.dynamo_writes import transact
        from chalicelib.adapters.tables.posts import PostRecord, PostSlugRecord

        transact(self._connection.client, [
            {"Delete": {"TableName": PostRecord.Meta.table_name,
                        "Key": {"helper_id": {"S": post.helper_id}, "post_id": {"S": post.post_id}}}},
            {"Delete": {"TableName": PostSlugRecord.Meta.table_name,
                        "Key": {"helper_id": {"S": post.helper_id}, "slug": {"S": post.slug}},
                        "ConditionExpression": "attribute_not_exists(#slug) OR #post = :post",
                        "ExpressionAttributeNames": {"#slug": "slug", "#post": "post_id"},
                        "ExpressionAttributeValues": {":post": {"S": post.post_id}}}}])
        for held in PostSlugRecord.query(post.helper_id, filter_condition=PostSlugRecord.post_id == post.post_id):
            held.delete(condition=PostSlugRecord.post_id == post.post_id)  # its old addresses, free again

    def due(self, now: int, *, limit: int) -> list[Post]:
        from chalicelib.adapters.tables.posts import PostRecord

        return [_post(r) for r in PostRecord.due_oldest.query("due", PostRecord.publish_at <= now, limit=limit)]
