"""Full-text search kept in step with the articles, and research views.

SQLite: an external-content FTS5 table ``article_search`` (title, body) over
the view ``article_search_text``, which gives the text as it is indexed;
triggers on ``articles`` index every insert, update of the title or body,
and delete. PostgreSQL: a table ``article_search`` (article id, text search
configuration, weighted tsvector) with a GIN index, filled by a trigger on
``articles`` and emptied by its foreign key's ON DELETE CASCADE.

The text is indexed as ``reading/search.py`` reads queries: Russian ё
folded to е (texts print both), Arabic vowel marks and tatweel removed
(they are optional in print), and a zero-width space after every character
of U+3000-U+9FFF (kana and CJK ideographs), because Chinese and Japanese
put no spaces between words: every such character becomes a token, and a
word is found as a phrase of its characters. Measured against FTS5's
``trigram`` tokenizer on 5,000 generated Chinese statements (``make
bench-search``): trigram finds none of the 2,262 statements with 制裁, nor
any other word of one or two characters, which most Chinese words are
(中国, 台湾, 核); both find every statement with a longer word (外交部,
一带一路). Its index is 15 % smaller (50 against 59 MB) and its queries
faster (0.06 against 0.55 ms), which does not weigh against missing most
words. (Trigram also matches English and Russian as substrings: ``war`` in
``award``.) The cost of characters as tokens: a phrase of characters may
span punctuation (790 hits for 人类命运共同体 where 788 have it).

Views for research, the same on both backends: ``article_periods`` (the
day, week (its Monday) and month of every dated article) and
``statements_per_day``, ``statements_per_week``, ``statements_per_month``.

Not ORM models: ``storage/migrations/env.py`` keeps them out of ``alembic
check``. A later migration that rebuilds ``articles`` on SQLite (batch mode
"move and copy") drops its triggers with it and must create them again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ZWSP = "\u200b"
# Characters dropped or replaced before indexing; reading/search.py folds
# queries the same way. (This revision keeps its own copy: a migration must
# not change when today's code does.)
FOLDS = [("ё", "е"), ("Ё", "Е")] + [(chr(c), "") for c in [*range(0x064B, 0x0653), 0x0670, 0x0640]]
CJK_FIRST, CJK_LAST = 0x3000, 0x9FFF
# Characters of text that the CJK splitting handles per step of its
# recursion: substr() walks a string from its start, so chunks keep the
# work linear in the text's length (about 1 ms per 1,000 characters).
CHUNK = 64
SQLITE_TOKENIZER = "unicode61 remove_diacritics 2 categories 'L* N* Co Mn Mc'"

# ISO 639-1 codes to PostgreSQL's Snowball configurations; any other
# language (Chinese, Japanese, Korean, Persian, ...) is indexed with
# 'simple': words lower-cased, not stemmed.
PG_CONFIGS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "da": "danish",
    "nl": "dutch", "en": "english", "fi": "finnish", "fr": "french", "de": "german",
    "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish",
    "it": "italian", "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "nb": "norwegian",
    "nn": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian",
    "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}


def _sqlite_text(column: str) -> str:
    """SQL for the indexed form of ``column`` (pure SQL: other clients
    writing to the archive fire the same triggers)."""
    folded = column
    for old, new in FOLDS:
        folded = f"replace({folded}, '{old}', '{new}')"
    split = f"""(WITH RECURSIVE
        chunk(k, s, t) AS (
            SELECT 0, substr(t, 1, {CHUNK}), t FROM (SELECT {folded} AS t)
            UNION ALL
            SELECT k + 1, substr(t, {CHUNK} * (k + 1) + 1, {CHUNK}), t FROM chunk
            WHERE {CHUNK} * (k + 1) < length(t)),
        split(k, rest, done) AS (
            SELECT k, s, '' FROM chunk
            UNION ALL
            SELECT k, substr(rest, 2), done || substr(rest, 1, 1)
                || CASE WHEN unicode(rest) BETWEEN {CJK_FIRST} AND {CJK_LAST} THEN '{ZWSP}' ELSE '' END
            FROM split WHERE rest <> '')
        SELECT group_concat(done, '') FROM (SELECT done FROM split WHERE rest = '' ORDER BY k))"""
    return (f"CASE WHEN {column} GLOB '*[{chr(CJK_FIRST)}-{chr(CJK_LAST)}]*' "
            f"THEN {split} ELSE {folded} END")


def _sqlite_index(row: str) -> str:
    return (f"INSERT INTO article_search (rowid, title, body) VALUES "
            f"({row}.id, {_sqlite_text(row + '.title')}, {_sqlite_text(row + '.body')});")


def _sqlite_unindex(row: str) -> str:
    # External content: FTS5 must be given the old text, exactly as indexed.
    return (f"INSERT INTO article_search (article_search, rowid, title, body) VALUES "
            f"('delete', {row}.id, {_sqlite_text(row + '.title')}, {_sqlite_text(row + '.body')});")


SQLITE_PERIODS = """
CREATE VIEW article_periods AS
SELECT id AS article_id, source, language,
       date(published_at) AS day,
       date(published_at, 'weekday 0', '-6 days') AS week,
       strftime('%Y-%m-01', published_at) AS month
