"""Full-text search of the archive: one query language, two backends.

A query is words, ``"phrases"``, prefixes (``negotiat*``), ``AND`` (also
implied between terms), ``OR``, ``NOT`` (``sanctions NOT Iran``: with the
first, without the second) and parentheses. Operators are upper case (a
lower-case ``and`` is a word); ``NOT`` binds tightest, then ``AND``, then
``OR``, as in SQLite FTS5. :func:`parse_query` checks a query and raises
:class:`SearchSyntaxError` with a message for the user; the parsed query is
written out as an FTS5 ``MATCH`` expression (SQLite) or a tsquery built
with ``phraseto_tsquery`` / ``to_tsquery`` (PostgreSQL), over the index that
migration 0004 keeps in step with ``articles``.

Text is folded the way it is indexed (migration 0004): ё as е, Arabic vowel
marks dropped, and a zero-width space after every kana or CJK ideograph, so
a Chinese word is found as a phrase of its characters.

Ranking. SQLite: BM25 (FTS5's ``bm25()``); PostgreSQL: ``ts_rank_cd``
(cover density: words close together count more) over each document's own
language configuration. The body weighs four times the title on both: the
body is the statement, the title the publisher's label (a date for
briefings, an agency's paraphrase), and BM25 already makes one hit in a
short title count as much as several in a long body. Weighed equally, the
demo's agency item headlined "Moscow Says Annan Plan Deadline..." outranks,
for "Annan plan", the statement that explains the plan (the seed article);
at four to one the statement comes first on both backends. On SQLite, bare
words next to each other also score as a phrase (on the demo, plain BM25
put the seed last of six: every statement that week names Annan and a
plan, so the words' IDF is nil), which ``ts_rank_cd`` does by itself.
Snippets are cut from the raw text in Python (see ``snippet``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    cast,
    column,
    false,
    func,
    literal_column,
    select,
    table,
    union_all,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import Session

from storage.models import Article, Mention, SourceRow, Speaker
from storage.query import QueryError

ZWSP = "\u200b"
# As migration 0004 indexes text: ё folded, Arabic vowel marks and tatweel
# dropped, kana and CJK ideographs (U+3000-U+9FFF) made one token each.
_FOLD = str.maketrans({"ё": "е", "Ё": "Е", **{chr(c): None for c in
                                               [*range(0x064B, 0x0653), 0x0670, 0x0640]}})
_CJK = re.compile("([\u3000-\u9fff])")
_OPERATORS = ("AND", "OR", "NOT")
# Title and body weights: see the module docstring.
TITLE_WEIGHT, BODY_WEIGHT = 0.25, 1.0
# ts_rank_cd weights for labels {D, C, B, A}; titles are indexed as B, bodies as A.
_PG_WEIGHTS = "{0, 0, 0.25, 1}"
MARK = "**"


class SearchSyntaxError(QueryError):
    """The search query cannot be read; the message says where and why."""


def fold(text: str) -> str:
    """Text as the index holds it."""
    return _CJK.sub(r"\1" + ZWSP, text.translate(_FOLD))


# -- the query language -------------------------------------------------------


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
        return _fts5(self.root)

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


def _fts5(node: Node) -> str:
    if isinstance(node, Term):
        quoted = '"' + node.text.replace('"', '""') + '"'
        return quoted + " *" if node.prefix else quoted
    if isinstance(node, Not):
        return f"({_fts5(node.include)} NOT {_fts5(node.exclude)})"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(map(_fts5, node.items)) + ")"


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


# -- running it ---------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    source: str | None = None
    country: str | None = None
    language: str | None = None
    since: date | None = None  # published on or after this day (UTC)
    until: date | None = None  # published on or before this day (UTC)
    speaker: str | None = None  # part of a speaker's name, any case
    statement_type: str | None = None
    mentions: str | None = None  # a country the text names (ISO 3166 alpha-2)


@dataclass(frozen=True)
class SearchHit:
    rank: int
    score: float
    id: int
    source: str
    published_at: datetime | None
    language: str | None
    title: str
    url: str
    snippet: str


_FTS = table("article_search", column("rowid"))
_PG_INDEX = table("article_search", column("article_id"), column("config"),
                  column("document"))


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _fts_match(expression: str) -> ColumnElement[bool]:
    return literal_column("article_search").op("MATCH")(expression)


def _bm25() -> ColumnElement[float]:
    # bm25() is lower for better matches; negated, higher is better, as on PostgreSQL.
    return -func.bm25(literal_column("article_search"), TITLE_WEIGHT, BODY_WEIGHT)


# The text search configurations in use: a loose index scan on
# ix_article_search_config (one probe per configuration), not a table scan.
_PG_CONFIGS = sql_text("""
    WITH RECURSIVE c(config) AS (
        SELECT min(config) FROM article_search
        UNION ALL
        SELECT (SELECT min(config) FROM article_search WHERE config > c.config)
        FROM c WHERE c.config IS NOT NULL)
    SELECT config FROM c WHERE config IS NOT NULL""")


def _pg_configs(session: Session) -> list[str]:
    return list(session.scalars(_PG_CONFIGS))


def matching(session: Session, query: SearchQuery, *, scored: bool = False) -> Select[Any]:
    """SELECT id [, score] of every article the query matches."""
    if _is_sqlite(session):
        score = [_bm25().label("score")] if scored else []
        return select(_FTS.c.rowid.label("id"), *score).where(_fts_match(query.fts5()))
    branches = []
    for config in _pg_configs(session):
        tsquery = query.tsquery(config)
        # Normalisation 1 divides by 1 + log(length): a long briefing that
        # names a subject in passing does not outrank a statement about it.
        score = [func.ts_rank_cd(literal_column(f"'{_PG_WEIGHTS}'::float4[]"),
                                 _PG_INDEX.c.document, tsquery, 1).label("score")] if scored else []
        branches.append(select(_PG_INDEX.c.article_id.label("id"), *score)
                        .where(_PG_INDEX.c.config == config,
                               _PG_INDEX.c.document.op("@@")(tsquery)))
    if not branches:
        score = [literal_column("0.0").label("score")] if scored else []
        return select(literal_column("0").label("id"), *score).where(false())
    return branches[0] if len(branches) == 1 else union_all(*branches)  # type: ignore[return-value]


def filter_conditions(filters: SearchFilters) -> list[ColumnElement[bool]]:
    """WHERE conditions on ``Article`` (and ``SourceRow`` for a country)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.source:
        conditions.append(Article.source == filters.source)
    if filters.language:
        conditions.append(Article.language == filters.language)
    if filters.country:
        conditions.append(SourceRow.country == filters.country.upper())
    if filters.speaker:
        conditions.append(Article.id.in_(select(Speaker.article_id).where(
            func.lower(Speaker.name).contains(filters.speaker.strip().lower(),
                                              autoescape=True))))
    if filters.statement_type:
        conditions.append(Article.statement_type == filters.statement_type)
    if filters.mentions:
        conditions.append(Article.id.in_(select(Mention.article_id).where(
            Mention.country == filters.mentions.strip().upper())))
    if filters.since:
        conditions.append(Article.published_at >= datetime.combine(filters.since, time(), UTC))
    if filters.until:
        day_after = datetime.combine(filters.until + timedelta(days=1), time(), UTC)
        conditions.append(Article.published_at < day_after)
    return conditions


