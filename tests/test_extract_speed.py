"""Shortcuts taken for speed give what the long way gives.

Each shortcut skips work that cannot change the result: a pass over the
page for characters it does not hold, a trafilatura reader on a page
where it cannot find anything. These tests hold each shortcut to the long
way, on texts of their own and on the real golden pages.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from lxml import html as lxml_html
from trafilatura.metadata import extract_author, extract_catstags
from trafilatura.xpaths import AUTHOR_XPATHS, CATEGORIES_XPATHS

from crawler.extraction import decode
from crawler.extraction import html as reader
from crawler.extraction.html import page_byline, page_categories

GOLDEN = Path(__file__).parent / "golden" / "pages.json"


def _every_character() -> str:
    return "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)


def test_one_scan_finds_every_character_the_cleaning_passes_act_on():
    text = _every_character()
    acted_on = set(reader._ACTED_ON.findall(text))
    for pattern in (decode._BINARY, reader._CONTROL, reader._VERTICAL_SPACE):
        assert set(pattern.findall(text)) <= acted_on


def test_page_with_control_characters_is_still_cleaned():
    page = ("<html><head><title>Ministry\x01 statement</title></head><body><article>"
            + "<p>The minister\x0b spoke about the new agreement on water and roads today.</p>" * 4
            + "</article></body></html>").encode()
    draft = reader.read_html(page, "text/html; charset=utf-8", "https://example.org/a")
    assert "\x0b" not in " ".join(draft.paragraphs) and "minister spoke" in draft.paragraphs[0]
    assert draft.title == "Ministry statement"


# trafilatura's byline and category selectors the guards were written for:
# a new trafilatura with other selectors fails here, and the guard words in
# crawler/extraction/html.py are to be checked against them again.
SELECTORS_SEEN = "8b743ec8e97e4d52"


def _selectors_hash() -> str:
    paths = [x.path for x in (*AUTHOR_XPATHS, *CATEGORIES_XPATHS)]
    return hashlib.sha256("\n".join(paths).encode()).hexdigest()[:16]


def test_guards_were_written_for_these_trafilatura_selectors():
    assert _selectors_hash() == SELECTORS_SEEN


BYLINES = [
    '<a rel="author">{}</a>', '<span id="author">{}</span>', '<p class="author">{}</p>',
    '<span itemprop="author name">{}</span>', '<div><rel>me</rel>{}</div>',
    '<div data-testid="AuthorCard">{}</div>', '<span class="post-author-name">{}</span>',
    '<span class="AuthorName">{}</span>', '<author>{}</author>', '<div class="byline">{}</div>',
    '<span class="username">{}</span>', '<span class="byl">{}</span>', '<p class="BBL">{}</p>',
    '<h4 itemprop="creator author">{}</h4>', '<span id="zuozhe">{}</span>',
    '<span id="bianji1">{}</span>', '<span class="xiaobian">{}</span>',
    '<span class="channel-name">{}</span>', '<div class="submitted-by">{}</div>',
    '<div class="posted-by">{}</div>', '<p class="journalist-name">{}</p>',
    '<section data-component="ArticleByline">{}</section>', '<section id="Author-box">{}</section>',
    '<section class="screenname">{}</section>', '<section class="staff-writer">{}</section>',
    '<section class="Byline">{}</section>',
]


@pytest.mark.parametrize("markup", BYLINES)
def test_every_byline_selector_passes_the_guard(markup: str):
    page = f"<html><body><h1>Talks resume</h1>{markup.format('Maria Lopez')}<p>Text.</p></body></html>"
    tree = lxml_html.document_fromstring(page)
    found = extract_author(tree)
    assert found and found.endswith("Maria Lopez")  # the <rel>me</rel> shape reads "Me Maria Lopez"
    assert page_byline(tree) == found


def test_page_without_byline_markup_gives_none():
    tree = lxml_html.document_fromstring(
        '<html><body><div class="story"><p class="lead">By the sea, the talks resumed.</p></div></body></html>')
    assert page_byline(tree) is None and extract_author(tree) is None


CATEGORIES = [
    ('<div class="entry-meta"><a href="/category/world/">World</a></div>', ["World"]),
    ('<p class="postmeta"><a href="/categories/politics/">Politics</a></p>', ["Politics"]),
    ('<div class="tags"><a href="/tag/x/">X</a></div>', []),
]


@pytest.mark.parametrize(("markup", "expected"), CATEGORIES)
def test_category_guard_gives_what_trafilatura_gives(markup: str, expected: list[str]):
    tree = lxml_html.document_fromstring(f"<html><body>{markup}<p>Text.</p></body></html>")
    assert extract_catstags("category", tree) == expected
    assert page_categories(tree) == expected


def test_category_from_meta_tag_passes_the_guard():
    tree = lxml_html.document_fromstring(
        '<html><head><meta name="dc.subject" content="Diplomacy"></head><body><p>Text.</p></body></html>')
    assert extract_catstags("category", tree) == ["Diplomacy"] == page_categories(tree)


def test_guards_give_what_trafilatura_gives_on_the_golden_pages(shared: Path):
    pages = json.loads(GOLDEN.read_text(encoding="utf-8"))
    skipped_byline = skipped_categories = 0
    for page in pages:
        text = decode.decode_html((shared / "realpages" / page["file"]).read_bytes()).text
        tree = lxml_html.document_fromstring(reader._XML_DECLARATION.sub("", text))
        assert page_byline(tree) == extract_author(tree), page["file"]
        assert page_categories(tree) == extract_catstags("category", tree), page["file"]
        skipped_byline += not reader._BYLINE_ELEMENTS(tree) and not any(
            reader._BYLINE_WORDS.search("\n".join(v(tree))) for v in reader._BYLINE_ATTRIBUTES)
        skipped_categories += not reader._CATEGORY_MARKUP(tree)
    # The guards do skip pages (else they are no shortcut).
    assert skipped_byline > 0 and skipped_categories > 0


def test_class_counts_are_what_str_methods_count():
    from crawler.extraction.blocks import _CLASSES, class_counts

    text = _every_character()
    chunks = [text[i : i + 997] for i in range(0, len(text), 997)]
    chunks += ["Plain ASCII, 12 words: THE END.\t", "Le ministre a dit « non » — 3 fois ; ΑΘΗΝΑ ²½"]
    for chunk in chunks:
        assert class_counts(chunk) == [sum(map(test, chunk)) for test in _CLASSES]


def test_link_teaser_tries_only_cuts_that_can_match():
    from crawler.extraction.clean import _content_key, is_link_teaser, link_key

    links = frozenset(link_key(t) for t in (
        "Five things to know about the new bridge", "Minister meets his counterpart in Rome"))
    lines = ["Five things to know about the new bridge", "READ MORE: Five things to know about the new bridge",
             "Also on our site: a very long lead-in here. Five things to know about the new bridge",
             "The minister meets his counterpart in Rome", "Minister meets his counterpart in Rome today",
             "The talks went on for hours and ended without an agreement on the bridge tolls."]

    def every_cut(line: str) -> bool:
        key = _content_key(line)
        return len(key) >= 12 and any(key[cut:] in links for cut in range(min(30, len(key) - 12) + 1))

    assert [every_cut(line) for line in lines] == [True, True, False, True, False, False]
    for line in lines:
        assert is_link_teaser(line, links) == every_cut(line) == is_link_teaser(line, links, 38)


def test_script_check_counts_only_where_a_cjk_script_is():
    from crawler.extraction.language import _by_script

    assert _by_script("Министр заявил, что переговоры продолжатся.") is None
    assert _by_script("The talks resume on Monday. 2026") is None
    assert _by_script("외교부는 오늘 성명을 발표했다") == "ko"
    assert _by_script("外務省は本日、声明を発表しました") == "ja"
    assert _by_script("外交部发言人今天表示") == "zh"
    # A name in Han characters inside an English text is not Chinese.
    assert _by_script("The minister met Wang Yi (王毅) in Beijing for two days of talks.") is None


def test_words_are_cached_while_a_page_is_read_and_forgotten_after():
    from crawler.extraction import words as cache
    from crawler.extraction.body import main_text

    assert cache.words("The Minister’s talks, 2026: 外交部") == ("the", "minister", "s", "talks", "2026",
                                                               "外", "交", "部")
    assert cache.word_pairs("a b c") == {("a", "b"), ("b", "c")}
    page = ("<html><body><article>"
            + "<p>The minister spoke about the new agreement on water and roads today.</p>" * 6
            + "</article></body></html>")
    lines = main_text(lxml_html.document_fromstring(page), "https://example.org/a")
    assert lines and "minister spoke" in lines[0]
    # A long page's words and pairs are not kept while the next pages are read.
    assert cache.words.cache_info().currsize == 0 == cache.word_pairs.cache_info().currsize
