"""Authors and titles on real pages: a person's name or nothing.

The authors below were read by hand from each page's markup and printed
byline (../shared/realpages); the titles of those pages are held by
tests/test_golden.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.extraction.extract import extract_statement
from crawler.extraction.metadata import clean_author
from crawler.items import FetchedPage, Statement


@pytest.mark.parametrize(("raw", "expected"), [
    # A columnist's byline joined to the outlet, as Sputnik declares it.
    ("Finian Cunningham. Sputnik International", "Finian Cunningham"),
    ("Ada Lovelace | The Daily Engine", "Ada Lovelace"),
    ("Ada Lovelace, Reuters", "Ada Lovelace"),
    ("Ada Lovelace - Analytical Press", "Ada Lovelace"),
    # An initial is not the end of a name.
    ("Charles B. Babbage; Senior Engineer", "Charles B. Babbage"),
    # Labels printed before the name.
    ("Analysis by Grace Hopper", "Grace Hopper"),
    ("Авторы Иван Петров", "Иван Петров"),
    # Interface text after the name in a byline block.
    ("Grace Hopper Link Copied", "Grace Hopper"),
    # Capitals, as agencies set bylines, in the case the name is written.
    ("By LISA MASCARO AND MARY CLARE JALONICK", "Lisa Mascaro and Mary Clare Jalonick"),
    ("JEAN-PIERRE O'NEIL", "Jean-Pierre O'Neil"),
    ("ИВАН ПЕТРОВ", "Иван Петров"),
    ("JUAN PÉREZ Y MARÍA GÓMEZ", "Juan Pérez y María Gómez"),
    ("İBRAHİM KALIN", "İbrahim Kalin"),
    ("JOHN MCCAIN", "John McCain"),
    ("JOHN SMITH III", "John Smith III"),
    ("LUDWIG VAN BEETHOVEN", "Ludwig van Beethoven"),
    ("CHARLES B. BABBAGE", "Charles B. Babbage"),
    ("Charles B. Babbage", "Charles B. Babbage"),
    ("Ada McLovelace", "Ada McLovelace"),
    # Organisations, sites and phrases are nobody.
    ("Auswärtiges Amt", None),
    ("Außenministerium der Republik Österreich", None),
    ("Eidgenössisches Departement für Wirtschaft", None),
    ("Agencia Efe", None),
    ("Www Example Info", None),
    ("The Russian", None),
    ("Sputnik International", None),
    ("Grace", None),
])
def test_clean_author(raw: str, expected: str | None):
    assert clean_author(raw, ["The Daily Engine"]) == expected


# (file under ../shared/realpages, the author a reader sees, or None).
AUTHORS = [
    ("sputniknews.com/columnists_201911181077343476_royal-self-indicting-arrogance.html",
     "Finian Cunningham"),
    ("sputniknews.com/radio_the_critical_hour_202004281079127690.html", "Wilmer Leon"),
    ("arabic.sputniknews.com/arab_world_202003171044893040.html", None),
    ("cnn.com/2019-11-18_politics_donald-trump-health-walter-reed.html", "Chris Cillizza"),
    ("mk.ru/politics_2020-09-23_lukashenko-inauguration.html", "Дмитрий Попов"),
    ("kommersant.ru/doc_7715044.html", "Андрей Колесников"),
    ("politico.com/story_2016-10_who-will-win-the-vp-debate.html", "Steven Shepard"),
    ("auswaertiges-amt.de/italien-reise-und-sicherheitshinweise.html", None),
    ("wbf.admin.ch/nsb-news_14093.html", None),
    ("noticierodigital.com/2020-10_borrell-parlamentarias-venezuela.html", None),
    ("polygraph.info/fact-check-russia-us-al-tanf-rukban.html", None),
    ("nytimes.com/2018-10-09_us_politics_nikki-haley-united-nations.html", "Edward Wong"),
    ("apnews.com/hosted_berkshireeagle_sondland-trump-ukraine.html", "Lisa Mascaro"),
]


@pytest.mark.parametrize(("file", "author"), AUTHORS, ids=[f.split("/")[0] for f, _ in AUTHORS])
def test_author_on_real_pages(shared: Path, file: str, author: str | None):
    path = shared / "realpages" / file
    page = FetchedPage("real", "", 200, None, path.read_bytes(), datetime.now(UTC))
    result = extract_statement(page)
    assert isinstance(result, Statement), result
    assert result.author == author


@pytest.mark.parametrize(("declared", "expected"), [
    ("World", "World"),
    ("  Press   releases ", "Press releases"),
    ("Politics, World", "Politics, World"),  # two names may be a breadcrumb
    # A keyword list declared as the section: its first entry.
    ("general-news,trials,legal-proceedings,law-and-order,theft,crime", "general-news"),
    ("Noticias, Trome, Peru, Mundo, Deportes", "Noticias"),
    ("x" * 81, None),  # no label is this long
])
def test_a_section_is_a_label(declared: str, expected: str | None):
    from crawler.extraction.html import section_label

    assert section_label(declared) == expected


@pytest.mark.parametrize(("title", "host", "expected"), [
    # The site's address abbreviates its name: each word whole or by its initial.
    ("Talks resume in Geneva - Los Angeles Times", "latimes", "Talks resume in Geneva"),
    ("Talks resume in Geneva - The New York Times", "nytimes", "Talks resume in Geneva"),
    ("Talks resume in Geneva - International Herald Tribune", "iht", "Talks resume in Geneva"),
    ("Los Angeles Times layoffs - Poynter", "poynter", "Los Angeles Times layoffs"),
    ("Talks resume - Big Bomb Claims", "reuters", "Talks resume - Big Bomb Claims"),
    # Section labels between the site's name and the headline, "|" apart.
    ("BBC NEWS | World | Americas | Talks resume in Geneva", "bbc", "Talks resume in Geneva"),
    ("Talks resume in Geneva | Top News | Reuters", "reuters", "Talks resume in Geneva"),
    # A headline's own separators stay.
    ("Iran | US talks resume | Reuters", "reuters", "Iran | US talks resume"),
    ("Trump - Kim summit ends - The New York Times", "nytimes", "Trump - Kim summit ends"),
    ("Talks resume in Geneva | Politics", "reuters", "Talks resume in Geneva | Politics"),
    # Which page of a paginated article, wherever the site name stands.
    ("Talks resume -- Page 1 -- Newsweek", "newsweek", "Talks resume"),
    ("Talks resume - Newsweek - Page 2 of 3", "newsweek", "Talks resume"),
    ("Gespräche beginnen (Seite 2)", "zeit", "Gespräche beginnen"),
    ("Переговоры возобновятся | Страница 3", "ria", "Переговоры возобновятся"),
    ("Page 3 girls return", "sun", "Page 3 girls return"),
    ("The story behind page 3", "sun", "The story behind page 3"),
])
def test_a_title_loses_its_site_name_and_sections(title: str, host: str, expected: str):
    from crawler.extraction.metadata import clean_title

    assert clean_title(title, [host]) == expected
