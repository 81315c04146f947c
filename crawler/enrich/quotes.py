"""Direct quotations and their speakers.

A quotation is text between “…”, «…», "…", „…“, ‘…’, 「…」 or 『…』 (nested
marks are left inside the outer quote), and each paragraph of a page's
``<blockquote>`` introduced by "X said:" (``blockquote_quotes``). A quoted
headline or title ("The Federal Reserve Is Changing What It Means to Be a
Central Bank.") is not a quotation of anyone. Short ones are usually names or terms put
in quotes ("Friends of the Syrian People", “一带一路”), not words someone
said: a quote of three words or fewer is kept only when its own sentence
attributes it to a speaker ("… described calls … as an “invitation for
bloodshed”"); one of eight characters or fewer in Chinese or Japanese is
never kept, since “一带一路”-style slogans are quoted in attributed
sentences all the time; and a quote whose
every word is capitalised is a name and skipped.

The speaker of a kept quote is, in order: the speaker of its sentence (or of
the sentence its closing mark is in), the speaker of the sentence before when
that one ends with a colon, and the speaker of the previous quote when the
quote opens a paragraph that continues the previous one's quotation.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass

_QUOTES = re.compile(
    # The lookahead lets ``re`` skip to the marks (three times faster).
    r"(?=[“«„「『”'\"])(?:"
    r"“(?P<a>[^“”\n]{2,}?)”|«(?P<b>[^«»]{2,}?)»|„(?P<d>[^„“”]{2,}?)[“”]"
    r"|「(?P<e>[^「」]{2,}?)」|『(?P<f>[^『』]{2,}?)』"
    # The FT's reversed opener (”…”) and two apostrophes (''…'').
    r"|(?:^|(?<=[\s(]))”(?P<g>[^“”\n]{2,}?)”|''(?P<h>[^'\n]{2,}?)''"
    # Mixed marks (“…", “…’’ and "…”), left by editors and CMS conversions: tried
    # only where the paragraph holds no matching mark of the same kind.
    r"|“(?P<i>[^“”\"\n]{2,}?)(?:\"|’’)|(?:^|(?<=[\s(]))\"(?P<j>[^“”\"\n]{2,}?)”)"
)
# A quotation running over paragraphs opens each with a mark and closes only
# the last: a paragraph's opener with no closer before its end is a quote to
# that end when the next paragraph opens with a mark too.
_UNCLOSED = re.compile(r"(?:^|(?<=[\s(]))[“\"](?P<body>[^“”\"\n]{2,})$", re.MULTILINE)
_NEXT_OPENS = re.compile(r"\n+\s*[“\"«]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_TITLE_SMALL = {"a", "an", "the", "and", "or", "but", "of", "in", "on", "at", "to", "for", "by", "with",
                "as", "from", "into", "up", "via", "vs", "nor"}
_SMALL_WORDS = {"of", "the", "and", "for", "in", "on", "de", "la", "du", "des", "der", "die", "und", "и"}


@dataclass(frozen=True)
class RawQuote:
    start: int  # first character of the quoted words, inside the marks
    end: int
    text: str

    @property
    def cjk(self) -> bool:
        return bool(_CJK.search(self.text))

    @property
    def short(self) -> bool:
        if self.cjk:
            return len(self.text.strip()) <= 8
        return len(_WORD.findall(self.text)) <= 3

    @property
    def is_title(self) -> bool:
        """A headline or a book's title quoted whole: "The Federal Reserve Is
        Changing What It Means to Be a Central Bank." Title case (nearly
        every word but the small ones capitalised) and a full stop inside."""
        body = self.text.strip()
        if not body.endswith((".", "?", "!")):
            return False
        content = [w for w in _WORD.findall(body) if w.lower() not in _TITLE_SMALL]
        return len(content) >= 3 and sum(w[0].isupper() or w[0].isdigit() for w in content) >= 0.8 * len(content)

    @property
    def is_name(self) -> bool:
        words = _WORD.findall(self.text)
        if len(words) < 2 or re.search(r"[.!?,;:]\s*$", self.text.strip()):
            return False
        content = [w for w in words if w.lower() not in _SMALL_WORDS and w.lower() not in _TITLE_SMALL]
        return bool(content) and all(w[0].isupper() for w in content)


def _split_mixed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """“…,\" he said, \"…” is two quotations with mixed marks, not one: the
    first straight mark closes (no space before it) and the last opens."""
    first, last = text.find('"', start, end), text.rfind('"', start, end)
    if (first < 0 or first == last or text[first - 1].isspace() or not text[first + 1:first + 2].isspace()
            or not text[last - 1].isspace()):
        return [(start, end)]
    return [(start, first), (last + 1, end)]


def find_quotes(text: str) -> list[RawQuote]:
    spans = [span for m in _QUOTES.finditer(text) for g in "abdefghij" if m.group(g) is not None
             for span in (_split_mixed(text, m.start(g), m.end(g)) if g == "a" else [m.span(g)])]
    if "\n" in text:
        for m in _UNCLOSED.finditer(text):
            if _NEXT_OPENS.match(text, m.end()) and not any(s <= m.start("body") < e for s, e in spans):
                spans.append(m.span("body"))
    for start, end in _straight_quotes(text) + _single_quotes(text):
        if not any(s - 1 <= start < e + 1 for s, e in spans):
            spans.append((start, end))
    out = []
    for start, end in sorted(spans):
        body = text[start:end]
        stripped = body.strip().rstrip(",")
        if not _WORD.search(stripped):
            continue
        begin = start + len(body) - len(body.lstrip())
        out.append(RawQuote(begin, begin + len(stripped), stripped))
    return out


_SINGLE_OR_BREAK = re.compile(r"[‘’\n]")
_OPENS_AFTER = " \t([{—–-/\"“«"


def _single_quotes(text: str) -> list[tuple[int, int]]:
    """‘…’ spans. ’ is also the apostrophe ("Epstein’s", "don’t"), so ‘ opens
    only at the start of a word and ’ closes only when no letter follows it.
    A quotation that runs over several paragraphs opens each of them with ‘
    and closes only the last: a paragraph that ends with a ‘ still open, when
    the next one begins with ‘, is a quote of its own."""
    if "‘" not in text:
        return []
    spans: list[tuple[int, int]] = []
    start = -1
    for mark in _SINGLE_OR_BREAK.finditer(text):
        index, ch = mark.start(), mark.group()
        if ch == "\n":
            if start >= 0 and text[index:].lstrip("\n").startswith("‘") and index - start >= 2:
                spans.append((start, index))
            start = -1
        elif ch == "‘":
            if start < 0 and (index == 0 or text[index - 1] in _OPENS_AFTER or text[index - 1] == "\n"):
                start = index + 1
        elif start >= 0 and not text[index + 1:index + 2].isalpha():
            if index - start >= 2:
                spans.append((start, index))
            start = -1
    return spans


_STRAIGHT_OR_BREAK = re.compile(r'["\n]')


def _straight_quotes(text: str) -> list[tuple[int, int]]:
    """Outermost "…" spans. Straight quotes nest in Russian agency copy
    ("Эстакада у станции "Звенигород" откроется", - отметили в "Автодоре"),
    so each mark is an opener when it follows a space or an opening bracket
    and a closer otherwise, and only the outermost pair is a quotation."""
    spans: list[tuple[int, int]] = []
    depth, start = 0, 0
    for mark in _STRAIGHT_OR_BREAK.finditer(text):
        index, ch = mark.start(), mark.group()
        if ch == "\n":
            depth = 0  # a quotation does not run over a paragraph break unclosed
            continue
        before = text[index - 1] if index else " "
        if before.isspace() or before in "([{—–-/:":
            if depth == 0:
                start = index + 1
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0 and index - start >= 2:
                spans.append((start, index))
    return spans


_BLOCK_OPEN = re.compile(r"<blockquote\b[^>]*>", re.IGNORECASE)
_BLOCK_CLOSE = re.compile(r"</blockquote\s*>", re.IGNORECASE)


def _blockquotes(html: str) -> list[str]:
    """The inner HTML of each <blockquote>, found with str.find (a 200 KB page
    in microseconds) rather than a case-insensitive regex scan."""
    out = []
    for tag in ("<blockquote", "<BLOCKQUOTE"):
        pos = html.find(tag)
        while pos >= 0:
            opening = _BLOCK_OPEN.match(html, pos)
            if opening is None:  # "<blockquotes…>"
                pos = html.find(tag, pos + 1)
                continue
            closing = _BLOCK_CLOSE.search(html, opening.end())
            if closing is None:
                break
            out.append(html[opening.end():closing.start()])
            pos = html.find(tag, closing.end())
    return out
_BLOCK_BREAK = re.compile(r"</p\s*>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_LINE = re.compile(r"[^\n]+")
_MARKS = "“”«»\"„「」『』‘’"


def blockquoted(html: str | None) -> frozenset[str]:
    """The paragraphs a page sets in ``<blockquote>``s, whitespace collapsed."""
    quoted = {" ".join(html_lib.unescape(_TAG.sub("", chunk)).split())
              for block in _blockquotes(html or "") for chunk in _BLOCK_BREAK.split(block)}
    quoted.discard("")
    return frozenset(quoted)


def blockquote_quotes(text: str, quoted: frozenset[str], found: list[RawQuote]) -> list[RawQuote]:
    """Paragraphs a page sets in a ``<blockquote>`` without quotation marks
    (GOV.UK's and BMEIA's press releases: "The Foreign Secretary said:" and
    the words below it), one quote per paragraph. A blockquote counts when
    the paragraph before it ends with a colon or the one after it goes on in
    lower case ("so die Außenministerin."): an embedded post or an epigraph
    introduced by nobody is no quotation."""
    if not quoted:
        return []
    lines = [(m.start(), m.group()) for m in _LINE.finditer(text) if m.group().strip()]
    inside = [" ".join(line.split()) in quoted for _, line in lines]
    out: list[RawQuote] = []
    i = 0
    while i < len(lines):
        if not inside[i]:
            i += 1
            continue
        j = i
        while j < len(lines) and inside[j]:
            j += 1  # a run of blockquoted paragraphs, one or several blockquotes
        before = lines[i - 1][1].strip() if i else ""
        after = lines[j][1].strip() if j < len(lines) else ""
        if before.endswith((":", "：")) or after[:1].islower():
            for start, line in lines[i:j]:
                body = line.strip()
                begin = start + len(line) - len(line.lstrip())
                if body[:1] in _MARKS or any(begin <= q.start < begin + len(body) for q in found):
                    continue
                out.append(RawQuote(begin, begin + len(body), body))
        i = j
    return out
