"""Syndication: near-identical texts across sources, linked as clusters.

An agency relaying a ministry statement reprints it with a lede of its own
and a sign-off. Each article body gets a MinHash signature
(``article_minhashes``) and its LSH band buckets (``minhash_bands``), so the
near-duplicate index lives in the archive, shared by every crawler process
that writes to it; an article whose estimated Jaccard similarity to an
indexed one reaches ``THRESHOLD`` joins that article's cluster, and
``clusters.first_article_id`` names the earliest publication. The same text
under a second URL of one source is not a near-duplicate but the same
article: ``find_same_text`` finds the row it belongs to.

Every function but ``index_backlog`` takes a Session and never commits. ``index_article``
serialises itself across processes on PostgreSQL (see ``lock_index``), so
two near-identical articles written at the same moment see each other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from types import EllipsisType

import numpy as np
from sqlalchemy import Engine, and_, bindparam, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from storage.minhash import (
    BANDS,
    NUM_PERM,
    THRESHOLD,
    band_buckets,
    signature_values,
    similarity,
    text_signature,
)
from storage.minhash_rows import upsert_signature, write_bands
from storage.models import Article, ArticleMinhash, Cluster, MinhashBand

# pg_advisory_xact_lock key of the near-duplicate index (the first 8 bytes
# of sha256("demarche.minhash_index"), as a signed bigint).
_LOCK_KEY = int.from_bytes(hashlib.sha256(b"demarche.minhash_index").digest()[:8], "big",
                           signed=True)


@dataclass(frozen=True)
class ClusterResult:
    """Where ``index_article`` put an article."""

    cluster_id: int | None  # None: no near-duplicate in the archive
    first_article_id: int | None
    similarity: float | None  # to the cluster's first article; 1.0 for the first itself
    size: int  # articles in the cluster (1 when not clustered)
    matches: dict[int, float] = field(default_factory=dict)  # near-duplicates found


def lock_index(session: Session) -> None:
    """Take the index's lock until the transaction ends (PostgreSQL).

    Two processes indexing near-identical articles at once would each miss
    the other's uncommitted bands and link neither; with the lock, the
    second waits for the first to commit, and its queries (READ COMMITTED,
    PostgreSQL's default, takes a snapshot per statement) then see them.
    One lock rather than one per bucket: a batch of 50 articles would hold
    1,000 bucket locks, past PostgreSQL's lock table (64 per connection by
    default). SQLite needs none: it has one writer at a time.

    Taking it again in the same transaction costs nothing. The write path
    (``crawler.ingest.archiving.archive_batch``) takes it for its last
    step, so that it is held from the cluster step to the commit only. A
    process holding it may then wait for a row another one, waiting for
    it, updated earlier in its batch (an article both saw again and one
    clusters): PostgreSQL detects the deadlock and fails one transaction,
    whose batch the crawl's pipeline keeps for its next flush.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(CAST(:key AS bigint))"),
                        {"key": _LOCK_KEY})


def find_same_text(
    session: Session, source: str, content_hash: str, exclude_id: int | None = None
) -> int | None:
    """The oldest article of the source with this title and body hash
    (``storage.archive.content_hash``), other than ``exclude_id``: a new URL
    with this text is another address of that article, not a new one."""
    query = select(Article.id).where(Article.source == source,
                                     Article.content_hash == content_hash)
    if exclude_id is not None:
        query = query.where(Article.id != exclude_id)
    return session.scalar(query.order_by(Article.id).limit(1))


def index_article(
    session: Session, article_id: int, body: str, now: datetime, *, new: bool = False,
    signature: bytes | None | EllipsisType = ...,
) -> ClusterResult | None:
    """Index the article's body (after its row was written or its text
    changed) and put it in the cluster of its near-duplicates. ``new``: the
    row was inserted in this transaction, so it has no signature, bands or
    cluster yet (three queries fewer for every new article).

    Returns None when the text is too short to index (its old signature and
    cluster, if any, are dropped). Only the body counts: agencies rewrite
    headlines, and the title adds nothing to the test of the same text.
    ``signature``: the body's, when the caller computed it already.
    """
    if isinstance(signature, EllipsisType):
        signature = text_signature(body)
    if signature is None:
        if not new:
            unindex_article(session, article_id, now)
        return None
    lock_index(session)
    return index_locked(session, article_id, signature, now, new=new)


