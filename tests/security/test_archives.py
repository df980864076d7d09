"""Hostile archives and HAR files for ``cdcxml batch``: nothing is extracted, links are not
followed, bombs stop at their limits, and every bad member is an entry while the run goes on."""

from __future__ import annotations

import base64
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from cdcxml.batch import ArchiveLimits, captures

from .conftest import BILLION_LAUGHS, SECRET, run_cli

GOOD = b"<order><id>1</id></order>"


def batch(work: Path, *paths, memory_mb: int = 1024):
    ran = run_cli("batch", "-j", "1", "-c", "holds.sch", "--format", "jsonl", *paths, cwd=work,
                  memory_mb=memory_mb, timeout=120)
    # jsonl entries go to standard output, the summary to standard error
    assert "documents rejected" in ran.stderr, ran.stderr
    assert SECRET not in ran.stdout + ran.stderr
    entries = [json.loads(line) for line in ran.stdout.splitlines() if line.strip()]
    return ran, {e["path"]: e for e in entries}


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


def test_zip_member_names_never_become_paths(work, tmp_path):
    names = ["../../escaped.xml", "/tmp/absolute-escape.xml", "a/../../../up.xml",
             "C:\\windows\\drive.xml", "ok.xml"]
    with zipfile.ZipFile(work / "t.zip", "w") as zf:
        for name in names:
            zf.writestr(name, GOOD)
    before = files_under(tmp_path)
    ran, entries = batch(work, "t.zip")
    assert ran.code == 0
    assert set(entries) == {f"t.zip!{name}" for name in names}
    assert all(e["valid"] for e in entries.values())
    assert files_under(tmp_path) == before
    assert not Path("/tmp/absolute-escape.xml").exists()


