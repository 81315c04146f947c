"""Pages lost to redirects are said and counted, not dropped at DEBUG: a
loop (Scrapy's duplicate filter used to swallow the return to a URL already
fetched) and a chain longer than REDIRECT_MAX_TIMES are download failures
of the run, in its tally (``demarche/failures``) and one log line per host;
a plain redirect is followed as before."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Site, article_html, write_sources

TEXT = ["The Ministry said the talks on the bilateral agenda went well and that "
        "both sides agreed to meet again in the spring to continue the work."]


def redirect(site: Site, path: str, to: str) -> None:
    site.page(path, "", status=302, headers={"Location": to})


def test_loops_and_long_chains_are_counted_failures(site: Site, crawl, tmp_path: Path):
    site.page("/robots.txt", "User-agent: *\n", content_type="text/plain")
    news = "/news/2024/01/1{}/item.html"
    site.page("/news/", "".join(f'<a href="{news.format(i)}">x</a>' for i in range(4)))
    # 0: moved once, then served: followed as ever.
    redirect(site, news.format(0), "/news/2024/01/10/moved.html")
    site.page("/news/2024/01/10/moved.html", article_html("Moved statement", TEXT))
    # 1: a loop between two pages; 2: a page that redirects to itself.
    redirect(site, news.format(1), "/news/2024/01/11/other.html")
    redirect(site, "/news/2024/01/11/other.html", news.format(1))
    redirect(site, news.format(2), news.format(2))
    # 3: a chain of 25 hops, over Scrapy's 20.
    redirect(site, news.format(3), "/hop/1")
    for hop in range(1, 25):
        redirect(site, f"/hop/{hop}", f"/hop/{hop + 1}")
    site.page("/hop/25", article_html("Far statement", TEXT))
    done = crawl(write_sources(tmp_path / "sources.toml", site), "loopback_news")
    assert done.rows("SELECT title FROM articles") == [("Moved statement",)]
    stats = done.last_run_stats()
    assert stats["download/failed/redirect loop"] == 2
    assert stats["download/failed/too many redirects"] == 1
    assert "redirect loop for 127.0.0.1: 2 requests" in stats["demarche/failures"]
    assert "too many redirects for 127.0.0.1: 1 request" in stats["demarche/failures"]
    # Said once per cause and host, with the first page it hit.
    assert done.output.count("ERROR: Redirect loop at ") == 1
    assert done.output.count("ERROR: Too many redirects at ") == 1
    assert f"ERROR: Too many redirects at {site.url(news.format(3))} (over 20)" in done.output
    # A crawl that archived what it could is not failed for the pages lost.
    assert (done.returncode, done.rows("SELECT status FROM crawl_runs")) == (0, [("finished",)])


def test_a_return_passes_the_duplicate_filter_for_one_hop_only():
    # Scrapy copies a request's dont_filter to every later hop: after one
    # followed return, a page already fetched could be fetched again.
    from scrapy import Request, Spider
    from scrapy.utils.test import get_crawler

    from crawler.middlewares.failures import CheckedRedirect

    crawler = get_crawler(Spider)
    crawler.spider = Spider("x")
    middleware = CheckedRedirect.from_crawler(crawler)
    first = Request("https://mfa.example/a")
    back = middleware._redirect(Request("https://mfa.example/a"), first, 302)
    assert back.dont_filter  # the same page again: past the filter, once
    onward = middleware._redirect(Request("https://mfa.example/b"), back, 302)
    assert not onward.dont_filter
    kept = Request("https://mfa.example/c", dont_filter=True)
    assert middleware._redirect(Request("https://mfa.example/d"), kept, 301).dont_filter
