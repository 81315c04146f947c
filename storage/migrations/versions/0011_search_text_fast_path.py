"""``demarche_search_text`` returns a text with nothing to fold as it is
(issue 17: the PostgreSQL write path).

Its ``translate`` of ё and the Arabic marks walks the whole text comparing
each character with the list, whether or not one occurs: measured on 200
bench bodies of ~3 KB, 42 ms, where a regular expression that looks for any
of those characters (or a CJK one) takes 5 ms. Most texts contain none, and
for them the function now returns its argument after that one scan; a text
with any of them goes the way of revision 0010. The result is the same for
every text (``tests/test_search_triggers.py`` compares the documents with
revision 0004's formula), so no row is indexed again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# As in revisions 0004 and 0010 (a migration keeps its own copy).
ZWSP = "\u200b"
FOLDS = [("ё", "е"), ("Ё", "Е")] + [(chr(c), "") for c in [*range(0x064B, 0x0653), 0x0670, 0x0640]]
CJK_RANGE = f"{chr(0x3000)}-{chr(0x9FFF)}"
_FROM = "ёЁ" + "".join(old for old, new in FOLDS if not new)
_FOLDED = f"translate(t, '{_FROM}', 'еЕ')"

_SEARCH_TEXT_0010 = f"""CREATE OR REPLACE FUNCTION demarche_search_text(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN t ~ '[{CJK_RANGE}]'
                THEN regexp_replace({_FOLDED}, '([{CJK_RANGE}])', '\\1{ZWSP}', 'g')
                ELSE {_FOLDED} END
    $$"""
# (A NULL text matches no WHEN and is folded to NULL, as before.)
_SEARCH_TEXT = f"""CREATE OR REPLACE FUNCTION demarche_search_text(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN t !~ '[{_FROM}{CJK_RANGE}]' THEN t
                WHEN t ~ '[{CJK_RANGE}]'
                THEN regexp_replace({_FOLDED}, '([{CJK_RANGE}])', '\\1{ZWSP}', 'g')
                ELSE {_FOLDED} END
    $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_SEARCH_TEXT)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_SEARCH_TEXT_0010)
