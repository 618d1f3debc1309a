"""Comments' Markdown (projects.markdown): hostile input comes out as harmless HTML, and friendly input keeps its
shape. Every rendering is read back with an HTML parser and held to the allow-list: which tags, which
attributes, which link schemes."""

from html.parser import HTMLParser

import pytest

from projects.markdown import ALLOWED_TAGS, handles_in, render

MENTIONS = {"alice": "/o/acme/activity/?user=5", "bob@acme.test": "/o/acme/activity/?user=6"}


class Elements(HTMLParser):
    """Every element of a fragment with its attributes, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.elements.append(("!--", {}))


def parsed(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def assert_safe(html: str) -> Elements:
    """Only allowed tags; no attributes but a link's href, rel and (for mentions) class; links go to http,
    https or mailto, or to one of the mention addresses given; every link is rel="noopener nofollow"."""
    found = parsed(html)
    for tag, attrs in found.elements:
        assert tag in ALLOWED_TAGS, f"<{tag}> in {html!r}"
        if tag != "a":
            assert not attrs, f"<{tag} {attrs}> in {html!r}"
            continue
        assert set(attrs) <= {"href", "rel", "class"}, html
        assert attrs.get("rel") == "noopener nofollow", html
        href = attrs.get("href")
        if href is None:
            continue
        if attrs.get("class") == "mention":
            assert href in MENTIONS.values(), html
        else:
            assert "class" not in attrs, html
            assert href.split(":", 1)[0].lower() in {"http", "https", "mailto"}, html
    return found


HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.test/x.js></SCRIPT>",
    "<<script>script>alert(1)<</script>/script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "<svg onload=alert(1)><circle/></svg>",
    "<iframe src=https://evil.test></iframe>",
    "<style>body{display:none}</style>",
    "<div style='position:fixed;inset:0'>cover</div>",
    "<!-- hidden --> text",
    '<p onclick="alert(1)">para</p>',
    "**<script>alert(1)</script>**",
    "> <img src=x onerror=alert(1)>",
    "- <b onmouseover=alert(1)>item</b>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](java&#x09;script:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](file:///etc/passwd)",
    "<javascript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "[x][evil]\n\n[evil]: javascript:alert(1)",
    "[x][evil]\n\n[evil]: data:text/html,hi",
    "![x](javascript:alert(1))",
    "![tracker](https://evil.test/pixel.png)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[![x](https://a.test/i.png)](javascript:alert(1))",
    '[a](https://ok.test "title" onmouseover=alert(1))',
    '[a](https://ok.test "x\\" onmouseover=\\"alert(1)")',
    "[x](/relative/path)",
    "[x](//evil.test/x)",
    "[x](\\\\evil.test\\x)",
    "[x](#fragment)",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "    <script>indented code</script>",
    "# <script>alert(1)</script>",
    '<https://ok.test/?q="><script>alert(1)</script>>',
    "[<script>alert(1)</script>](https://ok.test)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "\x00<script>alert(1)</script>",
    "@alice<script>alert(1)</script>",
    "[@alice](javascript:alert(1))",
    ">" * 200 + " deep",
    "*" * 5_000,
    "[" * 3_000 + "x" + "]" * 3_000,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_comes_out_harmless(text: str) -> None:
    html = render(text, MENTIONS)
    found = assert_safe(html)
    lowered = html.lower()
    assert "<script" not in lowered
    assert "javascript:" not in "".join(str(attrs) for _, attrs in found.elements).lower()
    assert "data:" not in "".join(str(attrs) for _, attrs in found.elements).lower()
    assert not any(name.startswith("on") for _, attrs in found.elements for name in attrs)


def test_html_typed_in_a_comment_shows_as_text() -> None:
    html = render("<b>bold</b> and <script>alert(1)</script>")
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "".join(parsed(html).text).strip() == "<b>bold</b> and <script>alert(1)</script>"


def test_a_javascript_link_is_not_a_link() -> None:
    html = render("[click me](javascript:alert(document.cookie))")
    assert "<a" not in html
    assert "click me" in html


def test_links_keep_only_their_address_and_are_marked_noopener_nofollow() -> None:
    html = render('[docs](https://docs.example.test/a?b=1&c=2 "The docs")')
    assert html == (
        '<p><a href="https://docs.example.test/a?b=1&amp;c=2" rel="noopener nofollow">docs</a></p>\n'
    )


def test_autolinks_become_links_to_the_web_and_to_mail() -> None:
    html = render("See <https://owasp.example.test/top10> or write to <security@acme.test>.")
    found = assert_safe(html)
    hrefs = [attrs["href"] for tag, attrs in found.elements if tag == "a"]
    assert hrefs == ["https://owasp.example.test/top10", "mailto:security@acme.test"]


def test_relative_and_protocol_relative_links_lose_their_address() -> None:
    for text in ("[x](/o/acme/settings/)", "[x](//evil.test/)"):
        html = render(text, MENTIONS)
        assert "href" not in html, text


def test_images_are_never_loaded_but_their_address_stays_a_link() -> None:
    html = render("![diagram](https://cdn.example.test/d.png)")
    assert "<img" not in html
    assert '<a href="https://cdn.example.test/d.png" rel="noopener nofollow">diagram</a>' in html


def test_the_safe_subset_keeps_its_shape() -> None:
    text = (
        "**Bold**, *italic* and `code`.\nNext line.\n\n"
        "> A quote\n\n- one\n- two\n\n1. first\n2. second\n\n```\nprint('<hi>')\n```"
    )
    html = render(text)
    assert_safe(html)
    assert "<strong>Bold</strong>" in html
    assert "<em>italic</em>" in html
    assert "<code>code</code>" in html
    assert "Next line" in html
    assert "<br>" in html  # a line break in a comment is kept
    assert "<blockquote>" in html
    assert "<ul>\n<li>one</li>" in html
    assert "<ol>\n<li>first</li>" in html
    assert "<pre><code>print('&lt;hi&gt;')\n</code></pre>" in html


def test_headings_and_rules_stay_plain_text() -> None:
    html = render("# Shouting\n\n---")
    assert_safe(html)
    assert "<h1" not in html
    assert "<hr" not in html
    assert "# Shouting" in html


def test_mentions_of_members_link_to_them_and_others_stay_text() -> None:
    html = render("Thanks @alice and @Bob@acme.test, not @carol or bob@acme.test.", MENTIONS)
    found = assert_safe(html)
    links = [(attrs.get("href"), attrs.get("class")) for tag, attrs in found.elements if tag == "a"]
    assert links == [
        ("/o/acme/activity/?user=5", "mention"),
        ("/o/acme/activity/?user=6", "mention"),
    ]
    assert "@carol" in html
    assert "bob@acme.test" in html


def test_a_mention_in_code_or_a_link_stays_as_written() -> None:
    html = render("`@alice` and [@alice](https://a.test) and \\@alice", MENTIONS)
    assert 'class="mention"' not in html


def test_handles_are_found_outside_code_links_and_escapes() -> None:
    text = (
        "Hi @Alice, @bob@acme.test and @carol.\n"
        "Not `@dave`, not [@erin](https://x.test), not \\@frank, not mail@acme.test.\n\n"
        "```\n@grace\n```\n\n**@heidi** and @alice again."
    )
    assert handles_in(text) == ["alice", "bob@acme.test", "carol", "heidi"]


def test_a_sentence_ending_after_a_handle_is_not_part_of_it() -> None:
    assert handles_in("Ask @alice. Or @bob-smith, or @carol_b!") == ["alice", "bob-smith", "carol_b"]
