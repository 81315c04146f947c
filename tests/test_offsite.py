"""Requests stay on the source and off private addresses (issue 14, point 2):
redirects off the source are never followed, even from an archived article
(whose request sets ``dont_filter``); a request for a private address is
refused by name, by IP literal, and after DNS."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler

from crawler.addresses import PrivateAddressRefused, refused_address, refused_host
from crawler.middlewares.offsite import SourceOffsiteMiddleware
from crawler.sources import Source
from crawler.spiders.base import SourceSpider
from tests.conftest import ROOT, Site, article_html, write_sources

ARTICLE = "/news/2024/01/10/talks.html"
OTHER = "/news/2024/01/11/comment.html"


def build(site: Site) -> None:
    site.page("/robots.txt", "User-agent: *\n", content_type="text/plain")
    site.page("/news/", f'<a href="{ARTICLE}">a</a> <a href="{OTHER}">b</a>')
    for path, title in ((ARTICLE, "Talks"), (OTHER, "Comment")):
        site.page(path, article_html(title, [f"{title}: the Minister held talks on the agenda "
                                             "of the bilateral relations and regional issues."]))


def test_a_redirect_from_an_archived_article_to_another_host_is_a_takedown_never_fetched(
        site: Site, other_site: Site, crawl, tmp_path: Path):
    build(site)
    other_site.page("/landing", "<h1>Another site</h1>")
    other_site.page("/robots.txt", "User-agent: *\n", content_type="text/plain")
    sources = write_sources(tmp_path / "sources.toml", site)
    first = crawl(sources, "loopback_news")
    assert first.rows("SELECT count(*) FROM articles") == [(2,)], first.output
    # The archived article now redirects off the source; a refetch (which
    # sets dont_filter on archived articles) must not follow it.
    site.page(ARTICLE, "", status=301, headers={"Location": other_site.url("/landing")})
    again = crawl(sources, "loopback_news", "-a", "refetch=true")
    assert other_site.requests == [], "a request reached the other host"
    removed = again.rows("SELECT url, removed_reason FROM articles WHERE removed_at IS NOT NULL")
    assert removed == [(site.url(ARTICLE), "redirect")]
    stats = again.last_run_stats()
    assert stats["offsite/redirect"] == 1
    # Nothing of the other host is kept in the WARC files: no record of a
    # request or response there, and not its page.
    warcs = sorted((tmp_path / "warc").glob("*.warc.gz"))
    assert warcs
    text = b"".join(gzip.decompress(path.read_bytes()) for path in warcs)
    targets = re.findall(rb"WARC-Target-URI: (\S+)", text)
    assert any(b"/news/2024/01/10/talks.html" in t for t in targets)  # the redirect itself
    assert not [t for t in targets if b"127.0.0.2" in t]
    assert b"Another site" not in text


def test_a_redirect_of_a_new_link_off_the_source_is_dropped_and_counted(
        site: Site, other_site: Site, crawl, tmp_path: Path):
    build(site)
    site.page(OTHER, "", status=302, headers={"Location": other_site.url("/elsewhere")})
    sources = write_sources(tmp_path / "sources.toml", site)
    result = crawl(sources, "loopback_news")
    assert other_site.requests == []
    assert result.rows("SELECT url FROM articles") == [(site.url(ARTICLE),)]
    assert result.last_run_stats()["offsite/redirect"] == 1
    assert "Not following a redirect off the source" in result.output


def spider_for(domains: tuple[str, ...], entry: str, allow: bool):
    source = Source(key="probe", name="Probe", kind="ministry", country="RU", language="en",
                    domains=domains, spider="listing", entry_points=(entry,),
                    article_pattern=r"/news/")
    cls = type("ProbeSpider", (SourceSpider,), {"name": "probe", "source": source})
    crawler = get_crawler(cls, {"DEMARCHE_ALLOW_PRIVATE_ADDRESSES": allow,
                                "DEMARCHE_ARCHIVE_URL": ""})
    crawler.spider = crawler._create_spider()
    middleware = SourceOffsiteMiddleware.from_crawler(crawler)
    middleware.spider_opened(crawler.spider)
    return crawler, middleware


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/news/1", "http://10.0.0.5/news/1", "http://169.254.169.254/latest/",
    "http://[::1]/news/1", "http://[fd00::1]/news/1", "http://metadata.google.internal/x",
    "http://localhost:8080/news/1", "http://192.168.1.1/", "http://172.16.0.1/",
])
def test_private_hosts_are_refused_before_any_connection(url: str):
    host = url.split("/")[2].rsplit(":", 1)[0] if "[" not in url else url.split("/")[2]
    host = host.strip("[]").split("]")[0]
    crawler, middleware = spider_for((host,), url, allow=False)
    with pytest.raises(PrivateAddressRefused):
        middleware.process_request(Request(url))
    assert crawler.stats.get_value("offsite/private_address") == 1


def test_private_hosts_pass_when_allowed_and_other_hosts_never():
    crawler, middleware = spider_for(("127.0.0.1",), "http://127.0.0.1/news/", allow=True)
    assert middleware.process_request(Request("http://127.0.0.1/news/1")) is None
    # dont_filter no longer lets a request off the source.
    with pytest.raises(IgnoreRequest):
        middleware.process_request(Request("http://127.0.0.2/x", dont_filter=True))
    assert crawler.stats.get_value("offsite/filtered") == 1


def test_address_rules():
    assert refused_address("8.8.8.8") is None
    assert refused_address("2a00:1450::1") is None
    assert refused_address("::ffff:10.0.0.5") == "a private address"
    assert refused_address("169.254.169.254").startswith("a link-local")
    assert refused_host("mid.ru") is None
    assert refused_host("Metadata.Google.Internal.") == "a cloud metadata service"
    assert refused_host("printer.localhost") == "a loopback name"


def test_the_resolver_refuses_a_name_after_dns():
    """Resolved by the system resolver inside a real reactor: 'localhost'
    comes back as a loopback address, which the resolver itself refuses
    (a public name pointed at 10.0.0.5 takes the same path)."""
    script = textwrap.dedent("""
        from scrapy.utils.reactor import install_reactor
        install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
        from twisted.internet import reactor
        from scrapy.utils.test import get_crawler
        from crawler.resolver import PublicAddressResolver

        results = []
        def check(allow):
            crawler = get_crawler(settings_dict={"DEMARCHE_ALLOW_PRIVATE_ADDRESSES": allow})
            resolver = PublicAddressResolver.from_crawler(crawler, reactor)
            d = resolver.getHostByName("localhost")
            d.addCallbacks(lambda ip: results.append(("ok", ip)),
                           lambda f: results.append((type(f.value).__name__, str(f.value))))
            return d
        def main():
            d = check(False)
            d.addBoth(lambda _: check(True))
            d.addBoth(lambda _: reactor.stop())
        reactor.callWhenRunning(main)
        reactor.run()
        for r in results:
            print(*r, sep="|")
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 2, out.stderr
    refused, allowed = (line.split("|") for line in lines)
    # A DNS error for Twisted (which logs any other exception as CRITICAL,
    # with its traceback), remembered with its reason.
    assert refused[0] == "PrivateNameRefused" and "127.0.0.1" in refused[1]
    assert "a loopback address" in refused[1]
    assert allowed == ["ok", "127.0.0.1"]


