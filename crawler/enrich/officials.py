"""Who held which office when: officials.toml, loaded once per process.

Two questions are asked of it: which person a surface form names
("Лаврова", "王毅", "Blinken"), and who held a role in a country on a day
("the minister" in a 2012 mid.ru text is Lavrov; "A:" in a 2010 Chinese
briefing is one of the spokespersons then).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

from crawler.enrich.lexicon import Lexicon, expand

# Role families: a text's "the minister" or "外长" names the family, the data
# file the exact title ("Secretary of State", "External Affairs Minister").
FOREIGN_MINISTER = "foreign minister"
SPOKESPERSON = "spokesperson"
DEPUTY = "deputy foreign minister"
HEAD_OF_STATE = "head of state"
HEAD_OF_GOVERNMENT = "head of government"

_FAMILY = {
    "Foreign Minister": FOREIGN_MINISTER,
    "Secretary of State": FOREIGN_MINISTER,
    "Foreign Secretary": FOREIGN_MINISTER,
    "External Affairs Minister": FOREIGN_MINISTER,
    "Spokesperson": SPOKESPERSON,
    "Deputy Foreign Minister": DEPUTY,
    "Deputy Secretary of State": DEPUTY,
    "President": HEAD_OF_STATE,
    "Prime Minister": HEAD_OF_GOVERNMENT,
    "Premier": HEAD_OF_GOVERNMENT,
    "Chancellor": HEAD_OF_GOVERNMENT,
}


def role_family(role: str | None) -> str | None:
    return _FAMILY.get(role or "")


@dataclass(frozen=True)
class Term:
    role: str
    start: date
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class Official:
    name: str
    country: str
    terms: tuple[Term, ...]
    # False for a person the text quotes who holds no office (a doctor, a
    # student): their quotes are theirs, but they are no speaker of a statement.
    official: bool = True

    def role_on(self, day: date | None) -> str | None:
        """The role held on ``day``; without a date, the latest role."""
        if day is None:
            return self.terms[-1].role if self.terms else None
        for term in self.terms:
            if term.covers(day):
                return term.role
        return None

    def last_role_before(self, day: date | None) -> str | None:
        """For a person out of office that day: the role they last held, or
        will first hold, so a retired minister is still "Foreign Minister"."""
        if day is None:
            return self.role_on(None)
        past = [t for t in self.terms if t.start <= day]
        return (past[-1] if past else self.terms[0]).role if self.terms else None


@dataclass(frozen=True)
class Registry:
    officials: tuple[Official, ...]
    names: Lexicon[tuple[int, ...]]

    def in_office(self, family: str, country: str | None, day: date | None) -> list[Official]:
        """Officials of ``country`` whose role on ``day`` is of ``family``.

        Without a date nobody is returned: guessing "the minister" of an
        undated text would be a guess, not a resolution.
        """
        if day is None:
            return []
        return [
            o for o in self.officials
            if (country is None or o.country == country) and role_family(o.role_on(day)) == family
        ]


@cache
def registry() -> Registry:
    raw = tomllib.loads(resources.files(__package__).joinpath("officials.toml").read_text("utf-8"))
    officials: list[Official] = []
    forms: dict[str, set[int]] = {}
    for index, row in enumerate(raw["official"]):
        terms = tuple(Term(t["role"], t["start"], t.get("end")) for t in row["terms"])
        officials.append(Official(row["name"], row["country"], terms))
        surface = [row["name"]]
        for lang in ("en", "ru", "zh", "ja", "fr", "de", "ar"):
            surface.extend(row.get(lang, []))
        for form in surface:
            for word in expand(form):
                forms.setdefault(word, set()).add(index)
    for form in raw.get("blockers", {}).get("forms", []):
        for word in expand(form):
            forms[word] = set()
    lexicon = Lexicon({form: tuple(sorted(ids)) for form, ids in forms.items()})
    return Registry(tuple(officials), lexicon)
