"""The standfirst: the summary a page prints between its headline and its
body (a "dek", a lede in bold), kept beside the body, not in it.

Where the body starts is a matter of convention, and the two development
sets disagree: Zyte's ``articleBody`` (``../shared/eval/dev``) leaves the
standfirst out (31 of 32 pages where one is printed), trafilatura's own
evaluation counts it as article text. demarche's body follows the first
(docs/extraction.md, "The two sets disagree on the standfirst"); the
standfirst is not lost for that: a state agency's lede is often the one
sentence that says who said what (RT, Sputnik and Kommersant print one).

Which text it is, is what the page declares: its meta description, when
the page also shows that text as an element of its own after its headline,
outside links and navigation. A description shown nowhere (most of them),
already in the body, or printed above the headline (a site's tagline in
its masthead) is no standfirst. Finding it never costs the page: any
error here is no standfirst.
"""

from __future__ import annotations

import re

import lxml.etree
from lxml import html as lxml_html

# A description shorter than this (in letters and digits) is a label or a
# slogan, not a summary of the article.
MIN_CHARS = 40
# How much longer than the description the element holding it may be:
# a date or a "Summary:" label beside it, not a whole teaser block.
_SLACK_CHARS = 40
# The characters looked for in the page's text, from the description's start.
_PROBE_CHARS = 30
_NOT_THE_ARTICLE = {"a", "nav", "aside", "footer", "script", "style", "noscript", "template",
                    "option", "button", "form"}
_WORDS = re.compile(r"[\W_]+")
# XPath's normalize-space() collapses these and no other white space (a
# no-break space stays as it is).
_XML_SPACE = re.compile(r"[ \t\n\r]+")
# What no XML text may hold; lxml refuses an XPath value with any of them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CONTAINING = lxml.etree.XPath("//body//text()[contains(normalize-space(.), $probe)]")


def _key(text: str) -> str:
    return _WORDS.sub(" ", text.casefold()).strip()


def displayed_standfirst(tree: lxml_html.HtmlElement, description: str | None,
                         body: str) -> str | None:
    """The page's description as the page shows it, or None when it does
    not show it on its own after its headline, or the body already holds it."""
    if not description:
        return None
    wanted = _key(description)
    if len(wanted.replace(" ", "")) < MIN_CHARS or wanted[:60] in _key(body):
        return None
    shown = _XML_SPACE.sub(" ", _NOT_XML.sub("", description)).strip()
    try:
        return _find(tree, shown, wanted)
    except (ValueError, lxml.etree.LxmlError):
        return None


def unsaid(standfirst: str | None, title: str, body: str) -> str | None:
    """The standfirst unless the cleaned title or body already says it
    (``displayed_standfirst`` saw the paragraphs before cleaning)."""
    if not standfirst:
        return None
    key = _key(standfirst)
    return None if key == _key(title) or key in _key(body) else standfirst


def _find(tree: lxml_html.HtmlElement, shown: str, wanted: str) -> str | None:
    headline = next(iter(tree.xpath("//body//h1[1]")), None)
    # Where inline markup splits the text, its start may be in another node
    # than its middle: either probe finds the element.
    for probe in (shown[:_PROBE_CHARS], shown[len(shown) // 3:len(shown) // 3 + _PROBE_CHARS]):
        if len(probe) < _PROBE_CHARS // 2:
            continue
        for node in _CONTAINING(tree, probe=probe):
            # (A tail's parent is the element it follows, not the one holding it.)
            holder = node.getparent()
            found = _holding(holder.getparent() if node.is_tail else holder, wanted)
            if found is not None and (headline is None or _after(found[0], headline)):
                return found[1]
    return None


def _holding(element: lxml_html.HtmlElement | None, wanted: str
             ) -> tuple[lxml_html.HtmlElement, str] | None:
    """The smallest element from ``element`` up whose whole text is
    ``wanted``, and that text, unless it sits in a link or the page's chrome."""
    while element is not None and isinstance(element.tag, str) and element.tag != "body":
        raw = element.text_content()
        # (A block many times longer, even counting its markup's white
        # space, is no summary: not normalised, which would cost more.)
        if len(raw) > 4 * (len(wanted) + _SLACK_CHARS) + 400:
            return None
        text = _XML_SPACE.sub(" ", raw).strip()
        key = _key(text)
        if len(key) > len(wanted) + _SLACK_CHARS:
            return None
        if wanted in key:
            chrome = {element.tag, *(a.tag for a in element.iterancestors())} & _NOT_THE_ARTICLE
            return None if chrome else (element, text)
        element = element.getparent()
    return None


def _after(element: lxml_html.HtmlElement, headline: lxml_html.HtmlElement) -> bool:
    """Whether ``element`` comes after the headline in the document (or is
    inside it); an element holding the headline would bring it along."""
    if headline in element.iterancestors():
        return True
    if element in headline.iterancestors():
        return False
    # The parser's line numbers order most pages at once; a page on one
    # line (minified) is walked.
    if element.sourceline and headline.sourceline and element.sourceline != headline.sourceline:
        return element.sourceline > headline.sourceline
    for seen in headline.getroottree().iter():
        if seen is headline:
            return True
        if seen is element:
            return False
    return False
