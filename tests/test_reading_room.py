"""The reading room of `demarche browse`: its pages served over loopback HTTP
by the real command, on the demo archive plus a statement written through
the storage functions that has every section of the statement page: an
edit, a takedown, a relay by an agency 3 h 30 min later, a translation,
quotations, speakers and countries."""

from __future__ import annotations

import io
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import lxml.html
import pytest
from sqlalchemy.orm import Session
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.enrich.record import Enrichment, Mention, Quote, Speaker
from crawler.sources import load_sources
from reading.room.archived import POLICY
from storage.archive import mark_removed, store_article, sync_sources
from storage.clusters import index_article
from storage.engine import open_archive
from tests.conftest import ROOT, browse_server

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
PUBLISHED = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
STATEMENT = "https://mid.ru/en/foreign_policy/news/2000001/"
RELAY = "https://sputnikglobe.com/20240506/lavrov-ceasefire.html"
TRANSLATION = "https://mid.ru/ru/foreign_policy/news/2000002/"
TITLE = "Lavrov calls for a ceasefire in Syria"
QUOTE = "We call on all sides to observe the ceasefire in Syria immediately"
STANDFIRST = "The minister asked the envoy to carry the call to every side before the talks."
BODY = (f"Foreign Minister Sergei Lavrov said: \u201c{QUOTE}.\u201d The minister met the envoy "
        "in Moscow to discuss the humanitarian corridors, the exchange of prisoners and the "
        "return of refugees to their homes in Syria before the talks resume next month "
        "under the auspices of the United Nations in Geneva, where the parties are "
        "expected to agree on a timetable for the political process.\n\n"
        "Russia stands ready to help.")
RELAY_BODY = f"MOSCOW (Sputnik) - {BODY} Sputnik will follow the talks."


# The page as the ministry served it, with what a page may carry that must
# not run or load in the archived copy.
PAGE = f"""<html><head><title>{TITLE}</title>
<script src="https://counter.example/track.js"></script>
<link rel="stylesheet" href="https://cdn.example/site.css"></head>
<body onload="track()"><nav><a href="/en/foreign_policy/news/">News</a></nav>
<h1>{TITLE}</h1><p>{BODY.split(chr(10))[0]}</p>
<img src="https://counter.example/pixel.gif" alt="">
<iframe src="https://video.example/embed/1"></iframe></body></html>""".encode()


def write_warc(folder: Path) -> tuple[str, int]:
    """A WARC file holding the statement's response, as a crawl writes one:
    its name (bare: looked for in the archive's WARC folder) and the
    record's offset."""
    folder.mkdir(exist_ok=True)
    name = "room-test-00001.warc.gz"
    with (folder / name).open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                   protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            STATEMENT, "response", payload=io.BytesIO(PAGE), http_headers=headers))
    return name, 0


def article(source: str, url: str, body: str, published: datetime, language: str = "en",
            title: str = TITLE, warc: tuple[str, int] | None = None,
            standfirst: str | None = None) -> dict:
    return {"source": source, "url": url, "canonical_url": None, "title": title, "body": body,
            "published_at": published, "author": None, "language": language, "section": None,
            "site_name": None, "warc_file": warc[0] if warc else None,
            "warc_offset": warc[1] if warc else None, "standfirst": standfirst}


def enrichment(speakers=(), quotes=(), countries=(), keys=(), kind="statement") -> Enrichment:
    return Enrichment(statement_type=kind, speakers=tuple(speakers), quotes=tuple(quotes),
                      countries=tuple(countries), source_country="RU", document_number=None,
                      translation_keys=tuple(keys), turns=())


