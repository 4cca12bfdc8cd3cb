"""Helper-written Markdown: the small subset renders, and nothing else gets through as HTML."""
from html.parser import HTMLParser

import pytest

from chalicelib.domain.rich_text import ALLOWED_TAGS, LINK_REL, plain_text, render_markdown


class Elements(HTMLParser):
    """Every start tag of a fragment with its attributes, as the browser's parser sees them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def names(self) -> set[str]:
        return {tag for tag, _ in self.tags}

    def hrefs(self) -> list[str | None]:
        return [attrs.get("href") for tag, attrs in self.tags if tag == "a"]


def test_bold_and_italic_render_as_strong_and_em():
    assert render_markdown("**bold** and *italic* and _also_") == (
        "<p><strong>bold</strong> and <em>italic</em> and <em>also</em></p>")


def test_bulleted_and_numbered_lists_render():
    html = render_markdown("- tap\n- sink\n\n1. first\n2. second")
    assert html == ("<ul>\n<li>tap</li>\n<li>sink</li>\n</ul>\n"
                    "<ol>\n<li>first</li>\n<li>second</li>\n</ol>")


def test_links_keep_only_their_address_and_get_a_user_content_rel():
    html = render_markdown('[my site](https://ada.example/about "About me")')
    assert html == f'<p><a href="https://ada.example/about" rel="{LINK_REL}">my site</a></p>'
    assert "target" not in html


def test_angle_bracket_autolinks_and_mailto_links_render():
    assert Elements(render_markdown("<https://ada.example>")).hrefs() == ["https://ada.example"]
    assert Elements(render_markdown("[mail me](mailto:ada@example.com)")).hrefs() == [
        "mailto:ada@example.com"]


def test_inline_code_is_rendered_with_its_content_escaped():
    assert render_markdown("run `<b>ls -la</b>` first") == (
        "<p>run <code>&lt;b&gt;ls -la&lt;/b&gt;</code> first</p>")


def test_quotes_render_as_blockquote():
    assert render_markdown("> measure twice") == "<blockquote>\n<p>measure twice</p>\n</blockquote>"


def test_a_single_newline_is_a_line_break_and_a_blank_line_a_new_paragraph():
    assert render_markdown("line one\nline two\n\nnext") == (
        "<p>line one<br>\nline two</p>\n<p>next</p>")


def test_empty_or_blank_text_renders_nothing():
    assert render_markdown("") == "" and render_markdown("  \n\n ") == ""


def test_headings_rules_and_code_blocks_are_not_part_of_the_subset():
    html = render_markdown("# Title\n\n---\n\n```\nfence\n```")
    assert Elements(html).names() <= {"p", "code"}
    assert "# Title" in html


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "<b onclick=alert(1)>hi</b>",
    '<a href="https://ada.example">raw link</a>',
    "<img src=x onerror=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<!-- comment --><svg onload=alert(1)>",
])
def test_raw_html_is_escaped_as_text_never_rendered(source):
    html = render_markdown(source)
    assert Elements(html).names() == {"p"}
    assert "&lt;" in html


@pytest.mark.parametrize("source", [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript&#58;alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](DATA:text/html,<script>alert(1)</script>)",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    "[x][1]\n\n[1]: javascript:alert(1)",
])
def test_dangerous_link_schemes_are_dropped(source):
    for href in Elements(render_markdown(source)).hrefs():
        assert href is None or href.lower().startswith(("http:", "https:", "mailto:")), href


@pytest.mark.parametrize("source", [
    '[x](https://ada.example" onclick="alert(1))',
    "[x](https://ada.example 'a' onmouseover=alert(1))",
    '[x](https://ada.example "title" style="color:red")',
    '*hi*{onclick=alert(1)}',
    '<p style="color:red" onclick="alert(1)">hi</p>',
])
def test_no_event_handler_or_style_attribute_ever_survives(source):
    for tag, attrs in Elements(render_markdown(source)).tags:
        assert set(attrs) <= {"href", "rel"}, (tag, attrs)
        assert tag == "a" or not attrs, (tag, attrs)


def test_relative_links_lose_their_address():
    assert Elements(render_markdown("[home](/index.html) [x](//evil.example)")).hrefs() == [None, None]


@pytest.mark.parametrize("source", [
    "![a cat](https://ada.example/cat.png)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<img src="https://ada.example/cat.png">',
])
def test_images_are_never_rendered_as_img(source):
    html = render_markdown(source)
    assert "img" not in Elements(html).names()
    assert "<img" not in html


def test_every_rendered_tag_is_on_the_allowlist():
    source = ("Hi **there** *you*\nnew line\n\n- [a](https://a.example)\n- `code`\n\n"
              "1. one\n\n> quote <https://b.example>\n\n# not a heading\n\n| a | b |\n|---|---|")
    assert Elements(render_markdown(source)).names() <= ALLOWED_TAGS


def test_plain_text_keeps_the_words_and_drops_the_markup_and_addresses():
    source = "**Fixing** *leaky* taps.\n\n- Kitchens\n- [Bathrooms](https://ada.example)\n\n> `DIY` help"
    assert plain_text(source) == "Fixing leaky taps. Kitchens Bathrooms DIY help"


def test_plain_text_is_cut_at_a_word_with_an_ellipsis():
    text = plain_text("plumbing " * 50, max_length=40)
    assert len(text) <= 40 and text.endswith("…") and "plumbin…" not in text
    assert plain_text("short", max_length=40) == "short"


def test_plain_text_of_html_is_text_not_markup():
    # Still needs escaping where shown; it is words, not HTML.
    assert plain_text("<b>bold</b> &amp; co") == "<b>bold</b> & co"
