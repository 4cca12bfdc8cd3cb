"""Lighthouse scores of every public page, served by a temporary local stack: performance,
accessibility, best practices and SEO (0–100), one mobile run per page.

Lighthouse (from the npm registry, installed once under `.local/bench-tools/`) drives Debian's
Chromium headless, with its default mobile emulation and simulated throttling (a mid-range phone
on slow 4G). The pages: home, all categories, a category, a search, a Helper's public page (one
Helper made through the API, in the plumbing category, so the category and the search list a
card), that Helper's store and one of its products (a storefront with a physical product and its
pictures, made through the API as well), the Marketplace, sign-up, the FAQ and the 404 page. The
404 page answers 404 and carries `noindex` on purpose, so it is judged without the three audits
that fail for that alone: `http-status-code`, `is-crawlable`, and in `errors-in-console` the
browser's "status of 404" line for the document (other console errors still count).

The Helper's own My Store and Orders pages, their Library, Appointments and a booking of their
time are audited signed in as that Helper (a product on sale, a customer's paid order to ship, a
guide and a mug they bought from another store, a customer's paid 15-minute booking), and so are their
Notifications (what those sales and bookings told them) and Notification settings: the browser profile Lighthouse
runs in holds the session
and `--disable-storage-reset` keeps it; each page gets a fresh profile, so that no audit warms
another's cache. Private, they carry `noindex` on purpose and skip `is-crawlable`. The ops console
and a person's page in it are audited the same way, signed in as someone of the ops group.

Target: every score at least 95. Below it, the audits that cost points are printed; the JSON
reports are kept in `.local/bench-reports/lighthouse/`. `python -m bench.lighthouse` runs it
alone (`python -m bench.lighthouse 404 search`: some pages). About 20 s a page on two cores; a
busy machine lowers the performance scores by a few points.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.npm_tools import npm_tool

LIGHTHOUSE_VERSION = "12.8.2"  # the last major that runs on Node 20
CHROMIUM = "/usr/bin/chromium"
CATEGORIES = {"performance": "perf", "accessibility": "a11y", "best-practices": "best", "seo": "seo"}
TARGET = 95
REPORTS = Path(__file__).resolve().parents[1] / ".local" / "bench-reports" / "lighthouse"
PAGES = {  # name: path on the site ({helper} is the Helper's username, {product} a product's slug)
    "home": "/index.html",
    "all categories": "/categories.html",
    "a category": "/category.html?slug=plumbing",
    "search": "/search.html?q=plumb",
    "a Helper's page": "/h/{helper}",
    "a store": "/h/{helper}/store",
    "a product": "/h/{helper}/store/{product}",
    "Marketplace": "/marketplace",
    "sign-up": "/sign-up.html",
    "FAQ": "/faq.html",
    "404": "/no-such-page",
    "My Store": "/my-store.html",
    "Orders": "/my-orders.html",
    "Library": "/library.html",
    "Appointments": "/appointments.html",
    "A booking": "/booking.html?id={booking}",
    "Polls": "/polls.html",
    "a blog": "/h/{helper}/blog",
    "a post": "/h/{helper}/blog/{post}",
    "Following": "/following.html",
    "an event": "/h/{helper}/events/{event}",
    "Notifications": "/notifications.html",
    "Notification settings": "/notification-settings.html",
    "Ops console": "/ops.html",
    "A person (ops)": "/ops-person.html?id={person}",
}
# Pages audited signed in as the Helper: their own store and its orders, their library (what
# they bought in another store), their appointments and a booking of their time, their polls.
# Being private, they say `noindex` on purpose, so `is-crawlable` is not theirs to pass.
SIGNED_IN_PAGES = frozenset({"My Store", "Orders", "Library", "Appointments", "A booking", "Polls", "Following",
                             "Notifications", "Notification settings"})
# Pages audited signed in as someone of the ops group (the ops console; the Helper's own history).
OPS_PAGES = frozenset({"Ops console", "A person (ops)"})
SIGNED_IN_CONFIG = {"extends": "lighthouse:default", "settings": {"skipAudits": ["is-crawlable"]}}
# For the 404 page: what fails there only because it is a 404 page (see the docstring).
NOT_FOUND_CONFIG = {
    "extends": "lighthouse:default",
    "settings": {"skipAudits": ["http-status-code", "is-crawlable"]},
    "audits": [{"path": "errors-in-console",
                "options": {"ignoredPatterns": ["the server responded with a status of 404"]}}],
}


def audit(url: str, report: Path, *, not_found_page: bool = False, profile: Path | None = None) -> dict:
    """One Lighthouse run of `url` (in the browser `profile`, whose storage it keeps, when given);
    its JSON report (also written to `report`)."""
    lighthouse = npm_tool("lighthouse", LIGHTHOUSE_VERSION, "cli/index.js")
    chrome_flags = "--headless=new --no-sandbox" + (f" --user-data-dir={profile}" if profile else "")
    command = ["node", str(lighthouse), url, "--quiet", "--form-factor=mobile",
               f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={chrome_flags}",
               "--output=json", f"--output-path={report}"]
    if profile:
        config = report.with_name("signed-in-config.json")
        config.write_text(json.dumps(SIGNED_IN_CONFIG))
        command += ["--disable-storage-reset", f"--config-path={config}"]  # keep the profile's session
    if not_found_page:
        config = report.with_name("not-found-config.json")
        config.write_text(json.dumps(NOT_FOUND_CONFIG))
        command += ["--ignore-status-code", f"--config-path={config}"]
    subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM}, stdout=subprocess.DEVNULL)
    return json.loads(report.read_text())


def scores(result: dict) -> dict[str, int | None]:
    """Each category's score, 0–100 (None when Lighthouse could not score it)."""
    score = {name: result["categories"].get(name, {}).get("score") for name in CATEGORIES}
    return {name: None if value is None else round(value * 100) for name, value in score.items()}


