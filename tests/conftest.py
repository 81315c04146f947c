"""Shared fixtures: the ../shared data, a loopback HTTP site, and a way to
run a real ``scrapy crawl`` against it into a fresh SQLite file."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

# The loopback sites of these tests live on 127.0.0.1, which a crawl
# refuses unless told otherwise; every crawl started from here (in this
# process or a subprocess) inherits it. Tests of the refusal unset it.
os.environ["DEMARCHE_ALLOW_PRIVATE_ADDRESSES"] = "1"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The project's shared data; its absence is a failure, never a skip."""
    if not (SHARED / "seed").is_dir():
        pytest.fail(f"../shared is missing (looked in {SHARED}); tests need its real pages")
    return SHARED


POSTGRES_ENV = "DEMARCHE_TEST_POSTGRES_URL"


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_url(request, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty archive: a SQLite file, or a scratch PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'archive.db'}"
        return
    yield from scratch_postgres()


def scratch_postgres() -> Iterator[str]:
    """A scratch database on the test server, dropped afterwards (a
    generator: iterate it inside a fixture). Without the server's URL the
    test fails: PostgreSQL is part of what `make test` checks."""
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        pytest.fail(f"{POSTGRES_ENV} is not set: run the tests with `make test`, which starts "
                    "PostgreSQL (.ci/postgres), or point it at a server you run")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"demarche_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    from storage.engine import open_archive

    open_archive.cache_clear()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def _not_modified(route: Route, request: Mapping[str, str]) -> bool:
    """Whether a conditional GET matches the route's validators, the way
    RFC 9110 13.2.2 orders them (If-None-Match wins). Dates are compared as
    text: the crawler sends back the Last-Modified it was given."""
    if route.status != 200:
        return False
    if request.get("If-None-Match") is not None:
        return request["If-None-Match"] == route.headers.get("ETag")
    since = request.get("If-Modified-Since")
    return since is not None and since == route.headers.get("Last-Modified")


class Site:
    """A small website on 127.0.0.1 (or another loopback host) whose pages a
    test sets and changes.

    A page given an ``ETag`` or ``Last-Modified`` header answers a matching
    conditional request with 304 Not Modified.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        # Every request in order: its path and its headers.
        self.requests: list[tuple[str, dict[str, str]]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits[self.path] = site.hits.get(self.path, 0) + 1
                site.requests.append((self.path, dict(self.headers.items())))
                route = site.routes.get(self.path) or Route(404, b"<h1>Not found</h1>")
                if route.delay:
                    time.sleep(route.delay)
                unchanged = _not_modified(route, self.headers)
                try:
                    self.send_response(304 if unchanged else route.status)
                    if route.content_type and not unchanged:
                        self.send_header("Content-Type", route.content_type)
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    if unchanged:
                        self.end_headers()
                        return
                    self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the crawler gave up on a slow page: expected

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def page(self, path: str, body: str | bytes, **kwargs: object) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(body=data, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    s.thread.start()
    yield s
    s.server.shutdown()
    s.server.server_close()


@pytest.fixture
def other_site() -> Iterator[Site]:
    """A second site, on another loopback host (127.0.0.2): off the source."""
    s = Site("127.0.0.2")
    s.thread.start()
    yield s
    s.server.shutdown()
    s.server.server_close()


def article_html(title: str, paragraphs: list[str], *, lang: str = "en", date: str = "") -> str:
    meta = f'<meta property="article:published_time" content="{date}">' if date else ""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        f'{meta}</head><body><nav><a href="/">Home</a> <a href="/news/">News</a></nav>'
        f"<main><article><h1>{title}</h1>{body}</article></main>"
        f"<footer><p>Contact us</p></footer></body></html>"
    )


def write_sources(path: Path, site: Site, **overrides: object) -> Path:
    row = {
        "key": "loopback_news",
        "name": "Loopback Ministry: News",
        "site_name": "Loopback Ministry",
        "kind": "ministry",
        "country": "RU",
        "language": "en",
        "domains": ["127.0.0.1"],
        "spider": "listing",
        "entry_points": [site.url("/news/")],
        "article_pattern": r"/news/\d{4}/\d\d/\d\d/[^/]+$",
        "next_page": 'a[rel="next"]::attr(href)',
        "max_pages": 3,
    }
    row.update(overrides)
    lines = ["[[source]]"] + [f"{k} = {json.dumps(v)}" for k, v in row.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class CrawlResult:
    returncode: int
    output: str
    archive_url: str

    def rows(self, sql: str) -> list[tuple]:
        from sqlalchemy import create_engine

        engine = create_engine(self.archive_url)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.exec_driver_sql(sql)]
        finally:
            engine.dispose()

    def last_run_stats(self) -> dict[str, object]:
        (raw,) = self.rows("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
        return raw if isinstance(raw, dict) else json.loads(raw)


# Fast, deterministic settings for loopback crawls: no politeness delays,
# short timeouts, one quick retry.
FAST = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "DOWNLOAD_TIMEOUT": "2",
    "RETRY_TIMES": "1",
    "DEMARCHE_RETRY_BACKOFF_BASE": "0.1",
    "LOG_LEVEL": "INFO",
}


@pytest.fixture
def crawl(tmp_path: Path) -> Callable[..., CrawlResult]:
    default_archive = f"sqlite:///{tmp_path / 'archive.db'}"

    def run(sources: Path, key: str, *args: str, settings: dict[str, str] | None = None,
            archive: str | None = None, timeout: float = 120) -> CrawlResult:
        archive = archive or default_archive
        env = {
            **os.environ,
            "DEMARCHE_SOURCES": str(sources),
            "DEMARCHE_ARCHIVE_URL": archive,
            "DEMARCHE_EXTRACT_WORKERS": "2",
        }
        command = [sys.executable, "-m", "scrapy", "crawl", key, *args]
        for name, value in {**FAST, **(settings or {})}.items():
            command += ["-s", f"{name}={value}"]
        proc = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
        return CrawlResult(proc.returncode, proc.stdout + proc.stderr, archive)

    return run


# The `demarche` command, run from the project like a user would.
DEMARCHE = [sys.executable, "-m", "cli"]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """A SQLite archive made by `demarche demo`, one per test module."""
    path = tmp_path_factory.mktemp("demo") / "archive.db"
    result = subprocess.run([*DEMARCHE, "demo"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, env={**os.environ,
                                              "DEMARCHE_ARCHIVE_URL": f"sqlite:///{path}"})
    assert result.returncode == 0, result.stderr
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browse_server(path: Path) -> Iterator[str]:
    """`demarche browse` on the archive, in a process of its own; yields its
    base URL once it answers (a generator: iterate it inside a fixture)."""
    port = free_port()
    proc = subprocess.Popen(
        [*DEMARCHE, "browse", "--archive", f"sqlite:///{path}", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    pytest.fail(f"demarche browse did not answer:\n{proc.communicate()[0]}")
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
