# The two commands of the README: `make demo` and `make test`. Each creates
# .venv on first use and installs the project into it (editable), so a fresh
# clone needs nothing but Python 3.11+.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test bench-extract bench-schedule bench-import clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "demarche needs Python 3.11 or newer (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,postgres]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/demarche demo

# The storage tests run on SQLite and on a real PostgreSQL server:
# .ci/postgres installs and starts one on loopback unless
# DEMARCHE_TEST_POSTGRES_URL already names a server.
test: $(STAMP)
	DEMARCHE_TEST_POSTGRES_URL="$${DEMARCHE_TEST_POSTGRES_URL:-$$(.ci/postgres)}" \
		$(BIN)/python -m pytest

# Extraction quality and speed on ../shared/eval/dev against trafilatura and
# readability-lxml, all in one run; rewrites the table in docs/extraction.md.
bench-extract: $(STAMP)
	$(BIN)/python -m crawler.extraction.bench

# The idle scheduler's memory and the cost of a crawl subprocess.
bench-schedule: $(STAMP)
	$(BIN)/python -m schedules.bench

# demarche import-warc against bare extraction of the same 500 real pages.
bench-import: $(STAMP)
	$(BIN)/python -m crawler.bench_import

clean:
	rm -rf build .pytest_cache archive.db archive.db-wal archive.db-shm warc logs
