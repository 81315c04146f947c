"""``make bench-enrich``: statement type, speakers, quotes, countries and
document numbers against hand annotations.

``tests/golden/enrich/annotations.jsonl`` holds one annotated article per
line (its README says how they were made). For each one the article text is
made the way the crawl makes it, with ``extract_statement`` on the saved
page (a ``shared:`` page is read in place from ``../shared``; a GOV.UK
Content API item is its body HTML under its title; a ``.txt`` page is used
as it is, its first line as the title), and handed to
``crawler.enrich.enrich`` with the annotated URL, source, language and
date. The scores:

- statement type: accuracy and macro F1 over the types;
- speakers: precision, recall and F1 over (name, country) pairs, micro over
  all articles, and the share of matched speakers with the right role;
- countries: precision, recall and F1 over codes, micro over all articles;
- quotes: a predicted quote matches an annotated one when their normalised
  texts are equal, or one contains the other and the shorter has at least
  80% of the longer one's tokens; detection precision, recall and F1, and
  attribution accuracy, the share of matched annotated quotes whose
  predicted speaker is the annotated one (no speaker on both sides counts);
- document number: accuracy over all articles (none on both sides counts).

The table is printed and written into ``docs/statements.md`` between its
BENCH markers; ``--verbose`` lists every article's errors.
"""

from __future__ import annotations

import argparse
import html as html_lib
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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

# A quote matches when one text holds the other and the shorter has at least
# this share of the longer one's tokens.
QUOTE_OVERLAP = 0.8


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


# --- normalising and matching -----------------------------------------------------------

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]|[^\W_]+")


