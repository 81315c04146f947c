"""URL identity: normalisation is idempotent, keeps every parameter that is
not a tracker, never reads HTML entities, and gives every spelling the
README promises one key (property tests with hypothesis); migration 0008
re-keys rows stored under mangled or merged URLs from their WARC records,
on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from urllib.parse import quote_plus

import pytest
import sqlalchemy as sa
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from storage.engine import make_engine
from storage.lookup import find_article
from storage.migrate import alembic_config, upgrade
from storage.models import UTCDateTime
from storage.urls import (
    TRACKING_PARAMETERS,
    is_tracker,
    normalise_url,
    same_page,
    spellings,
    url_key,
)

JPOST = ("https://www.jpost.com/servlet/Satellite?cid={}"
         "&pagename=JPost%2FJPArticle%2FShowFull")

# Names that are HTML entities without their ";" (&sect, &not, &copy, &reg,
# &para, &amp, &lt, &times) and names courlan took for trackers.
TRICKY_NAMES = ["section", "notice", "copyright", "region", "para", "amp", "lt",
                "times", "cid", "id", "ref", "source", "session", "gallery", "glossary",
                "uid", "page", "lang", "sect", "a"]
TRACKERS = sorted(TRACKING_PARAMETERS) + ["utm_source", "UTM_Medium", "utm_campaign"]

labels = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)
hosts = st.builds(lambda parts, tld: ".".join([*parts, tld]),
                  st.lists(labels, min_size=1, max_size=2), st.sampled_from(["ru", "org", "cn"]))
segments = st.text(st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="/?#"),
                   min_size=1, max_size=8)
paths = st.lists(segments, max_size=3).map(lambda s: "".join("/" + quote_plus(x) for x in s))
names = st.one_of(st.sampled_from(TRICKY_NAMES),
                  st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=6)
                  ).filter(lambda n: not is_tracker(n))
values = st.one_of(st.text(st.characters(exclude_categories=("Cs",)), max_size=6),
                   st.sampled_from(["", "1", "1200475883016", "&sect;", "a b", "%FF"]))
params = st.lists(st.tuples(names, values), max_size=4)
trackers = st.lists(st.tuples(st.sampled_from(TRACKERS), values), max_size=3)


def encode(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote_plus(n)}={quote_plus(v)}" for n, v in pairs)


def url(host: str, path: str, pairs: list[tuple[str, str]], scheme: str = "https") -> str:
    query = encode(pairs)
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")


# Plain examples: the two reported cases, and what else courlan merged.

def test_two_jpost_articles_keep_their_cid():
    first, second = JPOST.format("1200475883016"), JPOST.format("1200475883099")
    assert normalise_url(first) == first
    assert url_key(first) != url_key(second)
    assert url_key(first) == "https://jpost.com/servlet/Satellite?cid=1200475883016" \
        "&pagename=JPost%2FJPArticle%2FShowFull"


def test_a_normalised_url_normalises_to_itself_and_keeps_its_key():
    raw = "https://example.org/view?section=1&id=5"
    stored = normalise_url(raw)
    assert stored == "https://example.org/view?id=5&section=1"
    assert normalise_url(stored) == stored  # was ?id=5%C2%A7ion%3D1
    assert url_key(stored) == url_key(raw) == stored


def test_html_entities_in_a_url_stay_as_written():
    assert normalise_url("https://e.org/?a=1&copy=2&not=3&amp;b=4") == \
        "https://e.org/?a=1&amp%3Bb=4&copy=2&not=3"


def test_parameters_courlan_took_for_trackers_name_pages():
    for name in ("cid", "gallery", "session", "ref", "source", "uid", "campaign"):
        assert url_key(f"https://e.org/p?{name}=1") != url_key(f"https://e.org/p?{name}=2"), name


def test_empty_and_undecodable_values_are_values():
    assert url_key("https://e.org/p?print=&id=1") != url_key("https://e.org/p?id=1")
    assert url_key("https://e.org/p?a=%FF") != url_key("https://e.org/p?a=%FE")


def test_trackers_and_the_fragment_are_dropped():
    assert normalise_url("https://e.org/p?id=1&utm_source=rss&UTM_Medium=x&fbclid=f&gclid=g"
                         "&yclid=y&mc_cid=c&mc_eid=e&_ga=1.2&xtor=RSS-1#top") == \
        "https://e.org/p?id=1"


def test_http_and_https_are_one_page_under_one_key():
    # README (issue 14): http and https of one address share a key.
    assert url_key("http://mid.ru/en/1") == url_key("https://mid.ru/en/1") == \
        "https://mid.ru/en/1"
    assert url_key("ftp://mid.ru/en/1") == "ftp://mid.ru/en/1"
    assert same_page("http://mid.ru/en/1", "https://www.mid.ru/en/1/")
    assert set(spellings("https://www.mid.ru/en/1/")) == {
        f"{scheme}://{host}/en/1{slash}" for scheme in ("http", "https")
        for host in ("mid.ru", "www.mid.ru") for slash in ("", "/")}


# Properties.

@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=60),
                 st.builds(url, hosts, paths, params),
                 st.builds(lambda u, t: u + "?" + t, st.builds(url, hosts, paths, st.just([])),
                           st.text(max_size=30))))
def test_normalisation_and_key_are_idempotent(raw: str):
    once = normalise_url(raw)
    assert normalise_url(once) == once
    key = url_key(raw)
    assert url_key(key) == key
    # The key stored from the normalised spelling is the key of the raw URL.
    assert url_key(once) == key


@settings(max_examples=300)
@given(hosts, paths, params, st.tuples(names, values), st.integers(0, 4), st.booleans())
def test_urls_differing_in_a_parameter_never_share_a_key(host, path, pairs, extra, at, change):
    first = url(host, path, pairs)
    if change and pairs:
        i = at % len(pairs)
        other = list(pairs)
        other[i] = (pairs[i][0], pairs[i][1] + "x")
    else:
        other = [*pairs[:at], extra, *pairs[at:]]
    assert url_key(first) != url_key(url(host, path, other))


@settings(max_examples=300)
@given(hosts, paths, st.dictionaries(names, values, max_size=4), trackers,
       st.randoms(use_true_random=False), st.text(max_size=10))
def test_every_promised_spelling_has_one_key(host, path, named, tracking, rnd, fragment):
    pairs = list(named.items())
    key = url_key(url(host, path, pairs))
    shuffled = list(pairs)
    rnd.shuffle(shuffled)
    mixed = list(shuffled)
    for tracker in tracking:
        mixed.insert(rnd.randint(0, len(mixed)), tracker)
    port = ":443"
    for spelling in [
        url("www." + host, path, pairs),                      # www.
        url(host, path + "/", pairs),                         # trailing slash
        url(host.upper(), path, pairs, scheme="HTTPS"),       # case of scheme and host
        url(host + port, path, pairs),                        # default port
        url(host, path, shuffled),                            # order of parameters
        url(host, path, mixed),                               # tracking parameters
        url(host, path, pairs) + "#" + fragment,              # fragment
        url("www." + host + port, path + "/", mixed) + "#" + fragment,
    ]:
        assert url_key(spelling) == key, spelling
        assert normalise_url(spelling) in spellings(key), spelling
    # http: the same page, under the same key (issue 14).
    http = url("www." + host + ":80", path + "/", mixed, scheme="http") + "#" + fragment
    assert same_page(http, url(host, path, pairs))
    assert url_key(http) == key
    assert normalise_url(http) in spellings(key)


# Migration 0008, on an archive written by the old normalisation.

T0 = datetime(2024, 1, 1, tzinfo=UTC)
_ARTICLES = sa.table("articles", *(sa.column(c) for c in (
    "id", "source", "url", "title", "body", "content_hash", "warc_file", "warc_offset")),
    sa.column("first_seen_at", UTCDateTime), sa.column("last_seen_at", UTCDateTime))
_VERSIONS = sa.table("article_versions", *(sa.column(c) for c in (
    "article_id", "title", "body", "content_hash", "warc_file", "warc_offset")),
    sa.column("first_seen_at", UTCDateTime), sa.column("seen_at", UTCDateTime))
_URLS = sa.table("article_urls", sa.column("url"), sa.column("article_id"), sa.column("kind"),
                 sa.column("first_seen_at", UTCDateTime))
_FETCHES = sa.table("fetch_state", sa.column("url"), sa.column("source"), sa.column("status"),
                    sa.column("fetched_at", UTCDateTime))
_SOURCES = sa.table("sources", *(sa.column(c) for c in (
    "key", "name", "site_name", "kind", "country", "language", "spider", "domains",
    "entry_points")), sa.column("updated_at", UTCDateTime))


def write_records(path: Path, urls: list[str]) -> list[int]:
    """A WARC file of one response per URL; the records' offsets."""
    offsets = []
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url in urls:
            offsets.append(handle.tell())
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=BytesIO(b"<html></html>"), http_headers=headers))
    return offsets