def index_locked(session: Session, article_id: int, signature: bytes, now: datetime, *,
                 new: bool = False) -> ClusterResult:
    """``index_article`` of a signed text, the lock held (a batch takes it once)."""
    changed = _store(session, article_id, signature, new=new)
    params: dict[str, object] = {"article_id": article_id}
    for band, bucket in band_buckets(signature):
        params[f"bucket_{band}"] = bucket
    matches: dict[int, tuple[int | None, float]] = {}
    stored_of = {article_id: signature}
    for other, cluster_id, stored in session.execute(_CANDIDATES, params):
        if len(stored) == len(signature) and (score := similarity(signature, stored)) >= THRESHOLD:
            matches[other] = (cluster_id, score)
            stored_of[other] = stored
    found = {other: score for other, (_, score) in matches.items()}
    previous = None if new else session.scalar(_CLUSTER_OF, {"article_id": article_id})
    if not matches:
        if previous is not None:
            _set_cluster(session, [article_id], None)
            _split(session, previous, now)
        return ClusterResult(None, None, None, 1, found)

    # Clusters that meet are merged into the oldest (lowest id): the same
    # answer whichever article brought them together, and whichever process.
    met = sorted({cluster_id for cluster_id, _ in matches.values() if cluster_id is not None})
    if not met and previous is None:
        return _new_cluster(session, article_id, stored_of, now, found)
    if met:
        target, merged = met[0], met[1:]
    else:
        cluster = Cluster(first_article_id=None, size=0, created_at=now, updated_at=now)
        session.add(cluster)
        session.flush()
        target, merged = cluster.id, []
    if merged:
        session.execute(update(Article).where(Article.cluster_id.in_(merged))
                        .values(cluster_id=target))
        session.execute(delete(Cluster).where(Cluster.id.in_(merged)))
    joining = [article_id] + [other for other, (c, _) in matches.items() if c is None]
    _set_cluster(session, joining, target)
    if previous is not None and previous not in met:
        _split(session, previous, now)  # it left that cluster
    if changed and previous in met:
        # Its old text may have been what held some of them together.
        _split(session, target, now)
    else:
        scores = _settle(session, target, now, recompute=set(joining), merged=bool(merged))
        if scores is not None and article_id in scores:
            # (What the query below would read.)
            settled = session.get(Cluster, target)
            assert settled is not None
            return ClusterResult(target, settled.first_article_id, scores[article_id],
                                 settled.size, found)
    cluster_id, similarity_ = session.execute(
        select(Article.cluster_id, Article.cluster_similarity).where(Article.id == article_id)
    ).one()
    if cluster_id is None:
        return ClusterResult(None, None, None, 1, found)
    cluster = session.get(Cluster, cluster_id)
    assert cluster is not None
    return ClusterResult(cluster_id, cluster.first_article_id, similarity_, cluster.size, found)


# The indexed articles sharing a band bucket with an article, built once
# (the write path asks it for every new text). An OR of (band, bucket)
# pairs, not a row-value IN: SQLite scans the whole table for "(band,
# bucket) IN (VALUES ...)" but searches the primary key once per pair for
# this (EXPLAIN QUERY PLAN, SQLite 3.40).
_CANDIDATES = (
    select(Article.id, Article.cluster_id, ArticleMinhash.signature)
    .join(ArticleMinhash, ArticleMinhash.article_id == Article.id)
    .where(Article.id != bindparam("article_id"),
           Article.id.in_(select(MinhashBand.article_id).where(or_(*(
               and_(MinhashBand.band == band, MinhashBand.bucket == bindparam(f"bucket_{band}"))
               for band in range(BANDS))))))
    .order_by(Article.id)
)


