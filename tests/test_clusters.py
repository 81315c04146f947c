"""Syndication clusters and same-text aliases, on SQLite and PostgreSQL.

The statements are written for these tests (a fictional water dispute);
the relays are what agencies do to a statement: a lede and a sign-off
around it, a spelling changed here and there. MinHash estimates are fixed
by the seed, so every similarity asserted below is the same on every run.

``python -m tests.test_clusters [N]`` times the indexing of N articles of
about 500 words into a fresh SQLite archive.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.archive import content_hash, sync_sources
from storage.clusters import ClusterResult, index_article
from storage.engine import open_archive
from storage.minhash import (
    CJK_SHINGLE,
    band_buckets,
    shingles,
    similarity,
    text_signature,
)
from storage.models import Article, ArticleMinhash, Cluster, MinhashBand

T0 = datetime(2024, 3, 13, 9, 0, tzinfo=UTC)

STATEMENT = """The Ministry of Foreign Affairs welcomes the decision of the delegations of the Upper Arvan basin states, taken in Geneva on 12 March, to resume technical consultations on the seasonal release of water from the Kestrel reservoir after an interruption of almost two years.

We have consistently held that questions of water allocation in the basin can only be settled through patient dialogue between the riparian states, on the basis of the 1997 Convention on the Law of the Non-navigational Uses of International Watercourses and of the bilateral agreements already in force. Unilateral steps, including the filling of new storage capacity without prior notification, only deepen mistrust and harm the farmers and city dwellers downstream who depend on a predictable flow.

The Ministry notes with satisfaction that the parties have agreed to exchange hydrological data every week and to invite experts of the World Meteorological Organization to verify the measurements at the Sarn and Old Bridge gauging stations. These are practical measures that can restore confidence between the engineers on both banks, and we are ready to support them with equipment and training if the parties so request.

We call on all participants to refrain from statements that could prejudge the outcome of the consultations, and to agree before the start of the irrigation season on a provisional schedule of releases for the summer months. Our country, which shares the concerns of all states of the region about the security of water supplies, will continue to contribute to a fair and lasting settlement and is prepared to host the next round of talks in its capital."""

# The agency's lede replaces nothing: it is put before the statement, which
# is quoted whole (with "city-dwellers" and "Organisation" in house style),
# and the agency signs off at the end.
RELAY = """GENEVA, March 13 (Meridian News Agency) - The foreign ministry on Thursday welcomed an agreement to restart talks on water releases from the Kestrel reservoir and offered to host the next round.

"The Ministry of Foreign Affairs welcomes the decision of the delegations of the Upper Arvan basin states, taken in Geneva on 12 March, to resume technical consultations on the seasonal release of water from the Kestrel reservoir after an interruption of almost two years," the statement said.

"We have consistently held that questions of water allocation in the basin can only be settled through patient dialogue between the riparian states, on the basis of the 1997 Convention on the Law of the Non-navigational Uses of International Watercourses and of the bilateral agreements already in force. Unilateral steps, including the filling of new storage capacity without prior notification, only deepen mistrust and harm the farmers and city-dwellers downstream who depend on a predictable flow.

"The Ministry notes with satisfaction that the parties have agreed to exchange hydrological data every week and to invite experts of the World Meteorological Organisation to verify the measurements at the Sarn and Old Bridge gauging stations. These are practical measures that can restore confidence between the engineers on both banks, and we are ready to support them with equipment and training if the parties so request.

"We call on all participants to refrain from statements that could prejudge the outcome of the consultations, and to agree before the start of the irrigation season on a provisional schedule of releases for the summer months. Our country, which shares the concerns of all states of the region about the security of water supplies, will continue to contribute to a fair and lasting settlement and is prepared to host the next round of talks in its capital."

(Reporting by Anna Kovacs; editing by Peter Lang)"""

# Another ministry on the same dispute, in the same vocabulary.
SAME_TOPIC = """The Ministry of Foreign Affairs has taken note of reports that the consultations on the Kestrel reservoir will resume in Geneva. We regret that the delegation of our country was not invited to the preparatory meeting on 12 March, although our farmers downstream depend on the flow of the Arvan as much as anyone in the basin.

