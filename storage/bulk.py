"""Storing a batch of articles with a handful of statements, not a dozen
per article: ``store_articles`` decides, in memory and in the batch's
order, what ``storage.archive.store_article`` would have decided for each
statement, then writes the batch with multi-row inserts (on PostgreSQL,
one array a column: ``storage/unnest.py``) and ``executemany`` updates.

Two queries load what the decisions need: every article already at one of
the batch's URL keys (its own URL, the link that redirected to it, its
canonical link), and every article of a source with one of the batch's
texts. The decisions see the batch's earlier statements as the
per-article path does (the same URL twice, a text under two URLs, a text
changed twice): the same outcomes and rows.

A concurrent writer that stored one of the batch's new URLs between the
lookup and the insert (PostgreSQL) makes the batch undo its inserts and
take the per-article path, which settles such races row by row, as it
does an archive with rows from before ``article_urls``.

The caller owns the transaction, as everywhere in ``storage``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from storage.archive import (
    _ARTICLE_COLUMNS,
    Outcome,
    content_hash,
    store_article,
)
from storage.bounds import fit_row
from storage.dialects import insert_for
from storage.lookup import (
    LIVED_AT,
    _dates_agree,
    canonical_alias,
    has_legacy_rows,
    key_of,
    stored_key,
)
from storage.models import Article, ArticleUrl, ArticleVersion, SourceRow
from storage.unnest import as_parameters, insert_from_arrays, one_of
from storage.urls import normalise_url

_ARTICLES = Article.__table__
_URLS = ArticleUrl.__table__
# The columns a decision reads or a write sets, beside the article's fields.
_STATE = ("id", "content_hash", "first_seen_at", "last_seen_at", "changed_at", "removed_at",
          "removed_reason", "enricher_hash")
# What a kind of URL row may be strengthened from (storage.lookup.note_url).
_WEAKER = {"fetched": ("redirect", "canonical"), "redirect": ("canonical",)}


@dataclass(frozen=True)
class Incoming:
    """A statement to store: its article fields (``ArticleFields``), when
    it was seen, and the link as requested when a redirect led to it."""

    fields: Mapping[str, Any]
    seen_at: datetime
    requested_url: str | None = None


@dataclass(frozen=True)
class Stored:
    """What storing one statement did, and its article's enricher hash before (None: new)."""

    outcome: Outcome
    article_id: int
    enricher_hash: str | None


@dataclass(eq=False)
class _Row:
    """An article as the batch leaves it: loaded, or inserted by it."""

    values: dict[str, Any]
    new: bool = False
    seen: bool = False  # last_seen_at or removal to write
    changed: bool = False  # the text and fields to write
    inserted_id: int | None = None

    @property
    def id(self) -> int:
        found = self.values.get("id") or self.inserted_id
        assert found is not None
        return int(found)


@dataclass
class _Plan:
    rows: list[_Row] = field(default_factory=list)  # new rows, in order
    urls: dict[str, list[Any]] = field(default_factory=dict)  # key -> [row, kind]
    inserted_urls: dict[str, dict[str, Any]] = field(default_factory=dict)
    upgraded_urls: dict[str, tuple[_Row, str]] = field(default_factory=dict)
    versions: list[tuple[_Row, dict[str, Any]]] = field(default_factory=list)
    results: list[tuple[Outcome, _Row, str | None]] = field(default_factory=list)


# A pure function of the string, asked again for a URL seen again.
_normalise = lru_cache(maxsize=16384)(normalise_url)


class _Raced(Exception):
    """Another process stored one of the batch's new URLs meanwhile."""


def store_articles(session: Session, batch: Sequence[Incoming],
                   decided: Callable[[list[tuple[Outcome, str | None]]], None] | None = None
                   ) -> list[Stored]:
    """Store each statement of ``batch`` as ``store_article`` would, in
    order; return what happened to each. ``decided`` hears each outcome and
    enricher hash before the rows are written (``crawler/ingest/overlap.py``)."""
    if not batch:
        return []
    if has_legacy_rows(session):
        return _one_by_one(session, batch)
    session.flush()
    prepared = [_prepare(session, item) for item in batch]
    loaded = _load(session, prepared)
    plan = _Plan(urls=loaded[0])
    texts = loaded[1]
    for (item, values, digest, redirected, canonical) in prepared:
        _decide(plan, texts, item, values, digest, redirected, canonical)
    if decided is not None:
        decided([(outcome, hash_) for outcome, _, hash_ in plan.results])
    try:
        _write(session, plan)
    except _Raced:
        return _one_by_one(session, batch)
    touched = {row.id for _, row, _ in plan.results if not row.new}
    # Rows loaded by the session before (a 304's article) are stale now.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Article) and obj.id in touched:
            session.expire(obj)
    return [Stored(outcome, row.id, hash_) for outcome, row, hash_ in plan.results]


