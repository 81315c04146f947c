"""``make bench-extract``: demarche's extraction against trafilatura and
readability-lxml on two development sets, all measured in the same run.

The sets and their scorers are in ``benchmarks/extraction_sets.py``: ``dev``
(token F1) and ``snippets`` (trafilatura's must-keep/must-drop snippets). A
change is judged on both: one that raises one set and lowers the other is
tuned to it, not better. Time follows ``score_extraction.py``'s convention
(one warm-up call untimed, then each page timed alone in this one process)
with one difference: the extractors take turns page by page instead of
running one after the other, so that a slow minute of a shared machine
weighs on all of them alike rather than on whichever ran then. The
``demarche extract`` speed-up from one to two worker processes is measured
on the dev pages, twice in alternation, each count's best time kept. The
paragraph model of ``crawler/extraction/blocks.py`` is then fitted on each
set and scored on the other (``benchmarks/extraction_fit.py``), and titles
are checked on the hand-checked real pages of the golden test. The tables
are printed and written into ``docs/extraction.md`` between its BENCH
markers.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from batch.corpus import extract_directory
from benchmarks.extraction_sets import (
    EvalSet,
    PageRejected,
    Predictions,
    Row,
    best_per_page,
    demarche,
    dev_set,
    snippets_set,
    table,
)
from storage.engine import project_root

DOC = project_root() / "docs" / "extraction.md"
BEGIN, END = "<!-- BENCH:BEGIN -->", "<!-- BENCH:END -->"


def trafilatura_bare_with_metadata(html: str | bytes, url: str | None) -> str | None:
    from trafilatura import bare_extraction

    doc = bare_extraction(html, url=url, with_metadata=True)
    return doc.text if doc is not None else None


def trafilatura_default(html: str | bytes, url: str | None) -> str | None:
    from trafilatura import extract

    return extract(html, url=url)


def readability_lxml(html: str | bytes, url: str | None) -> str | None:
    from lxml import html as lxml_html
    from readability import Document

    summary = Document(html, url=url).summary(html_partial=True)
    tree = lxml_html.fromstring(summary)
    blocks = tree.xpath("//p|//li|//h1|//h2|//h3|//h4|//blockquote|//pre|//td")
    text = "\n".join(" ".join(b.text_content().split()) for b in blocks)
    return text.strip() or " ".join(tree.text_content().split()) or None


EXTRACTORS = {
    "demarche": demarche,
    "trafilatura bare_extraction + metadata": trafilatura_bare_with_metadata,
    "trafilatura default": trafilatura_default,
    "readability-lxml": readability_lxml,
}


def run_in_turns(evalset: EvalSet) -> dict[str, Predictions]:
    """Every extractor over every page of one set, page by page."""
    names = list(EXTRACTORS)
    first = evalset.read(evalset.ids[0])
    for func in EXTRACTORS.values():  # warm-up, untimed
        try:
            func(first, evalset.urls[evalset.ids[0]])
        except Exception:  # noqa: BLE001, S110 - the page is scored in the run proper
            pass
    preds: dict[str, Predictions] = {name: {} for name in names}
    for n, page_id in enumerate(evalset.ids):
        html, url = evalset.read(page_id), evalset.urls[page_id]
        # Each page starts with another extractor: none is always first.
        for name in names[n % len(names):] + names[: n % len(names)]:
            record: dict[str, object] = {"id": page_id, "text": None, "error": None}
            started = time.perf_counter()
            try:
                out = EXTRACTORS[name](html, url)
            except PageRejected as exc:
                out, record["error"] = None, str(exc)
            except Exception as exc:  # noqa: BLE001 - a failed page is a result
                out, record["error"] = None, f"{type(exc).__name__}: {exc}"[:300]
            record["ms"] = (time.perf_counter() - started) * 1000.0
            if isinstance(out, dict):
                record.update({k: out.get(k) for k in ("title", "date", "author")})
                out = out.get("text")
            record["text"] = out
            preds[name][page_id] = record
    return preds


def golden_titles() -> list[str]:
    """Title exact match on the hand-checked pages of tests/golden/pages.json
    (real pages of ../shared/realpages): neither development set has titles."""
    import json
    import unicodedata

    from trafilatura import bare_extraction

    from benchmarks.extraction_sets import SHARED_EVAL

    def norm(text: object) -> str:
        return " ".join(unicodedata.normalize("NFKC", str(text or "")).split())

    pages = json.loads((project_root() / "tests/golden/pages.json").read_text(encoding="utf-8"))
    ours = theirs = 0
    for page in pages:
        body = (SHARED_EVAL.parent / "realpages" / page["file"]).read_bytes()
        try:
            ours += norm(demarche(body, page["url"])["title"]) == norm(page["title"])
        except PageRejected:
            pass
        doc = bare_extraction(body, url=page["url"], with_metadata=True)
        theirs += doc is not None and norm(doc.title) == norm(page["title"])
    return ["", f"**Titles** (neither set has them): exact match on the {len(pages)} hand-checked "
            f"real pages of `tests/golden/pages.json`: demarche {ours}/{len(pages)}, trafilatura "
            f"bare_extraction + metadata {theirs}/{len(pages)}."]


def workers_speedup(data_dir: Path) -> tuple[float, float]:
    """The best of two runs with one worker and two with two, alternated."""
    times: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2, 1, 2):
            started = time.perf_counter()
            extract_directory(data_dir, Path(tmp) / f"w{workers}.jsonl", workers)
            times[workers].append(time.perf_counter() - started)
    return min(times[1]), min(times[2])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev", type=Path, default=None, help="the dev set's folder")
    parser.add_argument("--snippets", type=Path, default=None, help="the snippets set's folder")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/extraction.md")
    parser.add_argument("--no-cross-fit", action="store_true",
                        help="skip the paragraph model's cross-fitted figures (several minutes)")
    args = parser.parse_args(argv)
    sets = [dev_set(args.dev), snippets_set(args.snippets)]
    lines = [f"Measured {datetime.now(UTC):%Y-%m-%d} on {os.cpu_count()} cores in one run, "
             "the extractors taking turns page by page."]
    for evalset in sets:
        rows: list[Row] = []
        predictions = run_in_turns(evalset)
        for name, preds in predictions.items():
            rows.append(evalset.score(name, preds))
            print(f"{evalset.name} {name}: F1 {rows[-1].f1:.3f}", file=sys.stderr)
        reference = next(r for r in rows if r.name.startswith("trafilatura bare")).median_ms
        ceiling = best_per_page(evalset, predictions)
        lines += ["", f"**{evalset.name}**: {len(evalset.ids)} pages, {evalset.metric}.", "",
                  *table(evalset, rows),
                  f"demarche median time per page: {rows[0].median_ms / reference:.2f}x "
                  "trafilatura's bare_extraction with metadata.",
                  f"A perfect choice between these {len(rows)} extractors, page by page (the "
                  f"ceiling of any vote or selector over them): F1 {ceiling.f1:.3f} "
                  f"(P {ceiling.precision:.3f} R {ceiling.recall:.3f})."]
    if not args.no_cross_fit:
        from benchmarks.extraction_fit import cross_fit

        lines += cross_fit(*sets).lines
    lines += golden_titles()
    one, two = workers_speedup(sets[0].directory)
    lines += ["", f"`demarche extract` over {sets[0].name}: {one:.2f} s with 1 worker, "
              f"{two:.2f} s with 2 workers ({one / two:.2f}x; best of two runs each)."]
    text_table = "\n".join(lines)
    print(text_table)
    if not args.no_write:
        text = DOC.read_text(encoding="utf-8")
        start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
        DOC.write_text(text[:start] + "\n" + text_table + "\n" + text[end:], encoding="utf-8")
        print(f"\nwritten to {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
