"""The statement filters checked against the archive before a command runs.

``--source mid``, ``--country Russia`` or ``--speaker Lavrof`` select
nothing: the archive has no source keyed ``mid``, countries are ISO codes,
and nobody of that name spoke. Run as given they would print "0 hits",
which reads as an answer. ``check_filters`` instead refuses a value the
archive does not hold and names the close matches it does hold: keys and
names of sources, codes and names of countries (``crawler/enrich/
countries.toml``), statement types, languages, speakers. Close means
difflib's ratio (``get_close_matches``) or, for a short value, the start or
a part of a key or name (``mid`` is 3 characters of ``mid_ru_en``, a ratio
of 0.5, yet plainly meant it).

A value the archive holds that the other filters then narrow to nothing
(a speaker of another source) is an answer, and is left alone.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import cache
from importlib import resources

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reading.room.countries import country_names
from reading.search import SearchFilters
from storage.models import Article, Mention, SourceRow, Speaker

# Close matches named in a message: enough to spot the meant one.
SUGGESTIONS = 5
# difflib's ratio from which a value is "close" (its default is 0.6; names
# typed from memory, "Sergey Lavrov" for "Sergei Lavrov", score 0.92).
CUTOFF = 0.6


class UnknownValue(ValueError):
    """A filter's value the archive does not hold; the message names the
    option, the value and the close matches."""


@cache
def _country_forms() -> dict[str, str]:
    """Every English form of a country (name, capital, adjective), lower
    case -> code: "russia", "moscow", "russian federation" -> RU."""
    text = resources.files("crawler.enrich").joinpath("countries.toml").read_text("utf-8")
    forms: dict[str, str] = {}
    for code, row in tomllib.loads(text)["countries"].items():
        for form in [row.get("name", ""), *row.get("en", [])]:
            if form and "{" not in form:
                forms.setdefault(form.lower(), code)
    return forms


def close_matches(value: str, labels: Mapping[str, str]) -> list[str]:
    """The keys of ``labels`` (key -> a longer label, or the key itself)
    whose key or label is close to ``value``, closest first."""
    wanted = value.strip().lower()
    by_text: dict[str, str] = {}
    for key, label in labels.items():
        by_text.setdefault(key.lower(), key)
        by_text.setdefault(label.lower(), key)
    found: list[str] = []
    # A value that starts a key or name, or a word of one ("mid", "lavrov").
    for text, key in by_text.items():
        if text.startswith(wanted) or any(word.startswith(wanted) for word in text.split()) \
                or (len(wanted) >= 3 and wanted in text):
            found.append(key)
    for text in difflib.get_close_matches(wanted, by_text, n=SUGGESTIONS * 2, cutoff=CUTOFF):
        found.append(by_text[text])
    # Word by word too: "lavrof" is far from "sergei lavrov", near "lavrov".
    words = {word: key for text, key in by_text.items() for word in text.split()}
    for word in difflib.get_close_matches(wanted, words, n=SUGGESTIONS, cutoff=0.75):
        found.append(words[word])
    return list(dict.fromkeys(found))[:SUGGESTIONS]


def _message(option: str, value: str, what: str, matches: Iterable[str],
             labels: Mapping[str, str], known: Iterable[str]) -> str:
    def shown(key: str) -> str:
        label = labels.get(key, key)
        return key if label == key else f"{key} ({label})"

    matches = list(matches)
    if matches:
        return (f"{option} {value!r}: no {what} of that name in the archive; did you mean "
                + ", ".join(shown(m) for m in matches) + "?")
    known = sorted(known)
    listed = ", ".join(known[:12]) + (f" and {len(known) - 12} more" if len(known) > 12 else "")
    return f"{option} {value!r}: no {what} of that name in the archive" + (
        f" (it has {listed})" if known else " (it is empty)")


def _sources(session: Session) -> dict[str, str]:
    # Sources with statements, and every registered one: a source that has
    # not been crawled yet is a fair filter (0 hits is its answer).
    return dict(session.execute(select(SourceRow.key, SourceRow.name)).all())


def check_source(session: Session, value: str) -> str:
    sources = _sources(session)
    if value in sources:
        return value
    for key, name in sources.items():  # its name, in any case
        if value.strip().lower() in (key.lower(), name.lower()):
            return key
    raise UnknownValue(_message("--source", value, "source", close_matches(value, sources),
                                sources, sources))


def _check_country(value: str, option: str, held: set[str]) -> str:
    code = value.strip().upper()
    if code in held:
        return code
    names = country_names()
    labels = {c: names.get(c, c) for c in held}
    # "Russia", "Moscow", "Russian Federation": the code it stands for.
    meant = _country_forms().get(value.strip().lower())
    matches = [meant] if meant in held else []
    matches += close_matches(value, labels)
    what = "source country" if option == "--country" else "country mentioned"
    if meant and meant not in held:
        raise UnknownValue(f"{option} {value!r}: that is {meant} ({names.get(meant, meant)}), "
                           f"and no statement in the archive has it as its {what}")
    raise UnknownValue(_message(option, value, what, dict.fromkeys(matches), labels, held))


def check_country(session: Session, value: str) -> str:
    """A source's country: one of the countries of the archive's sources."""
    return _check_country(value, "--country",
                          set(session.scalars(select(SourceRow.country).distinct())))


def check_mentions(session: Session, value: str) -> str:
    return _check_country(value, "--mentions",
                          set(session.scalars(select(Mention.country).distinct())))


@cache
def language_names(code: str) -> tuple[str, ...]:
    """A language code's names in English and in the language itself
    (CLDR's, through Babel): what a user may type for it."""
    from babel import Locale, UnknownLocaleError

    names = [Locale("en").languages.get(code)]
    try:
        names.append(Locale.parse(code).languages.get(code))
    except (UnknownLocaleError, ValueError):
        pass
    return tuple(name for name in names if name)


def check_language(session: Session, value: str) -> str:
    held = {lang for lang in session.scalars(select(Article.language).distinct()) if lang}
    wanted = value.strip().lower()
    if wanted in held:
        return wanted
    labels = {lang: (language_names(lang) or (lang,))[0] for lang in held}
    # "english", "Русский": the code the archive holds for it.
    named = [lang for lang in sorted(held)
             if wanted in (name.lower() for name in language_names(lang))]
    matches = dict.fromkeys(named + close_matches(value, {lang: lang for lang in held}))
    raise UnknownValue(_message("--lang", value, "language", matches, labels, held))


def check_speaker(session: Session, value: str) -> str:
    """Part of a speaker's name, any case, as the filter matches it."""
    wanted = value.strip()
    if session.scalar(select(Speaker.name).where(
            func.lower(Speaker.name).contains(wanted.lower(), autoescape=True)).limit(1)):
        return wanted
    names = {name: name for name in session.scalars(select(Speaker.name).distinct())}
    raise UnknownValue(_message("--speaker", value, "speaker", close_matches(value, names),
                                {}, names if len(names) <= 12 else ()))


def check_type(value: str, types: Iterable[str], held: Iterable[str] | None = None) -> str:
    """One of ``types`` (the enrichment's), and when ``held`` is given one
    the archive has statements of."""
    types = list(types)
    wanted = value.strip().lower()
    if wanted not in types:
        labels = {t: t for t in types}
        raise UnknownValue(_message("--type", value, "statement type",
                                    close_matches(value, labels), {}, types)
                           .replace(" in the archive", ""))
    held = None if held is None else set(held)
    if held is not None and wanted not in held:
        raise UnknownValue(_message("--type", value, "statement type", (), {}, held)
                           .replace("no statement type of that name",
                                    "no statement of that type"))
    return wanted


def check_filters(session: Session, filters: SearchFilters,
                  types: Iterable[str] = ()) -> SearchFilters:
    """The filters with each value as the archive spells it (a source's
    name as its key, ``ru`` as ``RU``); an unknown value raises
    ``UnknownValue`` naming the close matches."""
    changes: dict[str, str] = {}
    if filters.source:
        changes["source"] = check_source(session, filters.source)
    if filters.country:
        changes["country"] = check_country(session, filters.country)
    if filters.mentions:
        changes["mentions"] = check_mentions(session, filters.mentions)
    if filters.language:
        changes["language"] = check_language(session, filters.language)
    if filters.speaker:
        changes["speaker"] = check_speaker(session, filters.speaker)
    if filters.statement_type and types:
        held = session.scalars(select(Article.statement_type).distinct())
        changes["statement_type"] = check_type(filters.statement_type, types,
                                               [t for t in held if t])
    return replace(filters, **changes)
