"""``make bench-enrich``: who said what, and the rest of enrichment, against
hand annotations, on two sets in one run.

- **enrich-dev** (``../shared/eval/enrich-dev``, 90 real news pages), the
  set that says how good enrichment is: speakers, quotes, attribution and
  countries scored by the set's own ``score.py``, on the crawled text and on
  the hand-cleaned text (``benchmarks/enrich_dev.py``).
- **The golden set** (``tests/golden/enrich/annotations.jsonl``), kept as a
  regression set, one annotated article per line (its README says how they
  were made). For each one the article text is made the way the crawl makes
  it, with ``extract_statement`` on the saved page (a ``shared:`` page is
  read in place from ``../shared``; a GOV.UK Content API item is its body
  HTML under its title; a ``.txt`` page is used as it is, its first line as
  the title), and handed to ``crawler.enrich.enrich`` with the annotated
  URL, source, language and date. Scored in ``benchmarks/enrich_scores.py``:
  statement type (accuracy, macro F1); speakers over (name, country) pairs
  and their roles; countries; quotes (equal normalised texts, or one inside
  the other with at least 80% of its tokens) and their attribution; the
  document number.

Both print the average time of enrichment alone per page (extraction and
the rules' first load not counted). Both tables are printed and written
into ``docs/statements.md`` between its BENCH markers; ``--verbose`` lists
every page's errors.
"""

from __future__ import annotations

import argparse
import html as html_lib
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import enrich_dev
from benchmarks.enrich_scores import Scores, macro_f1, score_article
from storage.engine import project_root

GOLDEN = project_root() / "tests" / "golden" / "enrich"
ANNOTATIONS = GOLDEN / "annotations.jsonl"
SHARED = project_root().parent / "shared"
DOC = project_root() / "docs" / "statements.md"
BEGIN, END = "<!-- BENCH:BEGIN -->", "<!-- BENCH:END -->"

STATEMENT_TYPES = (
    "statement", "comment", "media answer", "briefing", "joint statement", "readout",
    "speech", "interview", "op-ed", "press release", "news report", "notice",
)
SOURCE_KINDS = ("ministry", "agency", "media")
FIELDS = ("id", "page", "url", "source_country", "source_kind", "language", "published",
          "statement_type", "speakers", "quotes", "countries", "document_number")



# --- reading the golden set -------------------------------------------------------------

def load_annotations(path: Path = ANNOTATIONS) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{number}: not JSON ({exc})") from None
    return rows


def page_path(page: str) -> Path:
    """Where an annotation's page lives: ``shared:seed/x.txt`` in ../shared,
    ``pages/x.html`` beside the annotations."""
    if page.startswith("shared:"):
        return SHARED / page.removeprefix("shared:")
    return GOLDEN / page


def govuk_html(item: dict[str, Any]) -> str:
    """A GOV.UK Content API item as the page a reader sees: title and body."""
    title = html_lib.escape(item["title"])
    return (f"<!DOCTYPE html><html lang=\"{item.get('locale', 'en')}\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title></head><body><main><h1>{title}</h1>"
            f"{item['details']['body']}</main></body></html>")


@dataclass
class Article:
    title: str
    text: str
    html: str | None


def read_article(annotation: dict[str, Any]) -> Article:
    """The article's title and text as the crawl would archive them."""
    path = page_path(annotation["page"])
    if path.suffix == ".txt":
        text = path.read_text(encoding="utf-8")
        title = next((line.strip() for line in text.splitlines() if line.strip()), "")
        return Article(title, text, None)
    if path.suffix == ".json":
        raw = govuk_html(json.loads(path.read_text(encoding="utf-8")))
    else:
        raw = path.read_text(encoding="utf-8", errors="replace")
    from crawler.extraction.draft import Rejected
    from crawler.extraction.extract import extract_statement
    from crawler.items import FetchedPage

    page = FetchedPage("", annotation["url"], 200, "text/html; charset=utf-8",
                       raw.encode("utf-8"), datetime.now(UTC))
    result = extract_statement(page)
    if isinstance(result, Rejected):
        raise ValueError(f"extraction rejected the page: {result}")
    return Article(result.title, result.body, raw)


def published(annotation: dict[str, Any]) -> datetime | None:
    day = annotation.get("published")
    return datetime.fromisoformat(day).replace(tzinfo=UTC) if day else None


# --- running ------------------------------------------------------------------------------

def enrich_article(annotation: dict[str, Any], article: Article | None = None) -> Any:
    from crawler.enrich import enrich

    article = article or read_article(annotation)
    return enrich(title=article.title, text=article.text, url=annotation["url"],
                  source_country=annotation["source_country"],
                  source_kind=annotation["source_kind"], language=annotation["language"],
                  section=None, published=published(annotation), html=article.html)


