"""WARC locations as URIs that any machine can open (issue 17, point 3).

``articles.warc_file`` and ``article_versions.warc_file`` hold a URI:
``file:///abs/path.warc.gz`` for a file on a disk (the default), or an
fsspec URL (``s3://bucket/warc/x.warc.gz``, ``https://...``) when the WARC
folder (``DEMARCHE_WARC_DIR``) or an imported file lives elsewhere.

Plain local paths and ``file://`` URIs are opened with the standard
library; fsspec is imported only for other schemes, so a one-machine
install without the ``cluster`` extra reads its own WARCs as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit
from urllib.request import pathname2url


def is_uri(location: str) -> bool:
    """Whether ``location`` names a scheme (``file://``, ``s3://``...), as
    opposed to a plain path. A Windows drive letter is no scheme."""
    scheme = urlsplit(location).scheme
    return "://" in location and len(scheme) > 1


def local_path(location: str | Path) -> Path | None:
    """The file a plain path or ``file://`` URI names; None for others."""
    if isinstance(location, Path):
        return location
    if not is_uri(location):
        return Path(location)
    parts = urlsplit(location)
    if parts.scheme != "file":
        return None
    return Path(unquote(parts.path))


def to_uri(location: str | Path) -> str:
    """A URI for a path (made absolute: ``file:///...``) or the URI itself."""
    if isinstance(location, str) and is_uri(location):
        return location
    return "file://" + pathname2url(str(Path(location).resolve()))


def join(folder: str | Path, name: str) -> str:
    """The URI of ``name`` in the WARC folder ``folder`` (a path or URI);
    a ``name`` that is absolute or a URI already stands on its own."""
    if is_uri(name) or Path(name).is_absolute():
        return to_uri(name)
    folder_uri = to_uri(folder)
    return folder_uri.rstrip("/") + "/" + (pathname2url(name) if folder_uri.startswith("file:")
                                           else name)


def _fsspec() -> Any:
    try:
        import fsspec
    except ImportError:  # pragma: no cover - depends on the install
        raise OSError("WARC files outside this machine's disks need fsspec: "
                      "pip install 'demarche[cluster]'") from None
    return fsspec


def open_warc(location: str | Path, mode: str = "rb") -> IO[bytes]:
    """A binary file object for ``location``; close it (``with``)."""
    path = local_path(location)
    if path is not None:
        if "w" in mode or "a" in mode:
            path.parent.mkdir(parents=True, exist_ok=True)
        return path.open(mode)
    return _fsspec().open(str(location), mode).open()


def warc_size(location: str | Path) -> int:
    """The size in bytes (raises FileNotFoundError when there is no file)."""
    path = local_path(location)
    if path is not None:
        return path.stat().st_size
    fs, target = _fsspec().core.url_to_fs(str(location))
    info = fs.info(target)
    if info.get("type") == "directory":
        raise IsADirectoryError(str(location))
    return int(info.get("size") or 0)


def kind_of(location: str | Path) -> str:
    """``file``, ``directory`` or ``missing``: what is at ``location``."""
    path = local_path(location)
    if path is not None:
        return "directory" if path.is_dir() else "file" if path.exists() else "missing"
    fs, target = _fsspec().core.url_to_fs(str(location))
    try:
        return "directory" if fs.info(target).get("type") == "directory" else "file"
    except FileNotFoundError:
        return "missing"


def name_of(location: str | Path) -> str:
    """The file's name, for messages."""
    return str(location).rstrip("/").rsplit("/", 1)[-1]