FROM articles WHERE published_at IS NOT NULL
"""

PG_PERIODS = """
CREATE VIEW article_periods AS
SELECT id AS article_id, source, language,
       (published_at AT TIME ZONE 'UTC')::date AS day,
       date_trunc('week', published_at AT TIME ZONE 'UTC')::date AS week,
       date_trunc('month', published_at AT TIME ZONE 'UTC')::date AS month
FROM articles WHERE published_at IS NOT NULL
"""

PERIODS = ("day", "week", "month")


def _upgrade_sqlite() -> None:
    op.execute(f"CREATE VIEW article_search_text (id, title, body) AS SELECT id, "
               f"{_sqlite_text('title')}, {_sqlite_text('body')} FROM articles")
    op.execute(f"""CREATE VIRTUAL TABLE article_search USING fts5(
        title, body, content='article_search_text', content_rowid='id',
        tokenize="{SQLITE_TOKENIZER}")""")
    op.execute(f"CREATE TRIGGER articles_search_insert AFTER INSERT ON articles BEGIN "
               f"{_sqlite_index('new')} END")
    op.execute(f"CREATE TRIGGER articles_search_update AFTER UPDATE OF title, body ON articles "
               f"BEGIN {_sqlite_unindex('old')} {_sqlite_index('new')} END")
    op.execute(f"CREATE TRIGGER articles_search_delete AFTER DELETE ON articles BEGIN "
               f"{_sqlite_unindex('old')} END")
    # The backfill: every existing row, read through the content view.
    op.execute("INSERT INTO article_search (article_search) VALUES ('rebuild')")
    op.execute(SQLITE_PERIODS)


def _upgrade_postgresql() -> None:
    bind = op.get_bind()
    available = {name for (name,) in bind.exec_driver_sql("SELECT cfgname FROM pg_ts_config")}
    cases = " ".join(f"WHEN '{code}' THEN '{name}'" for code, name in sorted(PG_CONFIGS.items())
                     if name in available)
    # translate() drops the characters that have no counterpart.
    drop = "".join(old for old, new in FOLDS if not new)
    op.execute(f"""CREATE FUNCTION demarche_search_text(t text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT regexp_replace(translate(t, 'ёЁ{drop}', 'еЕ'),
                              '([{chr(CJK_FIRST)}-{chr(CJK_LAST)}])', '\\1{ZWSP}', 'g')
        $$""")
    op.execute(f"""CREATE FUNCTION demarche_search_config(language text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE lower(split_part(coalesce(language, ''), '-', 1)) {cases} ELSE 'simple' END
        $$""")
    op.execute("""CREATE TABLE article_search (
        article_id integer PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
        config text NOT NULL,
        document tsvector NOT NULL)""")
    op.execute("CREATE INDEX ix_article_search_document ON article_search USING gin (document)")
    # Searches run one branch per configuration present: found with a
    # loose index scan on this index rather than a scan of the table.
    op.execute("CREATE INDEX ix_article_search_config ON article_search (config)")
    # Stemmed words for words and phrases, and (unless the configuration
    # is 'simple' already) the words as written, for prefixes: a stem is
    # often no prefix of its word ('negoti' for "negotiations"), so
    # negotiat* would not find it.
    document = """setweight(to_tsvector(cfg::regconfig, demarche_search_text({row}.title)), 'B')
        || setweight(to_tsvector(cfg::regconfig, demarche_search_text({row}.body)), 'A')
        || CASE WHEN cfg = 'simple' THEN ''::tsvector ELSE
               setweight(to_tsvector('simple', demarche_search_text({row}.title)), 'B')
            || setweight(to_tsvector('simple', demarche_search_text({row}.body)), 'A') END"""
    op.execute(f"""CREATE FUNCTION demarche_article_search_sync() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE cfg text := demarche_search_config(NEW.language);
        BEGIN
            INSERT INTO article_search (article_id, config, document)
            VALUES (NEW.id, cfg, {document.format(row="NEW")})
            ON CONFLICT (article_id) DO UPDATE
                SET config = EXCLUDED.config, document = EXCLUDED.document;
            RETURN NULL;
        END $$""")
    op.execute("""CREATE TRIGGER articles_search_sync
        AFTER INSERT OR UPDATE OF title, body, language ON articles
        FOR EACH ROW EXECUTE FUNCTION demarche_article_search_sync()""")
    op.execute(f"""INSERT INTO article_search (article_id, config, document)
        SELECT a.id, c.cfg, {document.format(row="a")}
        FROM articles a CROSS JOIN LATERAL (SELECT demarche_search_config(a.language) AS cfg) c""")
    op.execute(PG_PERIODS)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
    else:
        _upgrade_postgresql()
    for period in PERIODS:
        op.execute(f"CREATE VIEW statements_per_{period} AS SELECT source, {period}, "
                   f"count(*) AS statements FROM article_periods GROUP BY source, {period}")


def downgrade() -> None:
    for period in PERIODS:
        op.execute(f"DROP VIEW statements_per_{period}")
    op.execute("DROP VIEW article_periods")
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER articles_search_{trigger}")
        op.execute("DROP TABLE article_search")
        op.execute("DROP VIEW article_search_text")
    else:
        op.execute("DROP TRIGGER articles_search_sync ON articles")
        op.execute("DROP FUNCTION demarche_article_search_sync()")
        op.execute("DROP TABLE article_search")
        op.execute("DROP FUNCTION demarche_search_config(text)")
        op.execute("DROP FUNCTION demarche_search_text(text)")
