"""A batch's relays joining clusters, settled in memory and written with a
few statements (``storage/bulk_index.py`` calls it under the index lock).

``storage.clusters.index_locked`` settles one text with about six
statements: its signature and bands, its candidates, the first publisher,
the cluster row, its members' similarities. A batch of an import holds
dozens of relays. Here the batch's new texts with near-duplicates (their
matches found by the batch's one bucket query) are taken in order, and each
is settled as ``index_locked`` would settle it, on the state the earlier
ones left: a new cluster when none of its near-duplicates is in one
(``_new_cluster``), else a join of that one cluster (``_settle`` with the
joining articles recomputed, or every member when the first publisher
changes). Three queries load what that needs (the articles' clusters and
dates, the touched clusters' members, their rows); the writes are one
statement per table.

A text whose near-duplicates sit in two clusters or more (a merge) stops
the run: what was settled is written, and the caller goes on one text at a
time from there, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from storage.clusters import ClusterResult
from storage.minhash import band_buckets, similarity
from storage.minhash_rows import write_bands, write_signatures
from storage.models import Article, ArticleMinhash, Cluster

Join = tuple[int, datetime, bytes, dict[int, float]]  # article id, now, signature, matches


class _Cluster:
    """A cluster as the batch leaves it; ``id`` None until its row is inserted."""

    def __init__(self, id_: int | None, first: int | None, members: set[int],
                 created: datetime) -> None:
        self.id, self.first, self.members = id_, first, members
        self.created = self.updated = created
        self.changed = False


def join_in_memory(session: Session, joins: Sequence[Join],
                   signatures: dict[int, bytes]) -> list[ClusterResult]:
    """Settle the leading run of ``joins`` that needs no merge; return their
    results (a prefix of ``joins``: the caller settles the others).
    ``signatures``: those at hand (the candidates', the batch's)."""
    if not joins:
        return []
    wanted = {article_id for article_id, _, _, _ in joins}
    wanted |= {other for _, _, _, matches in joins for other in matches}
    order: dict[int, tuple[Any, ...]] = {}
    ids = _load(session, Article.id.in_(sorted(wanted)), order, signatures)
    loaded: dict[int, _Cluster] = {}
    if touched := sorted({c for c in ids.values() if c is not None}):
        ids.update(_load(session, Article.cluster_id.in_(touched), order, signatures))
        for row in session.execute(select(Cluster.id, Cluster.first_article_id,
                                          Cluster.created_at).where(Cluster.id.in_(touched))):
            loaded[row.id] = _Cluster(row.id, row.first_article_id,
                                      {a for a, c in ids.items() if c == row.id}, row.created_at)
    cluster_of: dict[int, _Cluster | None] = {
        a: (loaded[c] if c is not None else None) for a, c in ids.items()}
    created: list[_Cluster] = []
    similarity_of: dict[int, float | None] = {}
    settled: list[tuple[_Cluster, int, float | None, int, dict[int, float]]] = []
    for article_id, now, _, matches in joins:
        met = {id(c): c for m in matches if (c := cluster_of[m]) is not None}
        if len(met) > 1:
            break  # clusters merge: one text at a time from here
        if met:
            cluster = next(iter(met.values()))
            joining = {article_id} | {m for m in matches if cluster_of[m] is None}
            cluster.members |= joining
            first = min(cluster.members, key=order.__getitem__)
            recompute = cluster.members if first != cluster.first else joining | {first}
        else:
            cluster = _Cluster(None, None, {article_id, *matches}, now)
            created.append(cluster)
            first = min(cluster.members, key=order.__getitem__)
            recompute = cluster.members
        reference = signatures.get(first)
        for member in recompute:
            sig = signatures.get(member)
            similarity_of[member] = (1.0 if member == first else
                                     similarity(reference, sig) if reference and sig else None)
        for member in cluster.members:
            cluster_of[member] = cluster
        cluster.first, cluster.updated, cluster.changed = first, now, True
        settled.append((cluster, first, similarity_of[article_id], len(cluster.members),
                        dict(matches)))
    done = joins[:len(settled)]
    if done:
        _write(session, done, created, [c for _, c in sorted(loaded.items()) if c.changed],
               {a: (cluster_of[a], s) for a, s in similarity_of.items()})
    return [ClusterResult(cluster.id, first, score, size, matches)
            for cluster, first, score, size, matches in settled]


def _load(session: Session, where: Any, order: dict[int, tuple[Any, ...]],
          signatures: dict[int, bytes]) -> dict[int, int | None]:
    """The articles' clusters; their order as first publishers (as
    ``storage.clusters._first_of`` sorts) and signatures are noted."""
    found = {}
    for row in session.execute(
        select(Article.id, Article.cluster_id, Article.published_at, Article.first_seen_at,
               ArticleMinhash.signature)
        .outerjoin(ArticleMinhash, ArticleMinhash.article_id == Article.id).where(where)
    ):
        order[row.id] = (row.published_at or row.first_seen_at, row.first_seen_at, row.id)
        found[row.id] = row.cluster_id
        if row.signature is not None:
            signatures.setdefault(row.id, row.signature)
    return found


def _write(session: Session, done: Sequence[Join], created: list[_Cluster],
           touched: list[_Cluster], members: dict[int, tuple[Any, float | None]]) -> None:
    """The settled texts' signatures and bands, the new clusters, the
    touched clusters' rows, the members' clusters and similarities."""
    write_signatures(session, [(article_id, sig) for article_id, _, sig, _ in done])
    write_bands(session, [(band, bucket, article_id) for article_id, _, sig, _ in done
                          for band, bucket in band_buckets(sig)])
    session.flush()
    if created:
        # In the order the one-at-a-time path would have made them.
        ids = session.scalars(
            insert(Cluster).returning(Cluster.id, sort_by_parameter_order=True),
            [{"first_article_id": c.first, "size": len(c.members), "created_at": c.created,
              "updated_at": c.updated} for c in created]).all()
        for cluster, new_id in zip(created, ids, strict=True):
            cluster.id = new_id
    # By primary key (in id order), which also updates loaded objects.
    if touched:
        session.execute(update(Cluster), [
            {"id": c.id, "size": len(c.members), "first_article_id": c.first,
             "updated_at": c.updated} for c in touched])
    session.execute(update(Article), [
        {"id": article_id, "cluster_id": cluster.id, "cluster_similarity": score}
        for article_id, (cluster, score) in sorted(members.items())])
    # Objects the session loaded before are stale now: the one-at-a-time
    # path may read them later in this transaction.
    rows = {c.id for c in touched}
    for obj in list(session.identity_map.values()):
        if (isinstance(obj, Cluster) and obj.id in rows
                or isinstance(obj, Article) and obj.id in members):
            session.expire(obj)
