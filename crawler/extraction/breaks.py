"""Paragraphs written as line breaks, made paragraphs before the extractors
read the page.

Many older sites (ministries' archives among them) write an article as the
text of one ``<div>`` or ``<td>`` with ``<br><br>`` between paragraphs.
Both extractors read such a container worse than the same text in ``<p>``
elements: trafilatura's fast mode skips the text before the first break
(the lede), readability weighs one long block. Measured with ``make
bench-variants`` (every dev and snippets page with its ``<p>`` written as
``<br><br>``), this put dev at 0.962 against 0.979 for the pages as saved.

Each run of a container's own text and inline elements between two double
breaks (or a block element) becomes a ``<p>``; a single ``<br>`` stays a
line break inside its paragraph. Only block containers that hold text of
their own at some length are rewritten: a list of links separated by
breaks in a sidebar holds too little.
"""

from __future__ import annotations

import re

from lxml import html as lxml_html

# Containers whose own text can be paragraphs (not <p>: a paragraph in a
# paragraph is no better; not inline elements).
CONTAINERS = frozenset({"div", "td", "section", "article", "main", "body", "blockquote", "dd"})
# Children that end a run and stay as they are.
_BLOCKS = frozenset({
    "p", "div", "ul", "ol", "dl", "table", "section", "article", "aside", "nav", "header",
    "footer", "form", "figure", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "main", "iframe", "script", "style", "noscript", "center", "address", "fieldset",
})
# The container's own text (outside its block children) must reach this
# many characters: prose, not a column of links.
MIN_OWN_TEXT = 200


# What XML 1.0 does not allow in text. The parser keeps such a character
# when the page names it by reference ("&#1;"), but lxml refuses it in a
# string given to an element: text moved into a new element goes without.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def settable_text(text: str | None) -> str | None:
    """``text`` as lxml accepts it for an element's text or tail."""
    return _NOT_XML.sub("", text) if text else text


def _blank(text: str | None) -> bool:
    return not text or not text.strip()


def _is_break(node: object) -> bool:
    return isinstance(getattr(node, "tag", None), str) and node.tag == "br"  # type: ignore[attr-defined]


def _double_break(node: lxml_html.HtmlElement) -> bool:
    """A <br> followed by another, nothing but white space between."""
    return _is_break(node) and _is_break(node.getnext()) and _blank(node.tail)


def _own_text(container: lxml_html.HtmlElement) -> int:
    size = len((container.text or "").strip())
    for child in container:
        if not isinstance(child.tag, str):
            size += len((child.tail or "").strip())
            continue
        if child.tag not in _BLOCKS:
            size += len(child.text_content().strip())
        size += len((child.tail or "").strip())
    return size


def paragraphs_from_breaks(tree: lxml_html.HtmlElement) -> int:
    """Rewrite, in place, the containers of ``tree`` that separate their
    paragraphs with double line breaks; return how many were rewritten."""
    containers = []
    seen = set()
    for br in tree.iter("br"):
        parent = br.getparent()
        if (parent is not None and parent.tag in CONTAINERS and id(parent) not in seen
                and _double_break(br)):
            seen.add(id(parent))
            containers.append(parent)
    rewritten = 0
    for container in containers:
        if _own_text(container) >= MIN_OWN_TEXT:
            _rewrite(container)
            rewritten += 1
    return rewritten


def _rewrite(container: lxml_html.HtmlElement) -> None:
    children = list(container)
    # Each item: ("run", leading text, [inline children]) or ("block", element, []).
    items: list[tuple[str, object, list]] = [("run", container.text, [])]
    in_breaks = False  # inside a run of breaks that began with a double one
    for child in children:
        double = _double_break(child)  # (asked before the child leaves the container)
        container.remove(child)  # (lxml keeps the tail on the element)
        if _is_break(child) and (in_breaks or double):
            # A double break ends the run; the breaks themselves go.
            in_breaks = double
            items.append(("run", child.tail, []))
            continue
        in_breaks = False
        if isinstance(child.tag, str) and child.tag in _BLOCKS:
            tail, child.tail = child.tail, None
            items.append(("block", child, []))
            items.append(("run", tail, []))
            continue
        items[-1][2].append(child)
    container.text = None
    for kind, head, inline in items:
        if kind == "block":
            container.append(head)  # type: ignore[arg-type]
            continue
        if _blank(head) and all(_blank(c.text_content() if isinstance(c.tag, str) else "")
                                and _blank(c.tail) for c in inline):
            for element in inline:  # comments, empty elements: kept, in no paragraph
                container.append(element)
            continue
        paragraph = lxml_html.Element("p")
        paragraph.text = settable_text(head)  # type: ignore[arg-type]
        for element in inline:
            paragraph.append(element)
        container.append(paragraph)
