"""Helper pages: DynamoDB, and an in-memory twin."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Protocol

from chalicelib.domain.accounts import username_key
from chalicelib.domain.helper_pages import HelperPage, Link, Slot
from chalicelib.domain.rich_text import ShownText

if TYPE_CHECKING:  # a public page's cold start imports the standing's rules only for a page that has one
    from chalicelib.domain.standing import Standing


class HelperPageStore(Protocol):
    def get(self, user_id: str) -> HelperPage | None: ...
    def find_by_username(self, username: str) -> HelperPage | None: ...
    def get_many(self, user_ids: Iterable[str]) -> dict[str, HelperPage]: ...
    def save(self, page: HelperPage) -> None: ...

    def add_section(self, user_id: str, section: str) -> None:
        """Marks that the page shows `section` ("posts", "events") too; once is enough."""
        ...

    def set_standing(self, user_id: str, standing: Standing | None) -> bool:
        """Disqualifies the page's Helper (a Standing) on condition they are in good standing, or
        restores them (None) on condition they are disqualified; False when the page is not in the
        state that condition names (or gone). Never touched by `save`."""
        ...


def _record_fields(page: HelperPage) -> dict:
    return {
        "username": page.username, "username_key": username_key(page.username),
        "display_name": page.display_name, "headline": page.headline,
        "offer": page.offer, "qualifications": page.qualifications, "languages": list(page.languages),
        "time_zone": page.time_zone, "prices": {str(k): v for k, v in page.prices.items()},
        "schedule": [{"day": s.day, "start": s.start, "end": s.end} for s in page.schedule],
        "links": [{"label": link.label, "url": link.url} for link in page.links],
        "avatar_key": page.avatar_key, "categories": list(page.categories),
        "search_terms": list(page.search_terms), "plan": page.plan,
        "payouts_ready": page.payouts_ready, "created_at": page.created_at, "updated_at": page.updated_at,
        "rendered": None if page.rendered is None else {
            "offer_html": page.rendered.offer_html, "qualifications_html": page.rendered.qualifications_html,
            "offer_summary": page.rendered.offer_summary, "rendering": page.rendered.rendering,
        },
    }


def _rendered(stored: dict | None) -> ShownText | None:
    try:
        return ShownText(offer_html=stored["offer_html"], qualifications_html=stored["qualifications_html"],
                         offer_summary=stored["offer_summary"], rendering=int(stored["rendering"]))
    except (TypeError, KeyError, ValueError):
        return None  # not rendered yet (or not understood): rendered again on read


def _standing(stored) -> "Standing | None":
    from chalicelib.domain.standing import from_record

    return from_record(stored)


def _page(record) -> HelperPage:
    return HelperPage(
        user_id=record.user_id, username=record.username, display_name=record.display_name,
        headline=record.headline, offer=record.offer, qualifications=record.qualifications or "",
        languages=tuple(record.languages or ()), time_zone=record.time_zone,
        prices={int(k): (None if v is None else int(v)) for k, v in (record.prices or {}).items()},
        schedule=tuple(Slot(int(s["day"]), s["start"], s["end"]) for s in record.schedule or ()),
        links=tuple(Link(link["label"], link["url"]) for link in record.links or ()),
        avatar_key=record.avatar_key, categories=tuple(record.categories or ()),
        search_terms=tuple(record.search_terms or ()), plan=record.plan or "free",
        rating_total=int(record.rating_total or 0), rating_count=int(record.rating_count or 0),
        rating_counts=tuple(int(getattr(record, f"rating_{stars}") or 0) for stars in (1, 2, 3, 4, 5)),
        payouts_ready=bool(record.payouts_ready), rendered=_rendered(record.rendered),
        created_at=record.created_at, updated_at=record.updated_at, sections=frozenset(record.sections or ()),
        disqualified=None if record.standing is None else _standing(record.standing),
    )


class DynamoHelperPageStore:
    def get(self, user_id: str) -> HelperPage | None:
        from chalicelib.adapters.tables.pages import HelperPageRecord

        try:
            return _page(HelperPageRecord.get(user_id))
        except HelperPageRecord.DoesNotExist:
            return None

    def find_by_username(self, username: str) -> HelperPage | None:
        """The page whose current username is `username` in any case, in one Query of an index
        (eventually consistent: a page saved a moment ago, or before the index, may be missing;
        two answers, a rename caught half-way, count as none)."""
        from chalicelib.adapters.tables.pages import HelperPageRecord

        found = list(HelperPageRecord.by_username.query(username_key(username), limit=2))
        return _page(found[0]) if len(found) == 1 else None

    def get_many(self, user_ids: Iterable[str]) -> dict[str, HelperPage]:
        from chalicelib.adapters.tables.pages import HelperPageRecord

        keys = list(dict.fromkeys(user_ids))
        if not keys:
            return {}
        return {record.user_id: _page(record) for record in HelperPageRecord.batch_get(keys)}

    def save(self, page: HelperPage) -> None:
        """Writes the page's own fields (an UpdateItem): its rating counters belong to the
        reviews, which add to them in their own transactions, so a page saved from a read taken
        before a review landed never undoes it."""
        from chalicelib.adapters.tables.pages import HelperPageRecord

        actions = [getattr(HelperPageRecord, name).remove() if value is None else getattr(HelperPageRecord, name).set(value)
                   for name, value in _record_fields(page).items()]
        HelperPageRecord(page.user_id).update(actions=actions)

    def add_section(self, user_id: str, section: str) -> None:
        from chalicelib.adapters.tables.pages import HelperPageRecord

        HelperPageRecord(user_id).update(actions=[HelperPageRecord.sections.add({section})],
                                         condition=HelperPageRecord.user_id.exists())

    def set_standing(self, user_id: str, standing: Standing | None) -> bool:
        from pynamodb.exceptions import UpdateError

        from chalicelib.adapters.tables.pages import HelperPageRecord

        if standing is None:
            action, condition = HelperPageRecord.standing.remove(), HelperPageRecord.standing.exists()
        else:
            action = HelperPageRecord.standing.set(standing.record())
            condition = HelperPageRecord.user_id.exists() & HelperPageRecord.standing.does_not_exist()
        try:
            HelperPageRecord(user_id).update(actions=[action], condition=condition)
        except UpdateError as error:
            if getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException":
                return False
            raise
        return True


class InMemoryHelperPageStore:
    def __init__(self) -> None:
        self.pages: dict[str, HelperPage] = {}

    def get(self, user_id: str) -> HelperPage | None:
        return self.pages.get(user_id)

    def find_by_username(self, username: str) -> HelperPage | None:
        found = [p for p in self.pages.values() if username_key(p.username) == username_key(username)]
        return found[0] if len(found) == 1 else None

    def get_many(self, user_ids: Iterable[str]) -> dict[str, HelperPage]:
        return {u: self.pages[u] for u in user_ids if u in self.pages}

    def save(self, page: HelperPage) -> None:
        kept = self.pages.get(page.user_id)
        self.pages[page.user_id] = page.without_ratings().with_changes(sections=frozenset(), disqualified=None) \
            if kept is None \
            else page.with_changes(rating_total=kept.rating_total, rating_count=kept.rating_count,
                                   rating_counts=kept.rating_counts, sections=kept.sections,
                                   disqualified=kept.disqualified)

    def add_section(self, user_id: str, section: str) -> None:
        page = self.pages.get(user_id)
        if page is not None:
            self.pages[user_id] = page.with_changes(sections=page.sections | {section})

    def set_standing(self, user_id: str, standing: Standing | None) -> bool:
        page = self.pages.get(user_id)
        if page is None or (page.disqualified is None) == (standing is None):
            return False
        self.pages[user_id] = page.with_changes(disqualified=standing)
        return True
