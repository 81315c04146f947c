"""Search finds the standfirst, and words written with zero-width joiners.

- The standfirst (revision 0012) is kept beside the body, not in it, so a
  word only the summary under the headline has was not found. It is now
  indexed with the title, as the page's heading block: ``title``, a line
  break, ``standfirst`` (SQLite's ``title`` column, PostgreSQL's weight B).
- Extraction keeps the zero-width non-joiner and joiner (U+200C, U+200D:
  spelling in Persian, Urdu and the Indic scripts, crawler/extraction/
  marks.py). Both backends' tokenizers cut a word at them, so "می‌خواهم"
  was indexed as two words and a search typed without the mark, as many
  keyboards do, missed it. They are now dropped before indexing, as
  tatweel is, and ``reading/query_language.py`` drops them from queries.

Only the rows whose indexed form changes (a standfirst, or a joiner in any
text) are indexed again; for the others the new form is the old one.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# As in revision 0004, and after it the joiners (a migration keeps its own
# copy: it must not change when today's code does).
ZWSP = "\u200b"
JOINERS = "\u200c\u200d"
FOLDS_0004 = [("ё", "е"), ("Ё", "Е")] + [(chr(c), "")
                                         for c in [*range(0x064B, 0x0653), 0x0670, 0x0640]]
FOLDS = FOLDS_0004 + [(joiner, "") for joiner in JOINERS]
CJK_FIRST, CJK_LAST = 0x3000, 0x9FFF
CHUNK = 64

# -- SQLite ----------------------------------------------------------------------


def _sqlite_text(column: str, folds: list[tuple[str, str]]) -> str:
    """Revision 0004's indexed form of ``column``, with ``folds``."""
    folded = column
    for old, new in folds:
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


def _heading(row: str) -> str:
    # A NULL standfirst leaves the title as it was indexed before.
    return f"({row}title || coalesce(char(10) || {row}standfirst, ''))"


# (title column, body column, folds, columns whose update re-indexes) per revision
_SQLITE_FORMS = {
    "0004": (lambda row: f"{row}title", FOLDS_0004, "title, body"),
    "0014": (_heading, FOLDS, "title, standfirst, body"),
}


def _sqlite_install(form: str) -> None:
    title, folds, watched = _SQLITE_FORMS[form]

    def values(row: str) -> str:
        return (f"{_sqlite_text(title(row), folds)}, "
                f"{_sqlite_text(row + 'body', folds)}")

    op.execute(f"CREATE VIEW article_search_text (id, title, body) AS "
               f"SELECT id, {values('')} FROM articles")
    index = f"INSERT INTO article_search (rowid, title, body) VALUES (new.id, {values('new.')});"
    # External content: FTS5 must be given the old text, exactly as indexed.
    unindex = (f"INSERT INTO article_search (article_search, rowid, title, body) "
               f"VALUES ('delete', old.id, {values('old.')});")
    op.execute(f"CREATE TRIGGER articles_search_insert AFTER INSERT ON articles "
               f"BEGIN {index} END")
    op.execute(f"CREATE TRIGGER articles_search_update AFTER UPDATE OF {watched} ON articles "
               f"BEGIN {unindex} {index} END")
    op.execute(f"CREATE TRIGGER articles_search_delete AFTER DELETE ON articles "
               f"BEGIN {unindex} END")


def _sqlite_changed() -> str:
    """The ids of the rows whose indexed form differs between the forms."""
    joined = " OR ".join(f"instr({column}, '{joiner}') > 0"
                         for column in ("title", "body") for joiner in JOINERS)
    return f"SELECT id FROM articles WHERE standfirst IS NOT NULL OR {joined}"


def _sqlite_switch(to: str) -> None:
    changed = _sqlite_changed()
    # Unindexed through the view of the form they were indexed with...
    op.execute(f"INSERT INTO article_search (article_search, rowid, title, body) "
               f"SELECT 'delete', id, title, body FROM article_search_text "
               f"WHERE id IN ({changed})")
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER articles_search_{trigger}")
    op.execute("DROP VIEW article_search_text")
    _sqlite_install(to)
    # ... and indexed again through the new one.
    op.execute(f"INSERT INTO article_search (rowid, title, body) "
               f"SELECT id, title, body FROM article_search_text WHERE id IN ({changed})")


# -- PostgreSQL ------------------------------------------------------------------

def _pg_search_text(folds: list[tuple[str, str]]) -> str:
    """Revision 0011's ``demarche_search_text`` with ``folds``."""
    drop = "".join(old for old, new in folds if not new)
    cjk = f"{chr(CJK_FIRST)}-{chr(CJK_LAST)}"
    folded = f"translate(t, 'ёЁ{drop}', 'еЕ')"
    return f"""CREATE OR REPLACE FUNCTION demarche_search_text(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN t !~ '[ёЁ{drop}{cjk}]' THEN t
                WHEN t ~ '[{cjk}]'
                THEN regexp_replace({folded}, '([{cjk}])', '\\1{ZWSP}', 'g')
                ELSE {folded} END
    $$"""


def _pg_triggers(title: str) -> list[str]:
    """Revision 0010's trigger functions, the title indexed as ``title``
    (an expression of the row's columns, ``{row}`` their prefix)."""
    return [f"""CREATE OR REPLACE FUNCTION demarche_article_search_inserted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO article_search (article_id, config, document)
        SELECT id, demarche_search_config(language),
               demarche_search_document(language, {title.format(row="")}, body)
        FROM demarche_inserted_articles
        ON CONFLICT (article_id) DO UPDATE
            SET config = EXCLUDED.config, document = EXCLUDED.document;
        RETURN NULL;
    END $$""", f"""CREATE OR REPLACE FUNCTION demarche_article_search_updated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO article_search (article_id, config, document)
        VALUES (NEW.id, demarche_search_config(NEW.language),
                demarche_search_document(NEW.language, {title.format(row="NEW.")}, NEW.body))
        ON CONFLICT (article_id) DO UPDATE
            SET config = EXCLUDED.config, document = EXCLUDED.document;
        RETURN NULL;
    END $$"""]


# (search text's folds, title expression, columns whose update re-indexes)
_PG_FORMS = {
    "0011": (FOLDS_0004, "{row}title", "title, body, language"),
    "0014": (FOLDS, "concat_ws(E'\\n', {row}title, {row}standfirst)",
             "title, standfirst, body, language"),
}


def _pg_switch(to: str) -> None:
    folds, title, watched = _PG_FORMS[to]
    op.execute(_pg_search_text(folds))
    for function in _pg_triggers(title):
        op.execute(function)
    op.execute("DROP TRIGGER articles_search_updated ON articles")
    op.execute(f"""CREATE TRIGGER articles_search_updated
        AFTER UPDATE OF {watched} ON articles
        FOR EACH ROW EXECUTE FUNCTION demarche_article_search_updated()""")
    op.execute(f"""INSERT INTO article_search (article_id, config, document)
        SELECT id, demarche_search_config(language),
               demarche_search_document(language, {title.format(row="")}, body)
        FROM articles
        WHERE standfirst IS NOT NULL OR title ~ '[{JOINERS}]' OR body ~ '[{JOINERS}]'
        ON CONFLICT (article_id) DO UPDATE
            SET config = EXCLUDED.config, document = EXCLUDED.document""")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_switch("0014")
    else:
        _pg_switch("0014")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_switch("0004")
    else:
        _pg_switch("0011")