def add_headline_features(path: Path) -> dict[str, int]:
    """Write into a demo archive a statement with every section of the
    statement page; returns the ids by role."""
    from storage.statements import store_enrichment

    engine = open_archive(f"sqlite:///{path}")
    warc = write_warc(path.parent / "warc")
    with Session(engine) as s, s.begin():
        sync_sources(s, load_sources().values(), T0)
        _, statement = store_article(s, article("mid_ru_en", STATEMENT, BODY, PUBLISHED,
                                                standfirst=STANDFIRST), T0)
        _, relay = store_article(s, article("sputnik_russia", RELAY, RELAY_BODY,
                                            PUBLISHED + timedelta(hours=3, minutes=30)), T0)
        _, translation = store_article(s, article(
            "mid_ru_ru", TRANSLATION, "Министр иностранных дел Сергей Лавров заявил о "
            "прекращении огня в Сирии.", PUBLISHED, "ru", "Лавров о прекращении огня"), T0)
        lavrov = Speaker("Sergei Lavrov", "Foreign Minister", "RU")
        store_enrichment(s, statement, enrichment(
            [lavrov], [Quote(QUOTE, "Sergei Lavrov", BODY.index(QUOTE))],
            [Mention("SY", 2), Mention("RU", 1)], ["doc:RU:1000-06-05-2024"]), "test", new=True)
        store_enrichment(s, relay, enrichment([lavrov], [], [Mention("SY", 2)],
                                              kind="news report"), "test", new=True)
        store_enrichment(s, translation, enrichment(
            [Speaker("Сергей Лавров", "Министр", "RU")], [], [Mention("SY", 1)],
            ["doc:RU:1000-06-05-2024"]), "test", new=True)
        for article_id, body in ((statement, BODY), (relay, RELAY_BODY)):
            index_article(s, article_id, body, T0, new=True)
    with Session(engine) as s, s.begin():
        # The ministry edits its page: the first text becomes a version ...
        store_article(s, article("mid_ru_en", STATEMENT, BODY.replace(
            "Russia stands ready", "Russia stands firmly ready"), PUBLISHED, warc=warc,
            standfirst=STANDFIRST),
            T0 + timedelta(days=1))
    with Session(engine) as s, s.begin():
        # ... and then takes it down.
        assert mark_removed(s, STATEMENT, "http 404", T0 + timedelta(days=2))
    engine.dispose()
    return {"statement": statement, "relay": relay, "translation": translation}


@dataclass(frozen=True)
class Room:
    base: str
    ids: dict[str, int]
    path: Path

    def url(self, path: str, **params: str) -> str:
        query = urllib.parse.urlencode(params)
        return f"{self.base}{path}" + (f"?{query}" if query else "")

    def get(self, path: str, **params: str) -> tuple[int, dict[str, str], str]:
        try:
            with urllib.request.urlopen(self.url(path, **params), timeout=60) as response:
                return (response.status, {k.lower(): v for k, v in response.headers.items()},
                        response.read().decode())
        except urllib.error.HTTPError as exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read().decode()

    def page(self, path: str, **params: str) -> lxml.html.HtmlElement:
        status, _headers, body = self.get(path, **params)
        assert status == 200, (path, status, body[:500])
        return lxml.html.document_fromstring(body)


@pytest.fixture(scope="module")
def room(demo_db: Path, tmp_path_factory) -> Iterator[Room]:
    folder = tmp_path_factory.mktemp("room")
    path = folder / "archive.db"
    shutil.copy(demo_db, path)
    # The demo's WARC files, where browse looks for them: beside the archive.
    shutil.copytree(demo_db.parent / "warc", folder / "warc")
    ids = add_headline_features(path)
    for base in browse_server(path):
        yield Room(base, ids, path)