def _one_by_one(session: Session, batch: Sequence[Incoming]) -> list[Stored]:
    stored = []
    for item in batch:
        outcome, article_id = store_article(session, item.fields, item.seen_at,
                                            requested_url=item.requested_url)
        article = session.get(Article, article_id)
        assert article is not None
        # (Enriched in this batch already when an earlier statement made it.)
        stored.append(Stored(outcome, article_id, article.enricher_hash))
    return stored


def _prepare(session: Session, item: Incoming) -> tuple[Any, ...]:
    url = _normalise(item.fields["url"])
    values = fit_row(Article, {**{k: item.fields.get(k) for k in _ARTICLE_COLUMNS}, "url": url},
                     url)
    digest = content_hash(values["title"], values["body"])
    requested = item.requested_url
    redirected = requested if requested and stored_key(requested) != stored_key(url) else None
    canonical = canonical_alias(session, values["source"], item.fields.get("canonical_url"), url)
    return item, values, digest, redirected, canonical


def _load(session: Session, prepared: list[tuple[Any, ...]]
          ) -> tuple[dict[str, list[Any]], dict[tuple[str, str], list[_Row]]]:
    """The articles at the batch's URL keys (key -> [row, kind]) and those
    with its texts ((source, hash) -> rows by id), each loaded once."""
    rows: dict[int, _Row] = {}

    def row_of(found: Any) -> _Row:
        values = dict(found._mapping)
        return rows.setdefault(values["id"], _Row({k: values[k] for k in (*_ARTICLE_COLUMNS,
                                                                          *_STATE)}))

    keys = sorted({stored_key(u) for _, values, _, redirected, canonical in prepared
                   for u in (values["url"], redirected, canonical) if u})
    dialect = session.get_bind().dialect.name
    columns = [_ARTICLES.c[name] for name in (*_ARTICLE_COLUMNS, *_STATE)]
    urls: dict[str, list[Any]] = {}
    for start in range(0, len(keys), 500):
        for found in session.execute(
            select(*columns, _URLS.c.url.label("key"), _URLS.c.kind.label("kind"))
            .join(_URLS, _URLS.c.article_id == _ARTICLES.c.id)
            .where(one_of(dialect, _URLS.c.url, keys[start:start + 500]))
        ):
            urls[found.key] = [row_of(found), found.kind]
    texts: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    pairs = {(values["source"], digest) for _, values, digest, _, _ in prepared}
    sources = sorted({source for source, _ in pairs})
    digests = sorted({digest for _, digest in pairs})
    for start in range(0, len(digests), 500):
        for found in session.execute(
            select(*columns).where(
                one_of(dialect, _ARTICLES.c.source, sources),
                one_of(dialect, _ARTICLES.c.content_hash, digests[start:start + 500]))
            .order_by(_ARTICLES.c.id)
        ):
            if (found.source, found.content_hash) in pairs:
                texts[(found.source, found.content_hash)].append(row_of(found))
    for listed in texts.values():
        listed.sort(key=lambda r: r.values["id"])
    return urls, texts


