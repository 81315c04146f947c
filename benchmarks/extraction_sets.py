"""The development sets of ``make bench-extract``, each with its own scorer.

- ``dev``: 181 pages with their article text (Zyte's benchmark), scored by
  ``../shared/eval/score_extraction.py`` (bag-of-words token F1). Pages are
  handed over as that scorer reads them: decoded as UTF-8.
- ``snippets``: 506 pages of trafilatura's own evaluation set with must-keep
  and must-drop snippets, scored by ``../shared/eval/snippets/score_snippets.py``
  (trafilatura's method). Pages are handed over as the saved bytes, as
  trafilatura's evaluation reads them: each extractor decodes them itself,
  demarche exactly as ``demarche extract`` does.

Both scorers are run in place, never copied: ``score_snippets.py`` prints
its figures, which are read back from its one summary line.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from storage.engine import project_root

SHARED_EVAL = project_root().parent / "shared" / "eval"
# One record per page: {"text", "ms", "error", "title", ...}, as the
# scorer's ``run_extractor`` makes them.
Predictions = dict[str, dict[str, object]]


@dataclass(frozen=True)
class Row:
    """One extractor's figures on one set."""

    name: str
    f1: float
    precision: float
    recall: float
    empty: int
    median_ms: float
    pages_per_s: float
    # Why demarche gave nothing, by reason ("not_html": 3).
    rejected: dict[str, int]
    title_exact: float | None


@dataclass(frozen=True)
class EvalSet:
    name: str
    directory: Path
    ids: list[str]
    urls: dict[str, str | None]
    read: Callable[[str], str | bytes]
    score: Callable[[str, Predictions], Row]
    # Each page's merit under the set's scorer (higher is better), for the
    # page-by-page ceiling of choosing between extractors.
    merit: Callable[[Predictions], dict[str, float]]
    # What F1 means on this set, for the table's heading.
    metric: str
    has_titles: bool


def load_module(path: Path, name: str) -> ModuleType:
    if not path.exists():
        raise SystemExit(f"the scorer is missing: {path} (../shared/eval must be beside the project)")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _speed(preds: Predictions) -> tuple[float, float]:
    times = [float(r["ms"]) for r in preds.values()]  # type: ignore[arg-type]
    total = sum(times) / 1000.0
    return statistics.median(times), (len(times) / total if total else 0.0)


def _rejected(preds: Predictions) -> dict[str, int]:
    reasons = Counter(str(r["error"]).split(":")[0] for r in preds.values()
                      if r.get("error") and not r.get("text"))
    return dict(sorted(reasons.items()))


def dev_set(directory: Path | None = None) -> EvalSet:
    directory = directory or SHARED_EVAL / "dev"
    scorer = load_module(SHARED_EVAL / "score_extraction.py", "score_extraction")
    truth = scorer.load_truth(directory)

    def score(name: str, preds: Predictions) -> Row:
        summary, _ = scorer.score(preds, truth, n_boot=200, seed=0)
        bag, speed = summary["bag"], summary["speed"]
        title = summary["meta"].get("title")
        return Row(name, bag["f1"], bag["precision"], bag["recall"], summary["failed"],
                   speed["median_ms"], speed["pages_per_s"], _rejected(preds),
                   title["exact"] if title else None)

    def merit(preds: Predictions) -> dict[str, float]:
        _, pages = scorer.score(preds, truth, n_boot=0, seed=0)
        return {page["id"]: page["bag"]["f1"] for page in pages}

    return EvalSet(
        name=directory.name, directory=directory, ids=sorted(truth),
        urls={i: truth[i].get("url") for i in truth},
        read=lambda page_id: scorer.read_html(directory, page_id),
        score=score, merit=merit, metric="bag-of-words token F1 (score_extraction.py)",
        has_titles=any(t.get("title") for t in truth.values()),
    )


# score_snippets.py's summary line.
_SUMMARY = re.compile(r"pages (\d+)\s+empty (\d+)\s+precision ([\d.]+)\s+recall ([\d.]+)"
                      r"\s+accuracy ([\d.]+)\s+F1 ([\d.]+)")
_COUNTS = re.compile(r"\(tp (\d+) fp (\d+) fn (\d+)")


