"""Typed spider arguments.

``scrapy crawl <key> -a since=2024-01-01 -a max_articles=50`` hands the
spider strings; they are parsed here once, and a bad value stops the run
before anything is fetched, with a message that names the argument.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date


class ArgumentError(ValueError):
    """A ``-a`` value that cannot be used."""


@dataclass(frozen=True)
class CrawlArgs:
    # Articles published before this day are not archived, and listings,
    # feeds and sitemaps stop being walked where everything is older.
    since: date | None = None
    # At most this many article pages are requested in one run.
    max_articles: int | None = None
    # Overrides the source's max_pages for listings.
    max_pages: int | None = None
    # Fetch every article page again, unconditionally, as if no earlier run
    # had: after an extraction fix, or to catch edits no signal announced.
    refetch: bool = False

    @classmethod
    def parse(cls, raw: dict[str, object]) -> CrawlArgs:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ArgumentError(
                f"unknown spider argument(s): {', '.join(unknown)} "
                f"(known: {', '.join(sorted(known))})"
            )
        values: dict[str, object] = {}
        if raw.get("since") not in (None, ""):
            values["since"] = _parse_day(raw["since"])
        for name in ("max_articles", "max_pages"):
            if raw.get(name) not in (None, ""):
                values[name] = _parse_positive(name, raw[name])
        if raw.get("refetch") not in (None, ""):
            values["refetch"] = _parse_flag("refetch", raw["refetch"])
        return cls(**values)  # type: ignore[arg-type]


def _parse_day(value: object) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ArgumentError(f"since: expected a date as YYYY-MM-DD, got {value!r}") from None


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _parse_flag(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ArgumentError(f"{name}: expected true or false, got {value!r}")


def _parse_positive(name: str, value: object) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ArgumentError(f"{name}: expected a whole number, got {value!r}") from None
    if number < 1:
        raise ArgumentError(f"{name}: must be at least 1, got {number}")
    return number