def search(session: Session, query: SearchQuery | str, filters: SearchFilters = SearchFilters(),
           limit: int = 20) -> list[SearchHit]:
    """The best ``limit`` articles for the query, best first, each with a
    snippet of its body around the matches (marked ``**like this**``)."""
    if isinstance(query, str):
        query = parse_query(query)
    hits = matching(session, query, scored=True).subquery("hits")
    score: ColumnElement[float] = hits.c.score
    ranked = select(hits.c.id)
    if _is_sqlite(session) and (phrases := _fts5_phrases(query)):
        boost = (select(_FTS.c.rowid.label("id"), _bm25().label("score"))
                 .where(_fts_match(phrases)).cte("boost").prefix_with("MATERIALIZED"))
        ranked = ranked.outerjoin(boost, boost.c.id == hits.c.id)
        score = score + func.coalesce(boost.c.score, 0.0)
    ranked = ranked.add_columns(score.label("score"))
    # Articles are read for filters only: a row lookup per match doubles
    # the time of a search that matches thousands (make bench-search).
    # Ties go to the later archived.
    if conditions := filter_conditions(filters):
        ranked = ranked.join(Article, Article.id == hits.c.id).where(*conditions)
        if filters.country:
            ranked = ranked.join(SourceRow, SourceRow.key == Article.source)
    ranked = ranked.order_by(score.desc(), hits.c.id.desc())
    top = session.execute(ranked.limit(limit)).all()
    if not top:
        return []
    articles = {a.id: a for a in session.scalars(
        select(Article).where(Article.id.in_([row.id for row in top])))}
    loose = not _is_sqlite(session)
    hits_found = []
    for n, row in enumerate(top, start=1):
        article = articles[row.id]
        hits_found.append(SearchHit(
            rank=n, score=round(float(row.score), 6), id=row.id, source=article.source,
            published_at=article.published_at, language=article.language, title=article.title,
            url=article.url, snippet=snippet(article.body, query, loose=loose)))
    return hits_found