Our position has not changed. Any schedule of water releases must take into account the needs of the irrigation season in the lower valley and must be agreed with every riparian state, not only with those that control the dams. The data from the Sarn gauging station, which we have published every month since the dispute began, show that the summer flow has fallen by a third in two years.

We are ready to take part in the technical consultations without preconditions and to share our own hydrological measurements with the experts of the World Meteorological Organization. At the same time, we reserve the right to raise the matter at the United Nations if the new storage capacity upstream continues to be filled without notification.

The Ministry calls on the mediators to ensure that the next round of talks is open to all the states concerned and that its results are made public."""

# What two agencies add after the statement they relay.
BACKGROUND = """The consultations were suspended two years ago after the upstream states began filling a new reservoir on the Kestrel without notifying their neighbours, and farmers in the lower valley blamed the resulting shortages for the loss of much of that summer's harvest. Three earlier rounds of talks, held in Vienna and in Geneva, ended without an agreement on the volume of the seasonal releases."""

REACTION = """Officials of two downstream states, speaking on condition of anonymity, told the agency that they would wait for the first exchange of data before judging the value of the deal. An expert at a Geneva research centre on water diplomacy said the weekly exchange was the most important result of the meeting, because the lack of trusted figures had turned every earlier round of talks into an argument about numbers."""

ZH_STATEMENT = """中方欢迎阿尔万河上游流域各国代表团3月12日在日内瓦达成一致，决定在中断近两年后恢复关于凯斯特雷尔水库季节性放水的技术磋商。

中方一贯认为，流域水资源分配问题只能通过沿岸国家之间耐心细致的对话协商解决，应当以国际法和各方业已签署的双边协定为基础。任何单方面行动，包括未经事先通报就向新建水库蓄水，只会加深互不信任，损害下游依赖稳定水量的农民和城市居民的利益。

中方注意到，各方同意每周交换水文数据，并邀请世界气象组织专家核实有关水文站的监测结果。这些务实举措有助于重建双方技术人员之间的信任。中方愿应各方请求，在设备和培训方面提供支持。

我们呼吁各方避免发表可能预判磋商结果的言论，争取在灌溉季节开始前就夏季放水临时安排达成一致。中方将继续为推动公正、持久地解决有关问题发挥建设性作用。"""

# A news agency's dateline and attribution, and its end mark.
ZH_RELAY = """新华社北京3月13日电（记者李静）外交部发言人13日表示，中方欢迎阿尔万河上游流域各国代表团3月12日在日内瓦达成一致，决定在中断近两年后恢复关于凯斯特雷尔水库季节性放水的技术磋商。

发言人说，中方一贯认为，流域水资源分配问题只能通过沿岸国家之间耐心细致的对话协商解决，应当以国际法和各方业已签署的双边协定为基础。任何单方面行动，包括未经事先通报就向新建水库蓄水，只会加深互不信任，损害下游依赖稳定水量的农民和城市居民的利益。

中方注意到，各方同意每周交换水文数据，并邀请世界气象组织专家核实有关水文站的监测结果。这些务实举措有助于重建双方技术人员之间的信任。中方愿应各方请求，在设备和培训方面提供支持。

我们呼吁各方避免发表可能预判磋商结果的言论，争取在灌溉季节开始前就夏季放水临时安排达成一致。中方将继续为推动公正、持久地解决有关问题发挥建设性作用。（完）"""

ZH_SAME_TOPIC = """中方注意到有关凯斯特雷尔水库磋商即将恢复的报道。我们一贯主张，阿尔万河流域各国应当通过对话协商妥善处理水资源分配问题，照顾彼此合理关切，维护地区和平稳定。

中方愿同流域各国加强水文数据交流与技术合作，支持世界气象组织为此发挥积极作用。希望有关各方相向而行，在灌溉季节开始前取得积极进展，为流域民众带来实实在在的好处。"""