def lost_points(result: dict, category: str) -> list[str]:
    """The audits of `category` that cost points, heaviest first."""
    lost = []
    for ref in result["categories"][category]["auditRefs"]:
        found = result["audits"][ref["id"]]
        if ref["weight"] and found.get("score") is not None and found["score"] < 1:
            value = f" ({found['displayValue']})" if found.get("displayValue") else ""
            lost.append((ref["weight"] * (1 - found["score"]), f"{ref['id']}{value}"))
    return [text for _, text in sorted(lost, reverse=True)]


def signed_in_profile(site: str, tokens: dict, folder: Path) -> Path:
    """A fresh Chromium profile whose storage holds a session of `tokens` on `site`, as signing
    in leaves it (js/session.js); set on a page that loads nothing else, so no cache is warmed."""
    import shutil

    from playwright.sync_api import sync_playwright

    shutil.rmtree(folder, ignore_errors=True)
    session = {"access_token": tokens["access_token"], "id_token": tokens.get("id_token"),
               "refresh_token": tokens.get("refresh_token"), "expires_in": tokens.get("expires_in") or 3600}
    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(str(folder), executable_path=CHROMIUM, headless=True,
                                                            args=["--no-sandbox"])
        page = context.new_page()
        page.goto(f"{site}/config.js")
        page.evaluate("""(s) => localStorage.setItem("interkanect.session", JSON.stringify({
            access_token: s.access_token, id_token: s.id_token, refresh_token: s.refresh_token,
            expires_at: Date.now() + s.expires_in * 1000 }))""", session)
        context.close()
    return folder


def stocked_store(endpoints: dict, helper) -> None:
    """The Helper's store as its own pages are measured: a storefront, a product on sale in two
    variants, and a customer's paid order waiting to be shipped."""
    from tests.support.accounts import sign_up_and_in
    from tests.support.pages import open_storefront
    from tests.support.store import buy
    from tests.support.store_seller import product_on_sale

    open_storefront(endpoints["api"], helper)
    washers = product_on_sale(endpoints["api"], helper, title="Brass tap washers", variants=[
        {"name": "Small", "sku": "BW-S", "price_cents": 999, "stock": 40},
        {"name": "Large", "sku": "BW-L", "price_cents": 1450, "stock": 25}])
    buy(endpoints, sign_up_and_in(endpoints["api"], "benchbuyer"), helper, washers, variant=1)