def snippets_set(directory: Path | None = None) -> EvalSet:
    directory = directory or SHARED_EVAL / "snippets"
    scorer = load_module(directory / "score_snippets.py", "score_snippets")
    gold_path = directory / "snippets.jsonl"
    gold = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines()
            if line.strip()]

    def run(pages: list[dict], preds: Predictions, printed_line: re.Pattern) -> re.Match:
        """score_snippets.py over ``pages`` of the gold file and their
        predictions; its printed figures, matched by ``printed_line``."""
        with tempfile.TemporaryDirectory() as tmp:
            gold_file, pred_file = Path(tmp) / "gold.jsonl", Path(tmp) / "predictions.jsonl"
            gold_file.write_text("".join(json.dumps(page) + "\n" for page in pages),
                                 encoding="utf-8")
            pred_file.write_text("".join(json.dumps({"id": page["id"], "text": (
                preds.get(str(page["id"])) or {}).get("text")}) + "\n" for page in pages),
                encoding="utf-8")
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                scorer.main([str(gold_file), str(pred_file)])
        found = printed_line.search(printed.getvalue())
        if not found:
            raise SystemExit(f"score_snippets.py printed no figures: {printed.getvalue()!r}")
        return found

    def score(name: str, preds: Predictions) -> Row:
        found = run(gold, preds, _SUMMARY)
        median_ms, pages_per_s = _speed(preds)
        return Row(name, float(found[6]), float(found[3]), float(found[4]), int(found[2]),
                   median_ms, pages_per_s, _rejected(preds), None)

    def merit(preds: Predictions) -> dict[str, float]:
        # The scorer run on each page alone: must-keep snippets found less
        # must-drop snippets kept (its counts are summed over pages).
        merits = {}
        for page in gold:
            found = run([page], preds, _COUNTS)
            merits[str(page["id"])] = float(int(found[1]) - int(found[2]))
        return merits

    return EvalSet(
        name=directory.name, directory=directory, ids=[str(g["id"]) for g in gold],
        urls={str(g["id"]): g.get("url") for g in gold},
        read=lambda page_id: (directory / f"{page_id}.html").read_bytes(),
        score=score, merit=merit, metric="snippet F1 (score_snippets.py, trafilatura's method)",
        has_titles=False,
    )


def best_per_page(evalset: EvalSet, predictions: dict[str, Predictions]) -> Row:
    """The score of a perfect choice between the extractors, page by page:
    the ceiling of any vote or selector over them."""
    merits = {name: evalset.merit(preds) for name, preds in predictions.items()}
    chosen: Predictions = {}
    for page_id in evalset.ids:
        best = max(merits, key=lambda name: merits[name].get(page_id, 0.0))
        chosen[page_id] = predictions[best][page_id]
    return evalset.score("best of them, page by page", chosen)


def table(evalset: EvalSet, rows: list[Row]) -> list[str]:
    """The Markdown lines of one set's table and what follows it."""
    lines = [
        "| extractor | F1 | precision | recall | empty | median ms/page | pages/s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(f"| {r.name} | {r.f1:.3f} | {r.precision:.3f} | {r.recall:.3f} | {r.empty} | "
          f"{r.median_ms:.1f} | {r.pages_per_s:.1f} |" for r in rows),
        "",
    ]
    ours = rows[0]
    reasons = ", ".join(f"{k} {v}" for k, v in ours.rejected.items()) or "none"
    lines.append(f"{ours.name}: {ours.empty} of {len(evalset.ids)} pages empty; "
                 f"rejected by reason: {reasons}.")
    if evalset.has_titles:
        lines.append("Title exact match: " + ", ".join(
            f"{r.name} {r.title_exact:.3f}" for r in rows if r.title_exact is not None) + ".")
    else:
        lines.append("Titles: this set has no ground-truth titles, so no title accuracy.")
    return lines


class PageRejected(Exception):
    """demarche's reason for giving no text, recorded as the page's error."""


def demarche(html: str | bytes, url: str | None) -> dict[str, object]:
    """demarche's extraction of one saved page, as the bench scores it."""
    from datetime import UTC, datetime

    from crawler.extraction.draft import Rejected
    from crawler.extraction.extract import extract_statement
    from crawler.items import FetchedPage

    if isinstance(html, str):
        content_type: str | None = "text/html; charset=utf-8"
        body = html.encode("utf-8")
    else:
        content_type, body = None, html  # saved bytes: read as `demarche extract` does
    page = FetchedPage("", url or "", 200, content_type, body, datetime.now(UTC))
    result = extract_statement(page)
    if isinstance(result, Rejected):
        raise PageRejected(str(result))
    return {"text": result.body, "title": result.title, "author": result.author,
            "date": result.published_at.isoformat() if result.published_at else None}
