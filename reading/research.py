"""What a researcher asks of the archive first, for the report: who speaks
most, which kinds of statement, which countries are named, which stories
other sources relayed and how fast, which statements their sites edited
and which they took down. Each list is the top ``TOP``; the reading room
(``demarche browse``) and ``demarche search`` have the rest.

Reading only: functions take a Session and never write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from reading.room.countries import country_name
from storage.models import Article, ArticleVersion, Cluster, Mention, Speaker

# Rows of each table: the top of each list.
TOP = 10


@dataclass(frozen=True)
class NewStatement:
    source: str
    published_at: datetime | None
    title: str
    url: str
    id: int


@dataclass(frozen=True)
class Tally:
    """A row of a researcher table: what, a detail, in how many statements."""
    label: str
    detail: str
    statements: int
    extra: int | None = None  # mentions of a country


@dataclass(frozen=True)
class Story:
    """A syndication cluster: the first publication and its relays."""
    first: NewStatement
    relays: list[tuple[str, timedelta]]  # source, delay after the first


@dataclass(frozen=True)
class Research:
    speakers: list[Tally]
    types: list[Tally]
    countries: list[Tally]
    stories: list[Story]
    relayed: tuple[int, int]  # clusters of two or more, articles in them
    edited: list[tuple[NewStatement, int, datetime | None]]  # versions, changed at
    edited_count: int
    removed: list[tuple[NewStatement, datetime, str | None]]  # removed at, why
    removed_count: int


def _statement(row) -> NewStatement:  # type: ignore[no-untyped-def]
    return NewStatement(row.source, row.published_at, row.title, row.url, row.id)


def research(session: Session) -> Research:
    """The researcher's half of the report, read in the caller's session."""
    statements = func.count(distinct(Speaker.article_id))
    speakers = [Tally(name, ", ".join(v for v in (role, country_name(country)) if v), n)
                for name, role, country, n in session.execute(
                    select(Speaker.name, func.max(Speaker.role), func.max(Speaker.country),
                           statements).group_by(Speaker.name)
                    .order_by(statements.desc(), Speaker.name).limit(TOP))]
    count = func.count()
    types = [Tally(kind or "not classified", "", n) for kind, n in session.execute(
        select(Article.statement_type, count).group_by(Article.statement_type)
        .order_by(count.desc(), Article.statement_type))]
    named = func.count(distinct(Mention.article_id))
    countries = [Tally(country_name(code), code, n, mentions) for code, n, mentions in
                 session.execute(select(Mention.country, named, func.sum(Mention.count))
                                 .group_by(Mention.country)
                                 .order_by(named.desc(), Mention.country).limit(TOP))]
    return Research(speakers, types, countries, *_stories(session), *_edits(session),
                    *_takedowns(session))


def _stories(session: Session) -> tuple[list[Story], tuple[int, int]]:
    members = func.count(Article.id)
    sizes = (select(Article.cluster_id, members.label("members"))
             .where(Article.cluster_id.is_not(None)).group_by(Article.cluster_id)
             .having(members > 1).subquery())
    relayed = session.execute(select(func.count(), func.coalesce(func.sum(sizes.c.members), 0))
                              ).one()
    biggest = list(session.scalars(select(sizes.c.cluster_id)
                                   .order_by(sizes.c.members.desc(), sizes.c.cluster_id.desc())
                                   .limit(TOP)))
    stories = []
    for cluster_id in biggest:
        first_id = session.scalar(select(Cluster.first_article_id)
                                  .where(Cluster.id == cluster_id))
        rows = session.execute(select(Article.id, Article.source, Article.published_at,
                                      Article.first_seen_at, Article.title, Article.url)
                               .where(Article.cluster_id == cluster_id)).all()

        def moment(row):  # type: ignore[no-untyped-def]
            return row.published_at or row.first_seen_at

        first = next((r for r in rows if r.id == first_id), min(rows, key=moment))
        relays = sorted(((r.source, moment(r) - moment(first)) for r in rows if r is not first),
                        key=lambda relay: relay[1])
        stories.append(Story(_statement(first), relays))
    return stories, (relayed[0], relayed[1])


def _edits(session: Session) -> tuple[list[tuple[NewStatement, int, datetime | None]], int]:
    versions = func.count(ArticleVersion.id)
    rows = session.execute(
        select(Article.id, Article.source, Article.published_at, Article.title, Article.url,
               Article.changed_at, versions.label("versions"))
        .join(ArticleVersion, ArticleVersion.article_id == Article.id)
        .group_by(Article.id).order_by(Article.changed_at.desc(), Article.id.desc())
        .limit(TOP)).all()
    total = session.scalar(select(func.count(distinct(ArticleVersion.article_id)))) or 0
    return [(_statement(r), r.versions, r.changed_at) for r in rows], total


def _takedowns(session: Session) -> tuple[list[tuple[NewStatement, datetime, str | None]], int]:
    removed = Article.removed_at.is_not(None)
    rows = session.execute(
        select(Article.id, Article.source, Article.published_at, Article.title, Article.url,
               Article.removed_at, Article.removed_reason).where(removed)
        .order_by(Article.removed_at.desc(), Article.id.desc()).limit(TOP)).all()
    total = session.scalar(select(func.count()).where(removed)) or 0
    return [(_statement(r), r.removed_at, r.removed_reason) for r in rows], total