def text_of(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def test_statement_page_has_every_section(room: Room):
    doc = room.page(f"/statement/{room.ids['statement']}")
    assert text_of(doc.get_element_by_id("statement").find("h1")) == TITLE
    meta = text_of(doc.get_element_by_id("statement-meta"))
    assert "Ministry of Foreign Affairs of the Russian Federation (English)" in meta
    assert "6 May 2024, 10:00 UTC" in meta and "statement" in meta
    # The summary under the headline, which the body leaves out, heads the text.
    assert text_of(doc.cssselect("#text > p")[0]) == STANDFIRST
    # The quotation marked in the text, with its speaker.
    marks = doc.cssselect("#text mark.quote")
    assert [(text_of(m), m.get("data-speaker")) for m in marks] == [(QUOTE, "Sergei Lavrov")]
    assert "Sergei Lavrov" in text_of(doc.cssselect("#text .said-by")[0])
    speakers = text_of(doc.get_element_by_id("speakers"))
    assert "Sergei Lavrov, Foreign Minister (Russia)" in speakers
    countries = text_of(doc.get_element_by_id("countries"))
    assert "Syria ×2" in countries and "Russia ×1" in countries
    # The translation beside the text.
    translation = doc.get_element_by_id(f"translation-{room.ids['translation']}")
    assert translation.get("lang") == "ru" and "Лавров о прекращении огня" in text_of(translation)
    assert "side-by-side" in doc.get_element_by_id("texts").get("class")
    # The edit as a word diff, the takedown, the relay and its delay.
    versions = doc.get_element_by_id("versions")
    assert [text_of(e) for e in versions.cssselect(".diff ins")] == ["firmly"]
    assert "http 404" in text_of(doc.get_element_by_id("takedown"))
    rows = [[text_of(td) for td in tr.findall("td")]
            for tr in doc.cssselect("#syndication tbody tr")]
    assert rows[0][0].startswith("Ministry of Foreign Affairs") and rows[0][2:4] == [
        "first published", ""]
    assert rows[1][0] == "Sputnik International: Russia"
    assert rows[1][2:4] == ["relayed", "3 h 30 min later"]
    assert doc.get_element_by_id("live-link").get("href") == STATEMENT
    assert doc.get_element_by_id("archived-link").get("href") == (
        f"/statement/{room.ids['statement']}/archived")
    cite = doc.get_element_by_id("cite-txt").text_content()
    assert cite.startswith("Ministry of Foreign Affairs of the Russian Federation (English). "
                           f"\u201c{TITLE}.\u201d 6 May 2024. {STATEMENT}")
    assert f"{room.base}/statement/{room.ids['statement']}" in cite


def test_citation_downloads(room: Room):
    path = f"/statement/{room.ids['statement']}/cite"
    status, headers, body = room.get(f"{path}.json")
    assert status == 200 and headers["content-type"].startswith(
        "application/vnd.citationstyles.csl+json")
    [item] = json.loads(body)
    assert item["title"] == TITLE and item["URL"] == STATEMENT
    assert item["issued"] == {"date-parts": [[2024, 5, 6]]}
    assert item["accessed"] == {"date-parts": [[2024, 5, 6]]}
    status, _headers, bib = room.get(f"{path}.bib")
    assert bib.startswith(f"@online{{demarche{room.ids['statement']},")
    assert f"  url = {{{STATEMENT}}}," in bib and "  date = {2024-05-06}," in bib


def test_archived_copy_from_the_warc_record(room: Room):
    status, headers, body = room.get(f"/statement/{room.ids['statement']}/archived")
    assert status == 200 and headers["content-security-policy"] == POLICY
    page = lxml.html.document_fromstring(body)
    assert f"Archived copy of {STATEMENT}" in text_of(page)
    assert QUOTE in text_of(page)
    assert not page.cssselect("script, iframe, link, object, embed, [onload]")
    assert "counter.example" not in body and "video.example" not in body
    # The site's own links lead to the live site, not into the reading room.
    assert [a.get("href") for a in page.cssselect("a[href]")] == [
        "https://mid.ru/en/foreign_policy/news/"]
    # The relay came through the write path without a WARC record.
    status, headers, body = room.get(f"/statement/{room.ids['relay']}/archived")
    assert status == 404 and "has no WARC record" in body


def test_speaker_page(room: Room):
    doc = room.page("/speaker/Sergei~20Lavrov")
    assert text_of(doc.find(".//h1")) == "Sergei Lavrov"
    kinds = text_of(doc.get_element_by_id("by-type"))
    with sqlite3.connect(room.path) as conn:
        expected = dict(conn.execute(
            "SELECT coalesce(statement_type, 'unknown'), count(DISTINCT a.id) FROM articles a "
            "JOIN speakers s ON s.article_id = a.id WHERE s.name = 'Sergei Lavrov' GROUP BY 1"))
    assert expected["statement"] >= 1 and expected["news report"] >= 1  # the two added
    assert all(f"{kind} {n}" in kinds for kind, n in expected.items())
    listed = [a.get("href") for a in doc.cssselect("#statements li > a")]
    assert f"/statement/{room.ids['statement']}" in listed
    assert len(listed) == sum(expected.values())
    assert QUOTE in text_of(doc.get_element_by_id("quotes"))
    assert doc.cssselect("#speaker-chart svg[role=img]")
    # A space in a link is spelt as Datasette spells it (tilde encoding),
    # which it does not redirect.
    home = room.page("/")
    assert "/speaker/Sergei+Lavrov" in [a.get("href") for a in home.cssselect("#speakers a")]
    assert room.get("/speaker/Nobody")[0] == 404


def test_source_page(room: Room):
    doc = room.page("/source/mid_ru_en")
    assert text_of(doc.find(".//h1")) == ("Ministry of Foreign Affairs of the Russian "
                                          "Federation (English)")
    assert text_of(doc.get_element_by_id("health-state")) == "ok"
    newest = doc.cssselect("#newest li > a")
    assert newest[0].get("href") == f"/statement/{room.ids['statement']}"
    with sqlite3.connect(room.path) as conn:
        [(count,)] = conn.execute("SELECT count(*) FROM articles WHERE source = 'mid_ru_en'")
    assert len(newest) == count
    assert doc.cssselect("#source-chart svg path")
    assert room.get("/source/nowhere")[0] == 404


def test_country_page(room: Room):
    doc = room.page("/country/sy")
    assert text_of(doc.find(".//h1")) == "Syria (SY)"
    by_source = {text_of(tr.findall("td")[0]): int(text_of(tr.findall("td")[1]))
                 for tr in doc.cssselect("#by-source tbody tr")}
    with sqlite3.connect(room.path) as conn:
        expected = dict(conn.execute(
            "SELECT s.name, count(*) FROM mentions m JOIN articles a ON a.id = m.article_id "
            "JOIN sources s ON s.key = a.source WHERE m.country = 'SY' GROUP BY s.name"))
    assert by_source == expected and len(expected) >= 3  # the three added
    assert doc.cssselect("#country-chart svg path")


def test_search_with_facets(room: Room):
    doc = room.page("/search", q="ceasefire Lavrov")
    hits = [a.get("href") for a in doc.cssselect("#results li > a")]
    assert {f"/statement/{room.ids['statement']}", f"/statement/{room.ids['relay']}"} <= set(hits)
    facets = {ul.get("data-facet"): {text_of(li) for li in ul.findall("li")}
              for ul in doc.cssselect("#facets ul")}
    assert set(facets) >= {"source", "speaker", "type", "country", "language", "year"}
    # The statement and its relay at least: as many as the hits Lavrov speaks in.
    [lavrov] = [v for v in facets["speaker"] if v.startswith("Sergei Lavrov ")]
    assert int(lavrov.rsplit(" ", 1)[1]) >= 2
    # Choosing a facet value narrows the hits, and says so.
    link = next(a.get("href") for a in doc.cssselect("#facets ul[data-facet=type] a")
                if text_of(a) == "news report")
    narrowed = room.page(link.split("?")[0], **dict(urllib.parse.parse_qsl(
        link.split("?")[1])))
    hits = [a.get("href") for a in narrowed.cssselect("#results li > a")]
    assert f"/statement/{room.ids['relay']}" in hits
    assert f"/statement/{room.ids['statement']}" not in hits
    assert narrowed.cssselect("#facets a.chosen[aria-current=true]")
    # The query's trend, with its share, as a chart and as figures.
    assert doc.cssselect("#trend-chart svg[role=img]")
    # A year narrows to that year; a malformed query says why.
    year = room.page("/search", year="2024")
    assert "3 statements" in text_of(year.get_element_by_id("results-h"))
    bad = room.page("/search", q='"unclosed')
    assert bad.cssselect("#search-error")


def test_home_offers_ways_in_and_keeps_the_tables(room: Room):
    doc = room.page("/")
    hrefs = [a.get("href") for a in doc.cssselect("a[href]")]
    assert "/source/mid_ru_en" in hrefs and "/country/SY" in hrefs and "/search" in hrefs
    assert "/archive" in hrefs  # Datasette's tables and SQL, one click away
    status, _h, body = room.get("/archive/articles.json", _shape="array", _size="1")
    assert status == 200 and json.loads(body)
    assert room.get("/statement/999999")[0] == 404


def test_a_port_that_cannot_be_served_is_said_before_serving(demo_db: Path):
    def browse(port: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "cli", "browse", "--archive",
                               f"sqlite:///{demo_db}", "--port", port], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    out_of_range = browse("99999")
    assert out_of_range.returncode == 2 and "'99999' is not a port" in out_of_range.stderr
    with socket.create_server(("127.0.0.1", 0)) as taken:
        busy = browse(str(taken.getsockname()[1]))
    assert busy.returncode == 2, busy.stderr
    assert "cannot listen on 127.0.0.1:" in busy.stderr and "serving" not in busy.stderr