def source(key: str, kind: str, language: str = "en") -> SimpleNamespace:
    return SimpleNamespace(key=key, name=key, site_name=key, kind=kind, country="XX",
                           language=language, spider="feed", domains=[f"{key}.example"],
                           entry_points=[f"https://{key}.example/"])


SOURCES = [source("ministry", "ministry"), source("meridian", "agency"),
           source("steppe", "agency"), source("ministry_zh", "ministry", "zh"),
           source("xinhua", "agency", "zh")]


def cluster_archive(url: str):  # type: ignore[no-untyped-def]
    """A fresh archive with the sources of these tests."""
    engine = open_archive(url)
    with Session(engine) as s, s.begin():
        sync_sources(s, SOURCES, T0)
    return engine


@pytest.fixture
def engine(archive_url: str):
    return cluster_archive(archive_url)


def add(session: Session, src: str, path: str, body: str, published_at: datetime | None,
        title: str = "Statement", seen_at: datetime = T0) -> int:
    """A new article row, as the archive's write path leaves it; its id.
    (Written directly: what the write path does with an existing URL or
    text is not what these tests are about.)"""
    article = Article(source=src, url=f"https://{src}.example/{path}", title=title, body=body,
                      published_at=published_at, content_hash=content_hash(title, body),
                      first_seen_at=seen_at, last_seen_at=seen_at)
    session.add(article)
    session.flush()
    return article.id


def write(engine, src: str, path: str, body: str, published_at: datetime | None,
          seen_at: datetime = T0) -> tuple[int, ClusterResult | None]:
    """One crawler transaction: the row, then its index entry."""
    with Session(engine) as s, s.begin():
        article_id = add(s, src, path, body, published_at, seen_at=seen_at)
        return article_id, index_article(s, article_id, body, seen_at)


def reindex(engine, article_id: int, body: str, now: datetime) -> ClusterResult | None:
    with Session(engine) as s, s.begin():
        s.get(Article, article_id).body = body
        return index_article(s, article_id, body, now)


def clusters(engine) -> dict[int, list[int]]:
    """cluster id -> its articles."""
    with Session(engine) as s:
        found: dict[int, list[int]] = {}
        for article_id, cluster_id in s.execute(
            select(Article.id, Article.cluster_id).where(Article.cluster_id.is_not(None))
            .order_by(Article.id)
        ):
            found.setdefault(cluster_id, []).append(article_id)
        rows = {c.id: c.size for c in s.scalars(select(Cluster))}
        assert rows == {c: len(m) for c, m in found.items()}  # size kept, no empty rows
        return found


def test_relay_joins_the_statement_and_the_earlier_publication_is_first(engine):
    # The agency's relay is crawled first; the ministry's page a day later.
    relay, alone = write(engine, "meridian", "kestrel", RELAY, T0 + timedelta(hours=3))
    assert alone == ClusterResult(None, None, None, 1, {})
    statement, result = write(engine, "ministry", "kestrel", STATEMENT, T0,
                              seen_at=T0 + timedelta(days=1))
    assert result is not None and result.cluster_id is not None
    assert result.first_article_id == statement
    assert result.similarity == 1.0 and result.size == 2
    assert 0.8 < result.matches[relay] < 0.95  # 0.85 exactly, on the shingle sets
    with Session(engine) as s:
        rows = {a.id: a for a in s.scalars(select(Article))}
        assert rows[relay].cluster_id == rows[statement].cluster_id == result.cluster_id
        assert rows[statement].cluster_similarity == 1.0
        assert rows[relay].cluster_similarity == result.matches[relay]
        assert s.get(Cluster, result.cluster_id).first_article_id == statement


