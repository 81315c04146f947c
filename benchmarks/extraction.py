"""``make bench-extract``: demarche's extraction against trafilatura and
readability-lxml on the dev set, all measured in the same run.

Quality is scored by ``../shared/eval/score_extraction.py`` (read in place,
never copied), on pages it reads and decodes. Time follows its convention
(one warm-up call untimed, then each page timed alone in this one process)
with one difference: the extractors take turns page by page instead of
running one after the other, so that a slow minute of a shared machine
weighs on all of them alike rather than on whichever ran then. The
``demarche extract`` speed-up from one to two worker processes is measured
on the same pages, twice in alternation, each count's best time kept. The
table is printed and written into ``docs/extraction.md`` between its BENCH
markers.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from batch.corpus import extract_directory
from crawler.extraction.draft import Rejected
from crawler.extraction.extract import extract_statement
from crawler.items import FetchedPage
from storage.engine import project_root

SHARED_EVAL = project_root().parent / "shared" / "eval"
DOC = project_root() / "docs" / "extraction.md"
BEGIN, END = "<!-- BENCH:BEGIN -->", "<!-- BENCH:END -->"


def load_scorer() -> ModuleType:
    path = SHARED_EVAL / "score_extraction.py"
    if not path.exists():
        raise SystemExit(f"the scorer is missing: {path} (../shared/eval must be beside the project)")
    spec = importlib.util.spec_from_file_location("score_extraction", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["score_extraction"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def demarche(html: str, url: str | None) -> dict[str, object] | None:
    page = FetchedPage("", url or "", 200, "text/html; charset=utf-8", html.encode("utf-8"),
                       datetime.now(UTC))
    result = extract_statement(page)
    if isinstance(result, Rejected):
        return None
    return {"text": result.body, "title": result.title, "author": result.author,
            "date": result.published_at.isoformat() if result.published_at else None}


def trafilatura_bare_with_metadata(html: str, url: str | None) -> str | None:
    from trafilatura import bare_extraction

    doc = bare_extraction(html, url=url, with_metadata=True)
    return doc.text if doc is not None else None


def trafilatura_default(html: str, url: str | None) -> str | None:
    from trafilatura import extract

    return extract(html, url=url)


def readability_lxml(html: str, url: str | None) -> str | None:
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


def run_in_turns(scorer: ModuleType, data_dir: Path, truth: dict
                 ) -> dict[str, dict[str, dict[str, object]]]:
    """Every extractor over every page, page by page; predictions as the
    scorer's ``run_extractor`` makes them ({id: {"text", "ms", "error", ...}})."""
    ids = sorted(truth)
    names = list(EXTRACTORS)
    first = scorer.read_html(data_dir, ids[0])
    for func in EXTRACTORS.values():  # warm-up, untimed
        func(first, truth[ids[0]].get("url"))
    preds: dict[str, dict[str, dict[str, object]]] = {name: {} for name in names}
    for n, page_id in enumerate(ids):
        html, url = scorer.read_html(data_dir, page_id), truth[page_id].get("url")
        # Each page starts with another extractor: none is always first.
        for name in names[n % len(names):] + names[: n % len(names)]:
            record: dict[str, object] = {"id": page_id, "text": None, "error": None}
            started = time.perf_counter()
            try:
                out = EXTRACTORS[name](html, url)
            except Exception as exc:  # noqa: BLE001 - a failed page is a result
                out, record["error"] = None, f"{type(exc).__name__}: {exc}"[:300]
            record["ms"] = (time.perf_counter() - started) * 1000.0
            if isinstance(out, dict):
                record.update({k: out.get(k) for k in ("title", "date", "author")})
                out = out.get("text")
            record["text"] = out
            preds[name][page_id] = record
    return preds


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
    parser.add_argument("data_dir", nargs="?", type=Path, default=SHARED_EVAL / "dev")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/extraction.md")
    args = parser.parse_args(argv)
    scorer = load_scorer()
    truth = scorer.load_truth(args.data_dir)
    rows = []
    for name, preds in run_in_turns(scorer, args.data_dir, truth).items():
        summary, _ = scorer.score(preds, truth, n_boot=200, seed=0)
        bag, speed = summary["bag"], summary["speed"]
        rows.append((name, bag["f1"], bag["precision"], bag["recall"], summary["failed_rate"],
                     speed["median_ms"], speed["pages_per_s"]))
        print(f"{name}: F1 {bag['f1']:.3f}", file=sys.stderr)
    one, two = workers_speedup(args.data_dir)
    reference = next(r for r in rows if r[0].startswith("trafilatura bare"))[5]
    lines = [
        f"Dev set: {len(truth)} pages ({args.data_dir.name}), bag-of-words token F1, measured "
        f"{datetime.now(UTC):%Y-%m-%d} on {os.cpu_count()} cores in one run, the extractors "
        "taking turns page by page.",
        "",
        "| extractor | F1 | precision | recall | failed | median ms/page | pages/s |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(f"| {n} | {f1:.3f} | {p:.3f} | {r:.3f} | {fail:.1%} | {ms:.1f} | {pps:.1f} |"
          for n, f1, p, r, fail, ms, pps in rows),
        "",
        f"demarche median time per page: {rows[0][5] / reference:.2f}x trafilatura's "
        "bare_extraction with metadata.",
        f"`demarche extract`: {one:.2f} s with 1 worker, {two:.2f} s with 2 workers "
        f"({one / two:.2f}x; best of two runs each).",
    ]
    table = "\n".join(lines)
    print(table)
    if not args.no_write:
        text = DOC.read_text(encoding="utf-8")
        start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
        DOC.write_text(text[:start] + "\n" + table + "\n" + text[end:], encoding="utf-8")
        print(f"\nwritten to {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
