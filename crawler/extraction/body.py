"""The main text of an HTML page, as a list of paragraphs."""

from __future__ import annotations

from copy import deepcopy

from lxml import html as lxml_html
from trafilatura import bare_extraction


def main_text(tree: lxml_html.HtmlElement, url: str | None) -> list[str]:
    doc = bare_extraction(
        deepcopy(tree),  # trafilatura prunes the tree it is given
        url=url,
        with_metadata=False,
        include_comments=False,
        include_tables=True,
    )
    text = (doc.text or "") if doc is not None else ""
    return [line for line in text.split("\n") if line.strip()]
