"""The JSON-LD a page carries for search engines, as a flat list of nodes.

Publishers describe the article there (``NewsArticle``: headline,
``datePublished``, often the whole ``articleBody``), sometimes nested in
``@graph`` or ``mainEntity``. A script that is not valid JSON is passed
over: templates often leave one broken.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from lxml import html as lxml_html


def _walk(data: object) -> Iterator[dict]:
    if isinstance(data, list):
        for item in data:
            yield from _walk(item)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity"):
            if key in data:
                yield from _walk(data[key])


def jsonld_nodes(tree: lxml_html.HtmlElement) -> list[dict]:
    nodes: list[dict] = []
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            nodes.extend(_walk(json.loads(script)))
        except ValueError:
            continue
    return nodes


def article_body(nodes: list[dict]) -> str:
    """The longest ``articleBody`` of the page's nodes, or ''."""
    bodies = [n["articleBody"] for n in nodes if isinstance(n.get("articleBody"), str)]
    return max(bodies, key=len, default="")