def bought_elsewhere(endpoints: dict, helper) -> None:
    """What the Helper's library holds: a digital guide and a physical product from another store,
    paid at the sandbox as a buyer would."""
    import requests

    from tests.support.payments import approve_in_sandbox, complete
    from tests.support.store import digital_product, open_store, physical_product

    api = endpoints["api"]
    other = open_store(api, "benchotherstore")
    guide, _ = digital_product(api, other)
    mug = physical_product(api, other, pictures=1)
    answer = requests.post(f"{api}/checkout", headers=helper.auth, timeout=30, json={
        "seller": other.username, "lines": [
            {"slug": guide["slug"], "variant_id": guide["variants"][0]["variant_id"], "quantity": 1},
            {"slug": mug["slug"], "variant_id": mug["variants"][0]["variant_id"], "quantity": 2}]})
    assert answer.status_code == 201, answer.text
    payment = answer.json()["payment"]
    approve_in_sandbox(endpoints, payment)
    complete(api, helper, payment)


def booked(endpoints: dict, helper) -> str:
    """A customer's booking of the Helper's first free 15 minutes, paid at the sandbox: the
    booking page is audited as the Helper sees it. Its id."""
    from tests.support.accounts import sign_up_and_in
    from tests.support.bookings import book, free_slots

    customer = sign_up_and_in(endpoints["api"], "benchbooker")
    start = free_slots(endpoints["api"], helper, length=15, days=28)[0]["start"]
    return book(endpoints, customer, helper, start, length=15)["booking_id"]


def polled(endpoints: dict, helper) -> None:
    """A live poll of the Helper's with a few votes: it shows on their page and on Polls."""
    import requests

    from tests.support.accounts import sign_up_and_in

    api = endpoints["api"]
    poll = requests.post(f"{api}/me/polls", headers=helper.auth, timeout=30, json={
        "question": "Which topic for Friday's live session?", "options": ["Leaks", "Boilers", "Radiators"],
        "results": "live"}).json()["poll"]
    for n in range(3):
        voter = sign_up_and_in(api, f"benchvoter{n}")
        requests.put(f"{api}/helpers/{helper.username}/polls/{poll['poll_id']}/vote", headers=voter.auth,
                     json={"option": n % 2}, timeout=30).raise_for_status()


def blogged(endpoints: dict, helper) -> str:
    """Three published posts of the Helper's, the newest with a cover, headings, a list, a quote
    and a picture in its body: the blog lists them and the newest's page is audited. Its slug."""
    import requests

    from tests.support.store import _presigned_upload, sample_png

    api = endpoints["api"]
    body = ("Most drips come from a worn washer, and you can change one in ten minutes.\n\n## What you need\n\n"
            "- an adjustable wrench\n- a new washer (take the old one to the shop)\n- a towel\n\n"
            "> Turn the water off under the sink before you start.\n\n## Step by step\n\n"
            "1. Open the tap to drain it.\n2. Unscrew the handle and the valve.\n3. Swap the washer, "
            "put it back **hand-tight**, then a quarter turn.\n\n")
    slug = ""
    for n, title in enumerate(("Why boilers lose pressure", "Bleeding a radiator", "Fix a dripping tap")):
        post = requests.post(f"{api}/me/posts", headers=helper.auth, timeout=30, json={
            "title": title, "body": body, "status": "published"}).json()["post"]
        slug = post["slug"]
    for cover in (True, False):
        upload = requests.post(f"{api}/me/posts/{post['post_id']}/image-upload", headers=helper.auth, timeout=30,
                               json={"content_type": "image/png"}).json()
        _presigned_upload(upload, "picture.png", sample_png(hue=0.55 if cover else 0.1), "image/png")
        added = requests.post(f"{api}/me/posts/{post['post_id']}/images", headers=helper.auth, timeout=30,
                              json={"key": upload["key"], "cover": cover}).json()
    requests.put(f"{api}/me/posts/{post['post_id']}", headers=helper.auth, timeout=30, json={
        "body": body + f"![The washer, seated]({added['src']})\n\nThat is it: no more drip."}).raise_for_status()
    return slug


