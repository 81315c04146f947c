"""A learned last check on the main text: each paragraph kept or dropped.

The rules of ``body.py`` choose and trim the text two extractors agree on;
what they leave is mostly the article, with some chrome inside it: a
copyright notice under the last paragraph, a newsletter prompt, a
"read also" line, a contact address. No rule names those (they are in
every language and every template); a small logistic regression over what
any page's paragraph shows does: its length, where it stands, how much of
it readability's block and the page's links hold, how it ends, its share of
digits, capitals and punctuation, whether it names an address.

The weights are data (``block_model.json``), fitted by
``python -m benchmarks.extraction_fit`` on the labelled paragraphs of both
development sets, and cross-checked: the bench prints each set's figure
with the weights fitted on the other set only. A paragraph is dropped only
when the model is sure (``DROP_BELOW``), and never the last one left.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from crawler.extraction.words import pairs_of, split, word_pairs, words

MODEL_FILE = Path(__file__).with_name("block_model.json")
# The model's chance that a paragraph is article text, below which it goes.
DROP_BELOW = 0.5

_ADDRESS = re.compile(r"@\w|\bwww\.|https?://|©|\(c\)|\bcopyright\b|\btel\b|\bfax\b",
                      re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’»)\]]*$")

FEATURES = (
    "chars_log", "words", "position", "first", "last", "near_end", "only",
    "in_readability", "in_links", "sentence_end", "colon_end", "punctuation",
    "digits", "capitals", "address", "share_of_text",
)


@dataclass(frozen=True)
class PageContext:
    """What the features need of the page besides the paragraphs."""

    readability_pairs: frozenset
    readability_tokens: frozenset
    link_pairs: frozenset
    link_tokens: frozenset


def page_context(readability_text: str, link_texts: Iterable[str]) -> PageContext:
    """``readability_text``: readability's block, its paragraphs joined by
    spaces (as ``body`` joins them); ``link_texts``: the texts of the page's links."""
    link_pairs: set = set()
    link_tokens: set = set()
    for text in link_texts:
        tokens = split(text)
        link_tokens.update(tokens)
        link_pairs.update(pairs_of(tokens))
    return PageContext(word_pairs(readability_text), frozenset(words(readability_text)),
                       frozenset(link_pairs), frozenset(link_tokens))


def _share_in(line: str, pairs: frozenset, singles: frozenset) -> float:
    tokens = words(line)
    if len(tokens) == 1:
        return float(tokens[0] in singles)
    own = word_pairs(line)
    return len(own & pairs) / len(own) if own else 0.0


# The character classes the features count, as str's own methods tell them,
# and each class's ASCII members.
_CLASSES = (str.isalpha, str.isspace, str.isalnum, str.isdigit, str.isupper)
_ASCII_MEMBERS = [bytes(c for c in range(128) if test(chr(c))) for test in _CLASSES]
_NOT_ASCII = re.compile("[^\x00-\x7f]+")


def class_counts(line: str) -> list[int]:
    """How many of ``line``'s characters are letters, spaces, letters or
    digits, digits and capitals, by str's methods.

    The ASCII ones are counted by ``bytes.translate`` (in their UTF-8 form
    every other character is bytes above 127), the others one by one: a
    method mapped over every character is half the features' time on
    mostly-ASCII text, and its result is the same.
    """
    raw = line.encode("utf-8", "surrogatepass")
    counts = [len(raw) - len(raw.translate(None, members)) for members in _ASCII_MEMBERS]
    if not line.isascii():
        rest = "".join(_NOT_ASCII.findall(line))
        counts = [n + sum(map(test, rest)) for n, test in zip(counts, _CLASSES, strict=True)]
    return counts


def features(lines: list[str], context: PageContext) -> list[list[float]]:
    """One vector per paragraph, in the order of ``FEATURES``."""
    total = sum(len(line) for line in lines) or 1
    last = len(lines) - 1
    vectors = []
    for i, line in enumerate(lines):
        tokens = words(line)
        letters, spaces, alnum, digits, capitals = class_counts(line)
        visible = max(1, len(line) - spaces)
        stripped = line.rstrip()
        vectors.append([
            math.log1p(len(line)) / 8.0,
            min(len(tokens), 100) / 100.0,
            i / last if last else 0.0,
            float(i == 0),
            float(i == last),
            float(last - i < 2 and last > 0),
            float(last == 0),
            _share_in(line, context.readability_pairs, context.readability_tokens)
            if context.readability_pairs else 0.5,
            _share_in(line, context.link_pairs, context.link_tokens) if tokens else 0.0,
            float(bool(_SENTENCE_END.search(stripped[-8:]))),
            float(stripped.endswith((":", "："))),
            max(0, visible - alnum) / visible,
            digits / visible,
            capitals / letters if letters else 0.0,
            float(bool(_ADDRESS.search(line))),
            len(line) / total,
        ])
    return vectors


@dataclass(frozen=True)
class Model:
    """A logistic regression over ``FEATURES``."""

    weights: tuple[float, ...]
    bias: float

    def probability(self, vector: list[float]) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, vector, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self) -> dict[str, object]:
        return {"features": list(FEATURES), "weights": dict(zip(FEATURES, self.weights, strict=True)),
                "bias": self.bias}

    @classmethod
    def from_json(cls, data: dict) -> Model:
        if list(data["features"]) != list(FEATURES):
            raise ValueError(f"{MODEL_FILE.name} was fitted on other features")
        return cls(tuple(float(data["weights"][f]) for f in FEATURES), float(data["bias"]))


@cache
def shipped_model() -> Model:
    return Model.from_json(json.loads(MODEL_FILE.read_text(encoding="utf-8")))


# The bench swaps the model (weights fitted on one set, scored on the
# other) or records the paragraphs it is shown; the crawl never sets it.
model_override: ContextVar[object | None] = ContextVar("block_model_override", default=None)


def keep_article_blocks(lines: list[str], context: PageContext) -> list[str]:
    """``lines`` without the paragraphs the model is sure are not article."""
    if not lines:
        return lines
    vectors = features(lines, context)
    model = model_override.get() or shipped_model()
    if hasattr(model, "record"):
        model.record(lines, vectors)  # type: ignore[union-attr]
        return lines
    kept = [line for line, v in zip(lines, vectors, strict=True)
            if model.probability(v) >= DROP_BELOW]  # type: ignore[union-attr]
    return kept or lines
