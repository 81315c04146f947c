"""Scoring enrichment against hand annotations, for ``make bench-enrich``
(``benchmarks/enrichment.py``): texts and names normalised and matched,
precision/recall/F1 and ratios, one article's errors listed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# A quote matches when one text holds the other and the shorter has at least
# this share of the longer one's tokens.
QUOTE_OVERLAP = 0.8


# --- normalising and matching -----------------------------------------------------------

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]|[^\W_]+")


def normalise(text: str) -> str:
    """Case, width, accents, punctuation and spacing folded away."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(_TOKEN.findall(text))


def tokens(text: str) -> list[str]:
    """Words, and each CJK character on its own."""
    return normalise(text).split()


def quotes_match(a: str, b: str) -> bool:
    na, nb = normalise(a), normalise(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    short, long_ = sorted((na, nb), key=len)
    if f" {short} " not in f" {long_} ":
        return False
    return len(short.split()) >= QUOTE_OVERLAP * len(long_.split())


def _is_initial(a: str, b: str) -> bool:
    return len(a) == 1 and b.startswith(a)


def names_match(a: str | None, b: str | None) -> bool:
    """Two spellings of one person: equal once normalised, the same words in
    another order ("KAMIKAWA Yoko"), one the tail of the other ("Lavrov",
    "Sergei Lavrov"), or word by word with initials ("S. Jaishankar")."""
    if a is None or b is None:
        return a is None and b is None
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return ta == tb
    if ta == tb or sorted(ta) == sorted(tb):
        return True
    if "".join(ta) == "".join(tb):  # CJK names, spaced or not
        return True
    short, long_ = sorted((ta, tb), key=len)
    if long_[-len(short):] == short:
        return True
    return len(ta) == len(tb) and all(x == y or _is_initial(x, y) or _is_initial(y, x)
                                      for x, y in zip(ta, tb, strict=True))


def roles_match(a: str | None, b: str | None) -> bool:
    return normalise(a or "") == normalise(b or "")


# --- scores -------------------------------------------------------------------------------

@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, tp: int, fp: int, fn: int) -> None:
        self.tp, self.fp, self.fn = self.tp + tp, self.fp + fp, self.fn + fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Ratio:
    hits: int = 0
    total: int = 0

    def add(self, hit: bool) -> None:
        self.hits += bool(hit)
        self.total += 1

    @property
    def value(self) -> float:
        return self.hits / self.total if self.total else 1.0


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def match_speakers(truth: Sequence[dict], predicted: Sequence[Any]) -> tuple[list[tuple[dict, Any]], list[dict], list[Any]]:
    """Pairs of (annotated, predicted) speakers with the same person and
    country, the annotated ones missed and the predicted ones extra."""
    left = list(predicted)
    pairs, missed = [], []
    for want in truth:
        hit = next((p for p in left if names_match(want["name"], _get(p, "name"))
                    and (_get(p, "country") or "").upper() == want["country"].upper()), None)
        if hit is None:
            missed.append(want)
        else:
            left.remove(hit)
            pairs.append((want, hit))
    return pairs, missed, left


def match_quotes(truth: Sequence[dict], predicted: Sequence[Any]) -> tuple[list[tuple[dict, Any]], list[dict], list[Any]]:
    """Annotated quotes paired in reading order with the first predicted
    quote that matches them; the missed and the extra ones."""
    left = list(predicted)
    pairs, missed = [], []
    for want in truth:
        hit = next((p for p in left if quotes_match(want["text"], _get(p, "text") or "")), None)
        if hit is None:
            missed.append(want)
        else:
            left.remove(hit)
            pairs.append((want, hit))
    return pairs, missed, left


def country_codes(predicted: Iterable[Any]) -> set[str]:
    codes = set()
    for country in predicted:
        code = country if isinstance(country, str) else _get(country, "code")
        if code:
            codes.add(code.upper())
    return codes


