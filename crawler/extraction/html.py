"""Reading an HTML page: decoding, the main text, and the page's metadata.

The main text comes from ``main_text`` (trafilatura, checked against
readability, see ``crawler/extraction/body.py``); the metadata from the
markup the publisher wrote for machines, then from trafilatura's reading of
the page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.etree
from htmldate import find_date
from lxml import html as lxml_html
from lxml.html import defs
from trafilatura.metadata import (
    examine_meta,
    extract_author,
    extract_catstags,
    extract_meta_json,
    extract_sitename,
    extract_title,
)
from trafilatura.settings import set_date_params

from crawler.extraction import marks
from crawler.extraction.body import main_text
from crawler.extraction.breaks import paragraphs_from_breaks
from crawler.extraction.clean import link_key
from crawler.extraction.dates import date_in_markup
from crawler.extraction.decode import binary_signature, decode_html, looks_binary
from crawler.extraction.draft import Draft, Rejected
from crawler.extraction.jsonld import article_body, jsonld_nodes
from crawler.extraction.layout import unwrap_single_cells
from crawler.extraction.metadata import choose_title
from crawler.extraction.standfirst import displayed_standfirst
from storage.urls import normalise_url

# Bigger than any statement page seen; past it trafilatura's tree walk takes
# seconds and the page is almost surely a dump, not an article.
MAX_HTML_CHARS = 8_000_000
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Control characters a page may carry by accident (a title pasted from a
# word processor), which lxml keeps in the tree but refuses when
# trafilatura copies them into new elements: the whole extraction failed.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f]")
_VERTICAL_SPACE = re.compile("[\x0b\x0c]")
# Every character that ``looks_binary``, ``_CONTROL`` or ``_VERTICAL_SPACE``
# acts on. Each of those is a pass over the whole page (2 ms together on a
# 100 kB page); nearly no page holds any of these characters, which one
# pass of this finds out.
_ACTED_ON = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x80-\x9f\ufffd]")
# lxml refuses text that opens with an XML declaration naming an encoding
# (the text is decoded already): the declaration goes, the page stays.
_XML_DECLARATION = re.compile(r"\A[\s\ufeff]*<\?xml\b[^>]*>")
# What a server printed before the document (PHP warnings, a stray
# byte-order mark of an included file): the HTML parser opens the body
# there and puts the page's <head>, its title and metadata, inside it, and
# the warnings become the article's first lines. A document that starts on
# a line of its own within the first ``BEFORE_DOCUMENT_CHARS``, after text
# whose only tags are those such messages are printed with, is read from
# its start. (Any other tag, <head> or <p>, makes it part of the page.)
BEFORE_DOCUMENT_CHARS = 16_384
_DOCUMENT_LINE = re.compile(r"^[^\S\n]*\ufeff*(?=<(?:!doctype\s+html|html)[\s>])",
                            re.IGNORECASE | re.MULTILINE)
_TAG = re.compile(r"</?([a-z][a-z0-9]*)", re.IGNORECASE)
# (PHP's html_errors link to the manual with <a>; Xdebug prints a table.)
_MESSAGE_TAGS = {"br", "b", "i", "strong", "em", "font", "span", "small", "a", "table",
                 "tbody", "tr", "th", "td"}
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# What follows the line must be a document: its head or body opens soon.
_DOCUMENT_FOLLOWS = re.compile(r"<(?:head|body|title|meta)[\s>/]", re.IGNORECASE)


# The WHATWG MIME Sniffing Standard's rule for HTML ("rules for identifying
# an unknown MIME type"): after leading whitespace, an opening tag, in any
# case, where the tag name ends. The standard lists 17 openings (<!DOCTYPE
# HTML, <html, <head, <script, <div, <p, <br, <!-- ...); a page saved from
# its <body> on, or a CMS's article fragment, opens with <header>,
# <section>, <span> or <link> as often, so every HTML element name counts
# here. XML (feeds, sitemaps) opens with names of its own and stays apart;
# so does a standalone SVG or MathML image.
_STANDARD_OPENINGS = frozenset({b"!doctype html", b"html", b"head", b"script", b"iframe", b"h1",
                                b"div", b"font", b"table", b"a", b"style", b"title", b"b",
                                b"body", b"br", b"p", b"meta"})
_HTML_ELEMENTS = (frozenset(defs.tags) | frozenset(defs.html5_tags)
                  | {"main", "picture", "template", "dialog", "frame", "data", "search"}
                  ) - {"svg", "math"}
# The standard ends a tag name at a space or ">"; the other whitespace and
# "/" (<br/>) end it for the HTML parser too. A comment needs no end
# (<!--[if IE]> opens many old pages). A custom element's name holds a
# hyphen (<amp-state>, <app-root>).
_TAG_OPENING = re.compile(rb"<(?:!--|(!doctype html|[a-z][a-z0-9]*(?:-[a-z0-9-]*)?)[ \t\n\x0c\r>/])")
# A page's body may open with an inline SVG (an icon sprite); an SVG image
# holds none of these.
_HTML_AFTER_SVG = re.compile(rb"<(?:div|p|span|section|article|header|main|body|table|ul|h1|h2)[\s>]")
SVG_LOOK_BYTES = 65_536
_WHITESPACE = b" \t\n\x0c\r"
# The standard sniffs this many bytes: the resource header.
SNIFF_BYTES = 1445
# An XHTML page opens with an XML declaration and maybe comments and
# processing instructions; what follows decides, as a browser's XML parser
# finds an XHTML root element.
_XML_PROLOG = re.compile(rb"<\?xml\b.*?\?>(?:\s+|<!--.*?-->|<\?.*?\?>|\xef\xbb\xbf)*", re.DOTALL)
# Parse and look: a page that opens with a line of text (a server's warning,
# a stray byte-order mark of an included file) and then the document, on a
# line of its own.
_DOCUMENT_START = re.compile(rb"^[^\S\n]*(?:\xef\xbb\xbf)*<(?:!doctype\s+html|html)[\s>]", re.MULTILINE)


def sniffs_as_html(body: bytes) -> bool:
    """Whether a body of unknown type is an HTML page, as a browser tells
    from its first bytes (WHATWG MIME Sniffing), XHTML and a text line before
    the document included."""
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16, told by its byte-order mark
        body = body[: 2 * SNIFF_BYTES].decode("utf-16", "replace").encode("utf-8", "replace")
    head = body[:SNIFF_BYTES].lstrip(_WHITESPACE).removeprefix(b"\xef\xbb\xbf")
    head = head.lstrip(_WHITESPACE).lower()
    prolog = _XML_PROLOG.match(head)
    if prolog:
        found = _TAG_OPENING.match(head, prolog.end())
        # (An XML document's root may share an HTML element's name: <data>,
        # <object>, <map>. XHTML opens with the standard's openings.)
        return found is not None and (found[1] is None or found[1] in _STANDARD_OPENINGS)
    return _opens_html(head, 0, body) or _DOCUMENT_START.search(head) is not None


def _opens_html(head: bytes, at: int = 0, body: bytes = b"") -> bool:
    """Whether the lower-cased ``head`` has an HTML tag opening at ``at``
    (``body``: the whole page, for what follows an opening <svg>)."""
    found = _TAG_OPENING.match(head, at)
    if found is None:
        return False
    name = found[1]
    if name in (None, b"!doctype html") or b"-" in name:
        return True
    if name in (b"svg", b"math"):
        return _HTML_AFTER_SVG.search(body[:SVG_LOOK_BYTES].lower()) is not None
    return name.decode("ascii") in _HTML_ELEMENTS


def looks_like_html(content_type: str | None, body: bytes) -> bool:
    if content_type:
        mime = content_type.split(";")[0].strip().lower()
        if mime in _HTML_TYPES:
            return True
        if mime not in ("", "text/plain", "application/octet-stream"):
            return False
    return sniffs_as_html(body)


def _canonical(tree: lxml_html.HtmlElement, base: str,
               kept: Callable[[str], str]) -> str | None:
    found = tree.xpath(
        '//link[translate(@rel,"CANONICAL","canonical")="canonical"]/@href'
        '|//meta[@property="og:url"]/@content'
    )
    for href in found:
        url = urljoin(base, kept(href.strip()))
        if url.startswith(("http://", "https://")):
            return normalise_url(url)
    return None


def _declared_language(tree: lxml_html.HtmlElement) -> str | None:
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    lang = lang.strip().lower()[:2]
    return lang if re.fullmatch(r"[a-z]{2}", lang) else None


# The JSON-LD articleBody replaces what the markup gave when it is this many
# times longer: the page renders its text with JavaScript, and the markup
# holds a caption or a teaser.
DECLARED_BODY_FACTOR = 3
DECLARED_BODY_MIN_CHARS = 400


def _or_declared_body(paragraphs: list[str], declared: str) -> list[str]:
    if len(declared) < DECLARED_BODY_MIN_CHARS:
        return paragraphs
    if len(declared) < DECLARED_BODY_FACTOR * sum(len(p) for p in paragraphs):
        return paragraphs
    declared = html.unescape(declared)
    if re.search(r"<(p|br|div)\b", declared, re.IGNORECASE):
        fragment = lxml_html.fragment_fromstring(declared, create_parent="div")
        for br in fragment.iter("br"):
            br.tail = "\n" + (br.tail or "")
        blocks = fragment.xpath(".//p|.//li|.//h2|.//h3|.//blockquote") or [fragment]
        declared = "\n".join(b.text_content() for b in blocks)
    return [line.strip() for line in declared.splitlines() if line.strip()]


def _link_keys(texts: list[str]) -> frozenset[str]:
    # Teasers are headlines: links of a few words at least. Most links of a
    # page are menu items of one or two, not worth normalising.
    return frozenset(k for k in (link_key(t) for t in texts if len(t.split()) >= 3 or
                                 (len(t) >= 12 and not t.isascii())) if len(k) >= 12)


def _title(tree: lxml_html.HtmlElement, extracted: str | None, site_name: str | None) -> str:
    def text(node: lxml_html.HtmlElement) -> str:
        return " ".join(node.text_content().split())

    headings = [t for t in (text(h) for h in tree.iter("h1")) if 0 < len(t) <= 400]
    meta_titles = [" ".join((m.get("content") or "").split()) for m in tree.xpath(
        '//meta[@property="og:title" or @name="og:title" or @name="twitter:title"]')]
    page_title = next((text(t) for t in tree.iter("title")), None)
    return choose_title(headings, meta_titles, page_title, extracted,
                        [site_name] if site_name else [])


# trafilatura's byline reader (``extract_author``) copies the whole tree and
# runs XPath searches whose regular expressions call back into Python for
# every element: 6 to 8 ms a page, as much as readability on some. Every
# element its searches (trafilatura 2.3's AUTHOR_XPATHS) can match is an
# <author> or <rel> element or holds one of these words in one of these
# attributes; on a page with none (a third of the pages without a declared
# author) it finds nothing and is not called. tests/test_extract_speed.py
# checks that each of its selectors passes this guard.
_BYLINE_ATTRIBUTES = [lxml.etree.XPath(f"//@{name}", smart_strings=False) for name in
                      ("class", "id", "rel", "itemprop", "data-testid", "data-component")]
_BYLINE_WORDS = re.compile("uthor|yline|byl|BBL|username|screenname|writer|journalist-name"
                           "|channel-name|submitted-by|posted-by|zuozhe|bianji|xiaobian")
_BYLINE_ELEMENTS = lxml.etree.XPath("//author|//rel")
# Likewise trafilatura's category reader (``extract_catstags``) keeps only
# links to a /category/ page, then falls back on these meta tags.
_CATEGORY_MARKUP = lxml.etree.XPath('//a[contains(@href, "/categor")]'
                                    '|//meta[@property="article:section" or contains(@name, "subject")]')


def page_byline(tree: lxml_html.HtmlElement) -> str | None:
    """trafilatura's ``extract_author``: the byline printed in the page."""
    if _BYLINE_ELEMENTS(tree) or any(_BYLINE_WORDS.search("\n".join(values(tree)))
                                     for values in _BYLINE_ATTRIBUTES):
        return extract_author(tree)
    return None


