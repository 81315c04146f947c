"""How to cite a statement: as a line of text, as CSL-JSON (what Zotero and
citeproc read) and as BibTeX.

The publisher is the source's name, the date the statement's publication
date, the URL the live page's, the retrieval ("accessed") date the day the
archive first fetched it; the permalink of the reading room is given as a
note, since the archived copy is what the citer read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Citation:
    id: int
    title: str
    publisher: str
    published_at: datetime | None
    url: str
    retrieved_at: datetime
    permalink: str
    language: str | None = None

    def text(self) -> str:
        date = self.published_at.strftime("%-d %B %Y") if self.published_at else "n.d."
        return (f"{self.publisher}. \u201c{self.title}.\u201d {date}. {self.url} "
                f"(retrieved {self.retrieved_at:%-d %B %Y}; archived copy: {self.permalink}).")

    def csl(self) -> dict[str, object]:
        item: dict[str, object] = {
            "id": f"demarche-{self.id}",
            "type": "webpage",
            "title": self.title,
            "publisher": self.publisher,
            "container-title": self.publisher,
            "URL": self.url,
            "accessed": _date_parts(self.retrieved_at),
            "note": f"Archived copy: {self.permalink}",
        }
        if self.published_at:
            item["issued"] = _date_parts(self.published_at)
        if self.language:
            item["language"] = self.language
        return item

    def csl_json(self) -> str:
        return json.dumps([self.csl()], ensure_ascii=False, indent=2)

    def bibtex(self) -> str:
        fields = [("title", self.title), ("organization", self.publisher)]
        if self.published_at:
            fields += [("year", str(self.published_at.year)),
                       ("month", self.published_at.strftime("%b").lower()),
                       ("date", self.published_at.date().isoformat())]
        fields += [("url", self.url), ("urldate", self.retrieved_at.date().isoformat()),
                   ("note", f"Archived copy: {self.permalink}")]
        if self.language:
            fields.append(("language", self.language))
        # A URL is read verbatim by biblatex: escaping its % would break it.
        body = ",\n".join(
            f"  {name} = {{{value if name == 'url' else _bibtex_escape(value)}}}"
            for name, value in fields)
        return f"@online{{demarche{self.id},\n{body}\n}}"


def _date_parts(moment: datetime) -> dict[str, list[list[int]]]:
    return {"date-parts": [[moment.year, moment.month, moment.day]]}


def _bibtex_escape(value: str) -> str:
    # Braces and the characters LaTeX treats as commands; a URL's % and #
    # would otherwise start a comment or a parameter.
    return re.sub(r"([{}%&#_$\\])", r"\\\1", value)