def article(id_: int, url: str, warc: tuple[str, int] | None = None) -> dict:
    return {"id": id_, "source": "src", "url": url, "title": f"t{id_}", "body": f"b{id_}",
            "content_hash": f"h{id_}", "first_seen_at": T0, "last_seen_at": T0,
            "warc_file": warc[0] if warc else None, "warc_offset": warc[1] if warc else None}


def test_migration_rekeys_mangled_and_merged_urls_from_warc_records(
        archive_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture):
    folder = tmp_path / "warc"
    folder.mkdir()
    if archive_url.startswith("sqlite"):
        monkeypatch.delenv("DEMARCHE_WARC_DIR", raising=False)  # warc/ beside the archive
    else:
        monkeypatch.setenv("DEMARCHE_WARC_DIR", str(folder))
    first, second = JPOST.format("1200475883016"), JPOST.format("1200475883099")
    section = "https://example.org/view?section=1&id=5"
    offsets = write_records(folder / "crawl.warc.gz",
                            [second, first, section, "https://example.org/held?cid=1"])
    merged = "https://www.jpost.com/servlet/Satellite?pagename=JPost%2FJPArticle%2FShowFull"
    engine = make_engine(archive_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0007")
        connection.execute(sa.insert(_SOURCES).values(
            key="src", name="S", site_name="S", kind="ministry", country="RU", language="en",
            spider="feed", domains="[]", entry_points="[]", updated_at=T0))
        connection.execute(sa.insert(_ARTICLES), [
            # Both jpost pages in one row: the second's text, the first's as a version.
            article(1, merged, ("crawl.warc.gz", offsets[0])),
            article(2, "https://example.org/view?id=5&section=1", ("crawl.warc.gz", offsets[2])),
            article(3, "https://example.org/gone?id=5&section=1", ("missing.warc.gz", 0)),
            article(4, "https://example.org/held?cid=1"),
            article(5, "https://example.org/held", (str(folder / "crawl.warc.gz"), offsets[3])),
        ])
        connection.execute(sa.insert(_VERSIONS).values(
            article_id=1, title="t0", body="b0", content_hash="h0", first_seen_at=T0,
            seen_at=T0, warc_file="crawl.warc.gz", warc_offset=offsets[1]))
        connection.execute(sa.insert(_URLS), [
            {"url": u, "article_id": a, "kind": k, "first_seen_at": T0} for u, a, k in [
                ("https://jpost.com/servlet/Satellite?pagename=JPost%2FJPArticle%2FShowFull",
                 1, "fetched"),
                ("https://example.org/view?id=5%C2%A7ion%3D1", 2, "fetched"),
                ("https://example.org/old-view?_openstat=x", 2, "redirect"),
                ("https://example.org/gone?id=5%C2%A7ion%3D1", 3, "fetched"),
                ("https://example.org/held?cid=1", 4, "fetched"),
                ("https://example.org/held", 5, "fetched")]])
        connection.execute(sa.insert(_FETCHES).values(url=merged, source="src", status=200,
                                                      fetched_at=T0))
    with caplog.at_level(logging.INFO, logger="alembic.runtime.migration"):
        upgrade(engine)
    with engine.connect() as connection:
        articles = dict(connection.execute(sa.text("SELECT id, url FROM articles")).all())
        urls = dict(connection.execute(sa.text("SELECT url, article_id FROM article_urls")).all())
        fetches = connection.execute(sa.text("SELECT url FROM fetch_state")).scalars().all()
    assert articles == {1: second, 2: "https://example.org/view?id=5&section=1",
                        3: "https://example.org/gone?id=5&section=1",
                        4: "https://example.org/held?cid=1", 5: "https://example.org/held"}
    assert urls == {url_key(second): 1, "https://example.org/view?id=5&section=1": 2,
                    "https://example.org/old-view": 2,
                    # no readable record: left as it was
                    "https://example.org/gone?id=5%C2%A7ion%3D1": 3,
                    # article 5 should be at ?cid=1, which article 4 holds: never merged
                    "https://example.org/held?cid=1": 4, "https://example.org/held": 5}
    assert fetches == [second]
    with Session(engine) as session:
        assert find_article(session, second).id == 1
        assert find_article(session, section).id == 2
        assert find_article(session, "https://www.example.org/old-view/").id == 2
        assert find_article(session, first) is None  # its text is only a version of 1
    report = caplog.text
    for count in ["1 WARC records unreadable", "1 articles re-keyed",
                  "3 article_urls re-keyed", "1 fetch_state re-keyed",
                  "1 articles left: new value taken", "1 article_urls left: new value taken",
                  "1 articles without a WARC record"]:
        assert count in report, report