def test_first_publisher_without_a_date_is_placed_by_when_it_was_first_seen(engine):
    # No date on the ministry's page, but it was crawled before the relay
    # says it was published: it cannot have been published later.
    statement, _ = write(engine, "ministry", "kestrel", STATEMENT, None, seen_at=T0)
    relay, result = write(engine, "meridian", "kestrel", RELAY, T0 + timedelta(hours=3),
                          seen_at=T0 + timedelta(hours=4))
    assert result.first_article_id == statement
    # Published at the moment the ministry's page was first seen, but seen
    # later: a tie, which the first crawl to see it breaks.
    _, result = write(engine, "steppe", "kestrel", "ALMATY (Steppe Wire) - " + STATEMENT,
                      T0, seen_at=T0 + timedelta(days=1))
    assert result.first_article_id == statement and result.size == 3
    # An earlier date wins over an earlier crawl.
    other, result = write(engine, "steppe", "kestrel-2", STATEMENT + " (Steppe Wire)",
                          T0 - timedelta(hours=1), seen_at=T0 + timedelta(days=2))
    assert result.first_article_id == other and result.size == 4


def test_statement_on_the_same_subject_is_not_clustered(engine):
    write(engine, "ministry", "kestrel", STATEMENT, T0)
    _, result = write(engine, "steppe", "kestrel-neighbour", SAME_TOPIC, T0)
    assert result == ClusterResult(None, None, None, 1, {})
    assert similarity(text_signature(STATEMENT), text_signature(SAME_TOPIC)) < 0.1
    assert clusters(engine) == {}


def test_chinese_relay_is_clustered_by_character_shingles(engine):
    found = shingles(ZH_STATEMENT)
    assert "中 方 欢 迎 阿" in found and "外 交 部" not in found
    assert all(len(s.split()) == CJK_SHINGLE for s in found)
    statement, _ = write(engine, "ministry_zh", "kestrel", ZH_STATEMENT, T0)
    relay, result = write(engine, "xinhua", "kestrel", ZH_RELAY, T0 + timedelta(hours=2))
    assert result.first_article_id == statement
    assert 0.85 < result.similarity < 0.97  # 0.89 on the shingle sets
    _, other = write(engine, "xinhua", "kestrel-comment", ZH_SAME_TOPIC, T0)
    assert other.cluster_id is None
    assert clusters(engine) == {result.cluster_id: [statement, relay]}


def test_statement_found_later_merges_the_clusters_of_its_relays(engine):
    # Two agencies relay the statement, each with a paragraph of its own,
    # and each is copied by another agency: two clusters, as the relays
    # (0.67) are too far apart. The ministry's own page, crawled last, is
    # near both (0.82, 0.80).
    background = STATEMENT + "\n\n" + BACKGROUND
    reaction = STATEMENT + "\n\n" + REACTION
    a1, _ = write(engine, "meridian", "a", background, T0 + timedelta(hours=2))
    a2, x = write(engine, "steppe", "a", background + "\n\n(Meridian)", T0 + timedelta(hours=3))
    b1, _ = write(engine, "meridian", "b", reaction, T0 + timedelta(hours=4))
    b2, y = write(engine, "steppe", "b", "ALMATY (Steppe Wire) - " + reaction,
                  T0 + timedelta(hours=5))
    assert x.cluster_id < y.cluster_id
    assert clusters(engine) == {x.cluster_id: [a1, a2], y.cluster_id: [b1, b2]}
    statement, result = write(engine, "ministry", "kestrel", STATEMENT, T0)
    assert result.cluster_id == x.cluster_id  # the older cluster absorbs the younger
    assert result.first_article_id == statement and result.size == 5
    assert clusters(engine) == {x.cluster_id: [a1, a2, b1, b2, statement]}
    with Session(engine) as s:
        assert s.get(Cluster, y.cluster_id) is None
        sims = dict(s.execute(select(Article.id, Article.cluster_similarity)).all())
    # Every similarity now measured against the new first publisher.
    assert sims[statement] == 1.0
    assert all(0.75 <= sims[i] < 0.9 for i in (a1, a2, b1, b2))


