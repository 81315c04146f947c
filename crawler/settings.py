"""Scrapy settings of demarche, and the one place where ``DEMARCHE_*``
environment variables are read.

Every demarche setting can also be given per run: ``scrapy crawl KEY -s
DEMARCHE_BATCH_SIZE=10``. The README lists them.
"""

import os
import sys

from storage.engine import default_archive_url


def _bad(name: str, raw: str, wanted: str) -> SystemExit:
    # Read when any demarche or scrapy command starts: one line and exit
    # status 2, not a traceback from every command.
    print(f"demarche: the environment variable {name}={raw!r} is not {wanted}", file=sys.stderr)
    return SystemExit(2)


def _number(name: str, default: float, kind: type = int) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise _bad(name, raw, "a whole number" if kind is int else "a number") from None
    if value < 0:
        raise _bad(name, raw, "a number of 0 or more")
    return value


_YES, _NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if raw.lower() in _YES + _NO:
        return raw.lower() in _YES
    raise _bad(name, raw, "one of " + ", ".join(_YES + _NO))


BOT_NAME = "demarche"

# --- demarche -------------------------------------------------------------
# Any SQLAlchemy URL; the default is archive.db in the project root.
DEMARCHE_ARCHIVE_URL = os.environ.get("DEMARCHE_ARCHIVE_URL") or default_archive_url()
# The source registry (TOML); empty means crawler/sources.toml.
DEMARCHE_SOURCES = os.environ.get("DEMARCHE_SOURCES", "")
# WARC files to answer requests from instead of the network (offline runs).
DEMARCHE_REPLAY = [p for p in os.environ.get("DEMARCHE_REPLAY", "").split(os.pathsep) if p]
# Who to contact about the crawler: sent in the User-Agent.
DEMARCHE_CONTACT_URL = os.environ.get(
    "DEMARCHE_CONTACT_URL", "https://github.com/demarche-archive/demarche"
)
# Extraction processes; 0 means one per core.
DEMARCHE_EXTRACT_WORKERS = _number("DEMARCHE_EXTRACT_WORKERS", 0)
# Statements written per transaction, and the longest a batch waits.
DEMARCHE_BATCH_SIZE = _number("DEMARCHE_BATCH_SIZE", 50)
DEMARCHE_BATCH_SECONDS = _number("DEMARCHE_BATCH_SECONDS", 30.0, float)
# Retry waits: 2 s, 4 s, 8 s ... at most 60 s (or the server's Retry-After).
DEMARCHE_RETRY_BACKOFF_BASE = _number("DEMARCHE_RETRY_BACKOFF_BASE", 2.0, float)
DEMARCHE_RETRY_BACKOFF_MAX = _number("DEMARCHE_RETRY_BACKOFF_MAX", 60.0, float)
DEMARCHE_LEDGER_ENABLED = _flag("DEMARCHE_LEDGER_ENABLED", True)
# Incremental runs: an article fetched before is fetched again when its
# sitemap or feed entry says it changed, or while it is young (published in
# the last DEMARCHE_REVISIT_DAYS days: when ministries still complete and
# correct statements) and was last fetched DEMARCHE_REVISIT_HOURS ago or
# more. 20 hours, not 24, so that a nightly run starting a little earlier
# than the night before still revisits. Both are judgments, not measurements.
DEMARCHE_REVISIT_DAYS = _number("DEMARCHE_REVISIT_DAYS", 2.0, float)
DEMARCHE_REVISIT_HOURS = _number("DEMARCHE_REVISIT_HOURS", 20.0, float)
# Every response kept in gzipped WARC files (provenance, re-extraction):
# DEMARCHE_WARC_DIR, else warc/ beside a SQLite archive, else <project>/warc.
DEMARCHE_WARC_ENABLED = _flag("DEMARCHE_WARC_ENABLED", True)
DEMARCHE_WARC_DIR = os.environ.get("DEMARCHE_WARC_DIR", "")
DEMARCHE_WARC_MAX_MB = _number("DEMARCHE_WARC_MAX_MB", 512)
DEMARCHE_WARC_GZIP_LEVEL = _number("DEMARCHE_WARC_GZIP_LEVEL", 4)
# Article requests a sitemap or feed hands the scheduler at a time; the
# rest wait unread until the crawl drains these (crawler/spiders/base.py).
DEMARCHE_DRAIN_BATCH = _number("DEMARCHE_DRAIN_BATCH", 500)
# Set by the scheduler (`-s DEMARCHE_RUN_ID=N`): the crawl_runs row it opened.
DEMARCHE_RUN_ID = 0
# Where the scheduler writes each crawl's log (empty: <project>/logs).
DEMARCHE_LOG_DIR = os.environ.get("DEMARCHE_LOG_DIR", "")
# Crawls on several machines (docs/deploy.md): the Redis URL of the Celery
# broker. Set, `python -m schedules` only queues each job there and the
# workers (`celery -A schedules.celery_app worker -Q crawl`) crawl; empty,
# the scheduler crawls on this machine.
DEMARCHE_BROKER_URL = os.environ.get("DEMARCHE_BROKER_URL", "")
# Seconds after which the broker hands a job whose worker went silent to
# another worker; 0: the longest time limit of the timetable plus margins
# (schedules/celery_app.py). A job must never outlast it while alive.
DEMARCHE_VISIBILITY_TIMEOUT = _number("DEMARCHE_VISIBILITY_TIMEOUT", 0.0, float)
# Off: no request ever connects to a loopback, private, link-local,
# multicast or cloud-metadata address, checked after DNS
# (crawler/addresses.py), and registry rows naming one fail at load. On
# only for crawls of a site on this machine (the loopback tests).
DEMARCHE_ALLOW_PRIVATE_ADDRESSES = _flag("DEMARCHE_ALLOW_PRIVATE_ADDRESSES", False)