def _fts5_phrases(query: SearchQuery) -> str:
    return " OR ".join(_fts5(Term(phrase)) for phrase in query.proximity_phrases())


# -- snippets --------------------------------------------------------------------

# Written here rather than by FTS5's snippet() or ts_headline(): both read
# and tokenise the whole text again (1-2 ms for a briefing's transcript,
# and SQLite folds Chinese text in SQL first), which made snippets most of
# a search's time (make bench-search); a regular expression over the raw
# text does it in microseconds, the same way on both backends.
SNIPPET_CHARS = 220
# ё is е (as indexed); Arabic vowel marks may stand between letters. Other
# diacritics are not looked for: a hit found by FTS5 for "Elysee" in
# "Élysée" keeps its text, unmarked.
_YO = "[её]"
_ARABIC_MARKS = "[\u064b-\u0652\u0670\u0640]*"


def _is_cjk(char: str) -> bool:
    return "\u3000" <= char <= "\u9fff"


def _word_pattern(word: str, *, loose: bool) -> str:
    if loose and len(word) > 5 and not _is_cjk(word[0]):
        word = word[:-2]  # PostgreSQL matched the stem: mark the word's other forms too
    chars = []
    for char in word:
        chars.append(_YO if char in "еЕ" else re.escape(char))
        if "\u0600" <= char <= "\u06ff":
            chars.append(_ARABIC_MARKS)
    return "".join(chars)


def _term_pattern(term: Term, *, loose: bool) -> str:
    words = re.findall(r"\w+", term.text)
    pattern = r"\W*".join(_word_pattern(w, loose=loose) for w in words)
    if not _is_cjk(words[0][0]):
        pattern = r"(?<!\w)" + pattern
    if term.prefix or loose:
        return pattern + r"\w*"
    return pattern if _is_cjk(words[-1][-1]) else pattern + r"(?!\w)"


