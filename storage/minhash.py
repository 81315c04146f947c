"""MinHash signatures of article bodies and their LSH band buckets: the
near-duplicate test behind syndication clusters (``storage/clusters.py``).
Pure functions, the same on every machine for the same text."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import cache

import numpy as np

# Word 3-shingles. Measured on the statement and relay texts of
# tests/test_clusters.py: a relay that prepends a lede, appends a sign-off
# and makes two spelling edits scores 0.85 with 3-shingles but 0.81 with
# 5-shingles (every edited word breaks k shingles); an unrelated statement
# on the same dispute, sharing its vocabulary, scores 0.04 (0.11 with
# 2-shingles, 0.31 with single words); two of a ministry's template
# readouts ("telephone conversation with the Minister of X", other names
# and dates) score 0.67, below the threshold.
WORD_SHINGLE = 3
# Han, kana and hangul are written without spaces between words, so their
# shingles are characters: a Chinese word is about 1.7 characters, and
# 5 characters span about 3 words, like the word shingles. Measured on the
# Chinese texts of the tests: a Xinhua-style relay 0.89, an unrelated
# statement on the same subject 0.03 (0.15 with 2 characters).
CJK_SHINGLE = 5
# Shorter texts (a caption, a teaser, "The Minister received the
# Ambassador of X.") say too little to be a statement, and a few shingles
# make near-identical texts out of anything formulaic.
MIN_WORDS = 25
MIN_CJK_CHARS = 40

# 256 permutations: the estimate's standard error is sqrt(J(1-J)/256), so
# a pair of template readouts at 0.67 passes the threshold once in 300
# (with 128, once in 35; two relays of one statement with 0.66 on their
# shingle sets were estimated at 0.77 with seed 1). A cluster grows through
# any one pair, so a wrong link costs more than the 1 KB signature.
NUM_PERM = 256
# Fixed seed and scheme (and sha1, not Python's salted hash()): the
# permutations come from numpy's RandomState(SEED), whose stream numpy
# keeps stable, so every process on every machine makes the same signature
# of the same text. Changing any of these means indexing every article again.
SEED = 1
SCHEME = "affine32"
# Near-duplicates are articles whose estimated Jaccard similarity reaches
# this. Relays that add a lede and a sign-off of 15 % of the statement's
# length score about 0.85; template readouts 0.6 to 0.7; statements that
# only share a subject under 0.1.
THRESHOLD = 0.75
# LSH: 20 bands of 6 values (the first 120 of the 256; all 256 go into the
# estimate that decides). A pair with similarity J shares a bucket with
# probability 1 - (1 - J^6)^20: 0.998 at 0.8, 0.98 at 0.75, 0.27 at 0.5,
# 0.01 at 0.3. datasketch's MinHashLSH, weighing false
# positives and negatives alike, would choose 21 bands of 12 for 0.75, which
# finds half of the pairs at 0.75: here a false candidate costs one
# comparison of stored signatures, so the bands favour recall and the
# comparison decides.
BANDS, ROWS = 20, 6

_CJK = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK}]")
# A CJK character alone, or a run of letters and digits of other scripts.
_TOKEN = re.compile(f"[{_CJK}]|(?:(?![{_CJK}])[^\\W_])+")


def shingles(body: str) -> set[str] | None:
    """The article's shingles, or None when the text is too short to index."""
    text = unicodedata.normalize("NFKC", body).casefold()
    tokens = _TOKEN.findall(text)
    # Every CJK character is a token of its own (the first alternative of
    # _TOKEN; the second never takes one), so this counts the CJK tokens.
    cjk = len(_CJK_CHAR.findall(text))
    if cjk > len(tokens) - cjk:  # mostly Chinese, Japanese or Korean
        size, minimum = CJK_SHINGLE, MIN_CJK_CHARS
    else:
        size, minimum = WORD_SHINGLE, MIN_WORDS
    if len(tokens) < minimum:
        return None
    # Each run of ``size`` tokens: zip of the list shifted by 0..size-1.
    return set(map(" ".join, zip(*(tokens[i:] for i in range(size)), strict=False)))


# datasketch is imported where a signature is made, not with this module:
# its package imports all of its LSH indexes and with them SciPy and the
# Redis client (0.4 to 0.9 s), which a crawl's own process, a command or
# a scheduler that never signs a text would pay at every start.
@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


def _sha1_32(data: bytes) -> int:
    # datasketch's sha1_hash32, the same values without struct's call: the
    # hash runs once per shingle, a few hundred thousand times an import.
    return int.from_bytes(hashlib.sha1(data).digest()[:4], "little")


def _sha1_32_all(found: set[str]) -> list[int]:
    """``_sha1_32`` of each shingle, made in one pass: the first four bytes
    of each digest joined, then read as little-endian uint32 at once."""
    sha1 = hashlib.sha1
    joined = b"".join([sha1(s.encode()).digest()[:4] for s in found])
    return np.frombuffer(joined, dtype="<u4").tolist()  # type: ignore[no-any-return]


def text_signature(body: str) -> bytes | None:
    """The MinHash signature of a body as stored (NUM_PERM little-endian
    uint32), or None when the text is too short to index."""
    found = shingles(body)
    if found is None:
        return None
    from datasketch import MinHash

    # The shingles go in hashed already (``int`` passes a hash through):
    # the same values as hashfunc=_sha1_32, at a third of the calls.
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=int,
                      permutations=_permutations())
    minhash.update_batch(_sha1_32_all(found))
    return minhash.hashvalues.astype("<u4").tobytes()


def signature_values(signature: bytes) -> np.ndarray:
    return np.frombuffer(signature, dtype="<u4")


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity: the share of equal values, as
    datasketch's MinHash.jaccard computes it."""
    return float(np.count_nonzero(signature_values(a) == signature_values(b))) / NUM_PERM


def band_buckets(signature: bytes) -> list[tuple[int, str]]:
    """(band, bucket) of each LSH band: 128 bits of blake2b, 32 hex digits."""
    return [
        (band, hashlib.blake2b(signature[band * ROWS * 4:(band + 1) * ROWS * 4],
                               digest_size=16).hexdigest())
        for band in range(BANDS)
    ]
