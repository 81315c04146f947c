"""The language of a statement, from its text (ISO 639-1).

Declared languages lie often enough (a template's ``lang="en"`` on every
edition, Russian statements inside an English site's chrome) that the text
decides. py3langid needs a few sentences to be sure: below a minimum length,
or when it is unsure, the page's declared language, then the source's, is
kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Under ~100 characters py3langid's guesses on news text are unreliable.
MIN_CHARS = 100
MIN_CONFIDENCE = 0.9


@lru_cache(maxsize=1)
def _identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _weight(text: str) -> int:
    # A Han, kana or hangul character carries about a word: count it thrice.
    return sum(3 if ord(c) >= 0x2E80 else 1 for c in text if not c.isspace())


_LETTER = re.compile(r"[^\W\d_]")
_KANA = re.compile("[\u3040-\u30ff]")
_HANGUL = re.compile("[\uac00-\ud7af]")
_HAN = re.compile("[\u3400-\u9fff]")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _by_script(sample: str) -> str | None:
    """Chinese, Japanese and Korean are told apart by their scripts alone,
    which py3langid is often unsure about on short pages."""
    if not _CJK.search(sample):
        return None  # none of the three scripts: no need to count letters
    letters = len(_LETTER.findall(sample))
    if not letters:
        return None
    if len(_HANGUL.findall(sample)) > 0.3 * letters:
        return "ko"
    if len(_KANA.findall(sample)) > 0.05 * letters:
        return "ja"
    if len(_HAN.findall(sample)) > 0.3 * letters:
        return "zh"
    return None


def detect_language(text: str, declared: str | None = None) -> str | None:
    sample = text[:2000]  # a few paragraphs decide; the whole text costs milliseconds
    by_script = _by_script(sample)
    if by_script:
        return by_script
    if _weight(sample[: MIN_CHARS * 2]) >= MIN_CHARS:
        language, confidence = _identifier().classify(sample)
        if confidence >= MIN_CONFIDENCE:
            return str(language)
    return declared
