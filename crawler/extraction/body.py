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
(a teaser where the article is), readability's text is used. Measured on the
dev set (docs/extraction.md): trafilatura default alone 0.958 F1, this
combination 0.98; the choices and what each contributed are written down in
docs/extraction.md.
"""

from __future__ import annotations

import re
from copy import deepcopy

from lxml import etree
from lxml import html as lxml_html
from readability import Document
from readability.readability import Unparseable
from trafilatura import bare_extraction

# When this share of trafilatura's word pairs is inside readability's block,
# the two found the same article and readability can trim trafilatura's ends.
AGREEMENT_TO_TRIM = 0.5
# When nearly all of trafilatura's text is inside readability's and
# readability's is this many times longer, trafilatura took a teaser.
AGREEMENT_TO_REPLACE = 0.9
LONGER_TO_REPLACE = 2.0
# A sentence at the ends is supported when this share of its word pairs is
# in readability's block; a little slack for quotes and spacing differences.
SENTENCE_SUPPORT = 0.8

# CJK scripts have no spaces: each character is a token, as in the scorer.
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\W_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？…])[\"'”»)]*\s+|(?<=[。！？])")
_NEVER_ARTICLE = ("script", "style", "noscript", "template", "link", "svg", "iframe", "nav",
                  "aside", "footer", "form", "button", "select")
_BLOCKS = "//p|//li|//h1|//h2|//h3|//h4|//h5|//h6|//blockquote|//pre|//td|//th|//dd|//dt"


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold())


def _pairs(tokens: list[str]) -> set[tuple[str, str]]:
    return set(zip(tokens, tokens[1:]))


def _trafilatura(tree: lxml_html.HtmlElement, url: str | None, *, fast: bool) -> list[str]:
    doc = bare_extraction(
        deepcopy(tree),  # trafilatura prunes the tree it is given
        url=url,
        with_metadata=False,
        fast=fast,
        favor_recall=True,
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
        doc = deepcopy(self._pristine)
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
    except (Unparseable, etree.ParserError, ValueError):
        return []
    # Innermost blocks only, so a <li> holding a <p> is not read twice.
    lines = []
    for node in block.xpath(_BLOCKS):
        if node.xpath(".//p|.//li|.//blockquote|.//pre|.//td"):
            continue
        line = " ".join(node.text_content().split())
        if line:
            lines.append(line)
    if not lines:
        text = " ".join(block.text_content().split())
        lines = [text] if text else []
    return lines


def _sentences(line: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(line) if s and s.strip()]


def _supported(sentence: str, reference_tokens: set[str], reference_pairs: set) -> bool:
    tokens = _tokens(sentence)
    if not tokens:
        return True  # punctuation only: let the neighbours decide
    if len(tokens) == 1:
        return tokens[0] in reference_tokens
    pairs = _pairs(tokens)
    return len(pairs & reference_pairs) >= SENTENCE_SUPPORT * len(pairs)


def _trim_ends(lines: list[str], reference: list[str]) -> list[str]:
    """Drop sentences at the start and the end that ``reference`` lacks."""
    ref_tokens = _tokens(" ".join(reference))
    ref_set, ref_pairs = set(ref_tokens), _pairs(ref_tokens)
    # Each sentence keeps the index of its line so paragraphs survive.
    units = [(i, s) for i, line in enumerate(lines) for s in _sentences(line)]
    start, end = 0, len(units)
    while start < end and not _supported(units[start][1], ref_set, ref_pairs):
        start += 1
    while end > start and not _supported(units[end - 1][1], ref_set, ref_pairs):
        end -= 1
    kept: dict[int, list[str]] = {}
    for i, sentence in units[start:end]:
        kept.setdefault(i, []).append(sentence.strip())
    return [" ".join(kept[i]) for i in sorted(kept)]


def main_text(tree: lxml_html.HtmlElement, url: str | None) -> list[str]:
    traf = _trafilatura(tree, url, fast=True)
    read = _readability(tree)
    if not traf:
        # fast mode skips trafilatura's own fallbacks; try them before
        # settling for readability's single block.
        return read or _trafilatura(tree, url, fast=False)
    if not read:
        return traf
    traf_pairs = _pairs(_tokens(" ".join(traf)))
    read_tokens = _tokens(" ".join(read))
    if not traf_pairs:
        return traf
    agreement = len(traf_pairs & _pairs(read_tokens)) / len(traf_pairs)
    traf_length = sum(len(line) for line in traf)
    read_length = sum(len(line) for line in read)
    if agreement >= AGREEMENT_TO_REPLACE and read_length >= LONGER_TO_REPLACE * traf_length:
        return read
    if agreement >= AGREEMENT_TO_TRIM:
        return _trim_ends(traf, read) or traf
    return traf
