"""The syndication index step of a batch (``storage/clusters.py``), with a
few statements for the usual case: most new texts have no near-duplicate.

``index_articles`` computes every signature before it takes the index's
lock, then, under it, loads in one query the indexed articles sharing a
band bucket with any of the batch's texts. Going through the batch in
order (each text sees the earlier ones, as ``index_article`` one at a time
would), a new text with no near-duplicate only needs its signature and
bands written: those are written for all such texts at once. The others
(a text with a near-duplicate, a changed text, an article twice in the
batch) go through ``index_article`` one by one, in order.

Writing the lone texts first changes nothing for the others: a lone text
was compared with every text before it, and the comparison is symmetric,
so the earlier ones find it among their candidates but never near enough.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from types import EllipsisType

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from storage.clusters import (
    ClusterResult,
    _upsert_signature,
    index_article,
    index_locked,
    lock_index,
)
from storage.dialects import insert_for
from storage.minhash import BANDS, THRESHOLD, band_buckets, similarity, text_signature
from storage.models import ArticleMinhash, MinhashBand

# The indexed articles in any of the given buckets of each band: an OR of
# one IN per band, which both backends answer from the primary key.
_SHARING = (
    select(MinhashBand.band, MinhashBand.bucket, MinhashBand.article_id,
           ArticleMinhash.signature)
    .join(ArticleMinhash, ArticleMinhash.article_id == MinhashBand.article_id)
    .where(or_(*(and_(MinhashBand.band == band,
                      MinhashBand.bucket.in_(bindparam(f"in_band_{band}", expanding=True)))
                 for band in range(BANDS))))
)

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

    for chunk in _chunks(buckets, 400):
        wanted: dict[str, list[str]] = {f"in_band_{b}": [] for b in range(BANDS)}
        for band, bucket in (pair for pairs in chunk for pair in pairs):
            wanted[f"in_band_{band}"].append(bucket)
        for band, bucket, article_id, signature in session.execute(_SHARING, wanted):
            add(article_id, signature, [(band, bucket)])
    times = Counter(article_id for article_id, _, _, _ in items)
    lone: list[int] = []
    for n, ((article_id, _, _, new), signature) in enumerate(zip(items, signatures,
                                                                  strict=True)):
        if signature is not None:
            near = set().union(*(members.get(pair, ()) for pair in buckets[n])) - {article_id}
            matched = any(len(indexed[other]) == len(signature)
                          and similarity(signature, indexed[other]) >= THRESHOLD
                          for other in near)
            if new and times[article_id] == 1 and not matched:
                lone.append(n)
        # The index as the next text of the batch finds it.
        for pair in placed.pop(article_id, []):
            members[pair].discard(article_id)
        indexed.pop(article_id, None)
        if signature is not None:
            add(article_id, signature, buckets[n])
    if lone:
        session.execute(_upsert_signature(session.get_bind().dialect.name),
                        [{"article_id": items[n][0], "signature": signatures[n]} for n in lone])
        session.execute(insert_for(session.get_bind().dialect.name)(MinhashBand.__table__), [
            {"band": band, "bucket": bucket, "article_id": items[n][0]}
            for n in lone for band, bucket in buckets[n]])
        for n in lone:
            results[n] = ClusterResult(None, None, None, 1, {})
    done = set(lone)
    for n, (article_id, body, now, new) in enumerate(items):
        if n in done:
            continue
        signature = signatures[n]
        # (The lock is held: no need to ask for it again for each text.)
        results[n] = (index_locked(session, article_id, signature, now, new=new)
                      if signature is not None
                      else index_article(session, article_id, body, now, new=new,
                                         signature=None))
    return results


def _chunks(buckets: list[list[tuple[int, str]]], size: int) -> list[list[list[tuple[int, str]]]]:
    # (A band's IN list stays under SQLite's parameter limit however large
    # the batch: 400 texts, 8,000 parameters.)
    return [buckets[start:start + size] for start in range(0, len(buckets), size)]
