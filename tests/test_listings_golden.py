"""Golden listings: every registered source, one of its entry pages parsed by
the spider it runs (listing, feed or sitemap) into the article links and next
page it must give.

The pages are in ``tests/golden/listings/``, written for these tests in each
site's structure (see the comment at the top of each), and the expected
results in ``expected.json`` next to them. A second set of cases reads real
pages of the sites in ``../shared/realpages`` (in place, never copied) and
checks that a source's ``article_pattern`` picks out the real article links
on them. The spider callbacks are the real ones, fed ``HtmlResponse`` and
``XmlResponse`` objects built from the files' bytes.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, XmlResponse
from scrapy.utils.test import get_crawler

from crawler.sources import Source, load_sources
from crawler.spiderloader import spider_for
from tests.conftest import ROOT

GOLDEN = ROOT / "tests/golden/listings"
EXPECTED: dict[str, Any] = json.loads((GOLDEN / "expected.json").read_text(encoding="utf-8"))
SOURCES = load_sources()


def make_spider(source: Source):  # type: ignore[no-untyped-def]
    cls = spider_for(source)
    crawler = get_crawler(cls)
    crawler._apply_settings()
    return cls.from_crawler(crawler)


def parsed(source: Source, body: bytes, url: str, entry: str) -> dict[str, Any]:
    """What the source's spider makes of one entry page: the article URLs in
    page order, the next listing page or the sub-sitemaps followed, and the
    publication dates a feed or sitemap gives its articles."""
    spider = make_spider(source)
    if source.spider == "listing":
        results = spider.parse_listing(HtmlResponse(url, body=body), entry=entry)
        follow = spider.parse_listing
    elif source.spider == "feed":
        results = spider.parse_feed(XmlResponse(url, body=body))
        follow = None
    else:
        results = spider.parse_sitemap(XmlResponse(url, body=body))
        follow = spider.parse_sitemap
    requests = [r for r in results if isinstance(r, Request)]
    articles = [r for r in requests if r.callback == spider.parse_article]
    followed = [r.url for r in requests if follow is not None and r.callback == follow]
    out: dict[str, Any] = {"articles": [r.url for r in articles]}
    if source.spider == "listing":
        assert len(followed) <= 1
        out["next_page"] = followed[0] if followed else None
    else:
        hinted = {r.url: r.cb_kwargs["hinted_date"] for r in articles}
        out["dates"] = {u: d.isoformat() if d else None for u, d in hinted.items()}
    if source.spider == "sitemap":
        out["sitemaps"] = followed
    return out


def golden_cases() -> list[Any]:
    cases = []
    for key, pages in EXPECTED["sources"].items():
        for case in pages:
            marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if "xfail" in case else []
            cases.append(pytest.param(key, case, id=f"{key}:{case['file']}", marks=marks))
    return cases


def test_every_registered_source_has_a_golden_page():
    assert set(EXPECTED["sources"]) == set(SOURCES), "one golden entry per registry row"
    for key, pages in EXPECTED["sources"].items():
        assert pages, key
        for case in pages:
            assert (GOLDEN / case["file"]).is_file(), case["file"]
    # And every page in the folder is used.
    used = {c["file"] for pages in EXPECTED["sources"].values() for c in pages}
    assert {p.name for p in GOLDEN.iterdir() if p.suffix in (".html", ".xml")} == used


@pytest.mark.parametrize(("key", "case"), golden_cases())
def test_golden_listing(key: str, case: dict[str, Any]):
    source = SOURCES[key]
    # A golden page stands at one of the row's entry points unless it is a
    # page reached from one (a sub-sitemap): then it names that entry point.
    entry = case.get("entry", case["url"])
    assert entry in source.entry_points
    body = (GOLDEN / case["file"]).read_bytes()
    got = parsed(source, body, case["url"], entry)
    want = {k: case[k] for k in ("articles", "next_page", "dates", "sitemaps") if k in case}
    assert got == want
    # The expected links themselves are articles of the source, and the
    # pages linked from them are not.
    for url in case["articles"]:
        assert source.is_article_url(url) and source.owns_url(url), url
    for url in case.get("not_articles", []):
        assert not source.is_article_url(url), url


def real_page_cases() -> list[Any]:
    return [pytest.param(c, id=f"{c['source']}:{c['file']}") for c in EXPECTED["real_pages"]]


@pytest.mark.parametrize("case", real_page_cases())
def test_article_pattern_on_real_pages(shared: Path, case: dict[str, Any]):
    """Real pages of the sites (articles, with their related-news links) run
    through the listing parser with the source's row: the links it keeps are
    the site's real article URLs, and nothing else."""
    source = dataclasses.replace(SOURCES[case["source"]], spider="listing", next_page=None,
                                 page_template=None)
    body = (shared / "realpages" / case["file"]).read_bytes()
    got = parsed(source, body, case["url"], case["url"])
    assert got["articles"] == case["articles"]
    if "canonical_is_article" in case:
        assert source.is_article_url(case["url"]) is case["canonical_is_article"]
