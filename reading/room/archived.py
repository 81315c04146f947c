"""The archived copy of a statement: the response its text was extracted
from, read back from its WARC record and made safe to open.

The page is served as the site sent it, less everything that runs or
fetches: scripts, event handlers, ``javascript:`` links, frames, embedded
objects, forms, ``<link>`` and ``<meta>`` elements (lxml_html_clean's
``Cleaner``), and image sources other than ``data:`` URIs. What slips past
the cleaner is stopped by the Content-Security-Policy the reading room
sends with it (:data:`POLICY`): nothing may load but inline styles and
``data:`` images, so the copy renders offline and cannot call home.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import lxml.html
from lxml_html_clean import Cleaner
from markupsafe import escape

from reading.history import Text
from storage.models import Article

POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_CLEANER = Cleaner(scripts=True, javascript=True, comments=True, style=False,
                   inline_style=False, links=True, meta=True, page_structure=False,
                   processing_instructions=True, embedded=True, frames=True, forms=True,
                   annoying_tags=False, remove_unknown_tags=False, safe_attrs_only=False)


class NoArchivedCopy(LookupError):
    """The article has no readable WARC record; the message says why."""


@dataclass(frozen=True)
class ArchivedCopy:
    url: str
    fetched_at: datetime
    content_type: str
    html: str | None  # the cleaned page; None for a response that is not HTML
    size: int


def _strip_remote(document: lxml.html.HtmlElement) -> None:
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in ("src", "srcset", "background", "poster", "data-src"):
            value = element.get(attribute)
            if value is not None and not value.strip().lower().startswith("data:"):
                del element.attrib[attribute]


def _banner(url: str, fetched_at: datetime, warc: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(
        '<div style="font:14px/1.4 sans-serif;background:#fff3c4;color:#1a1a1a;'
        'padding:8px 12px;border-bottom:2px solid #8a6d00">'
        f"Archived copy of {escape(url)} as fetched {fetched_at:%Y-%m-%d %H:%M} UTC "
        f"(WARC {escape(warc)}); scripts and remote resources removed.</div>")


def clean_page(body: bytes, url: str, fetched_at: datetime, warc: str) -> str:
    """An HTML response without anything that runs or loads, and a banner
    that says what it is."""
    document = lxml.html.document_fromstring(body)
    cleaned = _CLEANER.clean_html(document)
    _strip_remote(cleaned)
    # Links lead to the live site, not to pages of the reading room.
    cleaned.make_links_absolute(url, resolve_base_href=True, handle_failures="discard")
    target = cleaned.find("body")
    if target is None:
        target = cleaned
    target.insert(0, _banner(url, fetched_at, warc))
    return "<!DOCTYPE html>\n" + lxml.html.tostring(cleaned, encoding="unicode")


def archived_copy(article: Article, warc_folder: Path) -> ArchivedCopy:
    """The cleaned response of the article's current text, read from its
    WARC record as ``demarche history`` reads it (``Text.response``: a
    WARC URI, or a bare name in ``warc_folder``); NoArchivedCopy when there
    is none or it cannot be read."""
    if not article.warc_file or article.warc_offset is None:
        raise NoArchivedCopy("this statement has no WARC record (archived before WARC "
                             "recording, or imported without one)")
    text = Text("current", article.title, article.body, article.first_seen_at,
                article.last_seen_at, article.warc_file, article.warc_offset)
    response = text.response(warc_folder)
    if response is None:
        raise NoArchivedCopy(f"the WARC record ({article.warc_file} at {article.warc_offset}) "
                             "cannot be read: the file is missing, moved or damaged")
    content_type = (response.content_type or "").split(";")[0].strip().lower()
    html = None
    if content_type in ("text/html", "application/xhtml+xml", "") and response.body.strip():
        html = clean_page(response.body, response.url, response.date, article.warc_file)
    return ArchivedCopy(response.url, response.date, content_type or "unknown", html,
                        len(response.body))
