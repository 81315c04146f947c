"""The search query language: words, ``"phrases"``, prefixes
(``negotiat*``), ``AND`` (also implied between terms), ``OR``, ``NOT``
(``sanctions NOT Iran``: with the first, without the second) and
parentheses. Operators are upper case (a lower-case ``and`` is a word);
``NOT`` binds tightest, then ``AND``, then ``OR``, as in SQLite FTS5.
:func:`parse_query` checks a query and raises :class:`SearchSyntaxError`
with a message for the user; the parsed query is written out as an FTS5
``MATCH`` expression (SQLite) or a tsquery built with ``phraseto_tsquery`` /
``to_tsquery`` (PostgreSQL).

Text is folded the way it is indexed (migrations 0004 and 0014): ё as е,
Arabic vowel marks and zero-width joiners dropped, and a zero-width space
after every kana or CJK ideograph, so a Chinese word is found as a phrase
of its characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    bindparam,
    cast,
    func,
)
from sqlalchemy.dialects.postgresql import REGCONFIG

from reading.sql import QueryError

ZWSP = "\u200b"
# As migrations 0004 and 0014 index text: ё folded, Arabic vowel marks,
# tatweel and the zero-width joiners dropped (a Persian word is one word
# whether or not it was typed with its non-joiner), kana and CJK ideographs
# (U+3000-U+9FFF) made one token each.
_FOLD = str.maketrans({"ё": "е", "Ё": "Е", **{chr(c): None for c in
                                               [*range(0x064B, 0x0653), 0x0670, 0x0640,
                                                0x200C, 0x200D]}})
_CJK = re.compile("([\u3000-\u9fff])")
_OPERATORS = ("AND", "OR", "NOT")


class SearchSyntaxError(QueryError):
    """The search query cannot be read; the message says where and why."""


def fold(text: str) -> str:
    """Text as the index holds it."""
    return _CJK.sub(r"\1" + ZWSP, text.translate(_FOLD))


@dataclass(frozen=True)
class Term:
    text: str  # folded
    prefix: bool = False
    quoted: bool = False


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    include: Node
    exclude: Node


Node = Term | And | Or | Not


@dataclass(frozen=True)
class _Token:
    kind: str  # "term", "(", ")", "AND", "OR", "NOT"
    at: int  # 1-based position in the query, for messages
    term: Term | None = None


def _tokens(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(query):
        char = query[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(_Token(char, i + 1))
            i += 1
        elif char == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise SearchSyntaxError(f'unbalanced quote: the phrase opened at character {i + 1} '
                                        'is never closed (add a closing ")')
            prefix = query.startswith("*", end + 1)
            tokens.append(_Token("term", i + 1, Term(fold(query[i + 1:end]), prefix, True)))
            i = end + 1 + prefix
        else:
            end = i
            while end < len(query) and not query[end].isspace() and query[end] not in '"()':
                end += 1
            word = query[i:end]
            if word in _OPERATORS:
                tokens.append(_Token(word, i + 1))
            else:
                stem = word.rstrip("*")
                if not stem:
                    raise SearchSyntaxError(f"a lone * at character {i + 1}: put it after the "
                                            "start of a word (negotiat*)")
                tokens.append(_Token("term", i + 1, Term(fold(stem), stem != word)))
            i = end
    return tokens


class _Parser:
    """Recursive descent: or := and (OR and)*; and := not ([AND] not)*;
    not := primary (NOT primary)*; primary := term | ( or )."""

    def __init__(self, query: str) -> None:
        self.tokens = _tokens(query)
        self.i = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def operand(self, operator: _Token) -> None:
        following = self.peek()
        if following is None or following.kind in (")", "AND", "OR", "NOT"):
            where = "at the end" if following is None else f"before {following.kind}"
            raise SearchSyntaxError(f"{operator.kind} at character {operator.at} has nothing after "
                                    f"it ({where}): write `a {operator.kind} b`")

    def parse(self) -> Node:
        if not self.tokens:
            raise SearchSyntaxError("the query is empty")
        node = self.parse_or()
        extra = self.peek()
        if extra is not None:
            raise SearchSyntaxError(f"unbalanced parenthesis: the ) at character {extra.at} "
                                    "closes nothing")
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.operand(self.take())
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Node:
        items = [self.parse_not()]
        while (token := self.peek()) is not None and token.kind in ("AND", "term", "("):
            if token.kind == "AND":
                self.operand(self.take())
            items.append(self.parse_not())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_not(self) -> Node:
        node = self.parse_primary()
        while (token := self.peek()) is not None and token.kind == "NOT":
            self.operand(self.take())
            node = Not(node, self.parse_primary())
        return node

    def parse_primary(self) -> Node:
        token = self.take()
        if token.kind == "term":
            assert token.term is not None
            return token.term
        if token.kind == "(":
            closing = self.peek()
            if closing is not None and closing.kind == ")":
                raise SearchSyntaxError(f"empty parentheses at character {token.at}")
            node = self.parse_or()
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise SearchSyntaxError(f"unbalanced parenthesis: the ( at character {token.at} "
                                        "is never closed")
            self.take()
            return node
        if token.kind == ")":
            raise SearchSyntaxError(f"unbalanced parenthesis: the ) at character {token.at} "
                                    "closes nothing")
        hint = " (statements with a, without b)" if token.kind == "NOT" else ""
        raise SearchSyntaxError(f"{token.kind} at character {token.at} has nothing before it: "
                                f"write `a {token.kind} b`{hint}")


def _searchable(node: Node) -> Node | None:
    """The query without terms that hold no word (punctuation alone), which
    both backends would otherwise read differently."""
    if isinstance(node, Term):
        return node if re.search(r"\w", node.text) else None
    if isinstance(node, Not):
        include = _searchable(node.include)
        exclude = _searchable(node.exclude)
        return include if include is None or exclude is None else Not(include, exclude)
    items = tuple(n for n in map(_searchable, node.items) if n is not None)
    if len(items) <= 1:
        return items[0] if items else None
    return type(node)(items)


@dataclass(frozen=True)
class SearchQuery:
    text: str
    root: Node

    def fts5(self) -> str:
        """The query as an SQLite FTS5 MATCH expression."""
        return fts5(self.root)

    def proximity_phrases(self) -> list[str]:
        """Runs of bare words to score again as phrases: "Annan plan"."""
        runs: list[str] = []
        _collect_runs(self.root, runs)
        return runs

    def tsquery(self, config: str) -> ColumnElement[Any]:
        """The query as a PostgreSQL tsquery for one text search configuration."""
        return _tsquery(self.root, cast(bindparam(None, config), REGCONFIG))


def parse_query(text: str) -> SearchQuery:
    root = _searchable(_Parser(text).parse())
    if root is None:
        raise SearchSyntaxError(f"nothing to search for in {text!r}: no word in it")
    return SearchQuery(text, root)


def fts5(node: Node) -> str:
    if isinstance(node, Term):
        quoted = '"' + node.text.replace('"', '""') + '"'
        return quoted + " *" if node.prefix else quoted
    if isinstance(node, Not):
        return f"({fts5(node.include)} NOT {fts5(node.exclude)})"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(map(fts5, node.items)) + ")"


def _collect_runs(node: Node, runs: list[str]) -> None:
    if isinstance(node, Not):
        _collect_runs(node.include, runs)
    elif isinstance(node, Or):
        for item in node.items:
            _collect_runs(item, runs)
    elif isinstance(node, And):
        run: list[str] = []
        for item in [*node.items, None]:
            if isinstance(item, Term) and not item.prefix and not item.quoted:
                run.append(item.text)
                continue
            if len(run) > 1:
                runs.append(" ".join(run))
            run = []
            if item is not None:
                _collect_runs(item, runs)


def _tsquery(node: Node, config: ColumnElement[Any]) -> ColumnElement[Any]:
    if isinstance(node, Term):
        if not node.prefix:
            return func.phraseto_tsquery(config, node.text)
        # Prefixes match the words as written, which the index also holds
        # (migration 0004): a stem is often no prefix of its word.
        simple = cast(bindparam(None, "simple"), REGCONFIG)
        *head, last = re.findall(r"\w+", node.text)
        prefix = func.to_tsquery(simple, f"'{last}':*")
        return func.tsquery_phrase(func.phraseto_tsquery(simple, " ".join(head)), prefix) \
            if head else prefix
    if isinstance(node, Not):
        return func.tsquery_and(_tsquery(node.include, config),
                                func.tsquery_not(_tsquery(node.exclude, config)))
    combine = func.tsquery_and if isinstance(node, And) else func.tsquery_or
    result = _tsquery(node.items[0], config)
    for item in node.items[1:]:
        result = combine(result, _tsquery(item, config))
    return result
