"""Markdown written by an administrator → sanitised HTML (markdown-it-py, then nh3)."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

MAX_LENGTH = 20_000

ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "a", "abbr",
    "ul", "ol", "li", "blockquote", "code", "pre", "hr",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def _parser(heading_offset: int) -> MarkdownIt:
    # HTML blocks are accepted (texts written before Markdown was offered are HTML), nh3
    # keeps only the tags above.
    parser = MarkdownIt("commonmark", {"html": True}).enable("table")

    def heading(
        renderer: RendererHTML, tokens: list[Token], index: int, options: OptionsDict, env: EnvType
    ) -> str:
        token = tokens[index]
        level = min(6, int(token.tag[1]) + heading_offset)
        token.tag = f"h{level}"
        return renderer.renderToken(tokens, index, options, env)

    parser.add_render_rule("heading_open", heading)
    parser.add_render_rule("heading_close", heading)
    return parser


def render(source: str, *, heading_offset: int = 1) -> str:
    """The HTML of `source`, safe to show. Headings move down by `heading_offset` levels so
    that a « # Titre » sits under the page's own heading (h1 → h2 on a page of its own, h1 →
    h3 inside a section titled h2)."""
    html = _parser(heading_offset).render(source or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def too_long(source: str) -> str | None:
    """The French message when a text exceeds what we store, else None."""
    if len(source) > MAX_LENGTH:
        return f"Ce texte dépasse {MAX_LENGTH:,} caractères : raccourcissez-le.".replace(
            ",", "\u202f"
        )
    return None
