# The two commands of the README: `make demo` and `make test`. Each creates
# .venv on first use and installs the project into it (editable), so a fresh
# clone needs nothing but Python 3.11+.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.installed-test-stamp

.PHONY: install demo test bench-extract bench-variants bench-enrich bench-schedule bench-import bench-write bench-crawl bench-search bench-sitemap report-screenshot screenshots clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "demarche needs Python 3.11 or newer (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

# The tests also need what only a cluster needs (Dask, Celery, Redis's
# client, fsspec: the `cluster` extra) and PostgreSQL's driver.
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,postgres,cluster]"
	touch $(TEST_STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/demarche demo

# The storage tests run on SQLite and on a real PostgreSQL server:
# .ci/postgres installs and starts one on loopback unless
# DEMARCHE_TEST_POSTGRES_URL already names a server. The report tests open
# the report in headless Chromium: .ci/chromium installs it when missing.
# The distributed tests use a real Redis server: .ci/redis installs and
# starts one on loopback.
test: $(TEST_STAMP)
	.ci/chromium
	DEMARCHE_TEST_POSTGRES_URL="$${DEMARCHE_TEST_POSTGRES_URL:-$$(.ci/postgres)}" \
	DEMARCHE_TEST_REDIS_URL="$${DEMARCHE_TEST_REDIS_URL:-$$(.ci/redis)}" \
		$(BIN)/python -m pytest

# Extraction quality and speed on ../shared/eval/dev (token F1) and
# ../shared/eval/snippets (trafilatura's snippets) against trafilatura and
# readability-lxml, all in one run; rewrites the tables in docs/extraction.md.
bench-extract: $(TEST_STAMP)
	$(BIN)/python -m benchmarks.extraction

# The dev and snippets pages served the ways real servers serve pages (PHP
# warnings first, an XML declaration, a wrong charset header, UTF-16,
# <div> or <br><br> paragraphs), scored by each set's scorer, demarche
# beside trafilatura (about three minutes).
bench-variants: $(TEST_STAMP)
	$(BIN)/python -m benchmarks.extraction_variants

# Who said what (speakers, quotes, attribution, countries) on the real pages of
# ../shared/eval/enrich-dev, scored by its score.py, and everything against the
# golden set tests/golden/enrich; rewrites both tables in docs/statements.md
# (--verbose lists each page's errors).
bench-enrich: $(TEST_STAMP)
	$(BIN)/python -m benchmarks.enrichment

# The idle scheduler's memory and the cost of a crawl subprocess.
bench-schedule: $(TEST_STAMP)
	$(BIN)/python -m benchmarks.scheduler

# The archive's write path alone: SQLite, then PostgreSQL with one and two
# writers (statements/s, SQL statements per article, lock wait share), three
# rounds in turn, each judged on its best round.
bench-write: $(TEST_STAMP)
	DEMARCHE_TEST_POSTGRES_URL="$${DEMARCHE_TEST_POSTGRES_URL:-$$(.ci/postgres)}" \
	  $(BIN)/python -m benchmarks.write

# demarche import-warc against bare extraction of the same 500 real pages,
# into SQLite and into PostgreSQL.
bench-import: $(TEST_STAMP)
	DEMARCHE_TEST_POSTGRES_URL="$${DEMARCHE_TEST_POSTGRES_URL:-$$(.ci/postgres)}" \
	  $(BIN)/python -m benchmarks.import_warc --backend both

# Full-text search against a LIKE scan, trigram against one token per
# Chinese character, and the memory of exports, on 100,000 generated
# statements in a temporary SQLite archive (about two minutes).
bench-search: $(TEST_STAMP)
	$(BIN)/python -m benchmarks.search

# The real spiders and pipelines crawl a loopback site of four hosts
# (listings and a sitemap serving the dev pages) into a fresh archive,
# against bare extraction of the same pages in the same run.
bench-crawl: $(TEST_STAMP)
	$(BIN)/python -m benchmarks.crawl

# The peak memory of a crawl against its sitemap's size: 10,000, 100,000
# and 1,000,000 URLs (about a minute).
bench-sitemap: $(TEST_STAMP)
	$(BIN)/python -m benchmarks.sitemap_memory

# The demo's report as headless Chromium draws it: docs/report.png.
REPORT_DEMO := build/report-demo
report-screenshot: $(STAMP)
	.ci/chromium
	rm -rf $(REPORT_DEMO) && mkdir -p $(REPORT_DEMO)
	DEMARCHE_ARCHIVE_URL=sqlite:///$(CURDIR)/$(REPORT_DEMO)/archive.db $(BIN)/demarche demo >/dev/null
	$(BIN)/demarche report --archive sqlite:///$(CURDIR)/$(REPORT_DEMO)/archive.db \
		--out $(REPORT_DEMO) --screenshot docs/report.png

# The reading room's pages (docs/statement.png, speaker.png, source.png,
# country.png, search.png) and the report (docs/report.png), each drawn by
# headless Chromium from a fresh demo archive.
screenshots: $(STAMP) report-screenshot
	$(BIN)/python -m reading.screenshots --out docs

clean:
	rm -rf build .pytest_cache archive.db archive.db-wal archive.db-shm warc logs
