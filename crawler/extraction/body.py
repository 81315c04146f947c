"""The main text of an HTML page, as a list of paragraphs.

Two extractors read every page and each checks the other:

- trafilatura (``fast``, ``favor_recall``, tables kept, comments dropped)
  gives the paragraphs. Its recall-leaning mode keeps the short paragraphs
  statements are made of (Q&A lines, one-sentence answers) that the default
  mode drops; its weakness is the opposite one: a share prompt, a "read also"
  teaser or a caption at either end of the article.
- readability-lxml scores blocks by text density and picks one container. It
  is bad at paragraph structure and sometimes picks the wrong container, but
  when it agrees with trafilatura on most of the text it is a good judge of
  where the article starts and ends.

So: trafilatura's lines are kept, except leading and trailing sentences that
readability's block does not contain, when the two agree on the bulk. When
trafilatura finds nothing, or only a small part of what readability finds
(a teaser where the article is), readability's text is used; a short result
outside readability's much longer block (a teaser beside the article) is read
again with trafilatura's full mode, kept when readability agrees with it.
Whatever was chosen, a short result from a long page is read again
(``unless_short``), and the paragraph model of ``blocks.py`` drops the
paragraphs it is sure are not article text.
Measured on two sets (docs/extraction.md): on the dev set trafilatura
default alone 0.958 F1, this combination 0.979; the choices and what each
contributed are written down in docs/extraction.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from copy import deepcopy

from lxml import etree
from lxml import html as lxml_html
from readability import Document
from readability.readability import Unparseable
from trafilatura import bare_extraction

from crawler.extraction.blocks import keep_article_blocks, page_context
from crawler.extraction.words import forget, word_pairs, words

# When this share of trafilatura's word pairs is inside readability's block,
# the two found the same article and readability can trim trafilatura's ends.
AGREEMENT_TO_TRIM = 0.5
# When nearly all of trafilatura's text is inside readability's and
# readability's is this many times longer, trafilatura took a teaser.
AGREEMENT_TO_REPLACE = 0.9
LONGER_TO_REPLACE = 2.0
# A result this many times shorter than readability's is a teaser's length:
# trafilatura's full mode is tried (see _unless_teaser).
LONGER_TO_RETRY = 2.0
# A result under this many characters and under this share of the page's
# text is short from a long page (see unless_short).
SHORT_RESULT = 1000
SHORT_SHARE = 0.1
# A sentence at the ends is supported when this share of its word pairs is
# in readability's block; a little slack for quotes and spacing differences.
SENTENCE_SUPPORT = 0.8
# A readability paragraph with less than this share of its word pairs in
# trafilatura's text is missing from it, not merely split differently.
MISSING = 0.3
# A paragraph this long is one readability missed (it picks one
# container), not a teaser or a prompt: trimming stops there.
UNSUPPORTED_BUT_KEPT = 300
# trafilatura lumped paragraphs together when readability finds this many
# times as many in the same text.
LUMPED = 3
# ... and when those are paragraphs, not table cells or list fragments.
PARAGRAPH_CHARS = 80
PROSE_WORDS = 25

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»)]*\s+|(?<=[。！？])[”’」』）)]*")
_NEVER_ARTICLE = ("script", "style", "noscript", "template", "link", "svg", "iframe", "nav",
                  "aside", "footer", "form", "button", "select")
_BLOCKS = "//p|//li|//h1|//h2|//h3|//h4|//h5|//h6|//blockquote|//pre|//td|//th|//dd|//dt"
# A block holding one of these is read through it.
_HOLDING_BLOCKS = ("p", "li", "blockquote", "pre", "td")


def _trafilatura(tree: lxml_html.HtmlElement, url: str | None, *, fast: bool,
                 favor_recall: bool = True) -> list[str]:
    doc = bare_extraction(
        tree,  # trafilatura >= 2.3 prunes a copy of the tree it is given
        url=url,
        with_metadata=False,
        fast=fast,
        favor_recall=favor_recall,
        include_comments=False,
        include_tables=True,
    )
    text = (doc.text or "") if doc is not None else ""
    return [line.strip() for line in text.split("\n") if line.strip()]


class _Readability(Document):
    """readability's scoring over a copy of the tree we already parsed.

    Its own ``_parse`` parses the markup again and runs lxml's ``Cleaner``,
    whose javascript-link rewriting alone is a third of readability's time on
    news pages; the text needs only scripts, styles and hidden elements gone.
    Every ``_parse`` call starts from a fresh copy: on a poor first pick
    readability retries from scratch, which a pruned tree would defeat.
    """

    def __init__(self, tree: lxml_html.HtmlElement) -> None:
        super().__init__("")
        self._pristine = tree

    def _parse(self, input: object) -> lxml_html.HtmlElement:  # noqa: A002 - readability's name
        # The <body> only: the <head> (scripts, styles, metadata) is most of
        # the copying on many news pages and none of the text.
        body = self._pristine.find("body")
        if body is None:
            doc = deepcopy(self._pristine)
        else:
            doc = lxml_html.Element("html")
            doc.append(deepcopy(body))
        # Navigation, asides and forms are never the article; dropping them
        # first also spares readability scoring their many small blocks.
        etree.strip_elements(doc, *_NEVER_ARTICLE, etree.Comment, etree.ProcessingInstruction,
                             with_tail=False)
        for node in doc.xpath('//*[@hidden or contains(translate(@style, " ", ""), "display:none")]'):
            node.drop_tree()
        self.encoding = "utf-8"
        return doc


def _readability(tree: lxml_html.HtmlElement) -> list[str]:
    try:
        summary = _Readability(tree).summary(html_partial=True)
        block = lxml_html.fragment_fromstring(summary, create_parent="div")
    except (Unparseable, etree.ParserError, ValueError, AssertionError):
        # (lxml asserts when readability's summary has no <body>: a
        # meta-refresh stub, a page of nothing but <head>.)
        return []
    # Innermost blocks only, so a <li> holding a <p> is not read twice.
    # (Walking the descendants stops at the first; an XPath per block
    # compiled and ran once for each of hundreds of blocks.)
    lines = []
    for node in block.xpath(_BLOCKS):
        if next(node.iterdescendants(*_HOLDING_BLOCKS), None) is not None:
            continue
        line = " ".join(node.text_content().split())
        if line:
            lines.append(line)
    if not lines:
        text = " ".join(block.text_content().split())
        lines = [text] if text else []
    return lines


def _sentences(line: str) -> list[tuple[int, int]]:
    """Where each sentence of ``line`` starts and ends, so that cutting
    sentences off keeps the rest of the line exactly as written."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(line):
        if match.end() > start:
            spans.append((start, match.end()))
            start = match.end()
    if start < len(line):
        spans.append((start, len(line)))
    return spans


