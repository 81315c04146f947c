"""Progress of the long batch commands (issue 19, point 7): a bar with the
records, rate and ETA on a terminal, nothing in a pipe or with --quiet."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

from benchmarks.import_warc import make_warc
from cli.progress import progress_bar, shows_progress
from tests.conftest import ROOT


def on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run the command with stderr on a pseudo-terminal: its exit status,
    stdout, and what the terminal showed."""
    master, slave = pty.openpty()
    # 40 rows of 120 columns, as a terminal window has (a new pty has none).
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "cli", *args], cwd=ROOT,
                            env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    shown = b""
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            shown += chunk
        elif proc.poll() is not None:
            break
    out = proc.stdout.read() if proc.stdout else ""
    proc.wait(timeout=600)
    os.close(master)
    return proc.returncode, out, shown.decode("utf-8", "replace")


def test_no_bar_off_a_terminal_or_when_quiet():
    stream = io.StringIO()
    assert not shows_progress(stream=stream)
    with progress_bar("rows", total=10, stream=stream) as bar:
        bar.update(5)
        assert not bar.shown and bar.elapsed == 0.0
    assert stream.getvalue() == ""


def test_import_and_reextract_show_progress_on_a_terminal(tmp_path: Path, shared: Path):
    warc = tmp_path / "dev.warc.gz"
    make_warc(warc, 8)
    env = {"DEMARCHE_ARCHIVE_URL": f"sqlite:///{tmp_path / 'archive.db'}"}
    status, out, shown = on_a_terminal(["import-warc", str(warc), "--workers", "1"], env)
    assert status == 0, shown
    # Bytes read with their rate, pages and their rate; the summary on stdout.
    assert "B/s" in shown and "pages=" in shown and "pages_s=" in shown
    assert "100%" in shown
    assert "1 file(s), " in out and "pages=" not in out
    status, out, shown = on_a_terminal(["reextract", "--all", "--workers", "1"], env)
    assert status == 0, shown
    assert "rows" in shown and "100%" in shown and "examined" in out
    status, out, shown = on_a_terminal(["import-warc", str(warc), "--quiet"], env)
    assert status == 0 and "B/s" not in shown and "0 new" in out