def page_categories(tree: lxml_html.HtmlElement) -> list[str]:
    """trafilatura's ``extract_catstags`` for categories."""
    return extract_catstags("category", tree) if _CATEGORY_MARKUP(tree) else []


# A section is a label ("World", "Press releases"). What a page declares as
# its section or category is often its keyword list instead ("general-news,
# trials, legal-proceedings, ..."): the list's first entry is the section.
SECTION_CHARS = 80
_LIST_SEPARATOR = re.compile(r"\s*[,;|]\s*")


def section_label(declared: str) -> str | None:
    """The section a page's declared section or category names, or None."""
    parts = [p for p in _LIST_SEPARATOR.split(" ".join(declared.split())) if p]
    label = parts[0] if len(parts) >= 3 else " ".join(declared.split())
    return label if any(c.isalnum() for c in label) and len(label) <= SECTION_CHARS else None


@dataclass
class PageMeta:
    title: str | None
    author: str | None
    site_name: str | None
    section: str | None
    # Whether ``author`` is the declared one (meta tags, JSON-LD), not the byline.
    author_declared: bool = False
    description: str | None = None


def page_metadata(tree: lxml_html.HtmlElement) -> PageMeta:
    """What trafilatura reads of a page's metadata, the parts we use.

    Its ``extract_metadata`` also looks for the date (htmldate over the whole
    page), tags and a licence: about a seventh of an extraction's time on
    the dev pages (cProfile), for a date
    that is needed only when the markup and the URL have none
    (``dates.published_at`` asks ``find_date`` then) and for fields we
    never keep. So its readers are called one by one: meta tags and
    JSON-LD first, then the page's headings and bylines for what they lack.
    """
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author.strip():
        meta.author = None  # a one-word meta author is a handle or a site
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # noqa: BLE001 - trafilatura's own guard: its JSON-LD reader has bugs
        pass
    site_name = (meta.sitename or extract_sitename(tree) or "").lstrip("@") or None
    categories = meta.categories or page_categories(tree)
    return PageMeta(
        title=meta.title or extract_title(tree),
        author=meta.author or page_byline(tree),
        site_name=site_name,
        section=section_label(categories[0]) if categories else None,
        author_declared=bool(meta.author),
        description=meta.description,
    )


