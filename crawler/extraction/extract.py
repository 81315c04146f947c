"""One function from a fetched page to a clean statement, or a reason why not.

``extract_statement`` is what the crawl's extraction pipeline runs in its
process pool, and what any later re-extraction or command runs: one code
path for every caller. It returns a ``Rejected`` value instead of raising,
so that the reason crosses the process boundary as plain data and ends up as
a crawl stat (``extract/rejected/<reason>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.etree
from lxml import html as lxml_html
from trafilatura import bare_extraction

from crawler.extraction.clean import clean_paragraphs
from crawler.extraction.dates import date_in_markup, published_at
from crawler.extraction.decode import decode_html
from crawler.items import FetchedPage, Statement
from crawler.sources import Source
from storage.urls import normalise_url

# Bigger than any statement page seen; past it trafilatura's tree walk takes
# seconds and the page is almost surely a dump, not an article.
MAX_HTML_CHARS = 8_000_000
# A statement shorter than this is a caption or an error page: the shortest
# real ministry "comment" pages carry a few sentences.
MIN_BODY_CHARS = 60

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_ERROR_TITLE = re.compile(
    r"\b(404|410|500|not found|page not found|error)\b|страница не найдена|页面不存在|找不到",
    re.IGNORECASE,
)
_TITLE_SEPARATORS = re.compile(r"\s+[-|–—:·•]{1,2}\s+")


@dataclass(frozen=True)
class Rejected:
    reason: str  # short, stat-safe: not_html, empty, no_article, ...
    detail: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


def _looks_like_html(content_type: str | None, body: bytes) -> bool:
    if content_type:
        mime = content_type.split(";")[0].strip().lower()
        if mime in _HTML_TYPES:
            return True
        if mime not in ("", "text/plain", "application/octet-stream"):
            return False
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<div"))


def _clean_title(title: str, site_names: list[str]) -> str:
    """Drop a ' - Site Name' suffix or 'Site Name | ' prefix, keep the rest as written."""
    title = " ".join(title.split())
    names = {n.casefold() for n in site_names if n}
    separators = list(_TITLE_SEPARATORS.finditer(title))
    if separators:
        last, first = separators[-1], separators[0]
        if title[last.end() :].casefold() in names:
            return title[: last.start()]
        if title[: first.start()].casefold() in names:
            return title[first.end() :]
    return title


def _canonical(tree: lxml_html.HtmlElement, base: str) -> str | None:
    found = tree.xpath(
        '//link[translate(@rel,"CANONICAL","canonical")="canonical"]/@href'
        '|//meta[@property="og:url"]/@content'
    )
    for href in found:
        url = urljoin(base, href.strip())
        if url.startswith(("http://", "https://")):
            return normalise_url(url)
    return None


def _language(tree: lxml_html.HtmlElement, fallback: str | None) -> str | None:
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    lang = lang.strip().lower()[:2]
    return lang if re.fullmatch(r"[a-z]{2}", lang) else fallback


def _author(raw: str | None, site_names: list[str]) -> str | None:
    """A person's name or None: never the site, a URL or a lone word."""
    if not raw:
        return None
    # trafilatura joins name and role with "; " ("Mark C Toner; Deputy ...").
    name = raw.split(";")[0].strip()
    names = {n.casefold() for n in site_names if n}
    if name.casefold() in names or "http" in name or "/" in name or len(name) > 120:
        return None
    return name if len(name.split()) >= 2 else None


def extract_statement(page: FetchedPage, source: Source | None = None) -> Statement | Rejected:
    body = page.body
    if not body or not body.strip():
        return Rejected("empty", "the response body is empty")
    if body.lstrip().startswith(b"%PDF"):
        return Rejected("not_html", "a PDF document")
    if not _looks_like_html(page.content_type, body):
        return Rejected("not_html", f"content type {page.content_type!r}")
    decoded = decode_html(body, page.content_type)
    if len(decoded.text) > MAX_HTML_CHARS:
        return Rejected("too_large", f"{len(decoded.text):,} characters of HTML")
    try:
        tree = lxml_html.document_fromstring(decoded.text)
    except (lxml.etree.ParserError, ValueError) as exc:
        return Rejected("malformed", f"no HTML document could be parsed: {exc}")
    # Read what we need from the tree before trafilatura prunes it.
    markup_date = date_in_markup(tree)
    canonical = _canonical(tree, page.url)
    language = _language(tree, source.language if source else None)
    doc = bare_extraction(
        tree,
        url=page.url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
    )
    if doc is None or not (doc.text or "").strip():
        return Rejected("no_article", "no main text found on the page")
    site_names = [doc.sitename or "", *((source.publisher, source.name) if source else ())]
    title = _clean_title(doc.title or page.hinted_title or "", site_names)
    paragraphs = clean_paragraphs(doc.text.split("\n"), title)
    text = "\n\n".join(paragraphs)
    if _ERROR_TITLE.search(title) and len(text) < 1000:
        return Rejected("error_page", f"looks like an error page: {title!r}")
    if len(text) < MIN_BODY_CHARS:
        return Rejected("too_short", f"{len(text)} characters of text after cleaning")
    date_found = published_at(markup_date, page.url, doc.date, page.hinted_date)
    return Statement(
        source=page.source,
        url=page.url,
        canonical_url=canonical,
        title=title or paragraphs[0][:200],
        body=text,
        published_at=date_found,
        author=_author(doc.author, site_names),
        language=language or doc.language,
        section=(source.section if source and source.section else None)
        or (doc.categories[0] if doc.categories else None),
        site_name=source.publisher if source else doc.sitename,
        fetched_at=page.fetched_at,
        notes=("charset_mismatch",) if decoded.charset_mismatch else (),
    )