# What one page's extraction may cost (crawler/ingest/workers.py): a
# worker still at it after DEMARCHE_PAGE_SECONDS is killed and replaced, an
# allocation past DEMARCHE_PAGE_MEMORY_MB more address space fails; the
# page is rejected as too_costly and not fetched again. Measured on the 181
# dev pages and 53 real pages of ../shared (each in a fresh worker): at most
# 1.2 s and 115 MB; a 7.5 MB page just under the HTML size cap, 1.1 s and
# 173 MB. 30 s and 1024 MB leave a slow machine 25 and 6 times that.
DEMARCHE_PAGE_SECONDS = _number("DEMARCHE_PAGE_SECONDS", 30.0, float)
DEMARCHE_PAGE_MEMORY_MB = _number("DEMARCHE_PAGE_MEMORY_MB", 1024)

# --- Scrapy -----------------------------------------------------------------
SPIDER_LOADER_CLASS = "crawler.spiderloader.SourceSpiderLoader"
SPIDER_MODULES = ["crawler.spiders"]
COMMANDS_MODULE = "crawler.commands"

USER_AGENT = f"demarche/0.1 (statements archive; +{DEMARCHE_CONTACT_URL})"
ROBOTSTXT_OBEY = True

# Politeness: ministries run small servers. AutoThrottle adapts the delay to
# the server's latency; the per-domain cap bounds it in any case.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy starts up to this many asyncio tasks for each response's output
# (100 by default); a page gives one statement, a listing a few dozen
# links, and the tasks cost the crawl's own process more than the parsing.
CONCURRENT_ITEMS = 16
# Keep this above 0: with no delay, Scrapy 2.19's downloader drains a
# slot's whole queue at once and exceeds CONCURRENT_REQUESTS_PER_DOMAIN
# (measured here; see scrapy/scrapy#6982). With a delay it releases one
# request per interval and the limit holds.
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 30
# A statement page is rarely over 2 MB; 32 MB stops runaway downloads
# (endless streams, mislabelled archives) without losing real pages.
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024

RETRY_TIMES = 3
# Each give-up is summarised by cause (crawler/middlewares/failures.py).
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
# Scrapy's caching resolver, refusing names that resolve to private
# addresses (crawler/resolver.py).
TWISTED_DNS_RESOLVER = "crawler.resolver.PublicAddressResolver"
DOWNLOADER_MIDDLEWARES = {
    # Every request on its source's domains, whatever its flags, and never
    # to a private address (crawler/middlewares/offsite.py).
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.offsite.SourceOffsiteMiddleware": 50,
    # Outermost: counts the failures retries did not get past, one log
    # line per cause and host instead of a traceback per request.
    "crawler.middlewares.failures.DownloadFailures": 10,
    # Scrapy's decompression, a body it cannot decode counted and said once.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.failures.CheckedDecompression": 590,
    # Scrapy's redirects, a loop or an over-long chain counted and said once.
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.failures.CheckedRedirect": 600,
    # Sees each 3xx before RedirectMiddleware (600) follows it.
    "crawler.middlewares.offsite.OffsiteRedirectMiddleware": 610,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.backoff.BackoffRetryMiddleware": 550,
    # Responses as the spider sees them: after decompression (590), before
    # retries (550) so that failed attempts are kept too.
    "crawler.middlewares.warc.WarcRecordMiddleware": 585,
    # Last before the network: robots.txt, user agent and the rest run first.
    "crawler.middlewares.replay.ReplayMiddleware": 950,
}
ITEM_PIPELINES = {
    "crawler.pipelines.extract.ExtractionPipeline": 300,
    "crawler.pipelines.archive.ArchivePipeline": 800,
}
EXTENSIONS = {
    "crawler.extensions.ledger.CrawlLedger": 500,
    # After the ledger (which opens the run row): one crawl of a site at a
    # time across machines, on a PostgreSQL archive.
    "crawler.extensions.domain_lock.DomainLock": 510,
}

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
# Nobody should steer a crawl of ministry sites from an open port.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
