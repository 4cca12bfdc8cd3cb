"""Helper pages, categories, search and online status through the REST API of the local stack."""
import io
import time
import uuid

import pytest
import requests
from PIL import Image
from websockets.sync.client import connect

from tests.support.accounts import sign_up_and_in
from tests.support.pages import become_helper, open_storefront, page_fields
from tests.support.store_seller import png_bytes

pytestmark = pytest.mark.integration


def get(url, **kwargs):
    return requests.get(url, timeout=30, **kwargs)


def error_of(answer, status):
    assert answer.status_code == status, answer.text
    return answer.json()["error"]


def test_the_seeded_category_tree_lists_parents_before_children(local_stack):
    categories = get(f"{local_stack['api']}/categories").json()["categories"]
    assert len(categories) >= 20
    seen = set()
    for category in categories:
        assert category["parent"] is None or category["parent"] in seen
        seen.add(category["slug"])


def test_a_new_helper_is_listed_found_and_has_a_public_page(local_stack):
    api, site = local_stack["api"], local_stack["site"]
    word = f"zq{uuid.uuid4().hex[:8]}"
    helper = become_helper(api, categories=("plumbing", "cooking"), headline=f"Fixes {word} leaks")
    user_id = helper.tokens["user_id"]
    for slug in ("plumbing", "cooking"):
        cards = get(f"{api}/categories/{slug}?limit=50").json()["helpers"]
        assert any(c["user_id"] == user_id for c in cards)
    found = get(f"{api}/search", params={"q": f"{word[:5]} plumb"}).json()["helpers"]
    assert [c["user_id"] for c in found] == [user_id]
    # Paid prices show once payouts can reach the Helper; the free session shows at once.
    assert found[0]["prices"] == {"15": None, "30": 0, "60": None} and found[0]["page_url"] == f"/h/{helper.username}"
    page = get(f"{site}/h/{helper.username}")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert f'<link rel="canonical" href="{site}/h/{helper.username}"' in page.text
    assert 'property="og:title"' in page.text and "Content-Security-Policy" in page.headers
    assert "$15.00" not in page.text

    open_storefront(api, helper)
    found = get(f"{api}/search", params={"q": f"{word[:5]} plumb"}).json()["helpers"]
    assert found[0]["prices"] == {"15": 1500, "30": 0, "60": None}
    for slug in ("plumbing", "cooking"):
        [card] = [c for c in get(f"{api}/categories/{slug}?limit=50").json()["helpers"] if c["user_id"] == user_id]
        assert card["prices"]["15"] == 1500
    assert "$15.00" in get(f"{site}/h/{helper.username}").text


def test_leaving_a_category_removes_the_card(local_stack):
    api = local_stack["api"]
    helper = become_helper(api, categories=("gardening",))
    assert requests.delete(f"{api}/categories/gardening/helpers", headers=helper.auth, timeout=30).json() == \
        {"listed": False}
    cards = get(f"{api}/categories/gardening?limit=50").json()["helpers"]
    assert all(c["user_id"] != helper.tokens["user_id"] for c in cards)


