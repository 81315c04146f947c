"""Zero-width joiners and non-joiners are spelling, and come out of
extraction where the page has them (``crawler/extraction/marks.py``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.extraction import marks
from crawler.extraction.extract import extract_statement
from crawler.items import FetchedPage, Statement
from tests.conftest import article_html

ZWNJ, ZWJ = "\u200c", "\u200d"
# Persian: "mi-khaham" (I want) is written with a non-joiner after its prefix.
WANT = f"می{ZWNJ}خواهم"
PERSIAN = [
    f"وزیر امور خارجه گفت {WANT} که گفتگوها در ماه آینده در ژنو از سر گرفته شود و "
    "هیئت‌ها درباره دستور کار توافق کنند.",
    "سخنگوی وزارت خارجه افزود که گروه‌های فنی پیش از این دور با یکدیگر دیدار خواهند کرد.",
]


def extracted(html: str, lang: str = "fa") -> Statement:
    result = extract_statement(FetchedPage("src", "https://example.org/news/1", 200,
                                           "text/html; charset=utf-8", html.encode(),
                                           datetime.now(UTC)))
    assert isinstance(result, Statement), result
    return result


@pytest.mark.parametrize("written", [ZWNJ, "&zwnj;", "&#8204;", "&#x200C;", "&#x200c;"])
def test_a_non_joiner_stays_in_the_word_however_the_page_writes_it(written: str):
    paragraphs = [p.replace(ZWNJ, written) for p in PERSIAN]
    result = extracted(article_html(f"گفتگوها {WANT}".replace(ZWNJ, written), paragraphs,
                                    lang="fa"))
    assert WANT in result.body
    assert "گروه‌های" in result.body  # (written with a non-joiner too)
    assert result.title == f"گفتگوها {WANT}"
    assert not any(0x10000 <= ord(c) <= 0x100FF for c in result.body + result.title)


def test_a_joiner_keeps_an_emoji_sequence_whole():
    family = f"\U0001F468{ZWJ}\U0001F469{ZWJ}\U0001F467"
    paragraphs = [f"The embassy posted {family} to mark the national day of families, "
                  "and thanked the host country for its welcome.",
                  "The ambassador met the mayor of the capital on Monday to discuss the "
                  "exchange programme for schools."]
    assert family in extracted(article_html("Families day", paragraphs, lang="en")).body


def test_a_page_that_holds_a_stand_in_itself_is_left_as_written():
    linear_b = "\U00010001"  # the stand-in for a non-joiner, written on the page
    paragraphs = [f"{PERSIAN[0]} {linear_b}", PERSIAN[1]]
    body = extracted(article_html("گفتگوها", paragraphs, lang="fa")).body
    assert linear_b in body
    assert "می\u200cخواهم" not in body  # trafilatura's own handling: the mark goes


def test_hold_and_release_are_inverse_and_leave_other_text_alone():
    html = f"<p>a{ZWNJ}b &zwj; c &#8205; d &amp; e &shy; f</p>"
    held, any_held = marks.hold(html)
    assert any_held and ZWNJ not in held and "&zwj;" not in held and "&#8205;" not in held
    assert marks.release(held) == f"<p>a{ZWNJ}b {ZWJ} c {ZWJ} d &amp; e &shy; f</p>"
    assert marks.hold("<p>plain</p>") == ("<p>plain</p>", False)


def test_soft_hyphens_are_left_out_as_a_browser_copies_text():
    paragraphs = ["Der Klima&shy;wandel ist ein großes Problem für alle Menschen in der "
                  "Welt, sagte die Ministerin am Montag in Berlin vor der Presse.",
                  "Die Ministerin kündigte ein neues Programm für die Partnerländer an, "
                  "das im kommenden Jahr beginnen soll."]
    body = extracted(article_html("Klima", paragraphs, lang="de")).body
    assert "Klimawandel" in body and "\u00ad" not in body


def test_a_canonical_url_keeps_its_mark_and_chrome_keys_leave_it_out():
    from crawler.extraction.boilerplate import line_key
    from storage.urls import normalise_url

    href = f"https://www.example.ir/fa/news/1/{WANT}"
    html = article_html("گفتگوها", PERSIAN, lang="fa").replace(
        "</head>", f'<link rel="canonical" href="{href.replace(ZWNJ, "&zwnj;")}"></head>')
    result = extracted(html)
    assert result.canonical_url == normalise_url(href)
    assert "%E2%80%8C" in result.canonical_url  # the non-joiner, percent-encoded
    # Lines learned as chrome before the marks were kept lack them.
    assert line_key(f"تماس با ما {WANT}") == line_key("تماس با ما میخواهم")