def normalise(text: str) -> str:
    """Case, width, accents, punctuation and spacing folded away."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(_TOKEN.findall(text))


def tokens(text: str) -> list[str]:
    """Words, and each CJK character on its own."""
    return normalise(text).split()


def quotes_match(a: str, b: str) -> bool:
    na, nb = normalise(a), normalise(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    short, long_ = sorted((na, nb), key=len)
    if f" {short} " not in f" {long_} ":
        return False
    return len(short.split()) >= QUOTE_OVERLAP * len(long_.split())


def _is_initial(a: str, b: str) -> bool:
    return len(a) == 1 and b.startswith(a)


def names_match(a: str | None, b: str | None) -> bool:
    """Two spellings of one person: equal once normalised, the same words in
    another order ("KAMIKAWA Yoko"), one the tail of the other ("Lavrov",
    "Sergei Lavrov"), or word by word with initials ("S. Jaishankar")."""
    if a is None or b is None:
        return a is None and b is None
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return ta == tb
    if ta == tb or sorted(ta) == sorted(tb):
        return True
    if "".join(ta) == "".join(tb):  # CJK names, spaced or not
        return True
    short, long_ = sorted((ta, tb), key=len)
    if long_[-len(short):] == short:
        return True
    return len(ta) == len(tb) and all(x == y or _is_initial(x, y) or _is_initial(y, x)
                                      for x, y in zip(ta, tb, strict=True))


def roles_match(a: str | None, b: str | None) -> bool:
    return normalise(a or "") == normalise(b or "")


# --- scores -------------------------------------------------------------------------------

@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, tp: int, fp: int, fn: int) -> None:
        self.tp, self.fp, self.fn = self.tp + tp, self.fp + fp, self.fn + fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Ratio:
    hits: int = 0
    total: int = 0

    def add(self, hit: bool) -> None:
        self.hits += bool(hit)
        self.total += 1

    @property
    def value(self) -> float:
        return self.hits / self.total if self.total else 1.0


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def match_speakers(truth: Sequence[dict], predicted: Sequence[Any]) -> tuple[list[tuple[dict, Any]], list[dict], list[Any]]:
    """Pairs of (annotated, predicted) speakers with the same person and
    country, the annotated ones missed and the predicted ones extra."""
    left = list(predicted)
    pairs, missed = [], []
    for want in truth:
        hit = next((p for p in left if names_match(want["name"], _get(p, "name"))
                    and (_get(p, "country") or "").upper() == want["country"].upper()), None)
        if hit is None:
            missed.append(want)
        else:
            left.remove(hit)
            pairs.append((want, hit))
    return pairs, missed, left


def match_quotes(truth: Sequence[dict], predicted: Sequence[Any]) -> tuple[list[tuple[dict, Any]], list[dict], list[Any]]:
    """Annotated quotes paired in reading order with the first predicted
    quote that matches them; the missed and the extra ones."""
    left = list(predicted)
    pairs, missed = [], []
    for want in truth:
        hit = next((p for p in left if quotes_match(want["text"], _get(p, "text") or "")), None)
        if hit is None:
            missed.append(want)
        else:
            left.remove(hit)
            pairs.append((want, hit))
    return pairs, missed, left


def country_codes(predicted: Iterable[Any]) -> set[str]:
    codes = set()
    for country in predicted:
        code = country if isinstance(country, str) else _get(country, "code")
        if code:
            codes.add(code.upper())
    return codes


def macro_f1(pairs: Sequence[tuple[str, str]]) -> float:
    """Mean F1 over every label that is annotated or predicted."""
    labels = {t for t, _ in pairs} | {p for _, p in pairs}
    scores = []
    for label in sorted(labels):
        prf = PRF()
        prf.add(sum(t == p == label for t, p in pairs),
                sum(p == label != t for t, p in pairs),
                sum(t == label != p for t, p in pairs))
        scores.append(prf.f1)
    return sum(scores) / len(scores) if scores else 1.0


@dataclass
class Scores:
    articles: int = 0
    failed: int = 0
    types: list[tuple[str, str]] = field(default_factory=list)
    speakers: PRF = field(default_factory=PRF)
    roles: Ratio = field(default_factory=Ratio)
    countries: PRF = field(default_factory=PRF)
    quotes: PRF = field(default_factory=PRF)
    attribution: Ratio = field(default_factory=Ratio)
    document_number: Ratio = field(default_factory=Ratio)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def type_accuracy(self) -> float:
        return sum(t == p for t, p in self.types) / len(self.types) if self.types else 1.0


def _label(speaker: Any) -> str:
    return f"{_get(speaker, 'name')} ({_get(speaker, 'role')}, {_get(speaker, 'country')})"


def score_article(scores: Scores, truth: dict[str, Any], predicted: Any | None) -> None:
    """Add one article to the scores; an article that could not be enriched
    (``predicted`` None) counts as an empty prediction."""
    errors: list[str] = []
    scores.articles += 1
    if predicted is None:
        scores.failed += 1
    kind = (_get(predicted, "statement_type") if predicted is not None else None) or "(none)"
    scores.types.append((truth["statement_type"], kind))
    if kind != truth["statement_type"]:
        errors.append(f"type: {kind!r}, annotated {truth['statement_type']!r}")

    pairs, missed, extra = match_speakers(truth["speakers"], _get(predicted, "speakers") or ())
    scores.speakers.add(len(pairs), len(extra), len(missed))
    for want, got in pairs:
        scores.roles.add(roles_match(want["role"], _get(got, "role")))
        if not roles_match(want["role"], _get(got, "role")):
            errors.append(f"role of {want['name']}: {_get(got, 'role')!r}, annotated {want['role']!r}")
    errors += [f"speaker missed: {_label(s)}" for s in missed]
    errors += [f"speaker extra: {_label(s)}" for s in extra]

    want_codes = {c.upper() for c in truth["countries"]}
    got_codes = country_codes(_get(predicted, "countries") or ())
    scores.countries.add(len(want_codes & got_codes), len(got_codes - want_codes),
                         len(want_codes - got_codes))
    if want_codes - got_codes:
        errors.append(f"countries missed: {' '.join(sorted(want_codes - got_codes))}")
    if got_codes - want_codes:
        errors.append(f"countries extra: {' '.join(sorted(got_codes - want_codes))}")

    pairs, missed, extra = match_quotes(truth["quotes"], _get(predicted, "quotes") or ())
    scores.quotes.add(len(pairs), len(extra), len(missed))
    for want, got in pairs:
        right = names_match(want["speaker"], _get(got, "speaker"))
        scores.attribution.add(right)
        if not right:
            errors.append(f"quote attributed to {_get(got, 'speaker')!r}, annotated "
                          f"{want['speaker']!r}: {_short(want['text'])}")
    errors += [f"quote missed: {_short(q['text'])}" for q in missed]
    errors += [f"quote extra: {_short(_get(q, 'text') or '')}" for q in extra]

    number = _get(predicted, "document_number") if predicted is not None else None
    scores.document_number.add((number or None) == truth["document_number"])
    if (number or None) != truth["document_number"]:
        errors.append(f"document number: {number!r}, annotated {truth['document_number']!r}")
    if errors:
        scores.errors[truth["id"]] = errors


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= width else text[: width - 1] + "…")


# --- running ------------------------------------------------------------------------------

def enrich_article(annotation: dict[str, Any]) -> Any:
    from crawler.enrich import enrich

    article = read_article(annotation)
    return enrich(title=article.title, text=article.text, url=annotation["url"],
                  source_country=annotation["source_country"],
                  source_kind=annotation["source_kind"], language=annotation["language"],
                  section=None, published=published(annotation), html=article.html)


def run(annotations: Sequence[dict[str, Any]]) -> Scores:
    scores = Scores()
    for annotation in annotations:
        failure = None
        try:
            predicted = enrich_article(annotation)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("annotations", nargs="?", type=Path, default=ANNOTATIONS)
    parser.add_argument("--verbose", "-v", action="store_true", help="list every article's errors")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/statements.md")
    args = parser.parse_args(argv)
    annotations = load_annotations(args.annotations)
    scores = run(annotations)
    text = table(scores, annotations)
    print(text)
    if args.verbose:
        print(f"\n{len(scores.errors)} of {scores.articles} articles with errors:")
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
