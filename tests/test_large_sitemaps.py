"""Sitemaps and feeds feed requests as the crawl drains them (issue 14,
point 9): a callback hands the scheduler one batch, the rest wait unread and
come in batches when the crawl runs out of work, and every URL is still
fetched once. (Peak memory against the sitemap's size is measured by
``make bench-sitemap``, not here.)"""

from __future__ import annotations

from pathlib import Path

from crawler.spiders.sitemap import sitemap_entries
from tests.conftest import Site, write_sources

# DEMARCHE_DRAIN_BATCH for the crawl test: small, so that a few hundred
# URLs take several refills.
BATCH = 50


def urlset(urls: list[str]) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{u}</loc></url>" for u in urls) + "</urlset>")


def test_entries_come_one_by_one_and_damage_keeps_what_came_before():
    body = urlset([f"https://example.org/n/{i}" for i in range(5)]).encode()
    kind, entries = sitemap_entries(body)
    assert kind == "urlset"
    assert next(entries)["loc"] == "https://example.org/n/0"
    assert [e["loc"] for e in entries][-1] == "https://example.org/n/4"
    cut = body[: body.index(b"/n/3")]
    # Recovery reads what stands before the damage (and the cut entry's
    # stump, which no article pattern matches).
    assert [e["loc"] for e in sitemap_entries(cut)[1]][:3] == [
        f"https://example.org/n/{i}" for i in range(3)]
    assert sitemap_entries(b"not xml at all")[0] == "invalid"
    assert sitemap_entries(b"")[0] == "invalid"


def test_a_sitemap_larger_than_a_batch_is_crawled_whole_in_batches(
        site: Site, crawl, tmp_path: Path):
    count = 2 * BATCH + 20
    paths = [f"/news/2024/01/10/item-{i}.html" for i in range(count)]
    site.page("/robots.txt", "User-agent: *\n", content_type="text/plain")
    site.page("/sitemap.xml", urlset([site.url(p) for p in paths]),
              content_type="application/xml")
    # The articles answer 404 quickly: what is counted is who asked for what.
    sources = write_sources(tmp_path / "sources.toml", site, spider="sitemap",
                            entry_points=[site.url("/sitemap.xml")])
    result = crawl(sources, "loopback_news", settings={"DEMARCHE_DRAIN_BATCH": str(BATCH)},
                   timeout=300)
    asked = [p for p, _ in site.requests if p.startswith("/news/")]
    assert sorted(asked) == sorted(paths), "every URL once"
    stats = result.last_run_stats()
    assert stats["crawl/article_requests"] == count
    # Two refills after the first batch: 50 + 50 + 20.
    assert stats["crawl/refills"] == 2
