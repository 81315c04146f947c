"""``make bench-enrich``: its scoring on small hand-made predictions, the
golden annotations it scores against, and its enrich-dev half (real pages,
enriched, then scored by the set's own ``score.py``)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace as NS

import lxml.html
import pytest

from benchmarks import enrich_dev
from benchmarks import enrichment as bench
from benchmarks.enrich_scores import (
    Scores,
    macro_f1,
    match_quotes,
    names_match,
    normalise,
    quotes_match,
    score_article,
)
from benchmarks.enrichment import FIELDS, SOURCE_KINDS, STATEMENT_TYPES
from crawler.enrich.record import Enrichment, Mention, Quote, Speaker

ANNOTATIONS = bench.load_annotations()


def speaker(name, role, country):
    return NS(name=name, role=role, country=country)


def truth(**fields):
    row = {"id": "a", "statement_type": "news report", "speakers": [], "quotes": [],
           "countries": [], "document_number": None}
    return row | fields


def prediction(**fields):
    values = {"statement_type": "news report", "speakers": (), "quotes": (), "countries": (),
              "document_number": None}
    return NS(**(values | fields))


# --- matching -------------------------------------------------------------------------------

def test_quotes_match_equal_once_normalised():
    assert quotes_match("We agree, the minister said.", "we agree the Minister said")
    assert quotes_match("「中方坚决反对」", "中方坚决反对。")


def test_quotes_match_containment_needs_eighty_percent_of_the_tokens():
    long_ = "one two three four five six seven eight nine ten"
    assert quotes_match(long_, "one two three four five six seven eight")  # 8 of 10
    assert not quotes_match(long_, "one two three four five six seven")  # 7 of 10
    assert not quotes_match("one two three", "one two thr")  # whole words only


def test_quotes_match_counts_cjk_characters_as_tokens():
    assert quotes_match("中俄关系不针对第三方", "中俄关系不针对第三")  # 9 of 10
    assert not quotes_match("中俄关系不针对第三方", "中俄关系")


def test_names_match_spellings_of_one_person():
    assert names_match("Sergei Lavrov", "sergei lavrov")
    assert names_match("Sergei Lavrov", "Lavrov")
    assert names_match("Yōko Kamikawa", "KAMIKAWA Yoko")
    assert names_match("S. Jaishankar", "Subrahmanyam Jaishankar")
    assert names_match("王菊", "王 菊")
    assert names_match(None, None)
    assert not names_match("Sergei Lavrov", "Sergei Ryabkov")
    assert not names_match("Wang Yi", None)
    assert not names_match("Wang Yi", "Wang Wenbin")


def test_match_quotes_pairs_each_prediction_once_in_reading_order():
    want = [{"speaker": "A", "text": "first words here"}, {"speaker": "A", "text": "first words here"}]
    got = [NS(text="first words here", speaker="A")]
    pairs, missed, extra = match_quotes(want, got)
    assert len(pairs) == 1 and len(missed) == 1 and extra == []


# --- scores ---------------------------------------------------------------------------------

def test_a_perfect_prediction_scores_one_everywhere():
    row = truth(statement_type="comment", document_number="703-17-04-2024",
                speakers=[{"name": "Maria Zakharova", "role": "Spokesperson", "country": "RU"}],
                quotes=[{"speaker": "Maria Zakharova", "text": "Any hostile act will receive a response"},
                        {"speaker": None, "text": "a line nobody signed"}],
                countries=["RU", "EE"])
    got = prediction(statement_type="comment", document_number="703-17-04-2024",
                     speakers=[speaker("Maria Zakharova", "Spokesperson", "RU")],
                     quotes=[NS(text="“Any hostile act will receive a response,”", speaker="Zakharova"),
                             NS(text="a line nobody signed", speaker=None)],
                     countries=[NS(code="EE", count=2), NS(code="RU", count=1)])
    scores = Scores()
    score_article(scores, row, got)
    assert scores.type_accuracy == 1.0 and macro_f1(scores.types) == 1.0
    assert scores.speakers.f1 == scores.countries.f1 == scores.quotes.f1 == 1.0
    assert scores.roles.value == scores.attribution.value == scores.document_number.value == 1.0
    assert scores.errors == {}


def test_errors_count_where_they_belong():
    row = truth(id="x", statement_type="briefing", document_number="705-17-04-2024",
                speakers=[{"name": "Maria Zakharova", "role": "Spokesperson", "country": "RU"},
                          {"name": "Sergei Lavrov", "role": "Foreign Minister", "country": "RU"}],
                quotes=[{"speaker": "Maria Zakharova", "text": "We call on Tokyo to stop"},
                        {"speaker": None, "text": "words of an unnamed doctor"},
                        {"speaker": "Sergei Lavrov", "text": "a quote nobody found"}],
                countries=["RU", "JP", "US"])
    got = prediction(statement_type="news report", document_number=None,
                     speakers=[speaker("Maria Zakharova", "Foreign Minister", "RU"),
                               speaker("Fumio Kishida", "Prime Minister", "JP")],
                     quotes=[NS(text="We call on Tokyo to stop", speaker="Maria Zakharova"),
                             NS(text="words of an unnamed doctor", speaker="Maria Zakharova"),
                             NS(text="an invented quote", speaker=None)],
                     countries=[NS(code="RU", count=3), NS(code="JP", count=1), NS(code="CN", count=1)])
    scores = Scores()
    score_article(scores, row, got)
    assert scores.type_accuracy == 0.0
    assert (scores.speakers.tp, scores.speakers.fp, scores.speakers.fn) == (1, 1, 1)
    assert scores.speakers.f1 == pytest.approx(0.5)
    assert scores.roles.value == 0.0  # Zakharova matched, with the wrong role
    assert (scores.countries.tp, scores.countries.fp, scores.countries.fn) == (2, 1, 1)
    assert (scores.quotes.tp, scores.quotes.fp, scores.quotes.fn) == (2, 1, 1)
    assert scores.attribution.value == pytest.approx(0.5)  # the doctor's words went to Zakharova
    assert scores.document_number.value == 0.0
    text = "\n".join(scores.errors["x"])
    for expected in ("type: 'news report'", "speaker missed: Sergei Lavrov", "speaker extra: Fumio Kishida",
                     "countries missed: US", "countries extra: CN", "quote missed: 'a quote nobody found'",
                     "attributed to 'Maria Zakharova', annotated None", "document number"):
        assert expected in text


def test_a_failed_article_is_an_empty_prediction():
    row = truth(statement_type="comment", speakers=[{"name": "A B", "role": "R", "country": "RU"}],
                countries=["RU"], document_number="1-01-01-2024")
    scores = Scores()
    score_article(scores, row, None)
    assert scores.failed == 1 and scores.types == [("comment", "(none)")]
    assert scores.speakers.recall == scores.countries.recall == 0.0
    assert scores.document_number.value == 0.0


def test_macro_f1_averages_over_every_label():
    pairs = [("comment", "comment"), ("comment", "statement"), ("briefing", "briefing")]
    # comment: P 1, R 0.5 -> 2/3; statement: 0; briefing: 1
    assert macro_f1(pairs) == pytest.approx((2 / 3 + 0 + 1) / 3)


def test_countries_accept_codes_or_objects():
    row = truth(countries=["SY", "RU"])
    scores = Scores()
    score_article(scores, row, prediction(countries=["sy", NS(code="RU", count=1)]))
    assert scores.countries.f1 == 1.0


def test_table_and_doc_markers(tmp_path: Path):
    scores = Scores()
    score_article(scores, truth(countries=["RU"]), prediction(countries=[NS(code="RU", count=1)]))
    rows = [{"source_kind": "agency", "language": "en", "quotes": [], "document_number": None}]
    table = bench.table(scores, rows)
    assert "| countries | 1.000 | 1.000 | 1.000 |" in table
    doc = tmp_path / "statements.md"
    doc.write_text(f"# Statements\n\nbefore\n\n{bench.BEGIN}\nOLD TABLE\n{bench.END}\n\nafter\n", encoding="utf-8")
    bench.write_doc(table, doc)
    text = doc.read_text(encoding="utf-8")
    assert "OLD TABLE" not in text and table in text and text.startswith("# Statements\n\nbefore")
    assert text.rstrip().endswith("after")
    missing = tmp_path / "new.md"
    bench.write_doc(table, missing)
    assert table in missing.read_text(encoding="utf-8")


def test_the_golden_table_prints_the_enrichment_time():
    scores = Scores(seconds=0.006)
    for _ in range(3):
        score_article(scores, truth(), prediction())
    assert "| enrichment time | | | | 2.00 ms an article |" in bench.table(scores, [])


def test_the_seed_is_read_as_plain_text(shared: Path):
    seed = next(a for a in ANNOTATIONS if a["page"].startswith("shared:seed/"))
    article = bench.read_article(seed)
    assert article.html is None
    assert article.title == "- Sputnik International"  # the first line, as the file has it
    assert "Yerevan" in article.text


# --- the golden annotations ----------------------------------------------------------------

def visible_text(path: Path) -> str:
    if path.suffix == ".txt":
        return path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        item = json.loads(path.read_text(encoding="utf-8"))
        return item["title"] + "\n" + lxml.html.fromstring(item["details"]["body"]).text_content()
    return lxml.html.fromstring(path.read_text(encoding="utf-8", errors="replace")).text_content()


def test_annotations_are_at_least_sixty_with_unique_ids():
    assert len(ANNOTATIONS) >= 60
    ids = [a["id"] for a in ANNOTATIONS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("row", ANNOTATIONS, ids=[a["id"] for a in ANNOTATIONS])
def test_annotation_is_well_formed(row, shared: Path):
    assert set(FIELDS) <= set(row), f"missing {set(FIELDS) - set(row)}"
    assert row["statement_type"] in STATEMENT_TYPES
    assert row["source_kind"] in SOURCE_KINDS
    assert re.fullmatch(r"[A-Z]{2}", row["source_country"])
    assert re.fullmatch(r"[a-z]{2}", row["language"])
    date.fromisoformat(row["published"])
    assert row["url"].startswith(("http://", "https://"))
    for person in row["speakers"]:
        assert set(person) == {"name", "role", "country"} and person["name"] and person["role"]
        assert re.fullmatch(r"[A-Z]{2}", person["country"])
    for code in row["countries"]:
        assert re.fullmatch(r"[A-Z]{2}", code)
    assert len(row["countries"]) == len(set(row["countries"]))
    assert row["document_number"] is None or re.fullmatch(r"\d+-\d{2}-\d{2}-\d{4}", row["document_number"])
    path = bench.page_path(row["page"])
    assert path.is_file(), f"{row['page']} is missing"
    if row["page"].startswith("shared:"):
        assert path.is_relative_to(shared)
    page = " " + normalise(visible_text(path)) + " "
    for quote in row["quotes"]:
        assert set(quote) == {"speaker", "text"} and quote["text"].strip()
        assert " " + normalise(quote["text"]) + " " in page, f"quote not in the page: {quote['text'][:60]}"
    if row["document_number"]:
        assert row["document_number"] in path.read_text(encoding="utf-8")


# --- enrich-dev ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scorer(shared: Path):
    return enrich_dev.load_scorer()


@pytest.fixture(scope="module")
def dev_gold(scorer):
    return enrich_dev.load_gold(scorer)


def enrichment(**fields):
    values = {"statement_type": "news report", "speakers": (), "quotes": (), "countries": (),
              "source_country": None, "document_number": None, "translation_keys": (), "turns": ()}
    return Enrichment(**(values | fields))


def test_the_scorer_is_enrich_devs_own_read_in_place(scorer):
    assert Path(scorer.__file__).resolve() == (enrich_dev.ENRICH_DEV / "score.py").resolve()
    assert Path(scorer.__file__).resolve().parent.parent.parent.name == "shared"


def test_an_enrichment_in_score_py_format():
    got = enrichment(speakers=(Speaker("Sergei Lavrov", "Foreign Minister", "RU"),),
                     quotes=(Quote("We will respond to any hostile act", "Sergei Lavrov", 10),
                             Quote("words nobody signed here", None, 90)),
                     countries=(Mention("RU", 3), Mention("SY", 1)))
    assert enrich_dev.as_system("abc", got) == {
        "id": "abc",
        "speakers": [{"name": "Sergei Lavrov", "country": "RU"}],
        "quotes": [{"text": "We will respond to any hostile act", "speaker": "Sergei Lavrov", "kind": "person"},
                   {"text": "words nobody signed here", "speaker": None, "kind": "null"}],
        "countries": ["RU", "SY"],
    }
    assert enrich_dev.as_system("abc", None) == {"id": "abc"}


def test_score_py_gives_one_to_the_gold_and_zero_recall_to_nothing(scorer, dev_gold):
    gold = dev_gold[:5]
    perfect = enrich_dev.Run(records=scorer.gold_as_system(gold))
    empty = enrich_dev.Run(records=[{"id": g["id"]} for g in gold])
    results = enrich_dev.score(scorer, gold, {"crawled": perfect, "cleaned": empty})
    assert results["crawled"]["speakers"][2] == results["crawled"]["quotes"][2] == 1.0
    assert results["crawled"]["attribution"] == 1.0
    assert results["cleaned"]["speakers"][1] == results["cleaned"]["quotes"][1] == 0.0


def test_real_pages_are_enriched_as_crawled_and_as_hand_cleaned(scorer, dev_gold):
    page = next(g for g in dev_gold if g["id"].startswith("833caf3b"))  # Pompeo, Netanyahu, Erekat
    runs = enrich_dev.run([page])
    assert set(runs) == {"crawled", "cleaned"}
    for run_ in runs.values():
        assert run_.failures == {} and run_.seconds > 0
        [record] = run_.records
        assert record["id"] == page["id"] and record["quotes"] and record["countries"]
        assert all(q["kind"] in ("person", "null") for q in record["quotes"])
    result = enrich_dev.score(scorer, [page], runs)
    for text in enrich_dev.TEXTS:  # both texts find most of the annotated quotes
        assert result[text]["quotes"][1] >= 0.5
        assert result[text]["countries"][1] >= 0.5
    body = enrich_dev.cleaned_bodies()[page["id"]]
    assert all(q["text"] in body for q in runs["cleaned"].records[0]["quotes"])


def test_a_page_that_cannot_be_read_is_empty_output_and_listed(scorer, dev_gold):
    missing = {"id": "0" * 64, "url": "https://example.org/gone", "quotes": [], "speakers": []}
    runs = enrich_dev.run([missing])
    for run_ in runs.values():
        assert run_.records == [{"id": missing["id"]}]
        assert "FileNotFoundError" in run_.failures[missing["id"]]


def test_the_enrich_dev_table_and_both_tables_in_the_doc(scorer, dev_gold, tmp_path: Path):
    gold = dev_gold[:3]
    runs = {"crawled": enrich_dev.Run(records=scorer.gold_as_system(gold), seconds=0.009),
            "cleaned": enrich_dev.Run(records=[{"id": g["id"]} for g in gold], seconds=0.003,
                                      failures={gold[0]["id"]: "ValueError: x"})}
    table = enrich_dev.table(gold, enrich_dev.score(scorer, gold, runs), runs)
    assert "| field | as crawled (extracted text) | hand-cleaned text |" in table
    assert "| speakers (name) | P 1.000 · R 1.000 · **F1 1.000** | P 0.000 · R 0.000 · **F1 0.000** |" in table
    assert "| enrichment time (each page's fastest of 3) | 3.00 ms a page | 1.00 ms a page |" in table
    assert "1 pages failed and count as empty output" in table
    scores = Scores()
    score_article(scores, truth(), prediction())
    both = bench.both_tables(table, bench.table(scores, []))
    doc = tmp_path / "statements.md"
    doc.write_text(f"# Statements\n\n{bench.BEGIN}\nOLD\n{bench.END}\n", encoding="utf-8")
    bench.write_doc(both, doc)
    text = doc.read_text(encoding="utf-8")
    assert text.index("### enrich-dev") < text.index("### Golden set") < text.index(bench.END)
    assert "OLD" not in text and table in text
