"""Which extractor made a text: its name and version, and a hash of its code
and of the libraries it leans on.

Every archived article records both, so that ``demarche reextract`` can tell
rows made by older code, and a researcher can tell which rules shaped a text.
The hash changes with any edit to ``crawler/extraction`` or an upgrade of
trafilatura, readability-lxml, lxml, htmldate or py3langid.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import metadata
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_LIBRARIES = ("trafilatura", "readability-lxml", "lxml", "htmldate", "py3langid", "pypdf")


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


EXTRACTOR = f"demarche {_version('demarche')}"


@lru_cache(maxsize=1)
def extractor_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for library in _LIBRARIES:
        digest.update(f"{library}={_version(library)}".encode())
    return digest.hexdigest()[:16]
