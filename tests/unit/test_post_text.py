"""A post's Markdown as HTML (chalicelib/domain/post_text.py): what a Helper may write renders,
anything else is escaped or dropped, pictures are only the post's own, and a poll is placed only
by a line of its own."""
from chalicelib.domain.post_text import plain_words, poll_ids, render_post

OWN = "/media/posts/u-1/001800000000-abcd1234/0123456789abcdef0123456789abcdef/1600.webp"


def test_headings_start_at_h2_whatever_level_the_helper_starts_at_and_none_is_skipped():
    assert render_post("## Tools\n\ntext\n\n### Wrench") == "<h2>Tools</h2>\n<p>text</p>\n<h3>Wrench</h3>"
    assert render_post("# A\n\n## B\n\n### C\n\n#### D") == "<h2>A</h2>\n<h3>B</h3>\n<h4>C</h4>\n<h4>D</h4>"


def test_raw_html_scripts_and_script_links_never_reach_the_page():
    html = render_post('<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) '
                       '[y](/ops) [z](https://example.com)')
    assert "<script" not in html and "<img" not in html and "javascript:" not in html.split("&lt;")[0]
    assert 'href="/ops"' not in html and "onerror=" not in html.replace("onerror=alert(1)&gt;", "")
    assert '<a href="https://example.com" rel="nofollow noopener noreferrer ugc">z</a>' in html


def test_only_the_posts_own_pictures_show_lazily_at_both_sizes():
    html = render_post(f"![A tap]({OWN})\n\n![tracker](https://evil.example/pixel.gif)\n\n![up](/media/avatars/x.png)")
    assert html.count("<img") == 1 and "evil.example" not in html and "avatars" not in html
    card = OWN.replace("1600.webp", "640.webp")
    assert f'src="{OWN}"' in html and f'srcset="{card} 640w, {OWN} 1600w"' in html
    assert 'alt="A tap"' in html and 'loading="lazy"' in html


def test_a_poll_is_placed_by_a_line_of_its_own_only():
    slot = '<div class="poll-slot" data-poll="001800000000-abcd1234"></div>'
    assert render_post("[poll:001800000000-abcd1234]") == slot
    inline = render_post("Vote: [poll:001800000000-abcd1234]")
    assert "poll-slot" not in inline and "[poll:001800000000-abcd1234]" in inline
    assert "poll-slot" not in render_post('[poll:"><script>]')
    assert poll_ids("Intro\n[poll:001800000000-abcd1234]\ntext\n[poll:x-1]") == ["001800000000-abcd1234", "x-1"]


def test_code_blocks_quotes_and_rules_render_escaped():
    html = render_post("```\n<b>bold?</b>\n```\n\n---\n\n> quoted")
    assert "<pre><code>&lt;b&gt;bold?&lt;/b&gt;\n</code></pre>" in html and "<hr>" in html
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in html


def test_invisible_and_bidi_characters_are_removed_and_words_make_the_excerpt():
    assert "\u202e" not in render_post("Hello \u202eworld")
    assert plain_words("## Tools\n\n- a **wrench**\n\n[poll:001800000000-abcd1234]\n\nDone.", 100) == \
        "Tools a wrench Done."
    assert plain_words("word " * 100, 40).endswith("…") and len(plain_words("word " * 100, 40)) <= 40
