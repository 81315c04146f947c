"""Tables used as boxes, undone before the extractors read the page.

Sites built before CSS (ministries' older archives among them) put each
block of a page, even each paragraph, in a table of one row and one cell.
Neither extractor reads such a "table" as text: trafilatura's table mode
prints it as a row of cells, readability leaves tables out of its article
block. Measured with every dev and snippets page's paragraphs put in
one-cell tables, demarche fell from 0.979 to 0.965 (dev) and from 0.928 to
0.899 (snippets), below trafilatura's 0.908. A table of one row and one
cell holds no data to keep in columns: it becomes a ``<div>`` with the
cell's content.
"""

from __future__ import annotations

from lxml import html as lxml_html

from crawler.extraction.breaks import settable_text

_ROWS = "./tr|./tbody/tr|./thead/tr|./tfoot/tr"


def unwrap_single_cells(tree: lxml_html.HtmlElement) -> int:
    """Replace, in place, every table of one row and one cell in ``tree`` by
    a ``<div>`` holding the cell's content; return how many."""
    unwrapped = 0
    for table in list(tree.iter("table")):
        rows = table.xpath(_ROWS)
        if len(rows) != 1:
            continue
        cells = [c for c in rows[0] if isinstance(c.tag, str) and c.tag in ("td", "th")]
        parent = table.getparent()
        if len(cells) != 1 or parent is None:
            continue
        box = lxml_html.Element("div")
        box.text = settable_text(cells[0].text)
        for child in list(cells[0]):
            box.append(child)  # (each child's tail goes with it)
        box.tail = settable_text(table.tail)
        parent.replace(table, box)
        unwrapped += 1
    return unwrapped
