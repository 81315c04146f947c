"""Screenshots of the reading room for the README: ``make screenshots``
(``python -m reading.screenshots [--out docs]``).

Runs ``demarche demo`` into a temporary archive, serves it with
``demarche browse`` on a free loopback port, and saves what headless
Chromium draws of a statement, a speaker, a source, a country and a search
page as ``docs/<page>.png``. The statement shown is the demo's richest one
(an edit, a takedown, a relay, a translation, quotations count for it), so
the picture shows as many of the page's sections as the demo has.
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from datasette.utils import tilde_encode

from reading.report import chromium_command

PAGES = ("statement", "speaker", "source", "country", "search")
ROOT = Path(__file__).resolve().parents[1]
# Tall enough for a statement's text and its first sections.
WINDOW = (1280, 1800)
# What makes a statement worth showing: each section it would fill.
RICHEST = """
SELECT a.id FROM articles a
ORDER BY (SELECT count(*) > 0 FROM article_versions v WHERE v.article_id = a.id)
       + (a.removed_at IS NOT NULL)
       + (SELECT count(*) > 1 FROM articles c WHERE c.cluster_id = a.cluster_id)
       + (SELECT count(*) > 0 FROM translations t WHERE t.article_id = a.id)
       + (SELECT count(*) > 0 FROM quotes q WHERE q.article_id = a.id) DESC,
       a.id LIMIT 1"""


def page_paths(statement: int, speaker: str = "Sergei Lavrov", source: str = "mid_ru_en",
               country: str = "SY", query: str = "ceasefire") -> dict[str, str]:
    """The path of each page type the screenshots (and the browser tests)
    open."""
    return {"statement": f"/statement/{statement}", "speaker": f"/speaker/{tilde_encode(speaker)}",
            "source": f"/source/{tilde_encode(source)}", "country": f"/country/{country}",
            "search": f"/search?q={query}"}


def showcase(archive: Path) -> dict[str, str]:
    """The pages worth showing of an archive: its richest statement, that
    statement's source, the most quoted speaker, the most named country."""
    with sqlite3.connect(f"file:{archive}?mode=ro", uri=True) as conn:
        [(statement,)] = conn.execute(RICHEST)
        [(source,)] = conn.execute("SELECT source FROM articles WHERE id = ?", (statement,))
        # Quoted most, then speaking most: a name the enrichment misread
        # ("Joint Special") speaks in a few statements but is never quoted.
        [(speaker,)] = conn.execute(
            "SELECT name FROM speakers s GROUP BY name ORDER BY (SELECT count(*) FROM quotes q "
            "WHERE q.speaker = s.name) DESC, count(DISTINCT article_id) DESC, name LIMIT 1")
        [(country,)] = conn.execute(
            "SELECT country FROM mentions GROUP BY country ORDER BY count(*) DESC, country "
            "LIMIT 1")
    return page_paths(statement, speaker, source, country)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(base: str, server: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).close()
            return
        except (urllib.error.URLError, ConnectionError):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("demarche browse did not start") from None
            time.sleep(0.3)


def take(out: Path, chromium: str = "chromium") -> list[Path]:
    cli = [sys.executable, "-m", "cli"]
    with tempfile.TemporaryDirectory(prefix="demarche-screenshots-") as work:
        archive = Path(work) / "archive.db"
        env = {**os.environ, "DEMARCHE_ARCHIVE_URL": f"sqlite:///{archive}"}
        subprocess.run([*cli, "demo"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        port = _free_port()
        server = subprocess.Popen([*cli, "browse", "--port", str(port)], cwd=ROOT, env=env,
                                  stderr=subprocess.DEVNULL)
        written = []
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base, server)
            for kind, path in showcase(archive).items():
                png = (out / f"{kind}.png").resolve()
                subprocess.run(chromium_command(
                    chromium, Path(work) / "profile", f"--screenshot={png}",
                    f"--window-size={WINDOW[0]},{WINDOW[1]}", base + path),
                    check=True, capture_output=True, timeout=120)
                written.append(png)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    parser.add_argument("--chromium", default="chromium", help="the Chromium to draw with")
    opts = parser.parse_args(argv)
    for png in take(opts.out, opts.chromium):
        print(png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
