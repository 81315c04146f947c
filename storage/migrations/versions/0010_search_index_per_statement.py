"""The PostgreSQL search index filled once per INSERT statement, not once
per row (issue 17: the write path of a backfill).

Revision 0004 filled ``article_search`` with a FOR EACH ROW trigger on
``articles``: for every inserted row, a PL/pgSQL call, an INSERT of its
own, and the indexed form of the title and of the body (``demarche_search_
text``) computed twice each, once for the stemmed tsvector and once for
the words as written. With bodies of a few thousand characters that made
the articles INSERT the most expensive statement of a batch (measured with
``make bench-write``: 1.3-2.1 s of server time for 800 articles).

From this revision:

- inserts are indexed by a FOR EACH STATEMENT trigger that reads the
  statement's inserted rows from a transition table (``REFERENCING NEW
  TABLE``) and indexes them with one ``INSERT ... SELECT``: a batch's
  multi-row INSERT is indexed in one set-based statement; a single-row
  INSERT (the per-article path, a researcher's SQL) the same way, with one
  row;
- updates of the title, body or language keep a FOR EACH ROW trigger (a
  trigger with a column list cannot have transition tables, and without a
  column list every ``last_seen_at`` or ``cluster_id`` update would pay for
  it);
- both build the document with ``demarche_search_document``, which computes
  each text's indexed form once;
- ``demarche_search_text`` skips its CJK regular expression for a text with
  no character of U+3000-U+9FFF (the replacement would change nothing):
  the same result, without a scan that copies the text.

The documents are exactly those of revision 0004 (same configuration,
weights and order of the concatenated vectors), so existing rows are not
indexed again. SQLite is unchanged: its FTS5 triggers run in the writer's
process, per row, and cost little next to the Python around them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# As in revision 0004 (a migration keeps its own copy: it must not change
# when today's code does).
ZWSP = "\u200b"
FOLDS = [("ё", "е"), ("Ё", "Е")] + [(chr(c), "") for c in [*range(0x064B, 0x0653), 0x0670, 0x0640]]
CJK = f"[{chr(0x3000)}-{chr(0x9FFF)}]"
_FROM = "ёЁ" + "".join(old for old, new in FOLDS if not new)
_FOLDED = f"translate(t, '{_FROM}', 'еЕ')"

_SEARCH_TEXT_0004 = f"""CREATE OR REPLACE FUNCTION demarche_search_text(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT regexp_replace({_FOLDED}, '({CJK})', '\\1{ZWSP}', 'g')
    $$"""
# (The test is made on the text before folding: folding only maps to е/Е
# or drops Arabic marks, so it neither adds nor removes a CJK character.)
_SEARCH_TEXT = f"""CREATE OR REPLACE FUNCTION demarche_search_text(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN t ~ '{CJK}' THEN regexp_replace({_FOLDED}, '({CJK})', '\\1{ZWSP}', 'g')
                ELSE {_FOLDED} END
    $$"""

# Revision 0004's document, each text's indexed form computed once (in
# PL/pgSQL variables: a SQL function's subquery would be flattened and the
# expressions computed again for every use).
_DOCUMENT = """CREATE FUNCTION demarche_search_document(language text, title text, body text)
    RETURNS tsvector LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    DECLARE
        cfg text := demarche_search_config(language);
        t text := demarche_search_text(title);
        b text := demarche_search_text(body);
    BEGIN
        RETURN setweight(to_tsvector(cfg::regconfig, t), 'B')
            || setweight(to_tsvector(cfg::regconfig, b), 'A')
            || CASE WHEN cfg = 'simple' THEN ''::tsvector ELSE
                   setweight(to_tsvector('simple', t), 'B')
                || setweight(to_tsvector('simple', b), 'A') END;
    END $$"""

_INSERTED = """CREATE FUNCTION demarche_article_search_inserted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO article_search (article_id, config, document)
        SELECT id, demarche_search_config(language),
               demarche_search_document(language, title, body)
        FROM demarche_inserted_articles
        ON CONFLICT (article_id) DO UPDATE
            SET config = EXCLUDED.config, document = EXCLUDED.document;
        RETURN NULL;
    END $$"""

_UPDATED = """CREATE FUNCTION demarche_article_search_updated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO article_search (article_id, config, document)
        VALUES (NEW.id, demarche_search_config(NEW.language),
                demarche_search_document(NEW.language, NEW.title, NEW.body))
        ON CONFLICT (article_id) DO UPDATE
            SET config = EXCLUDED.config, document = EXCLUDED.document;
        RETURN NULL;
    END $$"""

# Revision 0004's trigger function and trigger, for the downgrade.
_DOCUMENT_0004 = """setweight(to_tsvector(cfg::regconfig, demarche_search_text(NEW.title)), 'B')
        || setweight(to_tsvector(cfg::regconfig, demarche_search_text(NEW.body)), 'A')
        || CASE WHEN cfg = 'simple' THEN ''::tsvector ELSE
               setweight(to_tsvector('simple', demarche_search_text(NEW.title)), 'B')
            || setweight(to_tsvector('simple', demarche_search_text(NEW.body)), 'A') END"""
_SYNC_0004 = f"""CREATE FUNCTION demarche_article_search_sync() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE cfg text := demarche_search_config(NEW.language);
    BEGIN
        INSERT INTO article_search (article_id, config, document)
        VALUES (NEW.id, cfg, {_DOCUMENT_0004})
        ON CONFLICT (article_id) DO UPDATE
            SET config = EXCLUDED.config, document = EXCLUDED.document;
        RETURN NULL;
    END $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER articles_search_sync ON articles")
    op.execute("DROP FUNCTION demarche_article_search_sync()")
    op.execute(_SEARCH_TEXT)
    op.execute(_DOCUMENT)
    op.execute(_INSERTED)
    op.execute(_UPDATED)
    op.execute("""CREATE TRIGGER articles_search_inserted AFTER INSERT ON articles
        REFERENCING NEW TABLE AS demarche_inserted_articles
        FOR EACH STATEMENT EXECUTE FUNCTION demarche_article_search_inserted()""")
    op.execute("""CREATE TRIGGER articles_search_updated
        AFTER UPDATE OF title, body, language ON articles
        FOR EACH ROW EXECUTE FUNCTION demarche_article_search_updated()""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER articles_search_updated ON articles")
    op.execute("DROP TRIGGER articles_search_inserted ON articles")
    op.execute("DROP FUNCTION demarche_article_search_updated()")
    op.execute("DROP FUNCTION demarche_article_search_inserted()")
    op.execute("DROP FUNCTION demarche_search_document(text, text, text)")
    op.execute(_SEARCH_TEXT_0004)
    op.execute(_SYNC_0004)
    op.execute("""CREATE TRIGGER articles_search_sync
        AFTER INSERT OR UPDATE OF title, body, language ON articles
        FOR EACH ROW EXECUTE FUNCTION demarche_article_search_sync()""")
