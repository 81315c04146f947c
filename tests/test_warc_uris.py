"""WARC locations as URIs (issue 17, point 3): the resolver, the migration
of stored names (revision 0009), the crawler's WARC writer on a local folder
and on an fsspec file system, and reading back through the URI."""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

from alembic import command
from sqlalchemy import text
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from batch.warcfiles import Damage, iter_responses, read_response
from storage.engine import make_engine
from storage.migrate import alembic_config, current_revision, head_revision
from storage.warc_uris import is_uri, join, local_path, open_warc, to_uri, warc_size
from tests.conftest import article_html

PARAS = ["The Ministry of Foreign Affairs expresses its deep concern over the escalation.",
         "We call on all parties to exercise restraint and to return to the negotiating table."]


def write_warc(handle, urls: list[str]) -> list[int]:  # type: ignore[no-untyped-def]
    writer = WARCWriter(handle, gzip=True)
    offsets = []
    for n, url in enumerate(urls):
        offsets.append(handle.tell())
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(
            article_html(f"Statement {n} on the situation", PARAS).encode()),
            http_headers=headers))
    return offsets


def test_paths_and_uris(tmp_path: Path):
    spaced = tmp_path / "with space" / "a.warc.gz"
    uri = to_uri(spaced)
    assert uri == spaced.as_uri() and uri.startswith("file:///") and "%20" in uri
    assert local_path(uri) == spaced and to_uri(uri) == uri
    assert join(tmp_path, "b.warc.gz") == (tmp_path / "b.warc.gz").as_uri()
    assert join(tmp_path, str(spaced)) == uri  # an absolute path stands on its own
    assert join("s3://bucket/warc/", "b.warc.gz") == "s3://bucket/warc/b.warc.gz"
    assert join(tmp_path, "s3://bucket/x.warc.gz") == "s3://bucket/x.warc.gz"
    assert not is_uri("C:\\warc\\a.warc.gz") and local_path("s3://bucket/a") is None


