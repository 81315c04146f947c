"""Countries a statement names, from countries.toml, counted."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from crawler.enrich.lexicon import Hit, Lexicon, expand
from crawler.enrich.record import Mention

# French and German forms, read only in a text of their language (or of
# none known): in another Latin-script text such a form is more often a
# name ("Riyad" is Riyadh in French, and a given name in English: Riyad
# Mansour, Palestine's UN envoy). English forms are read in every text:
# the data lists a name that is the same in all three ("Niger",
# "Liechtenstein") once, as English.
_LATIN = frozenset({"en", "fr", "de"})


@dataclass(frozen=True)
class Gazetteer:
    lexicon: Lexicon[tuple[str, ...]]
    near_veto: dict[str, re.Pattern[str]]
    # French or German forms that are no English one, with their languages.
    latin_only: dict[str, frozenset[str]] = field(default_factory=dict)

    def hits(self, text: str, language: str | None = None) -> list[Hit[tuple[str, ...]]]:
        """The country names in ``text``; ``language`` (the text's, when
        known) leaves out the forms of other Latin-script languages."""
        found = []
        other = language in _LATIN
        for hit in self.lexicon.finditer(text):
            if not hit.value:  # a blocker such as "Latin America"
                continue
            if other and language not in self.latin_only.get(hit.surface, (language,)):
                continue
            veto = self.near_veto.get(hit.surface)
            if veto and _overlaps(veto, text, hit):
                continue
            found.append(hit)
        return found


def _overlaps(pattern: re.Pattern[str], text: str, hit: Hit) -> bool:
    # 40 characters each side hold any of the veto contexts ("Atlanta, Georgia").
    lo = max(0, hit.start - 40)
    for match in pattern.finditer(text, lo, min(len(text), hit.end + 40)):
        if match.start() < hit.end and match.end() > hit.start:
            return True
    return False


# Arabic writes "and", "in", "for" onto the next word: وروسيا, بالصين, للصين
# (ل + الصين), وللصين.
_AR_PREFIXES = ("", "و", "ب", "ف", "ل", "وب", "ول", "فب", "ك")


def arabic_clitics(word: str) -> list[str]:
    if word.startswith("ال"):
        rest = word[2:]
        return [p + word for p in _AR_PREFIXES if p not in ("ل", "ول")] + ["لل" + rest, "ولل" + rest]
    return [p + word for p in _AR_PREFIXES]


@cache
def gazetteer() -> Gazetteer:
    raw = tomllib.loads(resources.files(__package__).joinpath("countries.toml").read_text("utf-8"))
    forms: dict[str, tuple[str, ...]] = {}
    languages: dict[str, set[str]] = {}
    for code, row in raw["countries"].items():
        for lang in ("en", "ru", "zh", "fr", "de", "ja", "ar"):
            for form in row.get(lang, []):
                for word in expand(form):
                    for variant in arabic_clitics(word) if lang == "ar" else (word,):
                        forms[variant] = (code,)
                        languages.setdefault(variant, set()).add(lang)
                    if word[:1].islower():
                        # Sentence-initial adjectives: "Российская сторона", "Russische".
                        capital = word[0].upper() + word[1:]
                        forms.setdefault(capital, (code,))
                        languages.setdefault(capital, set()).add(lang)
    for form, codes in raw.get("compounds", {}).items():
        forms[form] = tuple(codes)
    for form in raw.get("blockers", {}).get("forms", []):
        for word in expand(form):
            forms[word] = ()
    veto = {form: re.compile("|".join(patterns)) for form, patterns in raw.get("near_veto", {}).items()}
    latin_only = {form: frozenset(langs) for form, langs in languages.items()
                  if langs <= {"fr", "de"} and forms.get(form)
                  and form not in raw.get("compounds", {})}
    return Gazetteer(Lexicon(forms), veto, latin_only)


def count_countries(*texts: str) -> tuple[Mention, ...]:
    """Mentions per country over all ``texts`` (title and body), most first;
    ties in code order so the result is stable."""
    return count_hits(*(gazetteer().hits(text or "") for text in texts))


def count_hits(*hit_lists: list[Hit[tuple[str, ...]]]) -> tuple[Mention, ...]:
    """``count_countries`` over hits already found (the body's are read
    once for the countries and for the speakers' countries)."""
    counts: Counter[str] = Counter()
    for hits in hit_lists:
        for hit in hits:
            counts.update(set(hit.value))
    return tuple(Mention(code, n) for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@cache
def institutions() -> Lexicon[str]:
    """Offices and institutions of one state (institutions.toml: "NASA",
    "Bundestag"), their names to the state's code; blockers map to "". They
    tell a person's country (``people.person_country``), never a text's."""
    data = tomllib.loads(resources.files("crawler.enrich").joinpath("institutions.toml").read_text("utf-8"))
    forms = dict.fromkeys(data.pop("blockers"), "")
    for code, names in data.items():
        for name in names:
            forms.setdefault(name, code)
    return Lexicon(forms)
