"""The standfirst: the summary a page prints between headline and body is
kept beside the body (``crawler/extraction/standfirst.py``), stored with
the statement on both backends, exported, and no new version by itself."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from crawler.extraction.extract import extract_statement
from crawler.ingest.archiving import archive_batch
from crawler.items import FetchedPage, Statement
from reading.export import FIELDS
from storage.archive import sync_sources
from storage.engine import open_archive
from storage.models import Article, ArticleVersion
from tests.test_write_path import DAY, MID, T0, mid, statement, words

DEK = ("The ministry says the talks on the water basin will resume next month "
       "in Geneva, after a pause of two years.")
BODY = [
    "The delegations met on Monday at the ministry and agreed on the agenda of the next "
    "round, which covers the shared river, its dams and the sharing of its water in dry years.",
    "Both sides said the technical groups would meet before the round to prepare the maps "
    "and the data on the flow of the river over the last ten years.",
]


def page(dek_markup: str, *, description: str = DEK) -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in BODY)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Water talks to resume</title>"
            f'<meta property="og:description" content="{description}"></head><body>'
            f'<nav><a href="/">Home</a></nav><main><article><h1>Water talks to resume</h1>'
            f"{dek_markup}<div class=\"text\">{paragraphs}</div></article></main>"
            f"<footer><p>Contact us</p></footer></body></html>").encode()


def extracted(body: bytes) -> Statement:
    result = extract_statement(FetchedPage("src", "https://example.org/news/1", 200,
                                           "text/html; charset=utf-8", body,
                                           datetime.now(UTC)))
    assert isinstance(result, Statement), result
    return result


def test_a_printed_summary_is_the_standfirst_and_the_body_leaves_it_out():
    # In the article's header, as news templates print it: the extractors
    # leave it out of the body.
    statement = extracted(page(f'<header><p class="lede">{DEK}</p></header>'))
    assert statement.standfirst == DEK
    assert statement.body == "\n\n".join(BODY)


def test_a_summary_split_by_inline_markup_is_found_whole():
    split = DEK.replace("talks", "<b>talks</b>", 1).replace("Geneva", "<a>Geneva</a>")
    assert extracted(page(f"<header><p>{split}</p></header>")).standfirst == DEK


def test_quotes_no_break_spaces_and_control_characters_in_a_description():
    quoted = ("Russia's Foreign Ministry said on Monday that Moscow's talks with "
              "the \"partners\" would go on, whatever Kyiv's allies decide.")
    shown = quoted.replace('"', "&quot;")
    assert extracted(page(f"<header><p>{shown}</p></header>", description=shown)
                     ).standfirst == quoted
    spaced = "Ministry\u00a0: " + DEK
    assert extracted(page(f"<header><p>{spaced}</p></header>", description=spaced)
                     ).standfirst == spaced
    # A control character lxml refuses in an XPath value: no standfirst
    # found that way, and the page is extracted all the same.
    broken = DEK.replace("talks", "talks&#1;")
    assert extracted(page(f"<header><p>{DEK}</p></header>", description=broken)
                     ).standfirst == DEK


def test_no_standfirst_where_the_page_does_not_print_its_description_on_its_own():
    # Declared only.
    assert extracted(page("")).standfirst is None
    # Printed as a link (a teaser of this or another article) or in a sidebar.
    assert extracted(page(f'<a href="/news/1">{DEK}</a>')).standfirst is None
    assert extracted(page(f"<aside><p>{DEK}</p></aside>")).standfirst is None
    # Printed inside a longer block: a teaser list, not a summary of its own.
    longer = (f"<header><p>{DEK} Read also: the previous round, the dams and the maps of "
              "the river.</p></header>")
    assert extracted(page(longer)).standfirst is None
    # Above the headline: the site's tagline in its masthead, on every page.
    masthead = page("").replace(b"<nav>", f'<header><div class="tagline">{DEK}</div></header><nav>'
                                .encode())
    assert extracted(masthead).standfirst is None
    # Too short to summarise anything.
    assert extracted(page("<header><p>Water talks resume.</p></header>",
                          description="Water talks resume.")).standfirst is None


def test_a_description_the_body_already_holds_is_no_standfirst():
    assert extracted(page("", description=BODY[0])).standfirst is None


@pytest.fixture
def archive(archive_url: str) -> str:
    with Session(open_archive(archive_url)) as session, session.begin():
        sync_sources(session, [MID], T0)
    return archive_url


def test_the_standfirst_is_archived_and_exported_but_makes_no_version(archive: str):
    first = dataclasses.replace(statement("mid_ru_en", mid("1"), words(1), T0), standfirst=DEK)
    edited = dataclasses.replace(statement("mid_ru_en", mid("1"), words(1), T0 + DAY),
                                 standfirst=DEK + " Updated.")
    changed = dataclasses.replace(statement("mid_ru_en", mid("1"), words(2), T0 + 2 * DAY),
                                  standfirst="A new summary for a new text of the statement.")
    engine = open_archive(archive)
    for batch, expected in (([first], {"new": 1}), ([edited], {"unchanged": 1}),
                            ([changed], {"changed": 1})):
        with Session(engine) as session, session.begin():
            assert archive_batch(session, batch) == expected
        with Session(engine) as session:
            stored = session.scalars(select(Article.standfirst)).one()
            # A summary edited alone leaves the row as it was (no version,
            # as for the other metadata); a new text brings its own.
            want = first.standfirst if batch[0] is not changed else changed.standfirst
            assert stored == want
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ArticleVersion)) == 1
        # The view users scan a list of statements in shows it beside the title.
        assert session.execute(text("SELECT title, standfirst FROM statements")).one()[1] \
            == changed.standfirst
    assert FIELDS.index("standfirst") == FIELDS.index("body") - 1


def test_the_column_goes_down_and_up_again_with_its_rows_and_their_search(archive: str):
    from alembic import command

    from storage.engine import make_engine
    from storage.migrate import alembic_config, current_revision, head_revision

    with Session(open_archive(archive)) as session, session.begin():
        archive_batch(session, [dataclasses.replace(
            statement("mid_ru_en", mid("1"), words(1) + " Reservoir.", T0), standfirst=DEK)])
    engine = make_engine(archive)
    search = ("SELECT count(*) FROM article_search WHERE article_search MATCH 'reservoir'"
              if engine.dialect.name == "sqlite" else
              "SELECT count(*) FROM article_search WHERE document @@ "
              "plainto_tsquery('simple', 'reservoir')")
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0011")
        assert "standfirst" not in {c["name"] for c in inspect(connection).get_columns("articles")}
        assert connection.execute(text("SELECT count(*) FROM articles")).scalar() == 1
        # The search index and its triggers outlive the downgrade.
        connection.execute(text("UPDATE articles SET body = body || ' Reservoir.'"))
        assert connection.execute(text(search)).scalar() == 1
        command.upgrade(alembic_config(connection), "head")
        assert current_revision(connection) == head_revision()
    engine.dispose()