def test_a_local_file_reads_without_fsspec(tmp_path: Path):
    """file:// URIs and paths are the standard library's: fsspec is not
    even imported (a one-machine install has none)."""
    import subprocess
    import sys

    path = tmp_path / "a.warc.gz"
    with path.open("wb") as handle:
        offsets = write_warc(handle, ["https://mfa.example/a.html"])
    # warcio itself imports fsspec when it can: here it cannot.
    code = ("import sys; sys.modules['fsspec'] = None; "
            "from batch.warcfiles import read_response; "
            f"r = read_response({path.as_uri()!r}, {offsets[0]}); "
            "assert r.url == 'https://mfa.example/a.html'; print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.stdout.strip() == "ok", done.stderr


def test_records_read_through_an_fsspec_file_system():
    import fsspec

    fs = fsspec.filesystem("memory")
    with fs.open("/warcs/a.warc.gz", "wb") as handle:
        offsets = write_warc(handle, [f"https://mfa.example/{n}.html" for n in range(3)])
    uri = "memory://warcs/a.warc.gz"
    assert warc_size(uri) == fs.size("/warcs/a.warc.gz")
    assert [r.offset for r in iter_responses(uri) if not isinstance(r, Damage)] == offsets
    assert read_response(uri, offsets[2]).url == "https://mfa.example/2.html"


def test_the_warc_writer_writes_uris_locally_and_through_fsspec(tmp_path: Path):
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from crawler.middlewares.warc import RotatingWarc

    request = Request("https://mfa.example/news/1.html")
    response = HtmlResponse(request.url, body=article_html("One", PARAS).encode(),
                            request=request)
    local = RotatingWarc(tmp_path / "warc", "host-spider", 1 << 20)
    name, offset = local.write(request, response)
    local.close()
    assert name.startswith((tmp_path / "warc").as_uri() + "/host-spider-")
    assert read_response(name, offset).url == request.url
    # An object store (here fsspec's in-memory one, as DEMARCHE_WARC_DIR=s3://...).
    remote = RotatingWarc("memory://bucket/warc", "host-spider", 1 << 20)
    first = remote.write(request, response)
    second = remote.write(request.replace(url="https://mfa.example/news/2.html"),
                          response.replace(url="https://mfa.example/news/2.html"))
    remote.close()
    assert first[0] == second[0] and first[0].startswith("memory://bucket/warc/host-spider-")
    assert read_response(*second).url == "https://mfa.example/news/2.html"
    with open_warc(first[0]) as handle:
        assert handle.read(2) == b"\x1f\x8b"


def test_folder_setting_may_be_a_uri():
    from scrapy.settings import Settings

    from crawler.middlewares.warc import warc_folder

    assert warc_folder(Settings({"DEMARCHE_WARC_DIR": "s3://bucket/warc",
                                 "DEMARCHE_ARCHIVE_URL": "sqlite:///x.db"})) == "s3://bucket/warc"
    assert warc_folder(Settings({"DEMARCHE_WARC_DIR": "/data/warc",
                                 "DEMARCHE_ARCHIVE_URL": "sqlite:///x.db"})) == Path("/data/warc")


def _archive_at_0008(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0008")
        connection.execute(text(
            "INSERT INTO sources (key, name, site_name, kind, country, language, spider, "
            "domains, entry_points, updated_at) VALUES ('mfa', 'MFA', 'MFA', 'ministry', 'RU', "
            "'en', 'feed', '[]', '[]', '2024-01-01 00:00:00')"))
        for n, warc_file in enumerate(["crawl-1.warc.gz", "/data/imports/old.warc.gz",
                                       "s3://bucket/warc/x.warc.gz", None], start=1):
            connection.execute(text(
                "INSERT INTO articles (id, source, url, title, body, content_hash, "
                "first_seen_at, last_seen_at, warc_file, warc_offset) VALUES (:id, 'mfa', :url, "
                "'T', 'B', 'h', '2024-01-01 00:00:00', '2024-01-01 00:00:00', :warc, :offset)"),
                {"id": n, "url": f"https://mfa.example/{n}", "warc": warc_file,
                 "offset": 0 if warc_file else None})
        connection.execute(text(
            "INSERT INTO article_versions (article_id, first_seen_at, seen_at, title, body, "
            "content_hash, warc_file, warc_offset) VALUES (1, '2023-01-01 00:00:00', "
            "'2023-06-01 00:00:00', 'T0', 'B0', 'h0', 'crawl-0.warc.gz', 10)"))
    engine.dispose()


def test_migration_0009_turns_names_into_uris(archive_url: str, tmp_path: Path, monkeypatch):
    folder = tmp_path / "warcs"
    monkeypatch.setenv("DEMARCHE_WARC_DIR", str(folder))
    _archive_at_0008(archive_url)
    engine = make_engine(archive_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0009")
    with engine.connect() as connection:
        articles = connection.execute(text(
            "SELECT warc_file FROM articles ORDER BY id")).scalars().all()
        versions = connection.execute(text(
            "SELECT warc_file FROM article_versions")).scalars().all()
    assert articles == [(folder / "crawl-1.warc.gz").as_uri(), "file:///data/imports/old.warc.gz",
                        "s3://bucket/warc/x.warc.gz", None]
    assert versions == [(folder / "crawl-0.warc.gz").as_uri()]
    # Again over URIs: nothing changes. Down: paths again, other URIs kept.
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0008")
        assert connection.execute(text("SELECT warc_file FROM articles ORDER BY id")
                                  ).scalars().all() == [
            str(folder / "crawl-1.warc.gz"), "/data/imports/old.warc.gz",
            "s3://bucket/warc/x.warc.gz", None]
        command.upgrade(alembic_config(connection), "head")
        assert current_revision(connection) == head_revision()
        assert connection.execute(text("SELECT warc_file FROM articles ORDER BY id")
                                  ).scalars().all() == articles
    engine.dispose()


def test_migration_0009_joins_names_to_an_object_store_folder(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("DEMARCHE_WARC_DIR", "s3://bucket/warc/")
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    _archive_at_0008(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0009")
        assert connection.execute(text("SELECT warc_file FROM articles WHERE id = 1")
                                  ).scalar() == "s3://bucket/warc/crawl-1.warc.gz"
    engine.dispose()


def test_history_reads_each_text_through_its_uri(tmp_path: Path):
    from datetime import UTC, datetime

    from reading.history import Text

    path = tmp_path / "kept.warc.gz"
    with path.open("wb") as handle:
        offsets = write_warc(handle, ["https://mfa.example/a.html", "https://mfa.example/b.html"])
    now = datetime.now(UTC)
    kept = Text("current", "T", "B", now, now, path.as_uri(), offsets[1])
    assert kept.response().url == "https://mfa.example/b.html"
    # An archive not yet upgraded: a bare name in the WARC folder.
    bare = Text("version 1", "T", "B", now, now, "kept.warc.gz", offsets[0])
    assert bare.response(tmp_path).url == "https://mfa.example/a.html"
    assert Text("x", "T", "B", now, now, (tmp_path / "gone.warc.gz").as_uri(), 0
                ).response() is None
    assert os.path.exists(path)


def test_the_warc_writer_gzips_each_record_at_the_level_set(tmp_path: Path):
    import gzip

    import pytest
    from scrapy import Request
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler
    from warcio.archiveiterator import ArchiveIterator

    from crawler.middlewares.warc import RotatingWarc, WarcRecordMiddleware

    request = Request("https://mfa.example/news/1.html")
    body = article_html("One", PARAS * 40).encode()
    response = HtmlResponse(request.url, body=body, request=request)
    sizes = {}
    for level in (1, 9):
        warc = RotatingWarc(tmp_path / f"level{level}", "host-spider", 1 << 20, level)
        first = warc.write(request, response)
        second = warc.write(request.replace(url="https://mfa.example/news/2.html"),
                            response.replace(url="https://mfa.example/news/2.html"))
        warc.close()
        # Each record is a gzip member of its own: read from its offset, and
        # the whole file by any WARC reader.
        assert read_response(*second).url == "https://mfa.example/news/2.html"
        assert read_response(*first).body == body
        path = Path(local_path(first[0]))
        with path.open("rb") as handle:
            kinds = [record.rec_type for record in ArchiveIterator(handle)]
        assert kinds == ["response", "request", "response", "request"]
        assert gzip.decompress(path.read_bytes()).startswith(b"WARC/1.")
        sizes[level] = path.stat().st_size
    assert sizes[9] < sizes[1]  # the level is the one asked for
    crawler = get_crawler(settings_dict={"DEMARCHE_WARC_GZIP_LEVEL": 0,
                                         "DEMARCHE_WARC_DIR": str(tmp_path)})
    with pytest.raises(ValueError, match="DEMARCHE_WARC_GZIP_LEVEL must be 1 to 9"):
        WarcRecordMiddleware.from_crawler(crawler)