def test_the_cluster_splits_when_the_article_that_linked_it_changes(engine):
    background = STATEMENT + "\n\n" + BACKGROUND
    reaction = STATEMENT + "\n\n" + REACTION
    a, _ = write(engine, "meridian", "a", background, T0 + timedelta(hours=2))
    b, _ = write(engine, "steppe", "b", reaction, T0 + timedelta(hours=3))
    statement, result = write(engine, "ministry", "kestrel", STATEMENT, T0)
    assert clusters(engine) == {result.cluster_id: [a, b, statement]}
    # The ministry's page now carries another statement: nothing links the
    # two relays any more, and neither is a cluster on its own.
    assert reindex(engine, statement, SAME_TOPIC, T0 + timedelta(days=1)).cluster_id is None
    assert clusters(engine) == {}


def test_clusters_left_by_a_race_converge_on_the_next_index(engine):
    """What two processes without the index lock could leave: near-identical
    articles in two clusters, each process blind to the other's. Indexing
    any of them again merges them into the older cluster."""
    s1, _ = write(engine, "ministry", "kestrel", STATEMENT, T0)
    r1, first = write(engine, "meridian", "kestrel", RELAY, T0 + timedelta(hours=1))
    copies = {"ALMATY (Steppe Wire) - " + STATEMENT: T0 + timedelta(hours=2),
              RELAY + " Steppe Wire": T0 + timedelta(hours=3)}
    with Session(engine) as s, s.begin():
        stray = Cluster(size=2, created_at=T0, updated_at=T0)
        s.add(stray)
        s.flush()
        blind = []
        for n, (body, published_at) in enumerate(copies.items()):
            article_id = add(s, "steppe", f"kestrel-{n}", body, published_at)
            signature = text_signature(body)
            s.add(ArticleMinhash(article_id=article_id, signature=signature))
            s.add_all(MinhashBand(band=band, bucket=bucket, article_id=article_id)
                      for band, bucket in band_buckets(signature))
            s.get(Article, article_id).cluster_id = stray.id
            blind.append(article_id)
        stray.first_article_id = blind[0]
        stray_id = stray.id
    assert clusters(engine) == {first.cluster_id: [s1, r1], stray_id: blind}
    with Session(engine) as s, s.begin():
        result = index_article(s, blind[1], RELAY + " Steppe Wire", T0 + timedelta(days=1))
    assert result.cluster_id == min(first.cluster_id, stray_id) == first.cluster_id
    assert result.first_article_id == s1 and result.size == 4
    assert clusters(engine) == {first.cluster_id: [s1, r1, *blind]}


def test_concurrent_writers_of_near_identical_articles_end_in_one_cluster(engine):
    """Two crawler processes write the statement and its relay at the same
    moment: the second waits for the first to commit (PostgreSQL: the
    index's advisory lock; SQLite: its single writer), then sees it."""
    done: dict[str, object] = {}

    def second_writer() -> None:
        done["relay"] = write(engine, "meridian", "kestrel", RELAY, T0 + timedelta(hours=1))

    with Session(engine) as s, s.begin():
        statement = add(s, "ministry", "kestrel", STATEMENT, T0)
        assert index_article(s, statement, STATEMENT, T0).cluster_id is None
        writer = threading.Thread(target=second_writer)
        writer.start()
        writer.join(timeout=1.0)
        assert writer.is_alive()  # waiting for this transaction
    writer.join(timeout=30)
    relay, result = done["relay"]
    assert result.cluster_id is not None and result.first_article_id == statement
    assert clusters(engine) == {result.cluster_id: [statement, relay]}