def run(annotations: Sequence[dict[str, Any]]) -> Scores:
    from crawler.ingest.processing import load_rules

    load_rules()  # the rules' data load on first use: not an article's time
    scores = Scores()
    for annotation in annotations:
        failure = None
        try:
            article = read_article(annotation)
            start = time.perf_counter()
            try:
                predicted = enrich_article(annotation, article)
            finally:
                scores.seconds += time.perf_counter() - start
        except Exception as exc:  # one broken article must not hide the others' scores
            failure, predicted = f"failed: {type(exc).__name__}: {exc}", None
        score_article(scores, annotation, predicted)
        if failure:
            scores.errors[annotation["id"]] = [failure, *scores.errors.get(annotation["id"], [])]
    return scores


def table(scores: Scores, annotations: Sequence[dict[str, Any]]) -> str:
    by_kind = Counter(a["source_kind"] for a in annotations)
    languages = Counter(a["language"] for a in annotations)
    quotes = sum(len(a["quotes"]) for a in annotations)
    numbered = sum(a["document_number"] is not None for a in annotations)
    s = scores
    lines = [
        f"Golden set: {s.articles} hand-annotated articles "
        f"({', '.join(f'{n} {k}' for k, n in by_kind.most_common())}; languages "
        f"{', '.join(f'{k} {n}' for k, n in languages.most_common())}), {quotes} quotes, "
        f"{numbered} document numbers; measured {datetime.now(UTC):%Y-%m-%d}"
        + (f"; {s.failed} articles failed and count as empty predictions." if s.failed else "."),
        "",
        "| field | precision | recall | F1 | other |",
        "| --- | --- | --- | --- | --- |",
        f"| statement type | | | {macro_f1(s.types):.3f} (macro) | accuracy {s.type_accuracy:.3f} |",
        f"| speakers (name + country) | {s.speakers.precision:.3f} | {s.speakers.recall:.3f} "
        f"| {s.speakers.f1:.3f} | role right on {s.roles.value:.3f} of matched ({s.roles.total}) |",
        f"| countries | {s.countries.precision:.3f} | {s.countries.recall:.3f} "
        f"| {s.countries.f1:.3f} | |",
        f"| quotes (detection) | {s.quotes.precision:.3f} | {s.quotes.recall:.3f} "
        f"| {s.quotes.f1:.3f} | attribution {s.attribution.value:.3f} of matched "
        f"({s.attribution.total}) |",
        f"| document number | | | | accuracy {s.document_number.value:.3f} |",
        f"| enrichment time | | | | {s.ms_per_article:.2f} ms an article |",
    ]
    return "\n".join(lines)


def write_doc(text: str, doc: Path = DOC) -> None:
    """Put the table between the BENCH markers of the doc, adding them (and
    the doc) when missing."""
    if not doc.exists():
        doc.write_text("# Statements\n\n## Measured\n\n`make bench-enrich` rewrites the table "
                       f"below.\n\n{BEGIN}\n{END}\n", encoding="utf-8")
    current = doc.read_text(encoding="utf-8")
    if BEGIN not in current or END not in current:
        current = current.rstrip("\n") + f"\n\n## Measured\n\n{BEGIN}\n{END}\n"
    start, end = current.index(BEGIN) + len(BEGIN), current.index(END)
    doc.write_text(current[:start] + "\n" + text + "\n" + current[end:], encoding="utf-8")


def both_tables(dev_table: str, golden_table: str) -> str:
    """What goes between the BENCH markers: enrich-dev first, the set that
    says how good enrichment is, then the golden regression set."""
    return (f"### enrich-dev: real news pages\n\n{dev_table}\n\n"
            f"### Golden set: regression\n\n{golden_table}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("annotations", nargs="?", type=Path, default=ANNOTATIONS,
                        help="the golden annotations (default: %(default)s)")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every page's errors")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/statements.md")
    args = parser.parse_args(argv)

    scorer = enrich_dev.load_scorer()
    gold = enrich_dev.load_gold(scorer)
    runs = enrich_dev.run(gold)
    if args.verbose:
        print("enrich-dev, crawled text: score.py's errors per page\n")
    results = enrich_dev.score(scorer, gold, runs, verbose=args.verbose)
    if args.verbose:
        for text, run_ in runs.items():
            for page, failure in run_.failures.items():
                print(f"{text} {page[:8]} failed: {failure}")
        print()
    dev_table = enrich_dev.table(gold, results, runs, enrich_dev.halves(scorer, gold, runs))

    annotations = load_annotations(args.annotations)
    scores = run(annotations)
    golden_table = table(scores, annotations)
    text = both_tables(dev_table, golden_table)
    print(text)
    if args.verbose:
        print(f"\n{len(scores.errors)} of {scores.articles} golden articles with errors:")
        for ident, errors in scores.errors.items():
            print(f"\n{ident}")
            for error in errors:
                print(f"  - {error}")
    if not args.no_write:
        write_doc(text)
        print(f"\nwritten to {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
