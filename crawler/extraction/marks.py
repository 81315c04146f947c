"""Invisible marks that are part of the text, kept through extraction.

The zero-width non-joiner and joiner (U+200C, U+200D) are spelling in
Persian, Urdu and the Indic scripts ("می‌خواهم" is not "میخواهم"; a ZWJ
also makes one emoji of several). Both are format characters, and
trafilatura drops every character that is not printable from the text it
returns: the words would come out spelt otherwise than on the page.

The soft hyphen (U+00AD, "Klima&shy;wandel") is not held: it marks where a
line may break, not how a word is spelt. Browsers leave it out of copied
text, and kept in the archive it would split the word for the search index
("Klimawandel" would not find it). Measured on 2026-12-07, keeping it
gained nothing on the snippets set (its annotators wrote some snippets with
it and some without: 5 found, 5 lost) and one page on dev.

``hold`` swaps each mark (as a character or as an HTML reference) for a
stand-in that every extractor keeps, a letter of a script no page of ours
is written in (Linear B), and ``release`` puts the marks back in what the
extractors return. A page that already holds a stand-in is left as it is.
A reference written with leading zeros (``&#08204;``) is not held: no page
of the development sets writes one, and looking for them would make the
first, quick look at every page slow (``_LEADS``).

Texts archived before the marks were kept lack them; line keys (learned
chrome, ``boilerplate.line_key``) leave the marks out, so that old and new
lines match.
"""

from __future__ import annotations

import re

# mark: the Linear B syllable standing in for it. Letters, so that the
# extractors' word counts see a word joined by a mark as one, as a reader does.
_STAND_INS = {"\u200c": "\U00010001", "\u200d": "\U00010002"}
_MARK_OF = {stand_in: mark for mark, stand_in in _STAND_INS.items()}

# The marks written as characters or as character references.
# (A numeric reference may end without its semicolon, as browsers read it.)
_REFERENCE = re.compile(
    r"[\u200c\u200d]|&(?:zwnj|zwj);|&#(?:820[45](?![0-9])|[xX]200[cCdD](?![0-9a-fA-F]));?"
)
# What any of those begins with: a page is scanned for these first, as a
# plain substring search is a tenth of the regular expression's time.
_LEADS = ("\u200c", "\u200d", "&zw", "&#820", "&#x200", "&#X200")
_REFERENCED = {"zwnj": "\u200c", "zwj": "\u200d"}
_ANY_STAND_IN = re.compile("[\U00010001\U00010002]")


def _stand_in(found: re.Match[str]) -> str:
    token = found.group()
    if len(token) == 1:
        return _STAND_INS[token]
    if token[1] != "#":
        return _STAND_INS[_REFERENCED[token[1:-1]]]
    number = token[2:].rstrip(";")
    code = int(number[1:], 16) if number[0] in "xX" else int(number)
    return _STAND_INS[chr(code)]


def hold(html: str) -> tuple[str, bool]:
    """``html`` with its marks swapped for stand-ins, and whether any was."""
    if not any(lead in html for lead in _LEADS) or _ANY_STAND_IN.search(html):
        return html, False
    held, count = _REFERENCE.subn(_stand_in, html)
    return held, count > 0


def release(text: str) -> str:
    """``text`` with the marks back where ``hold`` left stand-ins."""
    return _ANY_STAND_IN.sub(lambda found: _MARK_OF[found.group()], text)