def _anchors_article(sentence: str, line: str, reference_tokens: set[str],
                     reference_pairs: set) -> bool:
    """Whether trimming stops at ``sentence`` (of ``line``): it is article text."""
    tokens = words(sentence)
    if not tokens:
        return False
    if len(tokens) == 1:
        return tokens[0] in reference_tokens
    if len(line) >= UNSUPPORTED_BUT_KEPT or (
        len(tokens) >= PROSE_WORDS and sentence.rstrip().endswith((".", "!", "?", "。"))
    ):
        return True
    pairs = word_pairs(sentence)
    return len(pairs & reference_pairs) >= SENTENCE_SUPPORT * len(pairs)


def _trim_ends(lines: list[str], reference: list[str]) -> list[str]:
    """Drop sentences at the start and the end that ``reference`` lacks."""
    ref_text = " ".join(reference)
    ref_set, ref_pairs = set(words(ref_text)), word_pairs(ref_text)
    # (line index, start, end) of every sentence, so paragraphs survive.
    units = [(i, a, b) for i, line in enumerate(lines) for a, b in _sentences(line)]

    def anchors(unit: tuple[int, int, int]) -> bool:
        i, a, b = unit
        return _anchors_article(lines[i][a:b], lines[i], ref_set, ref_pairs)

    start, end = 0, len(units)
    while start < end and not anchors(units[start]):
        start += 1
    while end > start and not anchors(units[end - 1]):
        end -= 1
    if start == end:
        return []
    first_line, cut_start = units[start][0], units[start][1]
    last_line, cut_end = units[end - 1][0], units[end - 1][2]
    kept = lines[first_line : last_line + 1]
    if first_line == last_line:
        return [kept[0][cut_start:cut_end].strip()]
    kept[0] = kept[0][cut_start:].strip()
    kept[-1] = kept[-1][:cut_end].strip()
    # A word left over from a cut line ("Pact" of a headline) is no paragraph.
    if cut_start > 0 and len(words(kept[0])) < 2:
        kept = kept[1:]
    if cut_end < len(lines[last_line]) and kept and len(words(kept[-1])) < 2:
        kept = kept[:-1]
    return [line for line in kept if line]


