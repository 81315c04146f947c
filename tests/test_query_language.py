"""The search query language on its own: malformed queries explained, and
queries written for SQLite's FTS5."""

from __future__ import annotations

import re

import pytest

from reading.query_language import SearchSyntaxError, parse_query


@pytest.mark.parametrize(("query", "message"), [
    ('"Annan plan', "unbalanced quote"),
    ("Annan AND", "AND at character 7 has nothing after it"),
    ("OR Annan", "OR at character 1 has nothing before it"),
    ("NOT Annan", "write `a NOT b`"),
    ("Annan OR NOT plan", "OR at character 7 has nothing after it (before NOT)"),
    ("Annan AND OR plan", "AND at character 7 has nothing after it (before OR)"),
    ("(Annan OR plan", "the ( at character 1 is never closed"),
    ("Annan) plan", "the ) at character 6 closes nothing"),
    ("Annan ()", "empty parentheses"),
    ("*", "a lone *"),
    ("", "the query is empty"),
    ("— …", "nothing to search for"),
])
def test_malformed_queries_are_explained(query: str, message: str):
    with pytest.raises(SearchSyntaxError, match=re.escape(message)):
        parse_query(query)


def test_queries_are_written_for_fts5():
    assert parse_query('Annan plan').fts5() == '("Annan" AND "plan")'
    assert parse_query('a OR b c NOT d').fts5() == '("a" OR ("b" AND ("c" NOT "d")))'
    assert parse_query('"UN envoy" negotiat*').fts5() == '("UN envoy" AND "negotiat" *)'
    assert parse_query('外交部').fts5() == '"外\u200b交\u200b部\u200b"'
    assert parse_query('ёлка').fts5() == '"елка"'
    # Operators are upper case: a lower-case "and" is a word.
    assert parse_query('Lavrov and Yerevan').fts5() == '("Lavrov" AND "and" AND "Yerevan")'
    assert parse_query('Annan plan "UN" envoy Kofi').proximity_phrases() == [
        "Annan plan", "envoy Kofi"]
