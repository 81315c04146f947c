"""`demarche sources check` against loopback copies of sites: a healthy
listing, a listing that moved (a 301 to a new path), one gone (404) while
the site's feed lives on, a 403, a pattern that matches nothing and a
timeout; what the check suggests is a registry row that loads."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from crawler.sources import load_sources
from tests.conftest import DEMARCHE, ROOT, Site, article_html, write_sources

NEWS = r"/news/\d{4}/\d\d/\d\d/[^/]+$"
PRESS = r"/press/\d{4}/\d\d/\d\d/[^/]+$"


def listing(*paths: str) -> str:
    links = "".join(f'<li><a href="{p}">Statement {i}</a></li>' for i, p in enumerate(paths))
    return (f'<html><body><nav><a href="/">Home</a> <a href="/contacts/">Contacts</a></nav>'
            f"<ul>{links}</ul></body></html>")


def feed(site: Site, *paths: str) -> str:
    items = "".join(f"<item><title>Item {i}</title><link>{site.url(p)}</link>"
                    f"<pubDate>Wed, 01 May 2024 10:00:00 +0000</pubDate></item>"
                    for i, p in enumerate(paths))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Ministry</title>'
            f"<link>{site.url('/')}</link>{items}</channel></rss>")


def registry(path: Path, site: Site, rows: dict[str, dict[str, object]]) -> Path:
    text = ""
    for key, overrides in rows.items():
        write_sources(path, site, key=key, name=f"Loopback Ministry: {key}", **overrides)
        text += path.read_text(encoding="utf-8") + "\n"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def ministry(site: Site) -> Site:
    """A ministry site whose home page links its RSS feed."""
    body = ["The Minister held talks with his counterpart on bilateral relations, regional "
            "security and the preparations for the next summit of the two countries.",
            "The sides agreed to continue consultations at the level of deputy ministers "
            "and to sign a plan of cooperation between the two ministries next month."]
    site.page("/", '<html><head><link rel="alternate" type="application/rss+xml" '
                   'title="News" href="/feed.xml"></head><body><a href="/news/">News</a>'
                   "</body></html>")
    site.page("/news/", listing("/news/2024/05/01/talks", "/news/2024/04/30/visit"))
    site.page("/news/2024/05/01/talks", article_html("Talks with the Minister", body,
                                                     date="2024-05-01T10:00:00+00:00"))
    site.page("/news/2024/04/30/visit", article_html("A visit", body))
    site.page("/press/", listing("/press/2024/05/02/briefing"))
    site.page("/press/2024/05/02/briefing", article_html("Briefing by the Spokesperson", body))
    site.page("/feed.xml", feed(site, "/news/2024/05/01/talks", "/press/2024/05/02/briefing"),
              content_type="application/rss+xml")
    site.page("/old-press/", b"", status=301, headers={"Location": "/press/"})
    site.page("/statements/", "<h1>Not found</h1>", status=404)
    site.page("/briefings/", "<h1>Forbidden</h1>", status=403)
    site.page("/slow/", listing("/news/2024/05/01/talks"), delay=4)
    return site


def check(sources: Path, *keys: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*DEMARCHE, "sources", "check", "--timeout", "1.5", *keys], cwd=ROOT,
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "DEMARCHE_SOURCES": str(sources), **env})


def table_rows(output: str) -> dict[str, str]:
    """Each source's line of the table, by key."""
    return {line.split()[0]: line for line in output.splitlines()
            if re.match(r"^[a-z_]+\s+(OK|FAIL)\s", line)}


def suggested_rows(output: str) -> dict[str, list[dict]]:
    """The suggested rows, parsed as TOML, by the key of the failing source."""
    found: dict[str, list[dict]] = {}
    for block in output.split("\n# ")[1:]:
        key = block.split(":", 1)[0]
        (row,) = tomllib.loads(block.split("\n", 1)[1])["source"]
        found.setdefault(key, []).append(row)
    return found