def test_a_category_is_paged_with_a_cursor_and_online_helpers_come_first(local_stack):
    api = local_stack["api"]
    helpers = [become_helper(api, categories=("pets",)) for _ in range(3)]
    with connect(local_stack["websocket"], subprotocols=["interkanect", helpers[2].access_token], open_timeout=30):
        time.sleep(0.5)
        seen, cursor, first_page = [], None, None
        while True:
            answer = get(f"{api}/categories/pets", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
            first_page = first_page or answer["helpers"]
            seen += [c["user_id"] for c in answer["helpers"]]
            cursor = answer["next_cursor"]
            if not cursor:
                break
    assert len(seen) == len(set(seen)) and {h.tokens["user_id"] for h in helpers} <= set(seen)
    assert first_page[0]["user_id"] == helpers[2].tokens["user_id"] and first_page[0]["status"] == "online"
    assert error_of(get(f"{api}/categories/pets", params={"cursor": "not-a-cursor"}), 400)["field"] == "cursor"


def test_presence_follows_the_helpers_websocket(local_stack, app_env):
    api = local_stack["api"]
    helper = become_helper(api, categories=("fitness",))
    user_id = helper.tokens["user_id"]

    def status():
        return get(f"{api}/presence", params={"users": user_id}).json()["statuses"][user_id]

    assert status() == "offline"
    with connect(local_stack["websocket"], subprotocols=["interkanect", helper.access_token], open_timeout=30):
        assert status() == "online"
        card = next(c for c in get(f"{api}/categories/fitness?limit=50").json()["helpers"] if c["user_id"] == user_id)
        assert card["status"] == "online"
    deadline = time.monotonic() + 10
    while status() != "offline" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status() == "offline"


def test_a_helper_whose_browser_vanished_is_offline_after_the_sweep(local_stack, app_env):
    """The socket stays open but silent (as when a laptop sleeps or a browser is killed and
    API Gateway never sends $disconnect); the sweep, a minute later, finds it silent too long."""
    from chalicelib.services import realtime

    api = local_stack["api"]
    helper = become_helper(api)
    user_id = helper.tokens["user_id"]
    with connect(local_stack["websocket"], subprotocols=["interkanect", helper.access_token], open_timeout=30):
        assert get(f"{api}/presence", params={"users": user_id}).json()["statuses"][user_id] == "online"
        stale_after = app_env.settings().stale_connection_seconds
        swept = realtime.sweep_expired(book=app_env.presence_book(), now=int(time.time()) + stale_after + 1)
        assert swept >= 1
        assert get(f"{api}/presence", params={"users": user_id}).json()["statuses"][user_id] == "offline"


def test_old_and_differently_cased_usernames_redirect_to_the_current_page(local_stack):
    api, site = local_stack["api"], local_stack["site"]
    helper = become_helper(api)
    new_name = f"renamed_{uuid.uuid4().hex[:8]}"
    answer = requests.put(f"{api}/me/username", json={"username": new_name}, headers=helper.auth, timeout=30)
    assert answer.json() == {"username": new_name, "page_url": f"/h/{new_name}"}
    for old in (helper.username, helper.username.upper(), new_name.upper()):
        moved = get(f"{site}/h/{old}", allow_redirects=False)
        assert moved.status_code == 301 and moved.headers["Location"] == f"/h/{new_name}"
    assert get(f"{site}/h/{new_name}").status_code == 200
    other = sign_up_and_in(api)
    taken = requests.put(f"{api}/me/username", json={"username": helper.username}, headers=other.auth, timeout=30)
    assert error_of(taken, 409)["code"] == "username_taken"
    assert get(f"{site}/h/no-such-helper-{uuid.uuid4().hex[:6]}").status_code == 404


def test_an_avatar_goes_straight_to_s3_and_is_checked_before_it_shows(local_stack):
    api, site = local_stack["api"], local_stack["site"]
    helper = become_helper(api)
    upload = requests.post(f"{api}/me/page/avatar-upload", json={"content_type": "image/png"},
                           headers=helper.auth, timeout=30).json()
    assert upload["max_bytes"] == 2 * 1024 * 1024 and upload["key"].startswith("incoming/avatars/")
    png = png_bytes(900, 600)
    sent = requests.post(upload["url"], data=upload["fields"], files={"file": ("me.png", png, "image/png")},
                         allow_redirects=False, timeout=30)
    assert sent.status_code == 303 and sent.headers["Location"].startswith(f"{site}/become-a-helper.html?avatar=")
    assert get(f"{site}/{upload['key']}").status_code == 404  # the upload itself is served nowhere
    page = requests.put(f"{api}/me/page/avatar", json={"key": upload["key"]}, headers=helper.auth, timeout=30).json()
    assert page["avatar_url"].startswith("/media/avatars/") and page["avatar_url"].endswith(".webp")
    shown = get(site + page["avatar_url"])
    assert shown.headers["Content-Type"] == "image/webp" and "immutable" in shown.headers["Cache-Control"]
    with Image.open(io.BytesIO(shown.content)) as drawn:
        assert (drawn.format, drawn.size) == ("WEBP", (512, 341))

    # a script renamed .png is refused (and removed), and nobody can claim another's upload
    fake = requests.post(f"{api}/me/page/avatar-upload", json={"content_type": "image/png"},
                         headers=helper.auth, timeout=30).json()
    requests.post(fake["url"], data=fake["fields"], files={"file": ("x.png", b"<script>1</script>", "image/png")},
                  allow_redirects=False, timeout=30)
    refused = requests.put(f"{api}/me/page/avatar", json={"key": fake["key"]}, headers=helper.auth, timeout=30)
    assert error_of(refused, 400)["field"] == "key"
    other = become_helper(api)
    stolen = requests.put(f"{api}/me/page/avatar", json={"key": upload["key"]}, headers=other.auth, timeout=30)
    assert error_of(stolen, 403)["code"] == "forbidden"
    assert error_of(requests.post(f"{api}/me/page/avatar-upload", json={"content_type": "text/html"},
                                  headers=helper.auth, timeout=30), 400)["field"] == "content_type"


@pytest.mark.parametrize("change, field", [
    ({"prices": {"15": -1, "30": None, "60": None}}, "prices.15"),
    ({"prices": {"15": None, "30": None, "60": None}}, "prices"),
    ({"prices": {"15": 10.5}}, "prices.15"),
    ({"schedule": [{"day": 0, "start": "10:00", "end": "09:00"}]}, "schedule.0"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"links": [{"label": "x", "url": "javascript:alert(1)"}]}, "links.0.url"),
    ({"headline": ""}, "headline"),
    ({"languages": ["not a language"]}, "languages"),
])
def test_bad_page_details_get_a_4xx_naming_the_field_and_change_nothing(local_stack, change, field):
    api = local_stack["api"]
    helper = sign_up_and_in(api)
    answer = requests.put(f"{api}/me/page", json=page_fields(**change), headers=helper.auth, timeout=30)
    assert error_of(answer, 400)["field"] == field
    assert error_of(get(f"{api}/me/page", headers=helper.auth), 404)["code"] == "not_found"


def test_listing_needs_a_page_and_only_ops_edit_categories(local_stack):
    api = local_stack["api"]
    customer = sign_up_and_in(api)
    assert error_of(requests.post(f"{api}/categories/plumbing/helpers", headers=customer.auth, timeout=30),
                    403)["code"] == "forbidden"
    assert error_of(requests.post(f"{api}/categories/no-such/helpers", headers=customer.auth, timeout=30),
                    404)["code"] == "not_found"
    assert requests.post(f"{api}/categories/plumbing/helpers", timeout=30).status_code == 401
    edit = {"name": "Plumbing", "banner": "Edited", "parent": "home", "position": 1}
    assert error_of(requests.put(f"{api}/ops/categories/plumbing", json=edit, headers=customer.auth, timeout=30),
                    403)["code"] == "forbidden"


def test_presence_and_search_refuse_oversized_questions(local_stack):
    api = local_stack["api"]
    assert error_of(get(f"{api}/presence", params={"users": ",".join(f"u{i}" for i in range(51))}), 400)
    assert error_of(get(f"{api}/search", params={"q": "x" * 201}), 400)
    assert error_of(get(f"{api}/search", params={"q": "plumb", "limit": "0"}), 400)
    assert get(f"{api}/search", params={"q": ""}).json() == {"helpers": []}
