"""WARC and ARC files that lie, are cut, are huge or are not archives at all
(issue 14, point 5): every page read whole or not at all, every loss said."""

from __future__ import annotations

import gzip
import os
import sqlite3
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from batch.warcfiles import (
    Damage,
    NotAnArchive,
    Skipped,
    check_archive,
    iter_responses,
    read_response,
)
from tests.conftest import article_html
from tests.test_warc import PARAS, demarche, rows


def url(n: int) -> str:
    return f"https://mfa.example/news/2024/03/0{n}/statement-{n}.html"


def page(n: int) -> bytes:
    # Long enough that a cut copy still reads as an article.
    paragraphs = PARAS + [f"Point {k} of statement {n}: " + PARAS[k % 3] for k in range(12)]
    return article_html(f"Statement number {n} on the situation", paragraphs,
                        date=f"2024-03-0{n}T10:00:00+03:00").encode()


def http(content_type: str = "text/html", **extra: str) -> StatusAndHeaders:
    return StatusAndHeaders("200 OK", [("Content-Type", content_type), *extra.items()],
                            protocol="HTTP/1.1")


def write_records(path: Path, records: list, *, gzipped: bool = True) -> None:
    """``records``: (url, body) pairs, callables writer -> record, or the
    bytes of a record (written as they are, gzipped as one member)."""
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=gzipped)
        for item in records:
            if isinstance(item, bytes):
                handle.write(gzip.compress(item) if gzipped else item)
                continue
            if callable(item):
                record = item(writer)
            else:
                record = writer.create_warc_record(item[0], "response",
                                                   payload=BytesIO(item[1]), http_headers=http())
            writer.write_record(record)


def write_arc(path: Path, pages: list[tuple[str, bytes]], *, gzipped: bool) -> None:
    """An ARC v1 file (warcio reads ARC but does not write it): the
    ``filedesc://`` version block, then one record per page."""
    version = b"1 0 demarche\nURL IP-address Archive-date Content-type Archive-length\n"
    records = [b"filedesc://test.arc 0.0.0.0 20240301100000 text/plain %d\n%s\n"
               % (len(version), version)]
    for address, body in pages:
        block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + body
        records.append(b"%s 10.0.0.1 20240301100000 text/html %d\n%s\n"
                       % (address.encode(), len(block), block))
    path.write_bytes(b"".join(gzip.compress(r) for r in records) if gzipped
                     else b"".join(records))


def items(path: Path, **kwargs) -> tuple[list, list[Damage], list[Skipped]]:
    found = list(iter_responses(path, **kwargs))
    return ([i for i in found if not isinstance(i, Damage | Skipped)],
            [i for i in found if isinstance(i, Damage)],
            [i for i in found if isinstance(i, Skipped)])


def env_for(tmp_path: Path) -> dict[str, str]:
    return {"DEMARCHE_ARCHIVE_URL": f"sqlite:///{tmp_path / 'archive.db'}"}


