"""Paragraphs written as double line breaks become paragraphs
(crawler/extraction/breaks.py), on texts of their own."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from lxml import html as lxml_html

from crawler.extraction.breaks import paragraphs_from_breaks
from crawler.extraction.extract import extract_statement
from crawler.items import FetchedPage

LEDE = ("The Ministry of Foreign Affairs summoned the ambassador on Tuesday over the closure "
        "of the consulate in the port city, a spokeswoman said.")
SECOND = ("The ministry handed over a note of protest and asked for the decision to be "
          "reversed before the end of the month.")
LEDE_PAGE = "e7301133baab43596f19076beab32096f6405b868e0a69bcfc3349e595d62475"
THIRD = "Talks on the consular agreement are to resume in the spring, the note said."


def _paragraphs(markup: str) -> list[str]:
    tree = lxml_html.document_fromstring(markup)
    paragraphs_from_breaks(tree)
    return [" ".join(p.text_content().split()) for p in tree.iter("p")]


def test_runs_between_double_breaks_become_paragraphs():
    markup = (f"<html><body><div>{LEDE}<br><br>{SECOND.replace('note', '<b>note</b>')}"
              f"<br />\n<br />\n<br />{THIRD}</div></body></html>")
    assert _paragraphs(markup) == [LEDE, SECOND, THIRD]


def test_a_single_break_stays_inside_its_paragraph():
    tree = lxml_html.document_fromstring(
        f"<html><body><div>{LEDE}<br>{SECOND}<br><br>{THIRD}</div></body></html>")
    paragraphs_from_breaks(tree)
    first, second = tree.findall(".//p")
    assert [child.tag for child in first] == ["br"]
    assert " ".join(second.text_content().split()) == THIRD


def test_block_children_stay_and_end_a_run():
    markup = (f"<html><body><div>{LEDE}<br><br>{SECOND}<table><tr><td>cell</td></tr></table>"
              f"{THIRD}<br><br></div></body></html>")
    tree = lxml_html.document_fromstring(markup)
    paragraphs_from_breaks(tree)
    div = tree.find(".//div")
    assert [child.tag for child in div] == ["p", "p", "table", "p"]
    assert " ".join(div[3].text_content().split()) == THIRD


def test_a_column_of_links_is_left_alone():
    links = "<br><br>".join(f'<a href="/n/{n}">News {n}</a>' for n in range(8))
    markup = f"<html><body><div>{links}</div></body></html>"
    tree = lxml_html.document_fromstring(markup)
    assert paragraphs_from_breaks(tree) == 0
    assert tree.find(".//p") is None and len(tree.findall(".//br")) == 14


def test_breaks_inside_a_paragraph_are_not_nested_paragraphs():
    markup = f"<html><body><p>{LEDE}<br><br>{SECOND}</p></body></html>"
    tree = lxml_html.document_fromstring(markup)
    assert paragraphs_from_breaks(tree) == 0


def test_a_real_article_written_with_breaks_keeps_its_lede(shared: Path):
    # A dev page (a WordPress article) with its <p> written as <br><br>: its
    # lede is the tail of an empty form placeholder, which trafilatura's
    # fast mode dropped with the placeholder.
    page = shared / "eval/dev" / f"{LEDE_PAGE}.html"
    saved = page.read_bytes()
    body = re.sub(rb"(?i)</p\s*>", b"<br><br>", re.sub(rb"(?i)<p(\s[^>]*)?>", b"", saved))
    result = extract_statement(FetchedPage("", "http://www.theparadigmng.com/2018/10/01/a/",
                                           200, None, body, datetime.now(UTC)))
    assert result.body.startswith("President of the Senate, Bukola Saraki, Senator Dino Melaye")
    assert "The move was over their invitation by the Nigeria Police." in result.body.split("\n\n")


def test_a_control_character_named_by_reference_does_not_stop_the_page():
    # The parser keeps "&#1;" as U+0001, which lxml refuses in a new <p>.
    body = (f"<html><body><div>{LEDE.replace('Tuesday', 'Tues&#1;day')}<br><br>{SECOND}"
            f"</div></body></html>").encode()
    result = extract_statement(FetchedPage("", "https://mfa.example/news/13", 200, "text/html",
                                           body, datetime.now(UTC)))
    assert result.body.split("\n\n") == [LEDE, SECOND]
