"""Source health from the run ledger, for ``demarche status``.

- ``never run``: no crawl of the source is in the ledger;
- ``failing``: its latest runs failed, timed out or were lost (how many in a
  row, and why the latest failed);
- ``quiet``: its latest ``quiet_after`` finished runs found no new article:
  the site changed, moved, or started blocking us;
- ``ok`` otherwise.

Runs still going, or interrupted by a shutdown, say nothing either way and
are passed over. Each row also names the machine of the source's last run
(its Celery worker, else its host), for crawls spread over several machines.
Functions take a Session and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Article, CrawlRun
from storage.runs import machine_of

# Runs read per source: enough for any quiet_after in use.
HISTORY = 50


@dataclass(frozen=True)
class SourceHealth:
    source: str
    health: str
    detail: str
    last_run_at: datetime | None
    last_run_status: str | None
    last_new_at: datetime | None
    articles: int
    new_7d: int
    flags: tuple[str, ...]
    last_run_machine: str | None = None


def _judge(runs: list[CrawlRun], quiet_after: int) -> tuple[str, str]:
    if not runs:
        return "never run", ""
    telling = [r for r in runs if r.status in ("finished", "failed", "timeout", "lost")]
    failed = 0
    for run in telling:
        if run.status == "finished":
            break
        failed += 1
    if failed:
        why = (telling[0].stats or {}).get("demarche/why")
        return "failing", (f"{failed} failed run{'s' * (failed > 1)} in a row"
                           + (f": {why}" if why else ""))
    finished = [r for r in telling if r.status == "finished"]
    empty = 0
    for run in finished:
        if run.articles_new:
            break
        empty += 1
    if empty >= quiet_after:
        return "quiet", f"{empty} runs without a new article"
    return "ok", ""


def source_health(session: Session, quiet_after: Mapping[str, int],
                  now: datetime) -> list[SourceHealth]:
    """One row per source of ``quiet_after`` (key -> runs), in its order."""
    week_ago = now - timedelta(days=7)
    counts = dict(session.execute(
        select(Article.source, func.count()).group_by(Article.source)).all())
    recent = dict(session.execute(
        select(Article.source, func.count()).where(Article.first_seen_at >= week_ago)
        .group_by(Article.source)).all())
    last_new = dict(session.execute(
        select(Article.source, func.max(Article.first_seen_at)).group_by(Article.source)).all())
    rows = []
    for source, quiet in quiet_after.items():
        runs = list(session.scalars(
            select(CrawlRun).where(CrawlRun.source == source)
            .order_by(CrawlRun.id.desc()).limit(HISTORY)))
        health, detail = _judge(runs, quiet)
        latest = runs[0] if runs else None
        rows.append(SourceHealth(
            source=source,
            health=health,
            detail=detail,
            last_run_at=latest.started_at if latest else None,
            last_run_status=latest.status if latest else None,
            last_new_at=last_new.get(source),
            articles=counts.get(source, 0),
            new_7d=recent.get(source, 0),
            flags=tuple(latest.flags or ()) if latest else (),
            last_run_machine=machine_of(latest) if latest else None,
        ))
    return rows