def _decide(plan: _Plan, texts: dict[tuple[str, str], list[_Row]], item: Incoming,
            values: dict[str, Any], digest: str, redirected: str | None,
            canonical: str | None) -> None:
    """``store_article``'s decisions for one statement, on the batch's state."""
    seen_at = item.seen_at
    own = plan.urls.get(stored_key(values["url"]))
    existing = own[0] if own is not None else _elsewhere(plan, texts, values, digest,
                                                         redirected, canonical)
    if existing is None:
        row = _Row({**values, "content_hash": digest, "first_seen_at": seen_at,
                    "last_seen_at": seen_at, "changed_at": None, "removed_at": None,
                    "removed_reason": None, "enricher_hash": None}, new=True)
        plan.rows.append(row)
        texts[(values["source"], digest)].append(row)
        _note(plan, values["url"], row, "fetched", seen_at)
        _aliases(plan, row, redirected, canonical, seen_at)
        plan.results.append((Outcome.NEW, row, None))
        return
    if own is None or own[1] != "fetched":
        _note(plan, values["url"], existing, "fetched", seen_at)
    _aliases(plan, existing, redirected, canonical, seen_at)
    state = existing.values
    hash_before = state["enricher_hash"]
    previously_seen = state["last_seen_at"]
    state["last_seen_at"] = max(previously_seen, seen_at)
    if state["removed_at"] is not None and seen_at > state["removed_at"]:
        state["removed_at"] = state["removed_reason"] = None
    existing.seen = True
    if state["content_hash"] == digest:
        plan.results.append((Outcome.UNCHANGED, existing, hash_before))
        return
    plan.versions.append((existing, {
        "first_seen_at": state["changed_at"] or state["first_seen_at"],
        "seen_at": previously_seen, "title": state["title"], "body": state["body"],
        "content_hash": state["content_hash"], "warc_file": state["warc_file"],
        "warc_offset": state["warc_offset"], "extractor_hash": state.get("extractor_hash")}))
    old = texts.get((state["source"], state["content_hash"]))
    if old is not None and existing in old:
        old.remove(existing)
    state.update({k: v for k, v in values.items() if k != "url"})
    state["content_hash"] = digest
    state["changed_at"] = seen_at
    existing.changed = True
    listed = texts[(state["source"], digest)]
    listed.append(existing)
    # By id, as the query orders them; rows of this batch come last.
    listed.sort(key=lambda r: (r.new, r.values.get("id") or 0, plan.rows.index(r) if r.new
                               else 0))
    plan.results.append((Outcome.CHANGED, existing, hash_before))


def _elsewhere(plan: _Plan, texts: dict[tuple[str, str], list[_Row]], values: dict[str, Any],
               digest: str, redirected: str | None, canonical: str | None) -> _Row | None:
    """``storage.lookup.find_elsewhere`` on the batch's state."""
    if redirected:
        at = plan.urls.get(stored_key(redirected))
        if at is not None:
            return at[0]
    if canonical:
        at = plan.urls.get(stored_key(canonical))
        if at is not None:
            row, kind = at
            if (row.values["source"] == values["source"]
                    and _dates_agree(row.values["published_at"], values["published_at"])
                    and (kind in LIVED_AT or row.values["content_hash"] == digest)):
                return row
    candidates = texts.get((values["source"], digest), [])[:20]
    return next((r for r in candidates
                 if _dates_agree(r.values["published_at"], values["published_at"])), None)


def _note(plan: _Plan, url: str, row: _Row, kind: str, seen_at: datetime) -> None:
    """``storage.lookup.note_url`` on the batch's state."""
    key = stored_key(url)
    at = plan.urls.get(key)
    if at is None:
        plan.urls[key] = [row, kind]
        # fit_row gives the key stored_key gave, and notes a cut one.
        plan.inserted_urls[key] = {**fit_row(ArticleUrl, {"url": key_of(url), "kind": kind,
                                                          "first_seen_at": seen_at}, url),
                                   "row": row}
        return
    if at[0] is row and at[1] in _WEAKER.get(kind, ()):
        at[1] = kind
        if key in plan.inserted_urls:
            plan.inserted_urls[key]["kind"] = kind
        else:
            plan.upgraded_urls[key] = (row, kind)


def _aliases(plan: _Plan, row: _Row, redirected: str | None, canonical: str | None,
             seen_at: datetime) -> None:
    if redirected:
        _note(plan, redirected, row, "redirect", seen_at)
    if canonical:
        _note(plan, canonical, row, "canonical", seen_at)


def _write(session: Session, plan: _Plan) -> None:
    """The batch's rows, a statement or two per table."""
    dialect = session.get_bind().dialect.name
    if plan.rows:
        params = [{k: v for k, v in r.values.items() if k not in ("id", "enricher_hash")}
                  for r in plan.rows]
        # (Not a VALUES construct compiled for every batch: that cost more.)
        got = {url: id_ for id_, url in session.execute(
            _INSERT_ARTICLES[dialect], as_parameters(dialect, params, _NEW_COLUMNS))}
        for row in plan.rows:
            row.inserted_id = got.get(row.values["url"])
        if len(got) < len(plan.rows):
            _undo(session, list(got.values()), [])
            raise _Raced
    if plan.inserted_urls:
        params = [{**{k: v for k, v in u.items() if k != "row"}, "article_id": u["row"].id}
                  for u in plan.inserted_urls.values()]
        got_urls = list(session.scalars(_INSERT_URLS[dialect],
                                        as_parameters(dialect, params, _URL_COLUMNS)))
        if len(got_urls) < len(params):
            _undo(session, [r.id for r in plan.rows], got_urls)
            raise _Raced
    for kind, statement in _UPGRADE_URL.items():
        # One fixed statement a kind, its rows in one executemany.
        rows = [{"key": key, "aid": row.id}
                for key, (row, new) in sorted(plan.upgraded_urls.items()) if new == kind]
        if rows:
            session.execute(statement, rows)
    if plan.versions:
        session.execute(ArticleVersion.__table__.insert(),
                        [{"article_id": row.id, **version} for row, version in plan.versions])
    _update_rows(session, plan)