def test_a_refused_name_is_not_retried_and_is_counted_as_offsite():
    import asyncio

    from scrapy import Request, Spider
    from scrapy.exceptions import CannotResolveHostError
    from scrapy.utils.test import get_crawler

    from crawler.addresses import PrivateAddressRefused
    from crawler.middlewares.backoff import BackoffRetryMiddleware
    from crawler.middlewares.offsite import SourceOffsiteMiddleware
    from crawler.resolver import PublicAddressResolver

    crawler = get_crawler(settings_dict={"DEMARCHE_ALLOW_PRIVATE_ADDRESSES": False,
                                         "DEMARCHE_RETRY_BACKOFF_BASE": 0})
    crawler.spider = Spider.from_crawler(crawler, name="mfa")
    with pytest.raises(Exception, match="resolves to 10.1.2.3, a private address"):
        PublicAddressResolver._refuse_private("10.1.2.3", "intranet.mfa.example")
    retry = BackoffRetryMiddleware.from_crawler(crawler)
    offsite = SourceOffsiteMiddleware.from_crawler(crawler)
    request = Request("https://intranet.mfa.example/news/1.html")
    # The download's error names no cause: the retry middleware finds it.
    with pytest.raises(PrivateAddressRefused) as refused:
        asyncio.run(retry.process_exception(request, CannotResolveHostError("DNS lookup failed")))
    with pytest.raises(PrivateAddressRefused):
        offsite.process_exception(request, refused.value)
    assert crawler.stats.get_value("offsite/private_address") == 1
    assert crawler.stats.get_value("retry/count") is None
    # Any other DNS failure is retried as before.
    other = Request("https://gone.mfa.example/news/1.html")
    assert asyncio.run(retry.process_exception(
        other, CannotResolveHostError("DNS lookup failed"))) is not None


def test_a_refusal_lasts_only_until_the_name_resolves_again():
    # A long-lived process (a Celery worker) must not call a later real DNS
    # outage, or a name moved to a public address, a refusal.
    from scrapy import Request
    from scrapy.exceptions import CannotResolveHostError
    from twisted.python.failure import Failure

    from crawler.resolver import REFUSED, PublicAddressResolver, refusal

    def refused(host: str) -> bool:
        return refusal(Request(f"https://{host}/"), CannotResolveHostError("x")) is not None

    for forget in (lambda name: PublicAddressResolver._refuse_private("93.184.215.14", name),
                   lambda name: PublicAddressResolver._failed(Failure(OSError("no")), name)):
        with pytest.raises(Exception, match="a private address"):
            PublicAddressResolver._refuse_private("10.1.2.3", "moved.mfa.example")
        assert refused("moved.mfa.example")
        forget("Moved.mfa.example.")
        assert not refused("moved.mfa.example")
    assert len(REFUSED) <= REFUSED.limit
