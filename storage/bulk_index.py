"""The syndication index step of a batch (``storage/clusters.py``), with a
few statements for the usual case: most new texts have no near-duplicate.

``index_articles`` computes every signature before it takes the index's
lock, then, under it, loads in one query the indexed articles sharing a
band bucket with any of the batch's texts. Going through the batch in
order (each text sees the earlier ones, as ``index_article`` one at a time
would), a new text with no near-duplicate only needs its signature and
bands written: those are written for all such texts at once. New texts
with near-duplicates (relays) are settled in memory from the matches that
pass found (``storage/cluster_join.py``) until one would merge clusters;
from there, and for a changed text or an article twice in the batch, the
texts go through ``index_article`` one by one, in order.

Writing the lone texts first changes nothing for the others: a lone text
was compared with every text before it, and the comparison is symmetric,
so the earlier ones find it among their candidates but never near enough.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from itertools import takewhile
from types import EllipsisType

from sqlalchemy import ColumnElement, Select, String, and_, any_, bindparam, delete, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from storage.cluster_join import join_in_memory
from storage.clusters import ClusterResult, index_article, index_locked, lock_index
from storage.minhash import BANDS, THRESHOLD, band_buckets, similarity, text_signature
from storage.minhash_rows import write_bands, write_signatures
from storage.models import Article, ArticleMinhash, MinhashBand


def _sharing(dialect: str) -> Select[tuple[int, str, int, bytes]]:
    """The indexed articles in any of the given buckets of each band: an OR
    of one IN per band, which both backends answer from the primary key.
    PostgreSQL gets each band's buckets as one array (``= ANY``): a query
    of 20 parameters that psycopg parses once, not of a thousand."""
    # Of the tables, not the mapped classes: rows, not ORM loading, for
    # a query of every batch.
    bands, signatures = MinhashBand.__table__.c, ArticleMinhash.__table__.c

    def wanted(band: int) -> ColumnElement[bool]:
        if dialect == "postgresql":
            return bands.bucket == any_(bindparam(f"in_band_{band}", type_=ARRAY(String())))
        return bands.bucket.in_(bindparam(f"in_band_{band}", expanding=True))
    return (select(bands.band, bands.bucket, bands.article_id, signatures.signature)
            .join_from(MinhashBand.__table__, ArticleMinhash.__table__,
                       signatures.article_id == bands.article_id)
            .where(or_(*(and_(bands.band == band, wanted(band)) for band in range(BANDS)))))


_SHARING = {dialect: _sharing(dialect) for dialect in ("sqlite", "postgresql")}

Item = tuple[int, str, datetime, bool]  # article id, body, now, new


def index_articles(session: Session, items: Sequence[Item],
                   known: Sequence[bytes | None | EllipsisType] | None = None
                   ) -> list[ClusterResult | None]:
    """``index_article`` for each (article id, body, now, new) in order;
    their results in the same order. ``known``: each body's signature, when the
    caller has it (``...`` where it has not)."""
    given = known if known is not None else [...] * len(items)
    signatures = [text_signature(body) if isinstance(sig, EllipsisType) else sig
                  for (_, body, _, _), sig in zip(items, given, strict=True)]
    results: list[ClusterResult | None] = [None] * len(items)
    if all(sig is None and new for sig, (_, _, _, new) in zip(signatures, items, strict=True)):
        return results
    buckets = [band_buckets(sig) if sig is not None else [] for sig in signatures]
    lock_index(session)
    members: dict[tuple[int, str], set[int]] = defaultdict(set)
    indexed: dict[int, bytes] = {}
    placed: dict[int, list[tuple[int, str]]] = defaultdict(list)

    def add(article_id: int, signature: bytes, pairs: list[tuple[int, str]]) -> None:
        indexed[article_id] = signature
        for pair in pairs:
            members[pair].add(article_id)
            placed[article_id].append(pair)

    sharing = _SHARING[session.get_bind().dialect.name]
    for chunk in _chunks(buckets, 400):
        wanted: dict[str, list[str]] = {f"in_band_{b}": [] for b in range(BANDS)}
        for band, bucket in (pair for pairs in chunk for pair in pairs):
            wanted[f"in_band_{band}"].append(bucket)
        for band, bucket, article_id, signature in session.execute(sharing, wanted):
            add(article_id, signature, [(band, bucket)])
    stored = dict(indexed)  # the signatures of indexed candidates
    times = Counter(article_id for article_id, _, _, _ in items)
    clustered = _clusters_of(session, [a for a, _, _, new in items if not new])
    lone: list[int] = []
    relone: list[int] = []
    joins: dict[int, dict[int, float]] = {}  # new texts with near-duplicates: their matches
    for n, ((article_id, _, _, new), signature) in enumerate(zip(items, signatures,
                                                                  strict=True)):
        if signature is not None:
            near = set().union(*(members.get(pair, ()) for pair in buckets[n])) - {article_id}
            matched = {other: score for other in near
                       if len(indexed[other]) == len(signature)
                       and (score := similarity(signature, indexed[other])) >= THRESHOLD}
            if new and times[article_id] == 1:
                if matched:
                    joins[n] = matched
                else:
                    lone.append(n)
            # A text indexed before, in no cluster and near none: its new
            # signature is written before the texts after it are settled,
            # so only while every text before it is written so too (one
            # settled later would have met its old signature).
            elif (times[article_id] == 1 and not matched and clustered.get(article_id) is None
                  and len(lone) + len(relone) == n):
                relone.append(n)
        # The index as the next text of the batch finds it.
        for pair in placed.pop(article_id, []):
            members[pair].discard(article_id)
        indexed.pop(article_id, None)
        if signature is not None:
            add(article_id, signature, buckets[n])
    if relone:
        session.execute(delete(MinhashBand).where(
            MinhashBand.article_id.in_([items[n][0] for n in relone])))
    if lone or relone:
        write_signatures(session, [(items[n][0], signatures[n])  # type: ignore[misc]
                                   for n in lone + relone])
        write_bands(session, [(band, bucket, items[n][0])
                              for n in lone + relone for band, bucket in buckets[n]])
        for n in lone + relone:
            results[n] = ClusterResult(None, None, None, 1, {})
    rest = [n for n in range(len(items)) if n not in set(lone + relone)]
    # A run of joins is settled in memory; from the first text that is not
    # a plain join (or that merges clusters), one text at a time.
    run = list(takewhile(lambda n: n in joins, rest))
    at_hand = {**stored, **{items[n][0]: signatures[n] for n in lone + relone + run}}
    joined = join_in_memory(session, [(items[n][0], items[n][2], signatures[n], joins[n])
                                      for n in run], at_hand)  # type: ignore[misc]
    for n, result in zip(run, joined, strict=False):
        results[n] = result
    for n in rest[len(joined):]:
        article_id, body, now, new = items[n]
        signature = signatures[n]
        # (The lock is held: no need to ask for it again for each text.)
        results[n] = (index_locked(session, article_id, signature, now, new=new)
                      if signature is not None
                      else index_article(session, article_id, body, now, new=new,
                                         signature=None))
    return results


def _clusters_of(session: Session, article_ids: list[int]) -> dict[int, int | None]:
    if not article_ids:
        return {}
    return dict(session.execute(select(Article.id, Article.cluster_id)  # type: ignore[arg-type]
                                .where(Article.id.in_(sorted(set(article_ids))))).all())


def _chunks(buckets: list[list[tuple[int, str]]], size: int) -> list[list[list[tuple[int, str]]]]:
    # (A band's IN list stays under SQLite's parameter limit however large
    # the batch: 400 texts, 8,000 parameters.)
    return [buckets[start:start + size] for start in range(0, len(buckets), size)]
