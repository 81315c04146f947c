"""The enrichment of one statement: plain frozen values, JSON-ready."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Speaker:
    """An official the statement comes from. ``role`` is the role held on the
    statement's date (None when the date is unknown and the text gives none)."""

    name: str
    role: str | None
    country: str | None


@dataclass(frozen=True)
class Quote:
    """A direct quotation; ``position`` is the character offset of its first
    character (inside the quotation marks) in the text."""

    text: str
    speaker: str | None
    position: int


@dataclass(frozen=True)
class Mention:
    """A country (ISO 3166-1 alpha-2) and how often title and text name it."""

    code: str
    count: int


@dataclass(frozen=True)
class Turn:
    """One turn of a briefing transcript: a question (with the outlet when
    printed), an answer (with the spokesperson) or a remark (an opening
    statement or announcement outside the question/answer sequence)."""

    index: int
    kind: str
    speaker: str | None
    outlet: str | None
    text: str


@dataclass(frozen=True)
class Enrichment:
    statement_type: str
    speakers: tuple[Speaker, ...]
    quotes: tuple[Quote, ...]
    countries: tuple[Mention, ...]
    source_country: str | None
    document_number: str | None
    translation_keys: tuple[str, ...]
    turns: tuple[Turn, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: tuples become lists, dataclasses dicts."""
        return asdict(self, dict_factory=lambda items: {k: _plain(v) for k, v in items})


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class PageMarkup:
    """What enrichment reads of a page's HTML besides its text: the
    paragraphs set in blockquotes, a document number printed outside the
    text, and the hreflang links to the page in other languages. Small, so
    that a worker process reads it off the page and the archive enriches
    later, only the statements it did not have (``read_markup``)."""

    quoted: frozenset[str] = frozenset()
    document_number: str | None = None
    alternates: tuple[str, ...] = ()

