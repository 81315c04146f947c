"""Optional parts stay optional (issue 17, point 5): a one-machine install
without the ``cluster`` extra (Dask, Celery with Redis, fsspec) imports
and runs the one-machine commands; only the cluster paths load them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.import_warc import make_warc
from tests.conftest import ROOT

CLUSTER = ("dask", "distributed", "celery", "redis", "fsspec")


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_the_packages_import_none_of_the_cluster_extra():
    done = run("import sys\n"
               "import cli.main, crawler, storage, reading, schedules\n"
               "cli.main.build_parser()\n"
               f"print(sorted(m for m in {CLUSTER!r} if m in sys.modules))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_one_machine_commands_run_without_the_cluster_extra(tmp_path: Path, shared: Path):
    """As if Dask, Celery, Redis and fsspec were not installed at all (an
    import of any of them fails), import-warc, reextract and history work,
    and backfill says what to install."""
    warc = tmp_path / "dev.warc.gz"
    make_warc(warc, 4)
    archive = f"sqlite:///{tmp_path / 'archive.db'}"
    code = (
        "import sys\n"
        f"for name in {CLUSTER!r}: sys.modules[name] = None  # not installed\n"
        "from cli.main import main\n"
        f"assert main(['import-warc', {str(warc)!r}, '--workers', '1', '--archive', {archive!r}]) == 0\n"
        f"assert main(['reextract', '--all', '--workers', '1', '--archive', {archive!r}]) == 0\n"
        f"assert main(['history', '1', '--archive', {archive!r}]) == 0\n"
        f"assert main(['backfill', {str(warc)!r}, '--archive', {archive!r}]) == 2\n")
    done = run(code)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 changed" in done.stdout
    assert "pip install 'demarche[cluster]'" in done.stderr