def _mend_drop_caps(lines: list[str], reference: list[str]) -> list[str]:
    """A paragraph cut after its decorated first word ("When" + the rest
    lost) is taken whole from ``reference`` when it has it."""
    reference_keys: list[str] | None = None
    mended = []
    for line in lines:
        key = "".join(words(line))
        if 0 < len(key) <= 12:
            if reference_keys is None:
                reference_keys = ["".join(words(r)) for r in reference]
            whole = [r for r, k in zip(reference, reference_keys, strict=True)
                     if k.startswith(key) and len(r) > 3 * len(line)]
            if len(whole) == 1:
                line = whole[0]
        mended.append(line)
    return mended


def _looks_broken(lines: list[str]) -> bool:
    """trafilatura's lines show a misread page: words cut off as lines of
    their own ("Mr", "Ev": a paragraph split at inline markup) and the same
    text printed twice."""
    fragments = sum(1 for line in lines if 0 < len(line) <= 3 and line.isalpha())
    keys = ["".join(words(line)) for line in lines if len(line) >= 30]
    repeated = len(keys) - len(set(keys)) + sum(
        1 for a in keys for b in keys if a != b and len(a) >= 30 and b.startswith(a))
    return fragments >= 2 or (fragments >= 1 and repeated >= 2)


def _fill_gaps(lines: list[str], reference: list[str]) -> list[str]:
    """Put back paragraphs trafilatura skipped inside the article.

    A ``reference`` paragraph that ``lines`` lack, lying between two that
    they have, is article text trafilatura dropped (a paragraph split by an
    ad slot, a section it misread); it goes in after the line that holds
    its predecessor.
    """
    # Each word pair points at the first line that has it.
    owner: dict[tuple[str, str], int] = {}
    for i, line in enumerate(lines):
        for pair in word_pairs(line):
            owner.setdefault(pair, i)

    def place(paragraph: str) -> tuple[int | None, bool]:
        """The line holding ``paragraph``, and whether it is missing."""
        pairs = word_pairs(paragraph)
        found = [owner[p] for p in pairs if p in owner]
        if not pairs:
            return None, False
        if len(found) >= SENTENCE_SUPPORT * len(pairs):
            return max(set(found), key=found.count), False
        # Partly there is not missing: trafilatura split it at inline tags.
        return None, len(found) < MISSING * len(pairs)

    places = [place(p) for p in reference]
    homes = [h for h, _ in places]
    known = [i for i, h in enumerate(homes) if h is not None]
    if len(known) < 2:
        return lines
    inserts: dict[int, list[str]] = {}
    for i in range(known[0] + 1, known[-1]):
        if places[i][1] and len(words(reference[i])) >= PROSE_WORDS:
            before = max(homes[j] for j in known if j < i)
            inserts.setdefault(before, []).append(reference[i])
    if not inserts:
        return lines
    merged = []
    for i, line in enumerate(lines):
        merged.append(line)
        merged.extend(inserts.get(i, []))
    return merged


def _unless_teaser(traf: list[str], read_length: int, read_pairs: set,
                   tree: lxml_html.HtmlElement, url: str | None) -> list[str]:
    """trafilatura's full mode in place of a short result from a long page.

    The fast mode sometimes settles for a teaser, a standfirst or a sign-up
    block outside the article. (One inside readability's block is left to
    ``main_text``, which takes readability's text then.) When readability
    finds several times as much text elsewhere, the full mode (trafilatura's
    own fallbacks) reads the page again; its result stands when it is
    several times longer too and nearly all inside readability's block: two
    extractors agreeing on the longer text.
    """
    traf_length = sum(len(line) for line in traf)
    if read_length < LONGER_TO_RETRY * traf_length:
        return traf
    traf_pairs = word_pairs(" ".join(traf))
    if traf_pairs and len(traf_pairs & read_pairs) >= AGREEMENT_TO_REPLACE * len(traf_pairs):
        return traf
    full = _trafilatura(tree, url, fast=False)
    full_pairs = word_pairs(" ".join(full))
    if (sum(len(line) for line in full) < LONGER_TO_RETRY * traf_length or not full_pairs
            or len(full_pairs & read_pairs) < AGREEMENT_TO_REPLACE * len(full_pairs)):
        return traf
    return full


