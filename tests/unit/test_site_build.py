"""The static site is built from templates (infra/site_build.py): every page renders through the
one layout with what the pages' scripts and the strict CSP need, and the build holds exactly the
pages and the assets."""
from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from infra.site_build import SITE_DIR, build, html_attributes, main, page_names, render_page

PAGES = {
    "become-a-helper", "call", "categories", "category", "confirm", "earnings", "index", "library",
    "ops-refunds", "ops-reviews", "ops-watch", "pay-return", "payments", "rate", "search", "sign-in", "sign-up",
    "faq", "terms", "privacy", "404", "my-store", "my-orders", "sales", "appointments", "booking",
    "polls", "posts", "my-events", "following", "unsubscribe",
}
PAGES |= {"notifications", "notification-settings"}
PAGES |= {"ops", "ops-person"}
# The call room fills the window: it has no footer.
PAGES_WITHOUT_FOOTER = {"call"}
# Attributes whose value names other elements by id.
ID_REFERENCES = ("for", "aria-describedby", "aria-labelledby", "aria-controls")


class Page(HTMLParser):
    """A rendered page's elements in order (tag, attributes), the text of its title and the
    bodies of its script elements."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.titles: list[str] = []
        self.script_bodies: list[str] = []
        self._open: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._open = tag if tag in ("title", "script") else None
        if tag == "title":
            self.titles.append("")

    def handle_endtag(self, tag):
        self._open = None

    def handle_data(self, data):
        if self._open == "title":
            self.titles[-1] += data
        elif self._open == "script" and data.strip():
            self.script_bodies.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.elements if name == tag]

    def index_of(self, tag: str, **attrs: str) -> list[int]:
        return [i for i, (name, a) in enumerate(self.elements)
                if name == tag and all(a.get(k) == v for k, v in attrs.items())]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("site") / "site")


@pytest.fixture(scope="module", params=sorted(PAGES))
def page(request, built) -> tuple[str, Page]:
    return request.param, Page((built / f"{request.param}.html").read_text(encoding="utf-8"))


def test_there_is_a_template_for_every_page_and_no_other():
    assert set(page_names()) == PAGES


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_page_template_renders_a_whole_document(name):
    html = render_page(name)
    assert html.startswith("<!doctype html>\n<html lang=\"en\">") and html.endswith("</html>\n")
    assert "{{" not in html and "{%" not in html and "{#" not in html
    assert "\n\n\n" not in html  # tidy: blocks and macros leave no runs of empty lines


def test_no_page_is_kept_outside_the_templates():
    assert sorted(path.name for path in SITE_DIR.glob("*.html")) == []


def test_the_build_holds_every_page_and_the_assets_but_not_the_templates(built):
    assert {path.stem for path in built.glob("*.html")} == PAGES
    for asset in ("css/site.css", "css/call.css", "js/pages/home.js", "js/call/peer.js",
                  "img/favicon.svg", "vendor/perfect-freehand/index.mjs"):
        assert (built / asset).is_file(), asset
    assert not (built / "templates").exists()


def test_a_page_has_one_title_and_a_description(page):
    name, html = page
    assert len(html.titles) == 1 and html.titles[0].strip(), name
    [description] = [m for m in html.all("meta") if m.get("name") == "description"]
    assert (description.get("content") or "").strip()
    assert html.elements[0:2] == [("html", {"lang": "en"}), ("head", {})]
    assert html.all("meta")[0] == {"charset": "utf-8"}


def test_a_page_starts_with_the_skip_link_and_the_header_placeholder(page):
    name, html = page
    body = html.index_of("body")[0]
    tag, link = html.elements[body + 1]
    assert (tag, link.get("class"), link.get("href")) == ("a", "skip-link", "#main")
    headers = [a for a in html.all("header") if "data-site-header" in a]
    assert len(headers) == 1 and headers[0]["class"] == "site-header"
    [main] = html.all("main")
    assert (main["id"], main["tabindex"]) == ("main", "-1")


def test_a_page_ends_with_the_footer_placeholder_except_the_call_room(page):
    name, html = page
    footers = [a for a in html.all("footer") if "data-site-footer" in a]
    if name in PAGES_WITHOUT_FOOTER:
        assert footers == []
    else:
        assert footers == [{"class": "site-footer", "data-site-footer": None}]
        assert html.index_of("footer")[0] > html.index_of("main")[0]


def test_config_js_comes_before_the_page_module_which_exists(page, built):
    name, html = page
    scripts = html.all("script")
    assert scripts[0] == {"src": "/config.js"}
    modules = [s for s in scripts[1:] if s.get("type") == "module"]
    assert len(modules) == 1 and len(scripts) == 2, scripts
    assert modules[0]["src"].startswith("/js/pages/") and (built / modules[0]["src"].lstrip("/")).is_file()


def test_nothing_inline_that_the_csp_would_block(page):
    name, html = page
    assert html.script_bodies == []
    assert html.all("style") == []
    for tag, attrs in html.elements:
        assert "style" not in attrs, (name, tag, attrs)
        assert not [a for a in attrs if a.startswith("on")], (name, tag, attrs)
        assert not (attrs.get("href") or "").lower().startswith("javascript:")


def test_a_form_its_script_sends_cannot_be_sent_before_the_script_runs(page, built):
    """A click or Enter before the page's module has loaded must not let the browser send the
    fields to the page's own address (a password in the URL): such a form posts, and its submit
    button is disabled until the module calls forms.formReady. A form with its own `action` (the
    search box) or a dialog's form works without the script."""
    name, html = page
    module = next(s["src"] for s in html.all("script") if s.get("type") == "module")
    scripted = [i for i, (tag, attrs) in enumerate(html.elements)
                if tag == "form" and not attrs.get("action") and attrs.get("method") != "dialog"]
    for start in scripted:
        assert html.elements[start][1].get("method") == "post", (name, html.elements[start])
        ends = [i for i in scripted + [len(html.elements)] if i > start]
        buttons = [attrs for tag, attrs in html.elements[start:ends[0]]
                   if tag == "button" and attrs.get("type") == "submit"]
        assert buttons and all("disabled" in b and "data-until-ready" in b for b in buttons), (name, buttons)
    if scripted:
        # A page module split in a folder (My page's `my-page/`, or one named after it) may
        # enable its forms from any of its modules.
        folders = ("my-page", Path(module).stem)
        sources = [(built / module.lstrip("/")).read_text()] + [
            path.read_text() for folder in folders for path in (built / "js" / "pages" / folder).glob("*.js")]
        assert any("formReady(" in source for source in sources), f"{name}: its module never enables the form"


