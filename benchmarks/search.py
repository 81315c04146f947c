"""``make bench-search``: full-text search against a LIKE scan, and the
memory of exports, on 100,000 synthetic statements in a temporary SQLite
archive, in one run.

The statements are written from word lists (English, Russian, Chinese,
Arabic) drawn with Zipf-like frequencies, with multi-word expressions that
recur ("Security Council", "территориальной целостности", 一带一路) and
generated names for a long tail of rare words, then inserted in bulk into an
archive made by the migrations: the triggers index them as they would a
crawl's. Then:

- the median time of ``reading.search.search`` (top 20, ranked, with
  snippets) over many different queries, against ``title LIKE '%term%' OR
  body LIKE '%term%'`` for the single terms among them;
- Chinese: FTS5's ``trigram`` tokenizer against the index's characters-as-
  tokens, on the Chinese statements (hits, index size, speed);
- the peak memory (RSS) of ``demarche export`` to Parquet and JSON Lines of
  nothing, of 10,000 statements and of all of them, each in a process of
  its own.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from benchmarks.search_corpus import DAYS, SEED, START, generate, writers
from reading.query_language import fold, parse_query
from reading.search import search
from storage.engine import open_archive, project_root

# Single terms, searched for (as a phrase when two words) and scanned for
# with LIKE: topic words (each in a few per cent of the statements), then
# names from the long tail (`_tail_names`).
TERMS = [
    "sanctions", "ceasefire", "minister", "withdrawal", "vaccine", "consultations",
    "semiconductors", "hegemony", "Yerevan", "Caracas", "Lavrov", "Security Council",
    "санкции", "переговоры", "беженцы", "Захарова", "制裁", "外交部", "台湾", "停火",
    "العقوبات", "السفارة", "غزة",
]
# Phrases, boolean queries, prefixes: searched for only.
QUERIES = [
    '"territorial integrity"', '"human rights" Syria', "sanctions AND Iran",
    "ceasefire OR truce", "sanctions NOT Iran", "negotiat*", "sanction*", "Lavrov Blinken",
    "(Gaza OR Lebanon) AND humanitarian", '"прекращения огня"', "санкци*", '"一带一路"',
    "人类命运共同体", '"وقف إطلاق النار"', "nuclear weapons treaty", "Security Council resolution",
    "press conference Beijing", "Ukraine NOT Russia",
]
def _tail_names() -> list[str]:
    """Names the generator used, from frequent to rare (ranks 10, 100, 1000)."""
    made = writers(random.Random(SEED))
    return [made[lang].names[rank] for lang in ("en", "ru", "zh") for rank in (10, 100, 1000)]


def _as_query(term: str) -> str:
    return f'"{term}"' if " " in term else term


def _median_ms(timings: list[float]) -> float:
    return statistics.median(timings) * 1000


def bench_queries(path: Path, repeat: int) -> None:
    terms = TERMS + _tail_names()
    engine = open_archive(f"sqlite:///{path}")
    search_times: dict[str, list[float]] = {}
    with Session(engine) as s:
        for query in [_as_query(t) for t in terms] + QUERIES:
            parsed = parse_query(query)
            for _ in range(repeat):
                started = time.perf_counter()
                search(s, parsed, limit=20)
                search_times.setdefault(query, []).append(time.perf_counter() - started)
    engine.dispose()
    like_times: dict[str, float] = {}
    like_counts: dict[str, int] = {}
    conn = sqlite3.connect(path)
    total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    for term in terms:
        started = time.perf_counter()
        rows = conn.execute("SELECT id FROM articles WHERE title LIKE ?1 OR body LIKE ?1",
                            (f"%{term}%",)).fetchall()
        like_times[term] = time.perf_counter() - started
        like_counts[term] = len(rows)
    conn.close()
    every = [t for times in search_times.values() for t in times]
    term_search = [statistics.median(search_times[_as_query(t)]) for t in terms]
    like_median = _median_ms(list(like_times.values()))
    search_median = _median_ms(term_search)
    print(f"\nSearch: {len(search_times)} different queries x {repeat} runs, top 20 ranked "
          f"with snippets (reading.search.search)")
    print(f"  all queries: median {_median_ms(every):.2f} ms, p90 "
          f"{statistics.quantiles(every, n=10)[-1] * 1000:.2f} ms, max {max(every) * 1000:.2f} ms")
    print(f"  the {len(terms)} single terms: search median {search_median:.2f} ms; "
          f"LIKE '%term%' on title or body, all matches: median {like_median:.1f} ms")
    ratios = [like_times[t] / statistics.median(search_times[_as_query(t)]) for t in terms]
    print(f"  speed-up: median LIKE / median search {like_median / search_median:.0f}x; "
          f"median of the terms' speed-ups {statistics.median(ratios):.0f}x, "
          f"lowest {min(ratios):.0f}x (the more statements a term is in, the more BM25 ranks)")
    print("\n  term                   statements   share  LIKE ms  search ms  speed-up")
    for term in terms:
        searched = _median_ms(search_times[_as_query(term)])
        print(f"  {term:<22} {like_counts[term]:10d} {like_counts[term] / total:7.2%} "
              f"{like_times[term] * 1000:8.1f} {searched:10.2f} "
              f"{like_times[term] * 1000 / searched:8.0f}x")


def bench_chinese(path: Path, limit: int = 5000) -> None:
    """Trigram against characters as tokens, on the archive's Chinese statements."""
    conn = sqlite3.connect(path)
    texts = [b for (b,) in conn.execute(
        "SELECT body FROM articles WHERE language = 'zh' LIMIT ?", (limit,))]
    conn.close()
    words = ["制裁", "台湾", "停火", "外交部", "一带一路", "人类命运共同体", "核"]
    print(f"\nChinese: {len(texts)} statements, trigram tokenizer vs one token per character")
    print("  tokenizer          index MB  build s   " + "  ".join(f"{w}" for w in words))
    truth = [sum(w in t for t in texts) for w in words]
    print("  (statements)                          " + "  ".join(
        f"{n:>{len(w) * 2}}" for n, w in zip(truth, words, strict=True)))
    with tempfile.TemporaryDirectory() as folder:
        for name, tokenizer, prepare, query in [
            ("trigram", "trigram", lambda t: t, lambda w: f'"{w}"'),
            ("characters", "unicode61 remove_diacritics 2 categories 'L* N* Co Mn Mc'",
             fold, lambda w: parse_query(w).fts5()),
        ]:
            db = sqlite3.connect(Path(folder) / f"{name}.db")
            db.execute(f"CREATE VIRTUAL TABLE t USING fts5(body, tokenize=\"{tokenizer}\")")
            started = time.perf_counter()
            with db:
                db.executemany("INSERT INTO t (body) VALUES (?)", ((prepare(t),) for t in texts))
            build = time.perf_counter() - started
            size = db.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 't_%'").fetchone()[0]
            counts, times = [], []
            for word in words:
                started = time.perf_counter()
                counts.append(db.execute("SELECT count(*) FROM t WHERE t MATCH ?",
                                         (query(word),)).fetchone()[0])
                times.append(time.perf_counter() - started)
            db.close()
            print(f"  {name:<17} {size / 1e6:9.1f} {build:8.1f}   " + "  ".join(
                f"{n:>{len(w) * 2}}" for n, w in zip(counts, words, strict=True))
                + f"   (median {_median_ms(times):.2f} ms)")