def announced(endpoints: dict, helper) -> str:
    """A free online event of the Helper's in three days, with a description and three people
    going (of 40 places): its page is audited. Its id."""
    from datetime import datetime, timedelta, timezone

    import requests

    from tests.support.accounts import sign_up_and_in

    api = endpoints["api"]
    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    event = requests.post(f"{api}/me/events", headers=helper.auth, timeout=30, json={
        "title": "Fix your own leaks: a live workshop", "where": "online", "location": "https://meet.example.com/x",
        "description": "An hour on the drips, leaks and pressure drops you can fix yourself.\n\n"
                       "- washers and O-rings\n- bleeding radiators\n- when to call a plumber",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), "capacity": 40}).json()["event"]
    for n in range(3):
        guest = sign_up_and_in(api, f"benchguest{n}")
        requests.put(f"{api}/events/{event['event_id']}/rsvp", headers=guest.auth, json={},
                     timeout=30).raise_for_status()
    return event["event_id"]


def measure(pages: dict[str, str] = PAGES) -> dict[str, dict]:
    from tests.support.pages import become_helper, open_storefront
    from tests.support.payments import ops_person
    from tests.support.stack import temporary_stack
    from tests.support.store import physical_product

    REPORTS.mkdir(parents=True, exist_ok=True)
    results = {}
    with temporary_stack("ik-bench-lighthouse-") as endpoints:
        helper = become_helper(endpoints["api"], "benchhelper", categories=("plumbing",))
        open_storefront(endpoints["api"], helper)
        product = physical_product(endpoints["api"], helper)
        if SIGNED_IN_PAGES & set(pages):
            stocked_store(endpoints, helper)
        if "Library" in pages:
            bought_elsewhere(endpoints, helper)
        booking = booked(endpoints, helper) if "A booking" in pages else None
        if {"Polls", "a Helper's page"} & set(pages):
            polled(endpoints, helper)
        post = blogged(endpoints, helper) if {"a blog", "a post", "a Helper's page"} & set(pages) else None
        event = announced(endpoints, helper) if {"an event", "a Helper's page"} & set(pages) else None
        ops = ops_person(endpoints, "benchops") if OPS_PAGES & set(pages) else None
        for name, path in pages.items():
            report = REPORTS / f"{name.replace(' ', '-').replace(chr(39), '').replace('(', '').replace(')', '')}.json"
            signed_in = ops if name in OPS_PAGES else helper if name in SIGNED_IN_PAGES else None
            profile = signed_in_profile(endpoints["site"], signed_in.tokens, report.with_suffix(".profile")) \
                if signed_in else None
            url = endpoints["site"] + path.format(helper=helper.username, product=product["slug"], booking=booking,
                                                  post=post, event=event, person=helper.tokens["user_id"])
            results[name] = audit(url, report, not_found_page=name == "404", profile=profile)
    return results


def main(names: list[str] | None = None) -> int:
    results = measure({name: PAGES[name] for name in names} if names else PAGES)
    print(f"Lighthouse {LIGHTHOUSE_VERSION}, mobile, one run per page (target: every score >= {TARGET}):")
    print(f"  {'page':<18}" + "".join(f"{short:>6}" for short in CATEGORIES.values()))
    below = []
    for name, result in results.items():
        row = scores(result)
        print(f"  {name:<18}" + "".join(f"{'-' if row[c] is None else row[c]:>6}" for c in CATEGORIES))
        below += [(name, c) for c in CATEGORIES if row[c] is None or row[c] < TARGET]
    for name, category in below:
        print(f"  {name}, {category}: " + ", ".join(lost_points(results[name], category)[:5]))
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))  # page names (as in PAGES) to run only those