def test_tar_links_and_devices_are_not_followed(work, secret, tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, kind, target in [("sym.xml", tarfile.SYMTYPE, str(secret)),
                                   ("hard.xml", tarfile.LNKTYPE, str(secret)),
                                   ("up.xml", tarfile.SYMTYPE, "../../outside/secret.xml"),
                                   ("fifo.xml", tarfile.FIFOTYPE, ""),
                                   ("dev.xml", tarfile.CHRTYPE, "")]:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, target
            tf.addfile(info)
        info = tarfile.TarInfo("../escaped.xml")
        info.size = len(GOOD)
        tf.addfile(info, io.BytesIO(GOOD))
    (work / "t.tar.gz").write_bytes(buffer.getvalue())
    before = files_under(tmp_path)
    ran, entries = batch(work, "t.tar.gz")
    assert ran.code == 0
    assert list(entries) == ["t.tar.gz!../escaped.xml"]
    assert files_under(tmp_path) == before


def test_a_zip_bomb_member_stops_at_the_member_limit(work):
    # 1 GB of zeros in about 1 MB; the member's header tells the truth, the read is capped anyway.
    with zipfile.ZipFile(work / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("bomb.xml", "w", force_zip64=True) as member:
            block = b"<a>" + b"\0" * (16 * 1024 * 1024)
            for _ in range(64):
                member.write(block)
        zf.writestr("ok.xml", GOOD)
    ran, entries = batch(work, "bomb.zip", "doc.xml")
    assert ran.code == 1
    assert "larger than the limit of" in entries["bomb.zip!bomb.xml"]["error"]
    assert entries["bomb.zip!ok.xml"]["valid"] and entries["doc.xml"]["valid"]


def test_a_tar_gz_bomb_stops_at_the_member_limit(work):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tf:
        info = tarfile.TarInfo("bomb.xml")
        info.size = 512 * 1024 * 1024
        tf.addfile(info, _Zeros(info.size))
        ok = tarfile.TarInfo("ok.xml")
        ok.size = len(GOOD)
        tf.addfile(ok, io.BytesIO(GOOD))
    (work / "bomb.tar.gz").write_bytes(buffer.getvalue())
    ran, entries = batch(work, "bomb.tar.gz")
    assert "larger than the limit of" in entries["bomb.tar.gz!bomb.xml"]["error"]
    assert entries["bomb.tar.gz!ok.xml"]["valid"]


class _Zeros(io.RawIOBase):
    """A readable stream of zeros of a given length, without holding them."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def test_hostile_members_are_entries_and_the_run_goes_on(work):
    with zipfile.ZipFile(work / "mixed.zip", "w") as zf:
        zf.writestr("a-lol.xml", BILLION_LAUGHS)
        zf.writestr("b-utf7.xml", b'<?xml version="1.0" encoding="UTF-7"?><order/>')
        zf.writestr("c-long-" + "n" * 3000 + ".xml", GOOD)
        zf.writestr("d-ok.xml", GOOD)
        zf.writestr("nested.zip", b"PK\x03\x04 not looked into")
    (work / "broken.zip").write_bytes(b"PK\x03\x04 this is not a zip archive")
    ran, entries = batch(work, "mixed.zip", "broken.zip", "doc.xml")
    assert ran.code == 1
    errors = {k.split("!")[-1][:12]: v["error"] for k, v in entries.items() if v["error"]}
    assert "DOCTYPE not allowed" in errors["a-lol.xml"]
    assert "utf-7" in errors["b-utf7.xml"]
    assert "member name longer than 1024" in errors["c-long-nnnnn"]
    assert "not a readable zip archive" in entries["broken.zip"]["error"]
    assert entries["mixed.zip!d-ok.xml"]["valid"] and entries["doc.xml"]["valid"]


def test_har_bodies_are_checked_like_any_document(work):
    def entry(url, text, encoding=None, mime="text/xml"):
        content = {"mimeType": mime, "text": text}
        if encoding:
            content["encoding"] = encoding
        return {"request": {"url": url}, "response": {"content": content}}

    har = {"log": {"entries": [
        entry("http://p/lol", BILLION_LAUGHS.decode()),
        entry("http://p/b64", base64.b64encode(GOOD).decode(), "base64"),
        entry("http://p/bad64", "!!!", "base64"),
        entry("http://p/html", "<html>", mime="text/html"),
        entry("http://p/ok", GOOD.decode()),
    ]}}
    (work / "t.har").write_text(json.dumps(har))
    ran, entries = batch(work, "t.har")
    assert ran.code == 1
    assert list(entries) == ["t.har#0", "t.har#1", "t.har#2", "t.har#4"]
    assert entries["t.har#0"]["error"].startswith("response to http://p/lol: line ")
    assert "DOCTYPE not allowed" in entries["t.har#0"]["error"]
    assert "http://p/bad64: body is not valid base64" in entries["t.har#2"]["error"]
    assert entries["t.har#1"]["valid"] and entries["t.har#4"]["valid"]


def test_archive_limits_are_counted(work):
    with zipfile.ZipFile(work / "many.zip", "w") as zf:
        for i in range(50):
            zf.writestr(f"m{i:02}.xml", GOOD)
    found = list(captures([work / "many.zip"], limits=ArchiveLimits(max_members=10)))
    assert len(found) == 11
    assert found[-1].error == "more than 10 members (limit max_members); the rest were not read"
    found = list(captures([work / "many.zip"], limits=ArchiveLimits(max_total_bytes=100)))
    assert [c.error for c in found if c.error] == ["archive holds more than 100 bytes"]


# -- compressed streams: every member and every inflated byte counts -----------------------------

def _bz2_tar_bomb(member: str, size: int) -> bytes:
    """A .tar.bz2 of one ``size``-byte member of zeros, as a few kilobytes of bz2 streams."""
    import bz2

    header = tarfile.TarInfo(member)
    header.size = size
    chunk = 32 * 1024 * 1024
    zeros = bz2.compress(b"\0" * chunk, 9)
    parts = [bz2.compress(header.tobuf(format=tarfile.GNU_FORMAT))]
    parts += [zeros] * (size // chunk)
    parts.append(bz2.compress(b"\0" * (size % chunk) + b"\0" * 1024))
    return b"".join(parts)


def _bz2_many_members(count: int) -> bytes:
    """A .tar.bz2 of ``count`` empty members that are not documents."""
    import bz2

    header = tarfile.TarInfo("x.bin")
    block = header.tobuf(format=tarfile.GNU_FORMAT) * 10_000
    stream = bz2.compress(block, 9)
    return stream * (count // 10_000) + bz2.compress(b"\0" * 1024)


@pytest.mark.parametrize(("bomb", "limit"), [
    (lambda: _bz2_tar_bomb("video.bin", 64 * 1024 * 1024 * 1024), "max_ratio"),
    (lambda: _bz2_many_members(20_000_000), "max_ratio"),
], ids=["one-huge-member-not-a-document", "millions-of-empty-members"])
def test_a_tar_bz2_stream_bomb_is_refused_at_once(work, bomb, limit):
    data = bomb()
    assert len(data) < 4 * 1024 * 1024
    (work / "bomb.tar.bz2").write_bytes(data)
    alone, _ = batch(work, "doc.xml", memory_mb=512)
    ran, entries = batch(work, "bomb.tar.bz2", "doc.xml", memory_mb=512)
    # Refused within a second or two of what the run takes without the archive (start-up and
    # compiling the contract alone can take seconds on a loaded machine).
    assert ran.seconds < alone.seconds + 2, (ran.seconds, alone.seconds)
    assert entries["doc.xml"]["valid"] is True
    assert limit in entries["bomb.tar.bz2"]["error"], entries["bomb.tar.bz2"]


@pytest.mark.parametrize(("option", "value", "limit"), [
    ("--archive-max-members", "1000", "max_members"),
    ("--archive-max-total-bytes", "10000000", "max_total_bytes"),
    ("--archive-max-seconds", "0.5", "max_seconds"),
])
def test_the_archive_limits_are_options(work, option, value, limit):
    (work / "many.tar.bz2").write_bytes(_bz2_many_members(20_000_000))
    ran = run_cli("batch", "-j", "1", "-c", "holds.sch", "--format", "jsonl",
                  "--archive-max-ratio", "100000000", option, value, "many.tar.bz2", cwd=work,
                  memory_mb=512, timeout=60)
    assert ran.seconds < 10, ran.seconds
    (entry,) = [json.loads(line) for line in ran.stdout.splitlines() if line.strip()]
    assert entry["path"] == "many.tar.bz2" and limit in entry["error"], entry


def test_counting_every_member_leaves_ordinary_archives_alone(work):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:bz2") as tf:
        for i in range(50):
            for name, data in ((f"doc{i}.xml", GOOD), (f"notes{i}.txt", b"notes " * 100)):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    (work / "fine.tar.bz2").write_bytes(buffer.getvalue())
    ran, entries = batch(work, "fine.tar.bz2")
    assert ran.code == 0 and len(entries) == 50
    assert all(e["valid"] for e in entries.values())


def test_zip_members_that_are_not_documents_count_against_the_member_limit(work):
    with zipfile.ZipFile(work / "padded.zip", "w") as zf:
        for i in range(20):
            zf.writestr(f"pad{i:02}.bin", b"")
        zf.writestr("doc.xml", GOOD)
    found = list(captures([work / "padded.zip"], limits=ArchiveLimits(max_members=10)))
    assert [c.error for c in found] == [
        "more than 10 members (limit max_members); the rest were not read"]
    (doc,) = captures([work / "padded.zip"])  # under the default limit: the one document
    assert doc.error is None and doc.data == GOOD