def main_text(tree: lxml_html.HtmlElement, url: str | None,
              link_texts: list[str] | None = None) -> list[str]:
    """The article's paragraphs; ``link_texts``: the texts of the page's links
    (read from ``tree`` when not given)."""
    try:
        traf = _trafilatura(tree, url, fast=True)
        read = _readability(tree)
        read_text = " ".join(read)
        lines = _agreed_text(traf, read, read_text, tree, url)
        lines = unless_short(lines, lambda: _page_chars(tree),
                             lambda: _trafilatura(tree, url, fast=False, favor_recall=False))
        if link_texts is None:
            link_texts = [a.text_content() for a in tree.iter("a") if a.get("href")]
        return keep_article_blocks(lines, page_context(read_text, link_texts))
    finally:
        forget()  # the words cached while this page was read


def _page_chars(tree: lxml_html.HtmlElement) -> int:
    """The length of the text a reader of the page sees, all of it."""
    texts = tree.xpath("//body//text()[not(ancestor::script or ancestor::style "
                       "or ancestor::noscript or ancestor::template)]")
    return sum(len(" ".join(str(t).split())) for t in texts)


def unless_short(lines: list[str], page_chars: Callable[[], int],
                 other: Callable[[], list[str]]) -> list[str]:
    """Another reading of the page in place of a short result from a long page.

    A text under ``SHORT_RESULT`` characters that is under ``SHORT_SHARE``
    of what the page shows is a teaser, a standfirst or a sign-up block
    more often than an article: ``other`` (trafilatura's default mode,
    neither fast nor leaning to recall) reads the page again. Its text
    stands when it is ``LONGER_TO_RETRY`` times longer and holds the short
    one (``AGREEMENT_TO_REPLACE`` of its word pairs): it carries on from
    the same start, the article under its standfirst. Both callables are
    called only for a short result: the other reading costs a full pass.
    """
    length = sum(len(line) for line in lines)
    if not lines or length >= SHORT_RESULT or length >= SHORT_SHARE * page_chars():
        return lines
    longer = other()
    pairs = word_pairs(" ".join(lines))
    if (sum(len(line) for line in longer) < LONGER_TO_RETRY * length or not pairs
            or len(pairs & word_pairs(" ".join(longer))) < AGREEMENT_TO_TRIM * len(pairs)):
        return lines
    return longer


def _agreed_text(traf: list[str], read: list[str], read_text: str,
                 tree: lxml_html.HtmlElement, url: str | None) -> list[str]:
    if not traf:
        # fast mode skips trafilatura's own fallbacks; try them before
        # settling for readability's single block.
        return read or _trafilatura(tree, url, fast=False)
    if not read:
        return traf
    read_pairs = word_pairs(read_text)
    traf = _unless_teaser(traf, sum(len(line) for line in read), read_pairs, tree, url)
    traf_pairs = word_pairs(" ".join(traf))
    if not traf_pairs:
        return traf
    agreement = len(traf_pairs & read_pairs) / len(traf_pairs)
    traf_length = sum(len(line) for line in traf)
    read_length = sum(len(line) for line in read)
    if agreement >= AGREEMENT_TO_REPLACE and (read_length >= LONGER_TO_REPLACE * traf_length
                                              or _looks_broken(traf)):
        return read
    # trafilatura read the article as a list: readability's paragraphs are
    # all inside its few long lines, which also carry the teasers around it.
    if (read_pairs and len(read) >= LUMPED * len(traf)
            and read_length >= PARAGRAPH_CHARS * len(read)
            and len(read_pairs & traf_pairs) >= AGREEMENT_TO_REPLACE * len(read_pairs)):
        return read
    if agreement >= AGREEMENT_TO_TRIM:
        trimmed = _trim_ends(_mend_drop_caps(traf, read), read) or traf
        return _fill_gaps(trimmed, read)
    return traf
