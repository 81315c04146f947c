"""extract_statement on the seed page and on each kind of bad input."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.extraction.extract import Rejected, extract_statement
from crawler.items import FetchedPage, Statement
from crawler.sources import load_sources
from tests.conftest import ROOT, article_html

SEED_PAGE = ROOT / "crawler/demo/site/sputnikglobe.com/20120402-172567892.html"
SEED_URL = "https://sputnikglobe.com/20120402/172567892.html"
SEED_TITLE = "Russia Urges Syria to ‘Make First Step,’ Call Off Troops"
CHROME = [
    "Subscribe", "Newsfeed", "To participate in the discussion", "log in or register",
    "loader", "Chats", "Заголовок открываемого материала",
]


def seed_paragraphs(shared: Path) -> list[str]:
    """The body paragraphs of the seed text: between 'Subscribe' and 'Newsfeed'."""
    lines = (shared / "seed/sputnik-russia-section-article.txt").read_text().splitlines()
    start, end = lines.index("Subscribe"), lines.index("Newsfeed")
    body = [line.strip() for line in lines[start + 1 : end] if line.strip()]
    return list(dict.fromkeys(body))  # the doubled lede, once


def page(url: str, body: bytes, content_type: str | None = "text/html; charset=utf-8",
         **kwargs: object) -> FetchedPage:
    return FetchedPage("test", url, 200, content_type, body, datetime.now(UTC), **kwargs)


@pytest.fixture(scope="module")
def seed_statement() -> Statement:
    source = load_sources()["sputnik_russia"]
    result = extract_statement(page(SEED_URL, SEED_PAGE.read_bytes()), source)
    assert isinstance(result, Statement), result
    return result


def test_seed_keeps_headline_and_every_paragraph_once(seed_statement: Statement, shared: Path):
    expected = seed_paragraphs(shared)
    assert len(expected) == 10
    got = seed_statement.body.split("\n\n")
    assert got == expected
    for paragraph in expected:
        assert seed_statement.body.count(paragraph) == 1
    assert seed_statement.title == SEED_TITLE


def test_seed_drops_all_chrome(seed_statement: Statement):
    lines = {line.strip() for line in seed_statement.body.split("\n")}
    for chrome in CHROME:
        assert chrome not in lines
        assert chrome.lower() not in seed_statement.body.lower()
    assert "Заголовок" not in seed_statement.body
    assert not any(re.fullmatch(r"\d+", line) for line in lines)
    assert "The latest news and stories from Russia" not in seed_statement.body


def test_seed_metadata(seed_statement: Statement):
    assert seed_statement.published_at is not None
    assert seed_statement.published_at.date().isoformat() == "2012-04-02"
    assert seed_statement.published_at.tzinfo is not None
    # The publisher's own offset is kept (20120402T1418+0400); the archive
    # stores the instant in UTC.
    assert seed_statement.published_at.utcoffset().total_seconds() == 4 * 3600
    assert seed_statement.published_at.astimezone(UTC).isoformat() == "2012-04-02T10:18:00+00:00"
    assert seed_statement.language == "en"
    assert seed_statement.section == "Russia"
    assert seed_statement.site_name == "Sputnik International"
    assert seed_statement.canonical_url == SEED_URL


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"", "text/html", "empty"),
        (b"   \n\t ", "text/html", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "application/pdf", "malformed"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png", "not_html"),
        (b'{"items": []}', "application/json", "not_html"),
        (b"<html><<body><p>\x00\x00<div></</td>>>", "text/html", None),
        (article_html("404 Not Found", ["The page you requested does not exist."]).encode(),
         "text/html", None),
        (b"<html><body><nav><a href='/a'>A</a><a href='/b'>B</a></nav></body></html>",
         "text/html", None),
        # A redirect stub: nothing but a <head> (readability's summary has no <body>).
        (b'<html>\n<head>\n<meta http-equiv="refresh" content="0;URL=http://www.mofa.go.jp/">'
         b"\n</head>\n</html>", "text/html", "no_article"),
    ],
)
def test_bad_pages_are_rejected_with_a_reason(body: bytes, content_type: str, reason: str | None):
    result = extract_statement(page("https://example.org/news/1.html", body, content_type))
    assert isinstance(result, Rejected)
    assert result.detail
    if reason:
        assert result.reason == reason
    else:
        assert result.reason in {"no_article", "too_short", "error_page", "malformed"}


# A short brief under a headline that merely uses an error page's words is
# an article; a title that is the error's own phrasing is not.
_BRIEF = ["Markets fell sharply on Tuesday after the central bank raised rates again.",
          "Analysts said the move had been expected for weeks by most traders."]


@pytest.mark.parametrize("headline", [
    "Dow drops 500 points as rates rise", "Minister admits error over visa rules",
    "Missing hiker not found after three days", "Fortune 500 firms cut jobs",
    "404 migrants rescued off Lampedusa", "Russia says 410 soldiers were killed",
    "Classified document not found in search of home", "Error-prone 500-page report",
    "求职者找不到工作",
])
def test_headlines_with_error_words_are_articles(headline: str):
    result = extract_statement(page("https://example.org/news/2.html",
                                    article_html(headline, _BRIEF).encode(), "text/html"))
    assert isinstance(result, Statement), result
    assert result.title == headline


@pytest.mark.parametrize("title", [
    "404 Not Found", "Page not found", "Error 500", "500 Internal Server Error", "Not Found",
    "Sorry, the page you requested could not be found", "Страница не найдена",
    "Seite nicht gefunden", "抱歉，找不到该页面", "Error", "Runtime Error", "404",
    "Server Error in '/' Application.", "An error occurred", "Article not found",
    "Erreur 500", "Ошибка 500", "Error 403 - Forbidden", "503 Service Unavailable",
    "Error | Ministry of Foreign Affairs", "Not Found - Example Press",
])
def test_soft_error_pages_are_rejected(title: str):
    result = extract_statement(page("https://example.org/news/3.html",
                                    article_html(title, _BRIEF).encode(), "text/html"))
    assert isinstance(result, Rejected) and result.reason == "error_page", result


def test_page_lying_about_its_charset_comes_out_readable():
    html = article_html("Заявление МИД", [
        "Министерство иностранных дел выражает глубокую озабоченность развитием ситуации.",
        "Призываем все стороны к сдержанности и немедленному прекращению огня.",
    ], lang="ru").replace('<meta charset="utf-8">', '<meta charset="windows-1251">')
    result = extract_statement(page("https://mid.ru/ru/1/", html.encode("utf-8"),
                                    "text/html; charset=windows-1251"))
    assert isinstance(result, Statement)
    assert "Министерство иностранных дел" in result.body
    assert result.title == "Заявление МИД"
    assert result.notes == ("charset_mismatch",)


def test_legacy_charset_declared_honestly_is_decoded():
    html = article_html("Заявление МИД", [
        "Министерство иностранных дел выражает глубокую озабоченность развитием ситуации.",
    ], lang="ru").replace('<meta charset="utf-8">', '<meta charset="windows-1251">')
    result = extract_statement(page("https://mid.ru/ru/2/", html.encode("cp1251"), "text/html"))
    assert isinstance(result, Statement)
    assert "озабоченность" in result.body and result.notes == ()


def test_feed_date_fills_in_when_page_has_none():
    hinted = datetime(2012, 4, 3, 18, 10, tzinfo=UTC)
    html = article_html("Press briefing", [
        "The spokesperson opened the briefing with a statement on the regional situation.",
    ])
    result = extract_statement(page("https://www.state.gov/briefings/x/", html.encode(),
                                    hinted_date=hinted))
    assert isinstance(result, Statement)
    assert result.published_at == hinted


def test_title_suffix_is_removed_but_dashes_inside_kept():
    html = article_html("Department Press Briefing – April 2, 2012 - U.S. Department of State",
                        ["MR. TONER: Good afternoon. The Secretary returned from Istanbul."])
    source = load_sources()["state_gov_briefings"]
    result = extract_statement(page("https://www.state.gov/briefings/y/", html.encode()), source)
    assert isinstance(result, Statement)
    assert result.title == "Department Press Briefing – April 2, 2012"


def test_text_rendered_by_javascript_comes_from_json_ld():
    sentences = " ".join(f"The ministry stated its position on item {n} of the agenda."
                         for n in range(12))
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                     "headline": "Ministry states its position", "articleBody": sentences,
                     "datePublished": "2024-03-01T10:00:00+03:00"})
    html = (f'<html><head><title>Ministry states its position</title>'
            f'<script type="application/ld+json">{ld}</script></head><body><div id="app">'
            f'<figure><img src="a.jpg"><figcaption>The minister at the podium on Friday, '
            f'speaking to reporters. Photo: AP</figcaption></figure></div></body></html>')
    result = extract_statement(page("https://example.org/news/1", html.encode()))
    assert isinstance(result, Statement), result
    assert result.body == sentences
    assert result.published_at.isoformat() == "2024-03-01T10:00:00+03:00"


def test_json_ld_teaser_does_not_replace_the_article():
    paragraphs = [f"Paragraph {n} of the statement says something of substance about talks."
                  for n in range(8)]
    ld = json.dumps({"@type": "NewsArticle", "articleBody": paragraphs[0]})
    html = article_html("Talks held", paragraphs).replace(
        "</head>", f'<script type="application/ld+json">{ld}</script></head>')
    result = extract_statement(page("https://example.org/news/2", html.encode()))
    assert isinstance(result, Statement), result
    assert result.body.split("\n\n") == paragraphs
