"""Binary payloads served as ``text/html`` (issue 14, point 7): rejected as
``not_html`` and counted, by the crawl, ``demarche extract`` and
``demarche import-warc`` alike, while no real page is taken for one."""

from __future__ import annotations

import gzip
import io
import json
import random
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import matplotlib
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from batch.corpus import extract_directory
from batch.warc_import import import_warcs
from crawler.extraction.decode import decode_html, looks_binary
from crawler.extraction.draft import Rejected
from crawler.extraction.extract import extract_statement
from crawler.items import FetchedPage
from tests.conftest import SHARED, article_html, write_sources

matplotlib.use("Agg")

PARAS = [
    "The Minister held talks with his counterpart on the bilateral agenda and regional issues.",
    "The sides agreed to continue consultations at the level of deputy ministers next month.",
]
GOOD = "/news/2024/02/01/talks.html"
BINARY = "/news/2024/02/02/release.html"


def _png() -> bytes:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    axes.plot(range(50), [random.Random(n).random() for n in range(50)])
    out = io.BytesIO()
    figure.savefig(out, format="png")
    plt.close(figure)
    return out.getvalue()


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("statement.docx", random.Random(1).randbytes(40_000))
    return out.getvalue()


def payloads() -> dict[str, bytes]:
    """Real binary formats, as a misconfigured server sends them."""
    page = min((SHARED / "eval" / "dev").glob("*.html")).read_bytes()
    return {
        "png": _png(),
        "gzip": gzip.compress(page),  # a page sent compressed without Content-Encoding
        "zip": _zip(),
        "random": random.Random(7).randbytes(60_000),
        # A binary body behind a scrap of markup still decodes to noise.
        "markup_then_binary": b"<html><body><p>" + random.Random(8).randbytes(60_000),
        # The gzip stream of 1 GB of zeros is mostly "U" bytes: it decodes
        # to few control characters (0.6%), and is known by its opening bytes.
        "gzip_of_zeros": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + b"U" * 100_000,
    }


def _page(body: bytes, content_type: str | None) -> FetchedPage:
    return FetchedPage(source="s", url="https://mfa.example/news/2024/02/02/release.html",
                       status=200, content_type=content_type, body=body,
                       fetched_at=datetime.now(UTC))


@pytest.mark.parametrize("name", list(payloads()))
@pytest.mark.parametrize("content_type", ["text/html", "text/html; charset=utf-8",
                                          "text/html; charset=windows-1251"])
def test_binary_payload_served_as_html_is_not_html(name: str, content_type: str):
    result = extract_statement(_page(payloads()[name], content_type))
    assert isinstance(result, Rejected), f"{name} archived as text: {result.body[:80]!r}"
    assert result.reason == "not_html"


def test_no_real_page_looks_binary(shared: Path):
    pages = sorted((shared / "eval" / "dev").glob("*.html"))
    pages += sorted((shared / "realpages").glob("*/*.html"))
    assert len(pages) > 200
    binary = [p.name for p in pages if looks_binary(decode_html(p.read_bytes()).text)]
    assert binary == []


def test_a_few_stray_control_bytes_do_not_make_a_page_binary():
    html = article_html("Statement \x0b with a stray byte", PARAS).replace(
        "<p>", "<p>\x1a", 1).encode()
    assert not looks_binary(decode_html(html, "text/html").text)
    result = extract_statement(_page(html, "text/html"))
    assert not isinstance(result, Rejected)


def test_crawl_counts_the_binary_page_and_archives_the_rest(site, crawl, tmp_path: Path):
    site.page("/news/", f'<html><body><a href="{GOOD}">a</a> <a href="{BINARY}">b</a>'
                        "</body></html>")
    site.page(GOOD, article_html("Minister holds talks in Yerevan", PARAS))
    site.page(BINARY, payloads()["zip"], content_type="text/html; charset=utf-8")
    result = crawl(write_sources(tmp_path / "sources.toml", site), "loopback_news")
    assert result.returncode == 0, result.output
    assert result.rows("SELECT url FROM articles") == [(site.url(GOOD),)]
    stats = result.last_run_stats()
    assert stats["extract/rejected/not_html"] == 1
    assert result.rows("SELECT count(*) FROM articles WHERE body LIKE '%' || char(65533) || '%'"
                       ) == [(0,)]


def test_demarche_extract_reports_the_binary_page(tmp_path: Path):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "good.html").write_text(article_html("Minister holds talks in Yerevan", PARAS))
    (pages / "binary.html").write_bytes(b"<!DOCTYPE html>" + payloads()["random"])
    out = tmp_path / "out.jsonl"
    summary = extract_directory(pages, out, workers=1)
    records = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert summary.pages == 2
    assert records["good"]["text"]
    assert records["binary"]["text"] is None
    assert records["binary"]["error"].startswith("not_html")


def test_import_warc_counts_the_binary_page(tmp_path: Path):
    path = tmp_path / "site.warc.gz"
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, body in [("https://mfa.example/news/2024/02/01/talks.html",
                           article_html("Minister holds talks in Yerevan", PARAS).encode()),
                          ("https://mfa.example/news/2024/02/02/release.html", payloads()["png"])]:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=headers))
    summary = import_warcs([path], f"sqlite:///{tmp_path / 'archive.db'}", {}, workers=1)
    assert summary.pages == 2
    assert summary.rejected == {"not_html": 1}
    assert summary.outcomes["new"] == 1
