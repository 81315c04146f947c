"""Every HTML page is read (issue 15, point 1): a body of unknown type is
told HTML the way a browser tells it (WHATWG MIME Sniffing: whitespace,
then a tag opening), XHTML with its XML declaration included, and a page
opening with an XML declaration is parsed whatever path it came by. And
read whole (point 4): a teaser taken from a long page is read again."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from batch.warc_import import import_warcs
from crawler.extraction.draft import Rejected
from crawler.extraction.extract import extract_statement
from crawler.extraction.html import from_document_start, looks_like_html, sniffs_as_html
from crawler.items import FetchedPage
from tests.conftest import article_html, write_sources

ROOT = Path(__file__).resolve().parent.parent
TITLE = "Ministers agree on river shipping rules"
PARAS = [
    "The ministers agreed on common rules for shipping on the border river this season.",
    "Inspections at the two ports will be shared, and the fees will be the same on each bank.",
]
ARTICLE = article_html(TITLE, PARAS).removeprefix("<!DOCTYPE html>")
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
XHTML_DOCTYPE = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
                 '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n')
PHP_WARNING = ("<br />\n<b>Warning</b>:  Undefined variable $lang in <b>/srv/www/page.php</b> "
               "on line <b>12</b><br />\n")
# Whole pages as saved, each opening in a way a browser reads as HTML.
PAGES = {
    "xhtml": XML_DECLARATION + XHTML_DOCTYPE + ARTICLE.replace("<html ", '<html xmlns='
                                                               '"http://www.w3.org/1999/xhtml" '),
    "php_warning": PHP_WARNING + "<!DOCTYPE html>" + ARTICLE,
    "script_first": '<script>window.dataLayer = [];</script>\n<!DOCTYPE html>' + ARTICLE,
    "style_first": "<style>\n  .promo { display: none }\n</style>\n" + ARTICLE,
    "text_line_first": "Deprecated: Function create_function() is deprecated\n<!DOCTYPE html>"
                       + ARTICLE,
}


@pytest.mark.parametrize("opening", [
    b"<!DOCTYPE html>", b"  \r\n<!doctype HTML PUBLIC", b"<HTML lang=en>", b"<head>",
    b"<SCRIPT>var a;</SCRIPT>", b"<iframe src=x>", b"<h1>", b"<div class=a>", b"<font>",
    b"<table>", b"<a href=x>", b"<style>", b"<title>", b"<b>", b"<body>", b"<br />", b"<br/>",
    b"<p>", b"<!-- saved -->", b"\xef\xbb\xbf<html>", b"<html\n lang=en>",
    # Past the standard's list: every HTML element (a page saved from its
    # <body> on, an article fragment), and a conditional comment.
    b"<header class=top>", b"<section>", b"<span>", b'<link rel="stylesheet" href=a.css>',
    b"<noscript>", b"<abbr>", b"<main>", b"<!--[if lt IE 9]>", b"<amp-state id=s>",
    b"<app-root ng-version=5>", b"<svg style='display:none'><symbol id=i/></svg>\n<div>",
])
def test_a_tag_opening_after_whitespace_is_html(opening: bytes):
    assert sniffs_as_html(opening + b"rest of the page")


@pytest.mark.parametrize("body", [
    b"<bogus>", b"<brand>", b"<bodypart>", b"plain text", b'{"html": "<p>x</p>"}',
    b"<svg xmlns='http://www.w3.org/2000/svg'>", b"<urlset xmlns='x'>", b"<rss version='2.0'>",
    b"%PDF-1.7", b"GIF89a", b"<?xml version='1.0'?><rss version='2.0'><channel>",
    b"<?xml version='1.0'?>\n<!-- feed -->\n<feed xmlns='http://www.w3.org/2005/Atom'>",
    b"<?xml version='1.0'?><data><item/></data>", b"<?xml version='1.0'?><web-app>",
    b"a text that mentions <html> in passing",
])
def test_other_openings_are_not_html(body: bytes):
    assert not sniffs_as_html(body)


@pytest.mark.parametrize("prolog", [
    b'<?xml version="1.0" encoding="utf-8"?>',
    b'<?xml version="1.0"?>\n<!-- generated -->\n<?xml-stylesheet href="a.xsl"?>\n',
    b'\xef\xbb\xbf  <?xml version="1.0" encoding="ISO-8859-1" ?>\r\n',
])
@pytest.mark.parametrize("root", [b"<html xmlns='http://www.w3.org/1999/xhtml'>",
                                  XHTML_DOCTYPE.encode()])
def test_xhtml_behind_an_xml_declaration_is_html(prolog: bytes, root: bytes):
    assert sniffs_as_html(prolog + root)


def test_a_document_after_a_line_of_text_is_html():
    assert sniffs_as_html(b"Notice: Undefined index: id in /srv/a.php on line 3\n<!DOCTYPE html>")
    assert sniffs_as_html(b"Warning: session_start()\n\xef\xbb\xbf<html><head>")


def test_utf16_with_byte_order_mark_is_sniffed_as_text():
    assert sniffs_as_html("\ufeff<!DOCTYPE html><html>".encode("utf-16-le"))
    assert sniffs_as_html("<html>".encode("utf-16"))


def test_a_declared_type_still_decides():
    assert looks_like_html("text/html", b"plain text")
    assert not looks_like_html("application/json", b"<html>")
    assert looks_like_html("text/plain; charset=utf-8", b"<style>a{}</style>")


def _page(body: bytes, content_type: str | None) -> FetchedPage:
    return FetchedPage("", "https://mfa.example/news/1.html", 200, content_type, body,
                       datetime.now(UTC))


@pytest.mark.parametrize("name", sorted(PAGES))
@pytest.mark.parametrize("content_type", [None, "text/html", "text/html; charset=utf-8"])
def test_each_page_is_read_on_every_path(name: str, content_type: str | None):
    result = extract_statement(_page(PAGES[name].encode("utf-8"), content_type))
    assert not isinstance(result, Rejected), result
    assert result.title == TITLE
    assert all(p in result.body for p in PARAS)


def test_what_a_server_printed_before_the_document_is_not_read():
    # The parser would open the body at the warning and take the <head> into it.
    warnings = PHP_WARNING * 40  # far past the bytes a sniffer looks at
    head = '<meta name="author" content="Anna Petrova"><title>' + TITLE
    body = (warnings + "<!DOCTYPE html>" + ARTICLE).replace("<title>" + TITLE, head)
    assert head in body
    result = extract_statement(_page(body.encode("utf-8"), None))
    assert not isinstance(result, Rejected), result
    assert "Undefined variable" not in result.body and "page.php" not in result.body
    assert (result.title, result.author) == (TITLE, "Anna Petrova")
    assert "text_before_document" in result.notes


@pytest.mark.parametrize("text", [
    "<!DOCTYPE html><html><body><p>x</p></body></html>",  # nothing before
    "\ufeff \n<!-- saved 2024 -->\n<!DOCTYPE html><html>",  # only white space and comments
    "<head><title>T</title></head>\n<html><body>",  # the document's own structure before
    "<div>text</div>\n" + "x" * 20_000 + "\n<html><body>",  # too far in to be a preamble
    '<p>Write <code>\n<html lang="en"> at the top.</code></p>',  # not a document of its own
])
def test_a_page_without_a_preamble_is_read_whole(text: str):
    assert from_document_start(text) == (text, False)


def test_a_preamble_goes_up_to_the_documents_line():
    page = "<!doctype html><html><head><title>T</title></head>"
    assert from_document_start("Notice: x in /a.php on line 3\n  " + page) == (page, True)


@pytest.mark.parametrize("text", [
    # A script holding a template that opens a line with <html>.
    "<script>var t = `\n<html><body>tpl</body></html>`;</script>\n<div>Real page text</div>",
    # The document line commented out, the comment left open before it.
    "<b>Note</b>\n<!-- old layout\n<html><head><title>T</title></head>",
    # Words that mention the tag, with no document after them.
    "<b>Hello</b> article text\n<html> is the root element of a page.",
])
def test_what_only_looks_like_a_document_line_cuts_nothing(text: str):
    assert from_document_start(text) == (text, False)


def test_a_declaration_naming_another_charset_is_obeyed():
    body = (XML_DECLARATION.replace("UTF-8", "windows-1251") + ARTICLE.replace(
        PARAS[0], PARAS[0] + " Министры договорились.")).encode("cp1251")
    result = extract_statement(_page(body, None))
    assert not isinstance(result, Rejected), result
    assert "Министры договорились." in result.body


def test_demarche_extract_reads_every_page_of_a_folder(tmp_path: Path):
    pages = tmp_path / "pages"
    pages.mkdir()
    for name, html in PAGES.items():
        (pages / f"{name}.html").write_text(html, encoding="utf-8")
    (pages / "feed.html").write_text("<?xml version='1.0'?><rss><channel/></rss>")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run([sys.executable, "-m", "cli", "extract", str(pages), "--out", str(out),
                           "--workers", "1"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    records = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    for name in PAGES:
        assert records[name]["text"] and PARAS[1] in records[name]["text"], records[name]
        assert records[name]["title"] == TITLE
    assert records["feed"]["text"] is None
    assert records["feed"]["error"].startswith("not_html")
    assert f"{len(PAGES) + 1} pages, 1 without text" in proc.stdout


# A long report in plain <div> and <p>, and beside it, in an <article> of
# its own, the teaser of another story: trafilatura's fast mode takes the
# <article>.
REPORT = [
    f"Paragraph {n} of the report: the commission inspected the {place} and found the "
    f"moorings, the lights and the customs post in the state the treaty requires, "
    f"with the exception of {flaw}, which the port authority will repair before spring."
    for n, (place, flaw) in enumerate([
        ("northern quay", "one crane"), ("ferry landing", "the waiting room"),
        ("grain terminal", "a weighbridge"), ("fuel pier", "two bollards"),
        ("container yard", "the fence"), ("pilot station", "its radio mast"),
        ("old harbour", "the slipway"), ("lock gates", "a sluice"),
        ("fish market", "the cold store"), ("passenger hall", "the lifts"),
    ], start=1)
]
TEASER = ("Ferries will run all winter this year. The operators say that the two ice breakers "
          "hired in October will keep the crossing open even in the coldest weeks, and that the "
          "timetables for January and February will be published next week on their websites "
          "and at the ticket offices.")


def test_a_teaser_beside_a_long_article_gives_way_to_the_article():
    html = (f"<!DOCTYPE html><html><head><title>{TITLE}</title></head><body>"
            f'<div class="side"><article class="news"><h3>Ferries to run all winter</h3>'
            f"<p>{TEASER}</p></article></div>"
            f'<div class="content"><h1>{TITLE}</h1>' + "".join(f"<p>{p}</p>" for p in REPORT)
            + "</div></body></html>")
    result = extract_statement(_page(html.encode("utf-8"), "text/html"))
    assert not isinstance(result, Rejected), result
    assert all(p in result.body for p in REPORT)
    assert "Ferries will run all winter" not in result.body


def _own_page(name: str) -> str:
    """PAGES[name] with a title and a text of its own: not a copy of another."""
    return PAGES[name].replace(TITLE, f"{TITLE} ({name})").replace(
        PARAS[0], f"{PARAS[0]} This is the {name} page.")


def test_the_crawl_and_the_import_read_such_pages(site, crawl, tmp_path: Path):
    paths = {name: f"/news/2024/03/0{n}/{name}.html" for n, name in enumerate(sorted(PAGES), 1)}
    site.page("/news/", "<html><body>" + "".join(f'<a href="{p}">{n}</a> '
                                                 for n, p in paths.items()) + "</body></html>")
    for name, path in paths.items():
        # The crawl's pages say text/html; the XHTML page adds the XML declaration.
        site.page(path, _own_page(name))
    result = crawl(write_sources(tmp_path / "sources.toml", site), "loopback_news")
    assert result.returncode == 0, result.output
    assert len(result.rows("SELECT url FROM articles")) == len(PAGES)
    # A WARC import, the records without a Content-Type: sniffed.
    warc = tmp_path / "pages.warc.gz"
    with warc.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for name, path in paths.items():
            headers = StatusAndHeaders("200 OK", [], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                f"https://mfa.example{path}", "response", http_headers=headers,
                payload=io.BytesIO(_own_page(name).encode("utf-8"))))
    summary = import_warcs([warc], f"sqlite:///{tmp_path / 'import.db'}", {}, workers=1)
    assert summary.rejected == {}
    assert summary.outcomes["new"] == len(PAGES)
