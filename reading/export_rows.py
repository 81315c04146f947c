"""The enrichment of a batch of statements, read for an export: speakers,
quotes, countries named, translations, earlier texts and syndication
clusters, as rows of ``TABLES`` (``demarche export --tables``) or nested
into each record (``nest``: JSON Lines and Parquet).

A batch costs six queries whatever its size, so an export reads the
enrichment of thousands of statements per round trip rather than one
statement at a time (``storage.statements.statement_details``, which
``demarche show`` uses). Reading only: nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session, aliased

from reading.room.countries import country_names
from storage.models import (
    Article,
    ArticleVersion,
    Cluster,
    Mention,
    Quote,
    SourceRow,
    Speaker,
    TranslationKey,
)

# What an export adds to the columns: who speaks, what they are quoted
# saying, the countries named, the same statement in other languages, its
# syndication cluster (every member with its first publication and delay
# after the first publisher), and how many earlier texts the archive keeps.
ENRICHMENT = ("source_name", "versions", "speakers", "quotes", "countries", "translations",
              "cluster")
# --tables: one CSV file per table, each row keyed by article_id.
TABLES = {
    "speakers": ("article_id", "position", "name", "role", "country"),
    "quotes": ("article_id", "position", "speaker", "text", "offset"),
    "mentions": ("article_id", "country", "name", "count"),
    "translations": ("article_id", "translation_id", "language", "url"),
    "versions": ("article_id", "first_seen_at", "seen_at", "title", "content_hash", "body",
                 "extractor_hash"),
    "cluster_members": ("cluster_id", "article_id", "source", "source_name", "url",
                        "published_at", "first_seen_at", "similarity", "first",
                        "delay_seconds"),
}
# A cluster member as nested in a record: its row in cluster_members.csv
# without the cluster's id.
MEMBER_KEYS = TABLES["cluster_members"][1:]


def source_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(SourceRow.key, SourceRow.name)).all())


def _rows(session: Session, stmt: Select[Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in session.execute(stmt).mappings()]


def related(session: Session, chunk: list[dict[str, Any]],
            names: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """The enrichment rows of a batch of articles, in ``TABLES``' shapes."""
    ids = [r["id"] for r in chunk]
    found: dict[str, list[dict[str, Any]]] = {}
    found["speakers"] = _rows(session, select(
        Speaker.article_id, Speaker.position, Speaker.name, Speaker.role, Speaker.country)
        .where(Speaker.article_id.in_(ids)).order_by(Speaker.article_id, Speaker.position))
    found["quotes"] = _rows(session, select(
        Quote.article_id, Quote.position, Quote.speaker, Quote.text, Quote.offset)
        .where(Quote.article_id.in_(ids)).order_by(Quote.article_id, Quote.position))
    countries = country_names()
    found["mentions"] = [  # most named first
        {**row, "name": countries.get(row["country"], row["country"])}
        for row in _rows(session, select(Mention.article_id, Mention.country, Mention.count)
                         .where(Mention.article_id.in_(ids))
                         .order_by(Mention.article_id, Mention.count.desc(), Mention.country))]
    # Another language under a key in common: the same key in the same
    # language is a republication (as storage.statements has it).
    mine, theirs = aliased(TranslationKey), aliased(TranslationKey)
    this, other = aliased(Article), aliased(Article)
    found["translations"] = _rows(session, select(
        mine.article_id, other.id.label("translation_id"), other.language, other.url)
        .distinct().select_from(mine)
        .join(theirs, and_(theirs.key == mine.key, theirs.article_id != mine.article_id))
        .join(this, this.id == mine.article_id).join(other, other.id == theirs.article_id)
        .where(mine.article_id.in_(ids), other.language.is_distinct_from(this.language))
        .order_by(mine.article_id, other.id))
    found["versions"] = _rows(session, select(
        ArticleVersion.article_id, ArticleVersion.first_seen_at, ArticleVersion.seen_at,
        ArticleVersion.title, ArticleVersion.content_hash, ArticleVersion.body,
        ArticleVersion.extractor_hash)
        .where(ArticleVersion.article_id.in_(ids))
        .order_by(ArticleVersion.article_id, ArticleVersion.first_seen_at, ArticleVersion.id))
    found["cluster_members"] = _members(
        session, {r["cluster_id"] for r in chunk if r["cluster_id"] is not None}, names)
    return found


def _members(session: Session, cluster_ids: set[int],
             names: dict[str, str]) -> list[dict[str, Any]]:
    """Every member of the clusters, first publisher first, each with its
    delay after it (by publication date, else first sight, as the
    statement page measures it)."""
    if not cluster_ids:
        return []
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in _rows(session, select(
            Article.cluster_id, Article.id.label("article_id"), Article.source, Article.url,
            Article.published_at, Article.first_seen_at,
            Article.cluster_similarity.label("similarity"), Cluster.first_article_id,
            Cluster.size).join(Cluster, Cluster.id == Article.cluster_id)
            .where(Article.cluster_id.in_(cluster_ids)).order_by(Article.id)):
        found[row["cluster_id"]].append(row)
    members = []
    for rows in found.values():
        def moment(row: dict[str, Any]) -> datetime:
            return row["published_at"] or row["first_seen_at"]

        first = next((r for r in rows if r["article_id"] == r["first_article_id"]),
                     min(rows, key=moment))
        rows.sort(key=lambda r: (r is not first, moment(r), r["article_id"]))
        for row in rows:
            members.append({**row, "source_name": names.get(row["source"]),
                            "first": row is first,
                            "delay_seconds": int((moment(row) - moment(first)).total_seconds())})
    return members


def nest(chunk: list[dict[str, Any]], related: dict[str, list[dict[str, Any]]],
          names: dict[str, str]) -> None:
    """Add the ``ENRICHMENT`` keys to each record of the batch."""
    def by_article(table: str, *keys: str, rename: dict[str, str] | None = None
                   ) -> dict[int, list[dict[str, Any]]]:
        grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in related[table]:
            grouped[row["article_id"]].append(
                {(rename or {}).get(k, k): row[k] for k in keys})
        return grouped

    speakers = by_article("speakers", "name", "role", "country")
    quotes = by_article("quotes", "speaker", "text", "offset")
    countries = by_article("mentions", "country", "name", "count", rename={"country": "code"})
    translations = by_article("translations", "translation_id", "language", "url",
                              rename={"translation_id": "id"})
    versions: dict[int, int] = defaultdict(int)
    for row in related["versions"]:
        versions[row["article_id"]] += 1
    clusters: dict[int, dict[str, Any]] = {}
    for row in related["cluster_members"]:
        cluster = clusters.setdefault(row["cluster_id"], {
            "id": row["cluster_id"], "size": row["size"],
            "first_article_id": row["first_article_id"], "members": []})
        cluster["members"].append({k: row[k] for k in MEMBER_KEYS})
    for record in chunk:
        n = record["id"]
        record.update(source_name=names.get(record["source"]), versions=versions[n],
                      speakers=speakers[n], quotes=quotes[n], countries=countries[n],
                      translations=translations[n], cluster=clusters.get(record["cluster_id"]))
