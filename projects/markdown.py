"""Comments' Markdown as safe HTML: CommonMark without raw HTML, then an allow-list sanitiser.

Two layers, so a slip in one is caught by the other:
1. markdown-it renders CommonMark with HTML switched off (typed tags come out as text), line breaks kept as
   <br>, and no images (an image would load from wherever its writer chose: it is left as a link instead);
   headings and rules are left as plain text too, so a comment cannot shout or restyle the page;
2. nh3 (ammonia) keeps only p, br, em, strong, code, pre, blockquote, ul, ol, li and a, an `a` only with an
   href of http, https or mailto (never javascript:, data: or the like), and marks every link
   rel="noopener nofollow". Everything else is dropped: tags, attributes, event handlers, comments.

Mentions of members (projects.mentions) become links to the member's activity in the organisation, a page
every member reads; those are the only relative links let through, and only the exact addresses given.
"""

from collections.abc import Mapping, Sequence

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from projects.mentions import MENTION

ALLOWED_TAGS = frozenset({"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"})
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener nofollow"
MENTION_CLASS = "mention"


def _mention_tokens(state: StateCore) -> None:
    """Find the @handles in text outside links and code, before adjacent text is joined (so an escaped \\@ stays
    text): collect them into `env["found"]` when it is given, and turn those `env["mentions"]` knows into links."""
    mentions: Mapping[str, str] = state.env.get("mentions") or {}
    found: dict[str, None] | None = state.env.get("found")
    for block in state.tokens:
        if block.type == "inline" and block.children:
            block.children = _linked(block.children, mentions, found)


def _linked(
    children: Sequence[Token], mentions: Mapping[str, str], found: dict[str, None] | None
) -> list[Token]:
    result: list[Token] = []
    depth = 0  # inside a link, a mention stays text
    for token in children:
        if token.type == "link_open":
            depth += 1
        elif token.type == "link_close":
            depth -= 1
        if token.type != "text" or depth or "@" not in token.content:
            result.append(token)
            continue
        text, start = token.content, 0
        for match in MENTION.finditer(text):
            handle = match.group(1).lower()
            if found is not None:
                found.setdefault(handle, None)
            href = mentions.get(handle)
            if href is None:
                continue
            if match.start() > start:
                result.append(_text(text[start : match.start()]))
            opening = Token("link_open", "a", 1)
            opening.attrs = {"href": href, "class": MENTION_CLASS}
            result += [opening, _text(match.group(0)), Token("link_close", "a", -1)]
            start = match.end()
        if start == 0:
            result.append(token)
        elif start < len(text):
            result.append(_text(text[start:]))
    return result


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "breaks": True})
    parser.disable(["image", "heading", "lheading", "hr"])
    parser.core.ruler.before("text_join", "mentions", _mention_tokens)
    return parser


_MARKDOWN = _parser()


def handles_in(text: str) -> list[str]:
    """The @handles written in the text, lower case, in order of first appearance, leaving out those in code
    and in links."""
    found: dict[str, None] = {}
    _MARKDOWN.parse(text, {"found": found})
    return list(found)


def render(text: str, mentions: Mapping[str, str] | None = None) -> SafeString:
    """The text's Markdown as HTML that is safe to put in a page. `mentions` maps handles (lower case) to the
    site-relative address a mention of each links to; other handles stay text."""
    html = _MARKDOWN.render(text, {"mentions": dict(mentions or {})})
    mention_urls = frozenset((mentions or {}).values())
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={"*": set(), "a": {"href"}},  # "*": no attribute on every tag (title, lang)
        allowed_classes={"a": {MENTION_CLASS}},
        url_schemes=set(URL_SCHEMES),
        url_relative=lambda url: url if url in mention_urls else None,
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 has just removed everything outside the allow-list


def excerpt(text: str, length: int = 140) -> str:
    """The text without its Markdown, on one line, cut to about `length` characters: for notifications."""
    plain: list[str] = []
    for block in _MARKDOWN.parse(text):
        for token in block.children or ():
            if token.type in {"text", "code_inline"}:
                plain.append(token.content)
            elif token.type in {"softbreak", "hardbreak"}:
                plain.append(" ")
        if block.type in {"paragraph_close", "code_block", "fence"}:
            plain.append(" " + block.content if block.type != "paragraph_close" else " ")
    words = " ".join("".join(plain).split())
    return words if len(words) <= length else words[: length - 1].rstrip() + "…"