def macro_f1(pairs: Sequence[tuple[str, str]]) -> float:
    """Mean F1 over every label that is annotated or predicted."""
    labels = {t for t, _ in pairs} | {p for _, p in pairs}
    scores = []
    for label in sorted(labels):
        prf = PRF()
        prf.add(sum(t == p == label for t, p in pairs),
                sum(p == label != t for t, p in pairs),
                sum(t == label != p for t, p in pairs))
        scores.append(prf.f1)
    return sum(scores) / len(scores) if scores else 1.0


@dataclass
class Scores:
    articles: int = 0
    failed: int = 0
    types: list[tuple[str, str]] = field(default_factory=list)
    speakers: PRF = field(default_factory=PRF)
    roles: Ratio = field(default_factory=Ratio)
    countries: PRF = field(default_factory=PRF)
    quotes: PRF = field(default_factory=PRF)
    attribution: Ratio = field(default_factory=Ratio)
    document_number: Ratio = field(default_factory=Ratio)
    errors: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0  # spent in enrichment alone, over all articles

    @property
    def ms_per_article(self) -> float:
        return 1000 * self.seconds / self.articles if self.articles else 0.0

    @property
    def type_accuracy(self) -> float:
        return sum(t == p for t, p in self.types) / len(self.types) if self.types else 1.0


def _label(speaker: Any) -> str:
    return f"{_get(speaker, 'name')} ({_get(speaker, 'role')}, {_get(speaker, 'country')})"


def score_article(scores: Scores, truth: dict[str, Any], predicted: Any | None) -> None:
    """Add one article to the scores; an article that could not be enriched
    (``predicted`` None) counts as an empty prediction."""
    errors: list[str] = []
    scores.articles += 1
    if predicted is None:
        scores.failed += 1
    kind = (_get(predicted, "statement_type") if predicted is not None else None) or "(none)"
    scores.types.append((truth["statement_type"], kind))
    if kind != truth["statement_type"]:
        errors.append(f"type: {kind!r}, annotated {truth['statement_type']!r}")

    pairs, missed, extra = match_speakers(truth["speakers"], _get(predicted, "speakers") or ())
    scores.speakers.add(len(pairs), len(extra), len(missed))
    for want, got in pairs:
        scores.roles.add(roles_match(want["role"], _get(got, "role")))
        if not roles_match(want["role"], _get(got, "role")):
            errors.append(f"role of {want['name']}: {_get(got, 'role')!r}, annotated {want['role']!r}")
    errors += [f"speaker missed: {_label(s)}" for s in missed]
    errors += [f"speaker extra: {_label(s)}" for s in extra]

    want_codes = {c.upper() for c in truth["countries"]}
    got_codes = country_codes(_get(predicted, "countries") or ())
    scores.countries.add(len(want_codes & got_codes), len(got_codes - want_codes),
                         len(want_codes - got_codes))
    if want_codes - got_codes:
        errors.append(f"countries missed: {' '.join(sorted(want_codes - got_codes))}")
    if got_codes - want_codes:
        errors.append(f"countries extra: {' '.join(sorted(got_codes - want_codes))}")

    pairs, missed, extra = match_quotes(truth["quotes"], _get(predicted, "quotes") or ())
    scores.quotes.add(len(pairs), len(extra), len(missed))
    for want, got in pairs:
        right = names_match(want["speaker"], _get(got, "speaker"))
        scores.attribution.add(right)
        if not right:
            errors.append(f"quote attributed to {_get(got, 'speaker')!r}, annotated "
                          f"{want['speaker']!r}: {_short(want['text'])}")
    errors += [f"quote missed: {_short(q['text'])}" for q in missed]
    errors += [f"quote extra: {_short(_get(q, 'text') or '')}" for q in extra]

    number = _get(predicted, "document_number") if predicted is not None else None
    scores.document_number.add((number or None) == truth["document_number"])
    if (number or None) != truth["document_number"]:
        errors.append(f"document number: {number!r}, annotated {truth['document_number']!r}")
    if errors:
        scores.errors[truth["id"]] = errors


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= width else text[: width - 1] + "…")