def test_each_failure_has_its_reason_and_a_moved_or_gone_listing_gets_a_row(
        ministry: Site, tmp_path: Path):
    sources = registry(tmp_path / "sources.toml", ministry, {
        "healthy": {"entry_points": [ministry.url("/news/")], "article_pattern": NEWS},
        "moved": {"entry_points": [ministry.url("/old-press/")], "article_pattern": PRESS},
        "gone": {"entry_points": [ministry.url("/statements/")], "article_pattern": NEWS},
        "forbidden": {"entry_points": [ministry.url("/briefings/")], "article_pattern": NEWS},
        "unmatched": {"entry_points": [ministry.url("/news/")],
                      "article_pattern": r"/archive/\d+\.html$"},
        "slow": {"entry_points": [ministry.url("/slow/")], "article_pattern": NEWS},
    })
    result = check(sources)
    assert result.returncode == 1, result.stderr
    rows = table_rows(result.stdout)
    assert set(rows) == {"healthy", "moved", "gone", "forbidden", "unmatched", "slow"}
    assert re.search(r"^healthy\s+OK\s+2\s", rows["healthy"])
    assert "extracted “Talks with the Minister”" in rows["healthy"]
    assert f"moved: 301 to {ministry.url('/press/')}" in rows["moved"]
    assert "FAIL" in rows["gone"] and "HTTP 404" in rows["gone"]
    assert "FAIL" in rows["forbidden"] and "HTTP 403" in rows["forbidden"]
    assert "pattern matches nothing: none of 4 links is an article URL" in rows["unmatched"]
    assert "FAIL" in rows["slow"] and "timeout" in rows["slow"]
    assert "5 FAIL" in result.stderr

    suggested = suggested_rows(result.stdout)
    # The moved listing at its new address, and the feed the home page links.
    assert [(r["spider"], r["entry_points"]) for r in suggested["moved"]] == [
        ("listing", [ministry.url("/press/")]), ("feed", [ministry.url("/feed.xml")])]
    assert [(r["spider"], r["entry_points"]) for r in suggested["gone"]] == [
        ("feed", [ministry.url("/feed.xml")])]
    # A listing's paging fields go with a feed row; the rest of the row stays.
    feed_row = suggested["gone"][0]
    assert "next_page" not in feed_row and feed_row["article_pattern"] == NEWS
    assert feed_row["key"] == "gone" and feed_row["country"] == "RU"
    # The feed serves the forbidden listing's articles too; nothing the
    # site offers matches a pattern that matches nothing.
    assert [r["spider"] for r in suggested["forbidden"]] == ["feed"]
    assert "unmatched" not in suggested and "healthy" not in suggested
    # Each suggestion is a row the registry takes.
    for i, block in enumerate(result.stdout.split("\n# ")[1:]):
        row = tmp_path / f"suggested-{i}.toml"
        row.write_text(block.split("\n", 1)[1], encoding="utf-8")
        assert len(load_sources(row, allow_private_addresses=True)) == 1


def test_all_ok_exits_zero_and_only_the_keys_named_are_fetched(ministry: Site, tmp_path: Path):
    sources = registry(tmp_path / "sources.toml", ministry, {
        "healthy": {"entry_points": [ministry.url("/news/")], "article_pattern": NEWS},
        "forbidden": {"entry_points": [ministry.url("/briefings/")], "article_pattern": NEWS},
    })
    result = check(sources, "healthy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(table_rows(result.stdout)) == {"healthy"}
    assert "/briefings/" not in ministry.hits and "1 OK, 0 FAIL" in result.stderr
    unknown = check(sources, "nosuch")
    assert unknown.returncode == 2 and "unknown source(s): nosuch" in unknown.stderr


def test_the_check_keeps_to_the_address_rules(ministry: Site, tmp_path: Path):
    sources = registry(tmp_path / "sources.toml", ministry, {
        "healthy": {"entry_points": [ministry.url("/news/")], "article_pattern": NEWS}})
    # A registry naming a loopback host is refused before anything is fetched...
    env = {k: v for k, v in os.environ.items() if k != "DEMARCHE_ALLOW_PRIVATE_ADDRESSES"}
    refused = subprocess.run([*DEMARCHE, "sources", "check"], cwd=ROOT, capture_output=True,
                             text=True, timeout=120, env={**env, "DEMARCHE_SOURCES": str(sources)})
    assert refused.returncode == 2 and "refused unless DEMARCHE_ALLOW_PRIVATE_ADDRESSES" in (
        refused.stderr)
    # ...and a row that got past it is refused at the request by the crawl's rules.
    script = (
        "import sys\n"
        "from crawler.check import check_sources\n"
        "from crawler.runner import project_settings\n"
        "from crawler.sources import load_sources\n"
        "rows = load_sources(sys.argv[1], allow_private_addresses=True)\n"
        "settings = project_settings({'DEMARCHE_ALLOW_PRIVATE_ADDRESSES': False})\n"
        "(result,) = check_sources(list(rows.values()), settings, timeout=2)\n"
        "print(result.ok, result.reason)\n")
    direct = subprocess.run([sys.executable, "-c", script, str(sources)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, env=env)
    assert direct.stdout.startswith("False refused"), direct.stdout + direct.stderr
    assert "127.0.0.1 is a loopback address" in direct.stdout
    assert ministry.hits == {}