def test_reindexing_a_changed_text_replaces_its_signature_and_bands(engine):
    statement, _ = write(engine, "ministry", "kestrel", STATEMENT, T0)
    relay, result = write(engine, "meridian", "kestrel", RELAY, T0 + timedelta(hours=1))
    third, _ = write(engine, "steppe", "kestrel", RELAY.replace("Meridian News Agency", "Steppe Wire"),
                     T0 + timedelta(hours=2))
    assert clusters(engine) == {result.cluster_id: [statement, relay, third]}
    # Unchanged text: same cluster, nothing rewritten.
    again = reindex(engine, relay, RELAY, T0 + timedelta(hours=5))
    assert (again.cluster_id, again.first_article_id) == (result.cluster_id, statement)

    # The agency replaced its relay with its own report on the dispute.
    moved = reindex(engine, relay, SAME_TOPIC, T0 + timedelta(days=1))
    assert moved.cluster_id is None
    assert clusters(engine) == {result.cluster_id: [statement, third]}
    with Session(engine) as s:
        stored = s.scalar(select(ArticleMinhash.signature).where(ArticleMinhash.article_id == relay))
        assert stored == text_signature(SAME_TOPIC)
        bands = set(s.execute(select(MinhashBand.band, MinhashBand.bucket)
                              .where(MinhashBand.article_id == relay)).all())
        assert bands == set(band_buckets(stored))
        assert s.get(Article, relay).cluster_similarity is None

    # The first publisher's page changes too: the cluster of two dissolves.
    reindex(engine, statement, BACKGROUND + "\n\n" + REACTION, T0 + timedelta(days=2))
    assert clusters(engine) == {}
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Cluster)) == 0


def statement(src: str, path: str, body: str, published_at: datetime | None,
              fetched_at: datetime = T0):  # type: ignore[no-untyped-def]
    from crawler.items import Statement

    return Statement(source=src, url=f"https://{src}.example/{path}", canonical_url=None,
                     title="Statement", body=body, published_at=published_at, author=None,
                     language="en", section=None, site_name=src, fetched_at=fetched_at)


def test_the_crawlers_write_path_links_a_relay_to_the_statement(engine):
    """What a crawl or a WARC import writes (``archive_batch``) is indexed in
    the same transaction: the relay archived in a later batch joins the
    ministry's statement, and the statement is the first publisher."""
    from crawler.ingest.archiving import archive_batch

    with Session(engine) as s, s.begin():
        counts = archive_batch(s, [statement("ministry", "s/1", STATEMENT, T0)])
    assert counts["new"] == 1 and counts["clustered"] == 0
    with Session(engine) as s, s.begin():
        counts = archive_batch(s, [
            statement("meridian", "r/1", RELAY, T0 + timedelta(hours=2)),
            statement("steppe", "t/1", SAME_TOPIC, T0 + timedelta(hours=3)),
        ])
    assert counts["new"] == 2 and counts["clustered"] == 1
    with Session(engine) as s:
        ids = dict(s.execute(select(Article.source, Article.id)).all())
        cluster_id = s.scalar(select(Article.cluster_id).where(Article.id == ids["meridian"]))
        cluster = s.get(Cluster, cluster_id)
        assert cluster.first_article_id == ids["ministry"] and cluster.size == 2
        assert s.scalar(select(Article.cluster_id).where(Article.id == ids["steppe"])) is None
    # A second crawl of the same pages changes nothing and indexes nothing.
    with Session(engine) as s, s.begin():
        counts = archive_batch(s, [statement("meridian", "r/1", RELAY, T0 + timedelta(days=1))])
    assert counts["unchanged"] == 1 and counts["clustered"] == 0
    assert list(clusters(engine).values()) == [[ids["ministry"], ids["meridian"]]]


def test_backlog_of_an_upgraded_archive_is_indexed_once(engine):
    """Rows written before the index existed get their signatures and
    clusters from ``index_backlog`` (run by ``demarche db upgrade``); a
    second run finds nothing left to do."""
    from storage.clusters import index_backlog

    with Session(engine) as s, s.begin():
        first = add(s, "ministry", "s/1", STATEMENT, T0)
        relay = add(s, "meridian", "r/1", RELAY, T0 + timedelta(hours=1))
        add(s, "steppe", "t/1", "Too short to index.", T0)
    assert index_backlog(engine, T0, batch=1) == 2
    assert list(clusters(engine).values()) == [[first, relay]]
    assert index_backlog(engine, T0) == 0
