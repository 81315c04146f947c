"""The standfirst: the summary a page prints between its headline and its
body (a "dek", a lede in bold), kept beside the body, not in it.

Where the body starts is a matter of convention, and the two development
sets disagree: Zyte's ``articleBody`` (``../shared/eval/dev``) leaves the
standfirst out (31 of 32 pages where one is printed), trafilatura's own
evaluation counts it as article text. demarche's body follows the first
(docs/extraction.md, "The two sets disagree on the standfirst"); the
standfirst is not lost for that: a state agency's lede is often the one
sentence that says who said what (TASS, RT, Sputnik all print one).

Which text it is, is what the page declares: its meta description, when
the page also shows that text as an element of its own, outside links
and navigation. A description shown nowhere (most of them) or already in
the body is no standfirst.
"""

from __future__ import annotations

import re

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


def _key(text: str) -> str:
    return _WORDS.sub(" ", text.casefold()).strip()


def displayed_standfirst(tree: lxml_html.HtmlElement, description: str | None,
                         body: str) -> str | None:
    """The page's description as the page shows it, or None when it does
    not show it on its own or the body already holds it."""
    if not description:
        return None
    wanted = _key(description)
    if len(wanted.replace(" ", "")) < MIN_CHARS or wanted[:60] in _key(body):
        return None
    shown = " ".join(description.split())
    # Where inline markup splits the text, its start may be in another node
    # than its middle: either probe finds the element.
    for probe in (shown[:_PROBE_CHARS], shown[len(shown) // 3:len(shown) // 3 + _PROBE_CHARS]):
        if len(probe) < _PROBE_CHARS // 2 or "'" in probe:
            continue
        for node in tree.xpath(f"//body//text()[contains(normalize-space(.), '{probe}')]"):
            # (A tail's parent is the element it follows, not the one holding it.)
            holder = node.getparent()
            found = _holding(holder.getparent() if node.is_tail else holder, wanted)
            if found is not None:
                return found
    return None


def _holding(element: lxml_html.HtmlElement | None, wanted: str) -> str | None:
    """The text of the smallest element from ``element`` up whose whole text
    is ``wanted``, unless it sits in a link or the page's chrome."""
    while element is not None and isinstance(element.tag, str) and element.tag != "body":
        text = " ".join(element.text_content().split())
        key = _key(text)
        if len(key) > len(wanted) + _SLACK_CHARS:
            return None
        if wanted in key:
            chrome = {element.tag, *(a.tag for a in element.iterancestors())} & _NOT_THE_ARTICLE
            return None if chrome else text
        element = element.getparent()
    return None
