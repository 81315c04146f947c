"""One function from a fetched page to a clean statement, or a reason why not.

``extract_statement`` is what the crawl's extraction pipeline runs in its
process pool, what ``demarche extract`` runs over saved pages, and what any
re-extraction runs: one code path for every caller. A reader turns the page
(HTML or PDF) into a ``Draft``; the shared steps here clean its paragraphs,
settle title, date, author and language, and check that a statement is
left. It returns a ``Rejected`` value instead of raising, so that the reason
crosses the process boundary as plain data and ends up as a crawl stat
(``extract/rejected/<reason>``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler.extraction.clean import clean_paragraphs
from crawler.extraction.dates import published_at
from crawler.extraction.draft import Draft, Rejected
from crawler.extraction.html import looks_like_html, read_html
from crawler.extraction.language import detect_language
from crawler.extraction.metadata import clean_author, clean_title
from crawler.extraction.pdf import is_pdf, read_pdf
from crawler.extraction.provenance import EXTRACTOR, extractor_hash
from crawler.extraction.standfirst import unsaid
from crawler.items import FetchedPage, Statement
from crawler.sources import Source

__all__ = ["Rejected", "extract_statement"]

# A statement shorter than this is a caption or an error page: the shortest
# real ministry "comment" pages carry a few sentences.
MIN_BODY_CHARS = 60

# A soft error page (served with status 200) says so in its title. Only the
# error's own phrasing counts: a bare "error" or number is also a headline's
# word ("Dow drops 500 points", "404 migrants rescued", "Minister admits
# error"), and a short news brief under such a headline is an article.
_ERROR_WORD = r"(?:error|erreur|fehler|errore|ошибка|http)"
_STATUS = r"(?:40[0-9]|410|50[0-9])"
_STATUS_TEXT = r"(?:not found|forbidden|service unavailable|bad gateway|gateway time-?out)"
# The end of a title, or a separator before the site's name ("Error | Ministry").
_END = r"\s*(?:$|[|–—:-]\s)"
_ERROR_TITLE = re.compile(
    # The whole title: "Error", "404", "Runtime Error", "Error 500", "Not Found".
    rf"^\W*(?:{_STATUS}\W*)?(?:(?:server|runtime|database|internal|application|system"
    rf"|unexpected)\s+)?{_ERROR_WORD}(?:\W*{_STATUS})?{_END}|^\W*{_STATUS}{_END}"
    rf"|^\W*(?:error\W+)?{_STATUS_TEXT}{_END}"
    # A status with its error words: "Error 403 - Forbidden", "404 Not Found".
    rf"|\b{_ERROR_WORD}\W{{0,3}}{_STATUS}\b"
    rf"|\b{_STATUS}\W{{0,3}}(?:{_ERROR_WORD}|{_STATUS_TEXT}|internal|server)"
    r"|\bserver error\b|\ban error (?:has )?occurred\b"
    # "Page not found", "The requested URL was not found on this server".
    r"|\b(?:page|file|document|url|resource|article|news|content|item|story|post)\b"
    rf"[^.!?]{{0,30}}?\bnot\s+(?:be\s+)?found\b(?:\s+on this server)?\W*?{_END}"
    r"|страница не найдена|seite nicht gefunden|page introuvable|página no encontrada"
    r"|pagina non trovata|页面不存在|网页不存在|页面找不到|找不到(?:该|您|网页|页面)",
    re.IGNORECASE,
)


# Second-level labels under which country domains register names.
_SECOND_LEVEL = {"co", "com", "gov", "gv", "org", "net", "ac", "edu", "or", "ne", "go"}


def _host_name(url: str) -> str | None:
    """The name a site goes by in its address: "politico" for www.politico.com,
    "bundeskanzleramt" for www.bundeskanzleramt.gv.at."""
    labels = (urlsplit(url).hostname or "").split(".")[:-1]
    if len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
        labels.pop()
    return labels[-1] if labels else None


def _read(page: FetchedPage) -> Draft | Rejected:
    body = page.body
    if not body or not body.strip():
        return Rejected("empty", "the response body is empty")
    if is_pdf(page.content_type, body):
        return read_pdf(body)
    if not looks_like_html(page.content_type, body):
        return Rejected("not_html", f"content type {page.content_type!r}")
    return read_html(body, page.content_type, page.url or None)


def extract_statement(page: FetchedPage, source: Source | None = None) -> Statement | Rejected:
    draft = _read(page)
    if isinstance(draft, Rejected):
        return draft
    site_names = [n for n in (draft.site_name, _host_name(page.url),
                              *((source.publisher, source.name) if source else ())) if n]
    title = clean_title(draft.title or page.hinted_title or "", site_names)
    paragraphs = clean_paragraphs(draft.paragraphs, title, draft.link_keys)
    text = "\n\n".join(paragraphs)
    if _ERROR_TITLE.search(title) and len(text) < 1000:
        return Rejected("error_page", f"looks like an error page: {title!r}")
    if len(text) < MIN_BODY_CHARS:
        return Rejected("too_short", f"{len(text)} characters of text after cleaning")
    declared = draft.declared_language or (source.language if source else None)
    return Statement(
        source=page.source,
        url=page.url,
        canonical_url=draft.canonical_url,
        title=title or paragraphs[0][:200],
        body=text,
        published_at=published_at(draft.markup_date, page.url, draft.page_date, page.hinted_date),
        author=clean_author(draft.author, site_names)
        or (clean_author(draft.byline(), site_names) if draft.byline else None),
        language=detect_language(text, declared),
        section=(source.section if source else None) or draft.section,
        site_name=source.publisher if source else draft.site_name,
        standfirst=unsaid(draft.standfirst, title, text),
        fetched_at=page.fetched_at,
        notes=tuple(draft.notes),
        warc_file=page.warc_file,
        warc_offset=page.warc_offset,
        extractor=EXTRACTOR,
        extractor_hash=extractor_hash(),
    )
