"""MinHash signatures and shingles (storage/minhash.py): what counts as a text,
the same signature in every process, and the cost of indexing."""

from __future__ import annotations

import hashlib
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.archive import content_hash, sync_sources
from storage.clusters import find_same_text, index_article
from storage.engine import open_archive
from storage.minhash import (
    THRESHOLD,
    shingles,
    text_signature,
)
from storage.models import ArticleMinhash, Cluster, MinhashBand
from tests.test_clusters import (
    BACKGROUND,
    REACTION,
    RELAY,
    SAME_TOPIC,
    SOURCES,
    STATEMENT,
    T0,
    add,
    cluster_archive,
    clusters,
    reindex,
    write,
)


@pytest.fixture
def engine(archive_url: str):
    return cluster_archive(archive_url)


def test_shingles_ignore_case_width_and_punctuation():
    assert shingles("ＴＨＥ Ministry’s statement, " * 10) == shingles("the ministry's STATEMENT " * 10)
    japanese = "外務省は、アルヴァン川流域諸国の代表団がジュネーブで技術協議の再開に合意したことを歓迎する。"
    assert {"外 務 省 は ア", "ア ル ヴ ァ ン", "ジ ュ ネ ー ブ"} <= shingles(japanese)
    korean = "외교부는 아르반강 유역 국가 대표단이 제네바에서 기술 협의를 재개하기로 합의한 것을 환영한다고 밝혔다"
    assert "외 교 부 는 아" in shingles(korean)  # syllables, across the spaces
    assert shingles("외교부는 환영한다고 밝혔다") is None


def test_short_texts_are_not_indexed(engine):
    _, result = write(engine, "ministry", "visit", "The Minister received the Ambassador of Norway.", T0)
    assert result is None
    _, result = write(engine, "ministry_zh", "visit", "外交部长会见挪威驻华大使。", T0)
    assert result is None
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(ArticleMinhash)) == 0
        assert s.scalar(select(func.count()).select_from(MinhashBand)) == 0
    # A clustered article whose text became a stub leaves its cluster.
    statement, _ = write(engine, "ministry", "kestrel", STATEMENT, T0)
    relay, _ = write(engine, "meridian", "kestrel", RELAY, T0)
    assert reindex(engine, relay, "Page not available.", T0 + timedelta(days=1)) is None
    assert clusters(engine) == {}
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(ArticleMinhash)) == 1
        assert set(s.scalars(select(MinhashBand.article_id))) == {statement}


def test_find_same_text(engine):
    digest = content_hash("Statement", STATEMENT)
    with Session(engine) as s, s.begin():
        assert find_same_text(s, "ministry", digest) is None
        first = add(s, "ministry", "kestrel", STATEMENT, T0)
        add(s, "meridian", "kestrel", STATEMENT, T0)  # same text, other source
    with Session(engine) as s:
        assert find_same_text(s, "ministry", digest) == first
        assert find_same_text(s, "ministry", digest, exclude_id=first) is None
        assert find_same_text(s, "ministry", content_hash("Statement", RELAY)) is None
        assert find_same_text(s, "steppe", digest) is None


def test_signatures_are_the_same_in_every_process():
    """Pinned: a change of datasketch's hashing, of the parameters or of the
    shingles changes every signature, and the archive must be re-indexed."""
    signature = text_signature(STATEMENT)
    assert len(signature) == 1024
    assert hashlib.sha256(signature).hexdigest() == (
        "31313dc57b363b518666597855a7163e0f2c38481559496e6e7e8c7325269de8")


def bench_index(url: str, n: int = 1000, words: int = 500, seed: int = 7) -> list[float]:
    """Index n articles of about ``words`` words, in transactions of 50 like
    the crawler's, one in ten a relay of an earlier one; the time of each
    index_article call, in milliseconds."""
    rng = random.Random(seed)
    vocabulary = sorted(set(" ".join((STATEMENT, SAME_TOPIC, BACKGROUND, REACTION)).split()))
    vocabulary += [f"word{i}" for i in range(5000)]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]  # Zipf-like
    engine = open_archive(url)
    with Session(engine) as s, s.begin():
        sync_sources(s, SOURCES, T0)
    bodies: list[str] = []
    timings: list[float] = []
    for start in range(0, n, 50):
        with Session(engine) as s, s.begin():
            for i in range(start, min(start + 50, n)):
                if i % 10 == 9:
                    body = f"GENEVA, {i} (Meridian) - {rng.choice(bodies)} (Meridian)"
                else:
                    body = " ".join(rng.choices(vocabulary, weights, k=words))
                bodies.append(body)
                article_id = add(s, "meridian", f"bench/{i}", body, T0 + timedelta(minutes=i))
                began = time.perf_counter()
                index_article(s, article_id, body, T0)
                timings.append((time.perf_counter() - began) * 1000)
    return timings


def test_benchmark_runs(tmp_path: Path):
    timings = bench_index(f"sqlite:///{tmp_path / 'bench.db'}", n=100, words=200)
    assert len(timings) == 100
    with Session(open_archive(f"sqlite:///{tmp_path / 'bench.db'}")) as s:
        assert s.scalar(select(func.count()).select_from(Cluster)) >= 5


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as folder:
        ms = bench_index(f"sqlite:///{folder}/bench.db", n=count)
    ms.sort()
    print(f"{count} articles of ~500 words: median {statistics.median(ms):.2f} ms, "
          f"p95 {ms[int(len(ms) * 0.95)]:.2f} ms, max {ms[-1]:.2f} ms per index_article "
          f"(threshold {THRESHOLD})")