def _wanted(node: Node) -> list[Term]:
    """The terms a matching text contains (not those it must not)."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return _wanted(node.include)
    return [term for item in node.items for term in _wanted(item)]


@lru_cache(maxsize=64)
def _finder(query: SearchQuery, loose: bool) -> re.Pattern[str]:
    terms = [Term(phrase) for phrase in query.proximity_phrases()] + _wanted(query.root)
    # Longest first: a phrase is marked whole rather than word by word.
    patterns = sorted({_term_pattern(t, loose=loose) for t in terms}, key=len, reverse=True)
    return re.compile("|".join(patterns), re.IGNORECASE)


def _richest(found: list[re.Match[str]]) -> re.Match[str]:
    """The match that starts the window with the most different matched
    words (a sliding window over the matches, in order)."""
    words = [m.group().lower() for m in found]
    inside: dict[str, int] = {}
    best, most, ahead = found[0], 0, 0
    for i, match in enumerate(found):
        end = match.start() + SNIPPET_CHARS * 2 // 3
        while ahead < len(found) and found[ahead].start() < end:
            inside[words[ahead]] = inside.get(words[ahead], 0) + 1
            ahead += 1
        if len(inside) > most:
            best, most = match, len(inside)
        inside[words[i]] -= 1
        if not inside[words[i]]:
            del inside[words[i]]
    return best


def snippet(text: str, query: SearchQuery, *, loose: bool = False) -> str:
    """About SNIPPET_CHARS characters of ``text``, on one line, where most of
    the query's terms are, each marked ``**like this**``; ``loose`` marks
    other forms of a word too (PostgreSQL finds them by their stem)."""
    finder = _finder(query, loose)
    found = []
    for match in finder.finditer(text):  # a window among the first 50 matches will do
        found.append(match)
        if len(found) == 50:
            break
    if not found:
        start, end = 0, min(len(text), SNIPPET_CHARS)
    else:
        # Starting a little before the richest window's first match, cut at spaces.
        best = _richest(found)
        start = max(0, best.start() - SNIPPET_CHARS // 3)
        end = min(len(text), max(start + SNIPPET_CHARS, best.end()))
        if start > 0 and not _is_cjk(text[start]):
            space = re.search(r"\s", text[start:best.start()])
            start += space.end() if space else 0
        if end < len(text) and not _is_cjk(text[end - 1]):
            space = re.search(r"\s\S*$", text[best.end():end])
            end = best.end() + space.start() if space else end
    window = " ".join(finder.sub(lambda m: f"{MARK}{m.group()}{MARK}", text[start:end]).split())
    return ("… " if start > 0 else "") + window + (" …" if end < len(text) else "")


# -- attention over time --------------------------------------------------------

PERIODS = ("day", "week", "month")
_ARTICLE_PERIODS = table("article_periods", column("article_id"), column("source"),
                         *(column(period) for period in PERIODS))


@dataclass(frozen=True)
class TrendPoint:
    period: str  # the period's first day (weeks start on Monday), ISO 8601
    source: str | None  # None: all sources together
    statements: int  # dated statements in the period
    matching: int  # of which the query matches
    share: float  # matching / statements: Media Cloud's "attention"


def trend(session: Session, query: SearchQuery | str, by: str = "day", *,
          source: str | None = None, since: date | None = None, until: date | None = None,
          per_source: bool = False, within: SearchFilters | None = None) -> list[TrendPoint]:
    """Statements matching the query per period (the ``article_periods``
    view), and their share of all statements of that period; periods with
    statements but no match are there with 0. ``within`` narrows both
    counts (the share of a speaker's or a type's statements)."""
    if by not in PERIODS:
        raise ValueError(f"by must be one of {', '.join(PERIODS)}, not {by!r}")
    if isinstance(query, str):
        query = parse_query(query)
    # Materialised: SQLite would otherwise run the full-text query again
    # for every row of the outer join.
    hits = matching(session, query).cte("hits").prefix_with("MATERIALIZED")
    periods = _ARTICLE_PERIODS
    keys = [periods.c[by]] + ([periods.c.source] if per_source else [])
    stmt = (select(*keys, func.count().label("statements"), func.count(hits.c.id).label("matching"))
            .select_from(periods.outerjoin(hits, hits.c.id == periods.c.article_id))
            .group_by(*keys).order_by(*keys))
    # SQLite's view gives days as ISO text, PostgreSQL's as dates.
    as_day = (lambda d: d.isoformat()) if _is_sqlite(session) else (lambda d: d)
    if source:
        stmt = stmt.where(periods.c.source == source)
    if within is not None and (conditions := filter_conditions(within)):
        stmt = stmt.where(periods.c.article_id.in_(
            select(Article.id).join(SourceRow, SourceRow.key == Article.source)
            .where(*conditions)))
    if since:
        stmt = stmt.where(periods.c.day >= as_day(since))
    if until:
        stmt = stmt.where(periods.c.day <= as_day(until))
    return [
        TrendPoint(period=str(row[0]), source=row[1] if per_source else source,
                   statements=row.statements, matching=row.matching,
                   share=round(row.matching / row.statements, 4))
        for row in session.execute(stmt)
    ]