_CLUSTER_OF = select(Article.cluster_id).where(Article.id == bindparam("article_id"))
_SIGNATURE_OF = select(ArticleMinhash.signature).where(
    ArticleMinhash.article_id == bindparam("article_id"))
_DROP_BANDS = delete(MinhashBand.__table__).where(
    MinhashBand.__table__.c.article_id == bindparam("article_id"))


def unindexed_articles(session: Session, after_id: int, limit: int) -> list[tuple[int, str]]:
    """Up to ``limit`` (id, body) of articles past ``after_id`` with no
    signature: rows archived before the index existed (an upgraded archive),
    or texts too short to index."""
    return [(row.id, row.body) for row in session.execute(
        select(Article.id, Article.body)
        .where(Article.id > after_id,
               ~select(ArticleMinhash.article_id)
               .where(ArticleMinhash.article_id == Article.id).exists())
        .order_by(Article.id).limit(limit))]


def index_backlog(engine: Engine, now: datetime, batch: int = 500) -> int:
    """Index every article that has no signature yet, a transaction per
    batch (an interrupted backfill resumes where it stopped); return how
    many were indexed. Unlike the rest of this module it owns its
    transactions: it runs once, from ``demarche db upgrade``, not inside a
    crawl's write."""
    indexed, last = 0, 0
    while True:
        with Session(engine) as session, session.begin():
            rows = unindexed_articles(session, last, batch)
            if not rows:
                return indexed
            lock_index(session)
            for article_id, body in rows:
                if index_article(session, article_id, body, now) is not None:
                    indexed += 1
            last = rows[-1][0]


def unindex_article(session: Session, article_id: int, now: datetime) -> None:
    """Drop the article's signature and bands, and take it out of its cluster."""
    lock_index(session)
    session.execute(delete(MinhashBand).where(MinhashBand.article_id == article_id))
    session.execute(delete(ArticleMinhash).where(ArticleMinhash.article_id == article_id))
    previous = session.scalar(select(Article.cluster_id).where(Article.id == article_id))
    if previous is not None:
        _set_cluster(session, [article_id], None)
        _split(session, previous, now)


def _store(session: Session, article_id: int, signature: bytes, *, new: bool = False) -> bool:
    """Write the signature and its bands; False when they were already there."""
    if not new:
        stored = session.scalar(_SIGNATURE_OF, {"article_id": article_id})
        if stored == signature:
            return False
    session.execute(upsert_signature(session.get_bind().dialect.name),
                    {"article_id": article_id, "signature": signature})
    if not new:
        session.execute(_DROP_BANDS, {"article_id": article_id})
    write_bands(session, [(band, bucket, article_id)
                          for band, bucket in band_buckets(signature)])
    return True


def _set_cluster(session: Session, article_ids: list[int], cluster_id: int | None) -> None:
    values: dict[str, object] = {"cluster_id": cluster_id}
    if cluster_id is None:
        values["cluster_similarity"] = None
    session.execute(update(Article).where(Article.id.in_(article_ids)).values(**values))


def _members(session: Session, cluster_id: int) -> dict[int, bytes | None]:
    return dict(session.execute(
        select(Article.id, ArticleMinhash.signature)
        .outerjoin(ArticleMinhash, ArticleMinhash.article_id == Article.id)
        .where(Article.cluster_id == cluster_id)
        .order_by(Article.id)
    ).all())


def _new_cluster(session: Session, article_id: int, signatures: dict[int, bytes],
                 now: datetime, found: dict[int, float]) -> ClusterResult:
    """The article and its near-duplicates, none in a cluster, become one:
    what an empty cluster, moving them in and ``_settle`` would leave, with
    the signatures at hand and three statements instead of ten."""
    first = session.scalar(_first_of(Article.id.in_(sorted(signatures))))
    assert first is not None
    reference = signatures[first]
    scores = {member: 1.0 if member == first else similarity(reference, stored)
              for member, stored in sorted(signatures.items())}
    cluster = Cluster(first_article_id=first, size=len(scores), created_at=now, updated_at=now)
    session.add(cluster)
    session.flush()
    # By primary key, which also updates loaded Article objects.
    session.execute(update(Article), [
        {"id": member, "cluster_id": cluster.id, "cluster_similarity": score}
        for member, score in scores.items()])
    return ClusterResult(cluster.id, first, scores[article_id], len(scores), found)