def _undo(session: Session, article_ids: list[int], url_keys: Iterable[str]) -> None:
    if keys := list(url_keys):
        session.execute(delete(_URLS).where(_URLS.c.url.in_(keys)))
    if article_ids:
        session.execute(delete(_ARTICLES).where(_ARTICLES.c.id.in_(article_ids)))


_NEW_COLUMNS = (*_ARTICLE_COLUMNS, *(c for c in _STATE if c not in ("id", "enricher_hash")))
# PostgreSQL: the rows as one array a column (storage/unnest.py); SQLite:
# an executemany with RETURNING, which SQLAlchemy sends as multi-row
# INSERTs ("insertmanyvalues") from one cached compilation.
_INSERT_ARTICLES = {dialect: stmt.on_conflict_do_nothing(index_elements=[_ARTICLES.c.url])
                    .returning(_ARTICLES.c.id, _ARTICLES.c.url) for dialect, stmt in (
                        ("sqlite", insert_for("sqlite")(_ARTICLES)),
                        ("postgresql", insert_from_arrays(_ARTICLES, _NEW_COLUMNS)))}
_URL_COLUMNS = ("url", "kind", "first_seen_at", "article_id")
_INSERT_URLS = {dialect: stmt.on_conflict_do_nothing(index_elements=[_URLS.c.url])
                .returning(_URLS.c.url) for dialect, stmt in (
                    ("sqlite", insert_for("sqlite")(_URLS)),
                    ("postgresql", insert_from_arrays(_URLS, _URL_COLUMNS)))}
_UPGRADE_URL = {
    kind: update(_URLS)
    .where(_URLS.c.url == bindparam("key"), _URLS.c.article_id == bindparam("aid"),
           # OR of equalities: executemany takes no IN (...), which
           # SQLAlchemy expands at execution.
           or_(*(_URLS.c.kind == name for name in weaker)))
    .values(kind=kind)
    for kind, weaker in _WEAKER.items()}
_CHANGING = [*(c for c in _ARTICLE_COLUMNS if c != "url"), "content_hash", "changed_at",
             "last_seen_at", "removed_at", "removed_reason"]
_UPDATE_TEXT = update(_ARTICLES).where(_ARTICLES.c.id == bindparam("row_id")).values(
    {c: bindparam(f"v_{c}") for c in _CHANGING})
_UPDATE_SEEN = update(_ARTICLES).where(_ARTICLES.c.id == bindparam("row_id")).values(
    last_seen_at=bindparam("v_last_seen_at"), removed_at=bindparam("v_removed_at"),
    removed_reason=bindparam("v_removed_reason"))


def _update_rows(session: Session, plan: _Plan) -> None:
    """The loaded rows the batch saw again or changed (by id: two writers
    updating the same rows lock them in the same order)."""
    loaded = [row for _, row in sorted({r.id: r for _, r, _ in plan.results if not r.new}
                                       .items())]
    if changed := [r for r in loaded if r.changed]:
        session.execute(_UPDATE_TEXT, [
            {"row_id": r.id, **{f"v_{c}": r.values[c] for c in _CHANGING}} for r in changed])
    if seen := [r for r in loaded if r.seen and not r.changed]:
        session.execute(_UPDATE_SEEN, [
            {"row_id": r.id, **{f"v_{c}": r.values[c]
                                for c in ("last_seen_at", "removed_at", "removed_reason")}}
            for r in seen])


def load_sources(session: Session, keys: Iterable[str]) -> list[SourceRow]:
    """The sources' rows, in one query."""
    if names := sorted(set(keys)):
        return list(session.scalars(select(SourceRow).where(SourceRow.key.in_(names))))
    return []
