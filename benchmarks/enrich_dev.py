"""``make bench-enrich`` on enrich-dev: who said what on 90 real news pages,
scored by the set's own ``score.py``.

``../shared/eval/enrich-dev/`` annotates the speakers, quotes and countries
of the 90 pages of ``../shared/eval/dev`` (its README has the rules).
Each page is enriched twice:

- as the crawl makes it: ``process_page`` extracts the saved page and reads
  its markup, then ``enrich_statement`` enriches it with no source row (an
  imported site: kind "media", country unknown), exactly as an import does;
- on the hand-cleaned text: the benchmark's ground-truth body (no title),
  with the same page's markup, so that the two rows differ only by the text.

The outputs go, as JSONL records, to ``score.py`` (read in place, never
copied: its ``score`` function is the one that counts). Only the
``enrich_statement`` call is timed, after the rules' data are loaded (as
the crawl loads them before its workers start); each page is enriched
``REPEATS`` times and its fastest time counts, so that another process
taking the core for a moment does not count as the page's cost.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from storage.engine import project_root

SHARED_EVAL = project_root().parent / "shared" / "eval"
ENRICH_DEV = SHARED_EVAL / "enrich-dev"
PAGES = SHARED_EVAL / "dev"
TEXTS = ("crawled", "cleaned")
TEXT_LABELS = {"crawled": "as crawled (extracted text)", "cleaned": "hand-cleaned text"}
REPEATS = 3


def load_scorer() -> ModuleType:
    """enrich-dev's ``score.py``, imported from where it lies."""
    path = ENRICH_DEV / "score.py"
    if not path.exists():
        raise SystemExit(f"the scorer is missing: {path} (../shared/eval must be beside the project)")
    spec = importlib.util.spec_from_file_location("enrich_dev_score", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def load_gold(scorer: ModuleType) -> list[dict[str, Any]]:
    return scorer.load_jsonl(str(ENRICH_DEV / "annotations.jsonl"))


def cleaned_bodies() -> dict[str, str]:
    """The hand-cleaned article text of each dev page, by page id."""
    bodies = {}
    for line in (PAGES / "ground_truth.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            bodies[row["id"]] = row["body"]
    return bodies


def as_system(page_id: str, enrichment: Any) -> dict[str, Any]:
    """One enrichment in score.py's system format. demarche attributes
    quotes to people only, so a quote with a speaker is of kind "person"
    and one without says so too (scored strictly, as the README advises)."""
    if enrichment is None:
        return {"id": page_id}
    return {
        "id": page_id,
        "speakers": [{"name": s.name, "country": s.country} for s in enrichment.speakers],
        "quotes": [{"text": q.text, "speaker": q.speaker, "kind": "person" if q.speaker else "null"}
                   for q in enrichment.quotes],
        "countries": [m.code for m in enrichment.countries],
    }


@dataclass
class Run:
    """One text's outputs: score.py records, seconds spent enriching, and
    the pages that could not be enriched (scored as empty output)."""

    records: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    failures: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def ms_per_page(self) -> float:
        return 1000 * self.seconds / len(self.records) if self.records else 0.0


def _statements(annotation: dict[str, Any], bodies: dict[str, str]) -> dict[str, Any]:
    """The page's statement as the crawl extracts it, and the same with the
    hand-cleaned text in its place."""
    from crawler.extraction.draft import Rejected
    from crawler.ingest.processing import process_page
    from crawler.items import FetchedPage

    raw = (PAGES / f"{annotation['id']}.html").read_bytes()
    page = FetchedPage("", annotation["url"], 200, "text/html; charset=utf-8", raw, datetime.now(UTC))
    statement = process_page(page)
    if isinstance(statement, Rejected):
        raise ValueError(f"extraction rejected the page: {statement}")
    return {"crawled": statement,
            "cleaned": dataclasses.replace(statement, title="", body=bodies[annotation["id"]])}


def run(gold: Sequence[dict[str, Any]]) -> dict[str, Run]:
    """Enrich every page both ways (see the module's docstring)."""
    from crawler.ingest.processing import enrich_statement, load_rules

    load_rules()  # the rules' data load on first use: not a page's time
    bodies = cleaned_bodies()
    runs = {text: Run() for text in TEXTS}
    for annotation in gold:
        page_id = annotation["id"]
        try:
            statements = _statements(annotation, bodies)
        except Exception as exc:  # one broken page must not hide the others' scores
            for text in TEXTS:
                runs[text].records.append(as_system(page_id, None))
                runs[text].failures[page_id] = f"{type(exc).__name__}: {exc}"
            continue
        for text in TEXTS:
            enrichment, fastest = None, float("inf")
            for _ in range(REPEATS):
                start = time.perf_counter()
                try:
                    enrichment = enrich_statement(statements[text], None).enrichment
                except Exception as exc:  # counted as empty output, and listed
                    runs[text].failures[page_id] = f"{type(exc).__name__}: {exc}"
                fastest = min(fastest, time.perf_counter() - start)
            runs[text].seconds += fastest
            runs[text].records.append(as_system(page_id, enrichment))
    return runs


def score(scorer: ModuleType, gold: Sequence[dict[str, Any]], runs: dict[str, Run],
          verbose: bool = False) -> dict[str, dict[str, Any]]:
    """score.py's results for each text; ``verbose`` prints its per-page
    errors for the crawled text."""
    return {text: scorer.score(list(gold), runs[text].records, out=sys.stdout, warn=False,
                               verbose=verbose and text == "crawled")
            for text in TEXTS}


def halves(scorer: ModuleType, gold: Sequence[dict[str, Any]], runs: dict[str, Run]) -> dict[str, dict[str, Any]]:
    """score.py's results on each half of the pages (A: the 1st, 3rd, …
    page in id order; B: the others), crawled text: rules tuned on one half
    should hold on the other."""
    out = {}
    for name, start in (("A", 0), ("B", 1)):
        pages = list(gold)[start::2]
        ids = {g["id"] for g in pages}
        records = [r for r in runs["crawled"].records if r["id"] in ids]
        out[name] = scorer.score(pages, records, out=io.StringIO(), warn=False, verbose=False)
    return out


def halves_line(results: dict[str, dict[str, Any]]) -> str:
    """One line per half: the figures the issue sets floors for."""
    lines = []
    for name, result in results.items():
        attribution = result["attribution"]
        lines.append(f"half {name}: speakers F1 {result['speakers'][2]:.3f}, with country "
                     f"{result['speakers+country'][2]:.3f}, quotes F1 {result['quotes'][2]:.3f}, "
                     f"attribution {attribution if attribution is None else f'{attribution:.3f}'}, "
                     f"countries F1 {result['countries'][2]:.3f}")
    return ("Cross-check, crawled text, the pages split in two by id order (odd / even): "
            + "; ".join(lines) + ".")


def _prf(values: Sequence[float]) -> str:
    p, r, f = values
    return f"P {p:.3f} · R {r:.3f} · **F1 {f:.3f}**"


def _attribution(result: dict[str, Any]) -> str:
    counts = result["counts"]
    value = result["attribution"]
    if value is None:
        return "– (no matched quotes)"
    return (f"**{value:.3f}** ({counts.get('att_ok', 0)} of {counts.get('q_tp', 0)}; person "
            f"{counts.get('att_ok_person', 0)}/{counts.get('att_person', 0)}, unnamed/org "
            f"{counts.get('att_ok_other', 0)}/{counts.get('att_other', 0)})")


def table(gold: Sequence[dict[str, Any]], results: dict[str, dict[str, Any]],
          runs: dict[str, Run], split: dict[str, dict[str, Any]] | None = None) -> str:
    quotes = sum(len(g["quotes"]) for g in gold)
    speakers = sum(len(g["speakers"]) for g in gold)
    failed = {page for run_ in runs.values() for page in run_.failures}
    header = (f"{len(gold)} real news pages of `../shared/eval/enrich-dev`, scored by its "
              f"`score.py`: {quotes} quotes, {speakers} speakers (every named person who speaks, "
              f"official or not); measured {datetime.now(UTC):%Y-%m-%d}"
              + (f"; {len(failed)} pages failed and count as empty output." if failed else "."))
    rows = [
        ("speakers (name)", lambda r: _prf(r["speakers"])),
        ("speakers (name + country)", lambda r: _prf(r["speakers+country"])),
        ("quotes (detection)", lambda r: _prf(r["quotes"])),
        ("attribution of matched quotes", _attribution),
        ("countries", lambda r: _prf(r["countries"])),
    ]
    lines = [header, "",
             "| field | " + " | ".join(TEXT_LABELS[t] for t in TEXTS) + " |",
             "| --- |" + " --- |" * len(TEXTS)]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(results[t]) for t in TEXTS) + " |")
    lines.append("| enrichment time (each page's fastest of "
                 f"{REPEATS}) | " + " | ".join(f"{runs[t].ms_per_page:.2f} ms a page"
                                              for t in TEXTS) + " |")
    if split:
        lines += ["", halves_line(split)]
    return "\n".join(lines)
