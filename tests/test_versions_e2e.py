"""Edits, takedowns and site migrations end to end: real crawls of a loopback
site into a fresh archive, and ``demarche history`` on what they left."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from storage.urls import url_key
from tests.conftest import ROOT, Site, article_html, write_sources

# --- end to end ------------------------------------------------------------------------

PARAS = [
    "The Minister held talks with his counterpart on the bilateral agenda and regional issues.",
    "The sides agreed to continue consultations at the level of deputy ministers next month.",
]
TALKS = "/news/2024/01/10/talks.html"
COMMENT = "/news/2024/01/11/comment.html"
VISIT = "/news/2024/01/12/visit.html"
BRIEFING = "/news/2024/01/13/briefing.html"


def build_site(site: Site, links: list[str]) -> None:
    site.page("/robots.txt", "User-agent: *\n", content_type="text/plain")
    site.page("/", "<html><body><h1>Loopback Ministry</h1><p>Welcome.</p></body></html>")
    site.page("/news/", "<html><body>" + "".join(f'<a href="{p}">item</a>' for p in links)
              + "</body></html>")


def publish(site: Site, path: str, title: str, extra: list[str] = ()) -> None:
    # Paragraphs of its own per article: lines shared by three pages of a
    # source are learned as chrome and stripped.
    site.page(path, article_html(title, [f"{title}. {p}" for p in PARAS] + list(extra)))


def demarche(*args: str, archive: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT,
                          env={**os.environ, "DEMARCHE_ARCHIVE_URL": archive},
                          capture_output=True, text=True, timeout=120)


def test_an_edited_article_keeps_its_old_text_and_history_shows_the_diff(
    site, crawl, tmp_path: Path
):
    build_site(site, [TALKS, COMMENT])
    publish(site, TALKS, "Minister holds talks")
    publish(site, COMMENT, "Comment on the situation")
    sources = write_sources(tmp_path / "sources.toml", site)
    first = crawl(sources, "loopback_news")
    assert first.returncode == 0, first.output
    site.page(TALKS, article_html("Minister holds talks in Yerevan", [
        f"Minister holds talks. {p}" for p in PARAS] + [
        "Added later: the ministers also signed a plan of consultations for next year."]))
    second = crawl(sources, "loopback_news", "-a", "refetch=true")
    assert second.returncode == 0, second.output
    stats = second.last_run_stats()
    assert (stats["archive/changed"], stats["archive/unchanged"]) == (1, 1)
    assert second.rows("SELECT count(*) FROM articles")[0][0] == 2
    (old_title, old_body, first_seen, seen) = second.rows(
        "SELECT v.title, v.body, v.first_seen_at, v.seen_at FROM article_versions v "
        "JOIN articles a ON a.id = v.article_id")[0]
    assert old_title == "Minister holds talks" and "Added later" not in old_body
    assert first_seen == seen  # one crawl saw it

    history = demarche("history", site.url(TALKS) + "?utm_source=feed#top",
                       archive=second.archive_url)
    assert history.returncode == 0, history.stderr
    out = history.stdout
    assert "1 earlier text" in out and site.url(TALKS) in out
    assert "--- version 1" in out and "+++ current" in out
    assert "-Minister holds talks\n" in out and "+Minister holds talks in Yerevan\n" in out
    assert "+Added later: the ministers also signed" in out

    unknown = demarche("history", site.url("/news/2024/01/30/none.html"),
                       archive=second.archive_url)
    assert unknown.returncode == 2
    assert "no article at" in unknown.stderr and "Traceback" not in unknown.stderr


def test_a_404_or_a_redirect_away_marks_the_article_removed(site, crawl, tmp_path: Path):
    build_site(site, [TALKS, COMMENT, VISIT, BRIEFING])
    for path in (TALKS, COMMENT, VISIT, BRIEFING):
        publish(site, path, f"Statement {path}")
    sources = write_sources(tmp_path / "sources.toml", site)
    first = crawl(sources, "loopback_news")
    assert first.returncode == 0, first.output

    site.page(TALKS, b"<h1>Not found</h1>", status=404)
    site.page(COMMENT, b"", status=301, headers={"Location": "/"})  # to the home page
    site.page(VISIT, b"", status=302, headers={"Location": "/news/"})  # to the listing
    second = crawl(sources, "loopback_news", "-a", "refetch=true")
    assert second.returncode == 0, second.output
    stats = second.last_run_stats()
    assert stats["archive/removed"] == 3
    assert stats["crawl/gone/404"] == 1 and stats["crawl/gone/redirect"] == 2
    assert "httperror/response_ignored_count" not in stats
    assert second.rows("SELECT status, errors FROM crawl_runs ORDER BY id DESC LIMIT 1") == [
        ("finished", 0)]
    removed = {url: (reason, at is not None, bool(body)) for url, reason, at, body in second.rows(
        "SELECT url, removed_reason, removed_at, body FROM articles")}
    assert removed == {
        site.url(TALKS): ("http 404", True, True),
        site.url(COMMENT): ("redirect", True, True),
        site.url(VISIT): ("redirect", True, True),
        site.url(BRIEFING): (None, False, True),
    }
    # The home page and the listing were not archived as articles.
    assert second.rows("SELECT count(*) FROM articles")[0][0] == 4
    removed_at = second.rows(f"SELECT removed_at FROM articles WHERE url = '{site.url(TALKS)}'")

    # Still gone on the next check: the first date stays, nothing is counted.
    third = crawl(sources, "loopback_news", "-a", "refetch=true")
    assert third.returncode == 0, third.output
    assert third.last_run_stats().get("archive/removed", 0) == 0
    assert third.rows(f"SELECT removed_at FROM articles WHERE url = '{site.url(TALKS)}'") == \
        removed_at
    history = demarche("history", site.url(TALKS), archive=third.archive_url)
    assert history.returncode == 0 and "REMOVED from the site since" in history.stdout
    assert "(http 404)" in history.stdout

    # The page comes back: no longer removed.
    publish(site, TALKS, f"Statement {TALKS}")
    fourth = crawl(sources, "loopback_news", "-a", "refetch=true")
    assert fourth.returncode == 0, fourth.output
    assert fourth.rows(f"SELECT removed_at FROM articles WHERE url = '{site.url(TALKS)}'") == [
        (None,)]


def test_a_site_migration_maps_old_urls_to_the_same_articles(site, crawl, tmp_path: Path):
    build_site(site, [TALKS, COMMENT])
    publish(site, TALKS, "Minister holds talks")
    publish(site, COMMENT, "Comment on the situation")
    sources = write_sources(tmp_path / "sources.toml", site)
    first = crawl(sources, "loopback_news")
    assert first.returncode == 0, first.output

    # The new site: every article under a new path. The listing still links
    # the old URL of one (it answers 301), and the new URL of the other
    # (same text, no redirect seen).
    moved_talks = "/news/2024/01/10/minister-holds-talks.html"
    moved_comment = "/news/2024/01/11/comment-on-the-situation.html"
    build_site(site, [TALKS, moved_comment])
    site.page(TALKS, b"", status=301, headers={"Location": moved_talks})
    publish(site, moved_talks, "Minister holds talks")
    publish(site, moved_comment, "Comment on the situation")
    del site.routes[COMMENT]
    second = crawl(sources, "loopback_news", "-a", "refetch=true")
    assert second.returncode == 0, second.output
    stats = second.last_run_stats()
    assert stats.get("archive/new", 0) == 0 and stats["archive/unchanged"] == 2
    assert stats.get("archive/removed", 0) == 0
    assert second.rows("SELECT count(*) FROM articles")[0][0] == 2
    urls = second.rows("SELECT a.url, u.url, u.kind FROM article_urls u "
                       "JOIN articles a ON a.id = u.article_id ORDER BY u.url")
    # article_urls holds keys (http keyed as https), articles the URL fetched.
    assert sorted(urls) == sorted([
        (site.url(TALKS), url_key(site.url(TALKS)), "fetched"),
        (site.url(TALKS), url_key(site.url(moved_talks)), "fetched"),
        (site.url(COMMENT), url_key(site.url(COMMENT)), "fetched"),
        (site.url(COMMENT), url_key(site.url(moved_comment)), "fetched"),
    ])
    history = demarche("history", site.url(moved_talks), archive=second.archive_url)
    assert history.returncode == 0 and site.url(TALKS) in history.stdout
