"""Tables of one row and one cell are boxes, not data
(crawler/extraction/layout.py), on texts of their own."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import html as lxml_html

from crawler.extraction.extract import extract_statement
from crawler.extraction.layout import unwrap_single_cells
from crawler.items import FetchedPage

PARAS = [
    "The Foreign Ministry said on Friday that the talks on the border crossings had ended.",
    "Both delegations agreed to meet again in March to sign the protocol on customs posts.",
    "The ministry thanked the host country for its hospitality and its help with the talks.",
]


def _words(tree: lxml_html.HtmlElement) -> list[str]:
    return tree.text_content().split()


def test_a_one_cell_table_becomes_a_box_with_every_word_in_place():
    markup = ("<html><body><div>before<table><tbody><tr><td>cell <b>bold</b> text<p>para</p>"
              "after para</td></tr></tbody></table>tail of the table<table><tr><td>a</td>"
              "<td>b</td></tr></table></div></body></html>")
    tree = lxml_html.document_fromstring(markup)
    words = _words(tree)
    assert unwrap_single_cells(tree) == 1
    assert _words(tree) == words
    assert len(tree.findall(".//table")) == 1  # two cells: data, kept


def test_nested_boxes_all_open():
    markup = "<html><body><table><tr><td><table><tr><th>inner</th></tr></table></td></tr></table></body></html>"
    tree = lxml_html.document_fromstring(markup)
    assert unwrap_single_cells(tree) == 2
    assert tree.find(".//table") is None and _words(tree) == ["inner"]


def test_paragraphs_each_in_a_one_cell_table_read_as_paragraphs():
    cells = "".join(f"<table><tr><td>{p}</td></tr></table>" for p in PARAS)
    body = (f"<html><head><title>Talks ended</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<div id='content'><h1>Talks ended</h1>{cells}</div></body></html>")
    result = extract_statement(FetchedPage("", "https://mfa.example/news/3", 200, "text/html",
                                           body.encode(), datetime.now(UTC)))
    assert result.body.split("\n\n") == PARAS


def test_a_control_character_named_by_reference_does_not_stop_the_page():
    body = (f"<html><body><div><table><tr><td>{PARAS[0].replace('Friday', 'Fri&#2;day')}"
            f"</td></tr></table>{PARAS[1].replace('March', 'Ma&#3;rch')}</div></body></html>")
    result = extract_statement(FetchedPage("", "https://mfa.example/news/4", 200, "text/html",
                                           body.encode(), datetime.now(UTC)))
    assert PARAS[0] in result.body and PARAS[1] in result.body
