"""Golden pages: real saved pages from ../shared/realpages, each extracted
with the crawler's own function and held to what a careful reader marked.

tests/golden/pages.json holds one record per page: the title, the date as
printed (the publisher's own day), a fragment of the first and of the last
paragraph of the article, lines of chrome that must not survive, and the
language. ``lead`` and ``tail`` name the paragraphs we keep before the
first and after the last one (a standfirst, a dateline, a credit line), so
that the test pins the start and the end of the body exactly; ``lead_note``
says why each is kept.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.extraction.extract import extract_statement
from crawler.items import FetchedPage, Statement
from tests.conftest import ROOT

PAGES = json.loads((ROOT / "tests/golden/pages.json").read_text(encoding="utf-8"))


def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def index_of(fragment: str, paragraphs: list[str]) -> int | None:
    return next((i for i, p in enumerate(paragraphs) if norm(fragment) in p), None)


@pytest.fixture(params=PAGES, ids=[p["file"].split("/")[0] + ":" + p["file"].split("/")[1][:40]
                                   for p in PAGES])
def golden(request, shared: Path) -> tuple[dict, Statement]:
    page = request.param
    fetched = FetchedPage("golden", page["url"], 200, None,  # decoded as a browser would
                          (shared / "realpages" / page["file"]).read_bytes(), datetime.now(UTC))
    result = extract_statement(fetched)
    assert isinstance(result, Statement), f"{page['file']}: {result}"
    return page, result


def test_golden_page(golden: tuple[dict, Statement]):
    page, statement = golden
    paragraphs = [norm(p) for p in statement.body.split("\n\n")]

    assert norm(statement.title) == norm(page["title"])
    assert statement.published_at is not None
    # The day as the publisher printed it: published_at keeps the page's offset.
    assert statement.published_at.date().isoformat() == page["date"]
    assert statement.language == page["language"]

    lead, tail = page.get("lead", []), page.get("tail", [])
    first = index_of(page["first"], paragraphs)
    assert first == len(lead), f"first paragraph: {paragraphs[:len(lead) + 1]}"
    for fragment, paragraph in zip(lead, paragraphs, strict=False):
        assert norm(fragment) in paragraph
    body = norm(statement.body)
    for chrome in page["absent"]:
        assert norm(chrome) not in body
    last = index_of(page["last"], paragraphs[::-1])
    assert last is not None, f"last paragraph missing; body ends {paragraphs[-2:]}"
    assert len(paragraphs) - 1 - last == len(paragraphs) - 1 - len(tail), \
        f"after the last paragraph: {paragraphs[len(paragraphs) - last:]}"
    for fragment, paragraph in zip(tail, paragraphs[len(paragraphs) - len(tail):], strict=True):
        assert norm(fragment) in paragraph


def test_golden_set_covers_what_the_issue_names():
    files = [p["file"] for p in PAGES]
    assert len(files) >= 20
    for site in ("sputniknews.com", "rt.com", "tass.ru", "fmprc.gov.cn", "auswaertiges-amt.de"):
        assert any(f.startswith(site) for f in files), site
    assert {p["language"] for p in PAGES} >= {"en", "ru", "zh", "de", "ar", "es"}