def bench_export(path: Path, count: int) -> None:
    """Peak RSS of `demarche export`, each in a fresh process."""
    tenth_day = (START + timedelta(days=DAYS * 10_000 // count - 1)).date().isoformat()
    cases = [("nothing", ["--until", "2000-01-01"]), ("10,000", ["--until", tenth_day]),
             (f"all {count:,}", [])]
    # VmHWM, the peak resident set of this process image: getrusage's
    # ru_maxrss carries the parent's peak across fork and exec on Linux.
    code = ("import re, sys; from cli.main import main; rc = main(sys.argv[1:]); "
            "status = open('/proc/self/status').read(); "
            "print(re.search(r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.stderr); "
            "sys.exit(rc)")
    print("\nExport: peak RSS of the process (MB), and seconds")
    env = {**os.environ, "DEMARCHE_ARCHIVE_URL": f"sqlite:///{path}"}
    with tempfile.TemporaryDirectory() as folder:
        for fmt in ("parquet", "jsonl"):
            for label, args in cases:
                out = Path(folder) / f"out.{fmt}"
                started = time.perf_counter()
                proc = subprocess.run([sys.executable, "-c", code, "export", "--format", fmt,
                                       "--out", str(out), "--force", "--quiet", *args], env=env, cwd=project_root(),
                                      capture_output=True, text=True, check=True)
                seconds = time.perf_counter() - started
                rss_mb = int(proc.stderr.strip().splitlines()[-1]) / 1024
                exported = re.search(r"(\d+) article", proc.stdout)
                print(f"  {fmt:<8} {label:<12} {rss_mb:7.0f} MB {seconds:7.1f} s  "
                      f"{exported.group(1) if exported else '?'} articles, "
                      f"{out.stat().st_size / 1e6:.0f} MB file")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each search query")
    parser.add_argument("--keep", type=Path, metavar="FILE",
                        help="make the archive here and keep it; if FILE exists, measure it")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = opts.keep or Path(folder) / "bench.db"
        if not path.exists():
            seconds = generate(path, opts.articles)
            print(f"{opts.articles:,} statements inserted and indexed in {seconds:.1f} s "
                  f"({opts.articles / seconds:,.0f}/s)")
        print(f"archive {path.stat().st_size / 1e6:.0f} MB")
        conn = sqlite3.connect(path)
        fts = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'article_search_%'"
                           ).fetchone()[0]
        conn.close()
        print(f"  of which the search index {fts / 1e6:.0f} MB")
        bench_queries(path, opts.repeat)
        bench_chinese(path)
        bench_export(path, opts.articles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
