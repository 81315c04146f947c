"""An article's history: every URL it lived at, whether it is gone from its
site, and each earlier text, for ``demarche history``.

Reading only: functions take a Session and write nothing. The texts are
compared as lines, the title first and then one line per paragraph, which
is how the archive stores a body (paragraphs separated by a blank line), so
a diff shows which paragraphs were added, dropped or reworded. Each text's
response is kept in a WARC record, named by a URI any machine can open
(``storage.warc_uris``): ``Text.response()`` reads it back.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.lookup import find_article
from storage.models import Article, ArticleUrl, ArticleVersion
from storage.urls import as_seen

if TYPE_CHECKING:
    from batch.warcfiles import WarcResponse


@dataclass(frozen=True)
class Text:
    """One text of an article, with when it was current."""

    label: str  # "version 1", ..., "current"
    title: str
    body: str
    first_seen_at: datetime
    seen_at: datetime
    warc_file: str | None
    warc_offset: int | None
    # The extractor that made it; None for texts archived before it was kept.
    extractor_hash: str | None = None

    def lines(self) -> list[str]:
        return [self.title, *(p.strip() for p in self.body.split("\n\n") if p.strip())]

    def response(self, warc_folder: Path | str | None = None) -> WarcResponse | None:
        """The response this text was extracted from, read from its WARC
        record (a ``file://`` URI with the standard library, others through
        fsspec); None when there is none or it cannot be read. A bare name
        (an archive not yet upgraded to revision 0009) is looked for in
        ``warc_folder``."""
        from batch.warcfiles import DAMAGE, read_response
        from storage.warc_uris import join

        if self.warc_file is None or self.warc_offset is None:
            return None
        location = join(warc_folder, self.warc_file) if warc_folder else self.warc_file
        try:
            return read_response(location, self.warc_offset)
        except (*DAMAGE, LookupError, StopIteration, ImportError):
            return None


@dataclass(frozen=True)
class ArticleHistory:
    article: Article
    # (key, kind, first seen) of every URL, oldest first
    urls: list[LivedAt]
    # earlier texts in time order, then the current one
    texts: list[Text]

    def diffs(self) -> Iterator[tuple[Text, Text, list[str]]]:
        """Each text against the next, as unified diff lines."""
        for old, new in pairwise(self.texts):
            yield old, new, text_diff(old, new)


def extraction_changed(old: Text, new: Text) -> bool:
    """Whether demarche's extraction changed between two texts (both
    known): part of their difference may then be ours, not the page's."""
    return (old.extractor_hash is not None and new.extractor_hash is not None
            and old.extractor_hash != new.extractor_hash)


EXTRACTION_CHANGED = ("demarche's extraction changed between these texts: part of the "
                      "difference may be the extraction's, not the page's")


def text_diff(old: Text, new: Text) -> list[str]:
    return list(difflib.unified_diff(
        old.lines(), new.lines(),
        fromfile=old.label, tofile=new.label,
        fromfiledate=_stamp(old.first_seen_at), tofiledate=_stamp(new.first_seen_at),
        lineterm="",
    ))


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class LivedAt:
    """A URL an article lived at. ``article_urls`` keeps keys (``key``: no
    ``www.``, no trailing slash; storage/urls.py); ``url`` is the URL as the
    page wrote it where the archive has it (the article's own URL, its
    canonical one), else None: a redirect's link is kept only as its key."""

    key: str
    url: str | None
    kind: str  # fetched, redirect, canonical
    first_seen_at: datetime

    @property
    def shown(self) -> str:
        return self.url or f"{self.key} (key)"


def lived_at(session: Session, article: Article) -> list[LivedAt]:
    """Every URL the article lived at, oldest first."""
    seen = (article.url, article.canonical_url)
    return [LivedAt(key, as_seen(key, seen), kind, first) for key, kind, first in
            session.execute(select(ArticleUrl.url, ArticleUrl.kind, ArticleUrl.first_seen_at)
                            .where(ArticleUrl.article_id == article.id)
                            .order_by(ArticleUrl.first_seen_at, ArticleUrl.url))]


def article_history(session: Session, url: str) -> ArticleHistory | None:
    """The history of the article that lived at ``url`` (any spelling, any
    of its URLs), or None when the archive has no such article."""
    article = find_article(session, url)
    if article is None:
        return None
    urls = lived_at(session, article)
    versions = session.scalars(
        select(ArticleVersion)
        .where(ArticleVersion.article_id == article.id)
        .order_by(ArticleVersion.first_seen_at, ArticleVersion.id)
    ).all()
    texts = [
        Text(f"version {n}", v.title, v.body, v.first_seen_at, v.seen_at, v.warc_file,
             v.warc_offset, v.extractor_hash)
        for n, v in enumerate(versions, start=1)
    ]
    texts.append(Text("current", article.title, article.body,
                      article.changed_at or article.first_seen_at, article.last_seen_at,
                      article.warc_file, article.warc_offset, article.extractor_hash))
    return ArticleHistory(article, urls, texts)  # type: ignore[arg-type]