def _date_finder(tree: lxml_html.HtmlElement, url: str | None) -> Callable[[], str | None]:
    # The tree is read only once the extractors are done with their copies.
    return lambda: find_date(tree, **{**set_date_params(True), "url": url})


def from_document_start(text: str) -> tuple[str, bool]:
    """``text`` from its document's first line on, and whether anything
    but white space and comments went before it."""
    found = _DOCUMENT_LINE.search(text, 0, BEFORE_DOCUMENT_CHARS)
    if found is None or found.start() == 0:
        return text, False
    before = text[:found.start()]
    if before.count("<!--") > 100:  # (each unclosed one is a scan to the end)
        return text, False
    before = _COMMENT.sub("", before)
    if (not before.strip(" \t\r\n\ufeff") or "<!--" in before  # the line is commented out
            or any(tag.lower() not in _MESSAGE_TAGS for tag in _TAG.findall(before))
            or not _DOCUMENT_FOLLOWS.search(text, found.end(), found.end() + 4096)):
        return text, False
    return text[found.end():], True


def _as_is(text: str) -> str:
    return text


def _or_none(kept: Callable[[str], str], text: str | None) -> str | None:
    return kept(text) if text else text


def read_html(body: bytes, content_type: str | None, url: str | None) -> Draft | Rejected:
    if kind := binary_signature(body):
        return Rejected("not_html", f"a {kind} file, not text")
    decoded = decode_html(body, content_type)
    if len(decoded.text) > MAX_HTML_CHARS:
        return Rejected("too_large", f"{len(decoded.text):,} characters of HTML")
    text = decoded.text
    if _ACTED_ON.search(text):
        if looks_binary(text):
            # An image, an archive or a document served as text/html.
            return Rejected("not_html", "binary content, not text")
        text = _VERTICAL_SPACE.sub(" ", _CONTROL.sub("", text))
    text, cut = from_document_start(_XML_DECLARATION.sub("", text))
    text, held = marks.hold(text)
    kept = marks.release if held else _as_is
    try:
        tree = lxml_html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as exc:
        return Rejected("malformed", f"no HTML document could be parsed: {exc}")
    unwrap_single_cells(tree)
    paragraphs_from_breaks(tree)
    # Read what the tree says before the extractors prune their copies.
    nodes = jsonld_nodes(tree)
    markup_date = date_in_markup(tree, nodes)
    canonical = _canonical(tree, url, kept) if url else None
    declared = _declared_language(tree)
    meta = page_metadata(tree)
    # The texts of the page's links: the paragraph model and the cleaning both read them.
    link_texts = [a.text_content() for a in tree.iter("a") if a.get("href")]
    paragraphs = _or_declared_body(main_text(tree, url, link_texts), article_body(nodes))
    if not paragraphs:
        return Rejected("no_article", "no main text found on the page")
    return Draft(
        title=kept(_title(tree, meta.title, meta.site_name)),
        paragraphs=[kept(p) for p in paragraphs],
        markup_date=markup_date,
        page_date=_date_finder(tree, url),
        author=_or_none(kept, meta.author),
        byline=(lambda: _or_none(kept, page_byline(tree))) if meta.author_declared else None,
        declared_language=declared,
        canonical_url=canonical,
        section=_or_none(kept, meta.section),
        site_name=_or_none(kept, meta.site_name),
        link_keys=_link_keys([kept(t) for t in link_texts] if held else link_texts),
        standfirst=_or_none(kept, displayed_standfirst(tree, meta.description,
                                                       "\n".join(paragraphs))),
        notes=(["charset_mismatch"] if decoded.charset_mismatch else [])
        + (["text_before_document"] if cut else []),
    )