def _first_of(members):  # type: ignore[no-untyped-def]
    # The earliest publication; an unknown date counts as the first crawl
    # that saw the article, which it cannot be later than.
    return select(Article.id).where(members).order_by(
        func.coalesce(Article.published_at, Article.first_seen_at),
        Article.first_seen_at, Article.id,
    ).limit(1)


def _settle(
    session: Session, cluster_id: int, now: datetime, *, recompute: set[int], merged: bool
) -> dict[int, float | None] | None:
    """Bring a cluster's size, first publisher and similarities up to date;
    dissolve it when fewer than two articles are left. Returns each
    recomputed member's similarity (None: dissolved)."""
    cluster = session.get(Cluster, cluster_id)
    assert cluster is not None
    size = session.scalar(select(func.count()).where(Article.cluster_id == cluster_id)) or 0
    if size < 2:
        session.execute(update(Article).where(Article.cluster_id == cluster_id)
                        .values(cluster_id=None, cluster_similarity=None))
        session.delete(cluster)
        return None
    first = session.scalar(_first_of(Article.cluster_id == cluster_id))
    assert first is not None
    if merged or first != cluster.first_article_id:
        signatures = _members(session, cluster_id)
    else:
        signatures = dict(session.execute(
            select(ArticleMinhash.article_id, ArticleMinhash.signature)
            .where(ArticleMinhash.article_id.in_(recompute | {first}))
        ).all())
    reference = signatures.get(first)
    scores = [
        {"id": member, "cluster_similarity": 1.0 if member == first else
         (similarity(reference, stored) if reference and stored else None)}
        for member, stored in signatures.items()
    ]
    # An UPDATE by primary key, which also updates loaded Article objects.
    session.execute(update(Article), scores)
    cluster.size = size
    cluster.first_article_id = first
    cluster.updated_at = now
    return {score["id"]: score["cluster_similarity"] for score in scores}  # type: ignore[misc]


def _split(session: Session, cluster_id: int, now: datetime) -> None:
    """After an article left or changed: split the cluster into the groups
    of members still linked by near-duplicate pairs, then settle each. The
    largest group (ties: the one with the lowest article id) keeps the id."""
    signatures = _members(session, cluster_id)
    groups = _components(signatures)
    groups.sort(key=lambda g: (-len(g), min(g)))
    for group in groups[1:]:
        if len(group) < 2:
            _set_cluster(session, group, None)
            continue
        cluster = Cluster(first_article_id=None, size=0, created_at=now, updated_at=now)
        session.add(cluster)
        session.flush()
        _set_cluster(session, group, cluster.id)
        _settle(session, cluster.id, now, recompute=set(group), merged=True)
    _settle(session, cluster_id, now, recompute=set(), merged=True)


def _components(signatures: dict[int, bytes | None]) -> list[list[int]]:
    """Connected groups of articles whose pairwise similarity reaches the
    threshold (one numpy comparison of a member against all the others at
    a time: O(n^2) values, done only when a member leaves or changes)."""
    ids = [i for i, s in signatures.items() if s is not None and len(s) == NUM_PERM * 4]
    alone = [[i] for i in signatures.keys() - set(ids)]
    if not ids:
        return alone
    matrix = np.stack([signature_values(signatures[i]) for i in ids])  # type: ignore[arg-type]
    unseen = np.ones(len(ids), dtype=bool)
    groups = []
    for start in range(len(ids)):
        if not unseen[start]:
            continue
        unseen[start] = False
        stack, group = [start], []
        while stack:
            node = stack.pop()
            group.append(ids[node])
            near = (matrix == matrix[node]).sum(axis=1) >= THRESHOLD * NUM_PERM
            found = np.flatnonzero(near & unseen)
            unseen[found] = False
            stack.extend(found.tolist())
        groups.append(sorted(group))
    return groups + alone