def test_ids_are_unique_and_every_reference_to_one_resolves(page):
    name, html = page
    ids = Counter(attrs["id"] for _, attrs in html.elements if attrs.get("id"))
    assert [i for i, count in ids.items() if count > 1] == [], name
    for tag, attrs in html.elements:
        for attribute in ID_REFERENCES:
            for target in (attrs.get(attribute) or "").split():
                assert target in ids, (name, tag, attribute, target)


def test_html_attributes_writes_bare_dashed_and_escaped_attributes():
    rendered = html_attributes({"data_counted": True, "hidden": False, "title": None,
                                "maxlength": 30, "placeholder": 'a "b" <c>'})
    assert rendered == ' data-counted maxlength="30" placeholder="a &#34;b&#34; &lt;c&gt;"'


def test_the_command_line_builds_and_rebuilds_without_stale_files(tmp_path, capsys):
    out = tmp_path / "site"
    assert main(["--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out.resolve())
    (out / "gone.html").write_text("an earlier page")
    build(out)
    assert not (out / "gone.html").exists() and (out / "index.html").is_file()


def test_a_folder_that_is_no_build_is_never_replaced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not an earlier build"):
        build(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    with pytest.raises(ValueError, match="sources"):
        build(SITE_DIR / "css")


def test_the_rules_pages_are_built_with_the_default_settings_figures_in_live_slots(built):
    """The FAQ, Terms and Privacy read the deployment's rules in the browser; built, they carry the
    default settings' words (the same phrases `GET /site/rules` answers) in `[data-rule]` slots."""
    from infra.site_build import default_rule_phrases

    phrases = default_rule_phrases()
    faq = (built / "faq.html").read_text()
    for key in ("free_fee", "refund_hours", "payout_days", "negotiation_minutes", "paypal_fee"):
        assert f'<span data-rule="{key}">{phrases[key]}</span>' in faq
    for page in ("faq", "terms", "privacy"):
        html = (built / f"{page}.html").read_text()
        assert f'href="mailto:{phrases["support_email"]}" data-rule-mailto="support_email"' in html
        assert "/js/pages/rules-page.js" in html
    assert '<meta name="robots" content="noindex">' in (built / "404.html").read_text()