@pytest.mark.parametrize("gzipped", [True, False])
def test_arc_pages_keep_their_urls_and_their_own_rows(tmp_path: Path, gzipped: bool):
    path = tmp_path / ("pages.arc.gz" if gzipped else "pages.arc")
    write_arc(path, [(url(1), page(1)), (url(2), page(2))], gzipped=gzipped)
    responses, damaged, _ = items(path)
    assert [r.url for r in responses] == [url(1), url(2)] and not damaged
    for response in responses:  # re-extraction finds each record again
        assert read_response(path, response.offset).body == response.body
    result = demarche("import-warc", str(path), env=env_for(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "2 new" in result.stdout and "damaged records: 0" in result.stdout
    assert rows(tmp_path / "archive.db", "SELECT source, url FROM articles ORDER BY url") == [
        ("site_mfa_example", url(1)), ("site_mfa_example", url(2))]


def test_an_intact_uncompressed_warc_has_no_damaged_record(tmp_path: Path):
    path = tmp_path / "plain.warc"
    write_records(path, [(url(n), page(n)) for n in (1, 2, 3)], gzipped=False)
    responses, damaged, skipped = items(path)
    assert [r.url for r in responses] == [url(1), url(2), url(3)]
    assert damaged == [] and skipped == []
    assert [read_response(path, r.offset).url for r in responses] == [url(1), url(2), url(3)]


@pytest.mark.parametrize("gzipped", [True, False])
def test_a_file_cut_anywhere_gives_whole_pages_or_a_damaged_record(tmp_path: Path,
                                                                  gzipped: bool):
    whole = tmp_path / "whole.warc"
    write_records(whole, [(url(n), page(n)) for n in (1, 2)], gzipped=gzipped)
    data = whole.read_bytes()
    ends = [r.offset for r in items(whole)[0]][1:] + [len(data)]
    bodies = {url(n): page(n) for n in (1, 2)}
    cut = tmp_path / "cut.warc"
    for size in range(1, len(data)):
        cut.write_bytes(data[:size])
        responses, damaged, _ = items(cut)
        assert all(r.body == bodies[r.url] for r in responses), f"short page at cut {size}"
        if not gzipped and any(0 < end - size <= 4 for end in ends):
            continue  # only the blank lines after a record are missing: nothing is lost
        whole_records = sum(end <= size for end in ends)
        assert len(responses) == whole_records, f"cut {size}"
        assert (size in ends) == (not damaged), f"cut {size}: {damaged}"
        assert all("truncated" in str(d) or "cut short" in str(d) for d in damaged), damaged


def test_a_cut_record_is_never_archived_and_the_whole_file_brings_it_in_new(tmp_path: Path):
    whole = tmp_path / "whole.warc.gz"
    write_records(whole, [(url(n), page(n)) for n in (1, 2, 3)])
    data = whole.read_bytes()
    last = [r.offset for r in items(whole)[0]][2]
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[:last + (len(data) - last) * 4 // 5])  # inside the gzip member
    env = env_for(tmp_path)
    first = demarche("import-warc", str(cut), env=env)
    assert first.returncode == 0, first.stderr
    assert "2 new" in first.stdout and "damaged records: 1" in first.stdout
    assert f"damaged record at byte {last}" in first.stdout and "truncated" in first.stdout
    second = demarche("import-warc", str(whole), env=env)
    assert "1 new, 0 changed, 2 unchanged" in second.stdout, second.stdout
    db = tmp_path / "archive.db"
    assert rows(db, "SELECT count(*) FROM article_versions") == [(0,)]
    assert rows(db, f"SELECT warc_file FROM articles WHERE url = '{url(3)}'") == [
        (whole.resolve().as_uri(),)]


def lying_record(claimed: int = 3 * 1024 ** 3) -> bytes:
    """A response record of 400 KB whose Content-Length says ``claimed``
    (warcio writes true lengths: the header is changed in the bytes)."""
    out = BytesIO()
    writer = WARCWriter(out, gzip=False)
    body = b"<p>x</p>" * 50_000
    writer.write_record(writer.create_warc_record(url(2), "response", payload=BytesIO(body),
                                                  http_headers=http()))
    data = out.getvalue()
    head, rest = data.split(b"\r\n\r\n", 1)
    true_length = b"Content-Length: %d" % len(rest[:-4])
    assert true_length in head
    return head.replace(true_length, b"Content-Length: %d" % claimed) + b"\r\n\r\n" + rest


@pytest.mark.parametrize("gzipped", [True, False])
def test_a_record_over_the_size_cap_is_skipped_and_counted(tmp_path: Path, gzipped: bool):
    first, rest, path = tmp_path / "first.warc", tmp_path / "rest.warc", tmp_path / "huge.warc"
    write_records(first, [(url(1), page(1))], gzipped=gzipped)
    write_records(rest, [lying_record(), (url(3), page(3))], gzipped=gzipped)
    path.write_bytes(first.read_bytes() + rest.read_bytes())
    responses, damaged, skipped = items(path)
    assert [r.url for r in responses] == [url(1), url(3)]
    huge_at = first.stat().st_size
    assert [(s.offset, s.reason) for s in skipped] == [(huge_at, "too_large")]
    # Uncompressed, its false length reaches past the end of the file: that
    # is said too, and reading goes on at the next record.
    assert [(d.offset, "truncated" in d.error) for d in damaged] == (
        [] if gzipped else [(huge_at, True)])
    # A record within its Content-Length but over a smaller cap, and the
    # record after it still read.
    capped = tmp_path / "capped.warc.gz"
    write_records(capped, [(url(1), page(1)), (url(2), b"<p>x</p>" * 1000), (url(3), page(3))])
    responses, damaged, skipped = items(capped, max_size=5000)
    assert [r.url for r in responses] == [url(1), url(3)] and not damaged
    assert [s.reason for s in skipped] == ["too_large"]


def test_a_gzip_bomb_inside_a_response_is_skipped_unread(tmp_path: Path):
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MB from about 64 KB

    def record(writer: WARCWriter):
        return writer.create_warc_record(url(2), "response", payload=BytesIO(bomb),
                                         http_headers=http(**{"Content-Encoding": "gzip"}))
    path = tmp_path / "bomb.warc.gz"
    write_records(path, [record, (url(3), page(3))])
    responses, damaged, skipped = items(path)
    assert [r.url for r in responses] == [url(3)] and not damaged
    assert [s.reason for s in skipped] == ["too_large"]


def test_the_import_counts_records_over_the_cap_and_damaged_ones(tmp_path: Path):
    path = tmp_path / "huge.warc.gz"
    junk = [b"not a record\r\n\r\n"] * 30  # each in a gzip member of its own
    write_records(path, [(url(1), page(1)), lying_record(), (url(3), page(3)), *junk])
    result = demarche("import-warc", str(path), env=env_for(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "2 new" in result.stdout and "too large: 1" in result.stdout
    assert "damaged records: 30" in result.stdout
    # The first ones are named, the rest counted.
    lines = result.stdout.splitlines()
    assert sum("damaged record at byte" in line for line in lines) == 20
    assert "skipped: 10 more damaged records" in lines


def test_responses_without_http_headers_and_revisits_are_skipped_not_damage(tmp_path: Path):
    def bare(writer: WARCWriter):  # a response block that is the page alone
        record = writer.create_warc_record(url(1), "resource", payload=BytesIO(page(1)),
                                           warc_content_type="text/html")
        record.rec_headers.replace_header("WARC-Type", "response")
        return record

    def revisit(writer: WARCWriter):
        return writer.create_revisit_record(url(3), digest="sha1:AAAA", refers_to_uri=url(3),
                                            refers_to_date="2024-03-01T00:00:00Z",
                                            http_headers=http())
    for gzipped in (True, False):
        path = tmp_path / f"odd{int(gzipped)}.warc"
        write_records(path, [bare, (url(2), page(2)), revisit, (url(3), page(3))],
                      gzipped=gzipped)
        responses, damaged, skipped = items(path)
        assert [r.url for r in responses] == [url(2), url(3)] and not damaged
        assert [s.reason for s in skipped] == ["not_http", "revisit"]
        # Offsets are the records' own, for re-extraction.
        assert [read_response(path, r.offset).url for r in responses] == [url(2), url(3)]


def test_reading_resumes_after_a_corrupt_record_at_the_right_offsets(tmp_path: Path):
    path = tmp_path / "mixed.warc.gz"
    write_records(path, [(url(n), page(n)) for n in (1, 2, 3, 4)])
    data = path.read_bytes()
    offsets = [r.offset for r in items(path)[0]]
    middle = (offsets[1] + offsets[2]) // 2
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(data[:middle] + b"\x00" * 16 + data[middle + 16:])
    responses, damaged, _ = items(broken)
    assert [r.url for r in responses] == [url(1), url(3), url(4)]
    assert [d.offset for d in damaged] == [offsets[1]]
    assert [r.offset for r in responses] == [offsets[0], offsets[2], offsets[3]]
    # The same in an uncompressed file: reading goes on at the next record.
    plain = tmp_path / "plain.warc"
    write_records(plain, [(url(n), page(n)) for n in (1, 2, 3)], gzipped=False)
    data = plain.read_bytes()
    offsets = [r.offset for r in items(plain)[0]]
    broken = tmp_path / "broken.warc"
    broken.write_bytes(data[:offsets[1] + 30] + b"Content-Length: x\r\n" + data[offsets[1] + 30:])
    responses, damaged, _ = items(broken)
    assert [r.url for r in responses] == [url(1), url(3)]
    assert [d.offset for d in damaged] == [offsets[1]]


def test_a_file_gzipped_whole_says_how_to_read_it(tmp_path: Path):
    plain = tmp_path / "plain.warc"
    write_records(plain, [(url(n), page(n)) for n in (1, 2, 3)], gzipped=False)
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    responses, damaged, _ = items(path)
    assert len(damaged) == 1 and "warcio recompress" in str(damaged[0])
    assert "\n" not in str(damaged[0])


def test_what_is_not_an_archive_says_so_in_one_line(tmp_path: Path):
    good = tmp_path / "good.warc.gz"
    write_records(good, [(url(1), page(1))])
    cases = {
        "empty.warc.gz": (b"", "is empty"),
        "notes.warc": (b"hello this is not a warc\n" * 10, "not a WARC or ARC file"),
        "notes.warc.gz": (gzip.compress(b"hello this is not a warc\n" * 10),
                          "not a WARC or ARC file"),
        "nothing.warc.gz": (gzip.compress(b""), "holds no record"),
        "folder": (None, "is a folder"),
        "missing.warc.gz": (False, "no such file"),
        "fifo": ("fifo", "not a regular file"),
        # A file that opens but whose reading fails (as root, a chmod 000
        # file still reads): the kernel refuses to read a process's memory
        # at address 0.
        "/proc/self/mem": ("proc", "cannot be read: Input/output error"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        if content is None:
            path.mkdir()
        elif content == "fifo":
            os.mkfifo(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        with pytest.raises(NotAnArchive, match=message):
            check_archive(path)
    # Every one named, in one line, before anything is read.
    paths = [str(tmp_path / name) for name in cases]
    result = demarche("import-warc", str(good), *paths, env=env_for(tmp_path))
    assert result.returncode == 2, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert all(message in result.stderr for _, message in cases.values()), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    # Nothing was imported from the good file beside them either.
    with pytest.raises(sqlite3.OperationalError):
        rows(tmp_path / "archive.db", "SELECT count(*) FROM articles")
