"""Output files are written atomically: a failed run, a full disk or a killed process never leaves a
half-written report, never replaces an existing one with a partial one, and leaves no debris."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cdcxml.fsutil import write_atomic

from .conftest import _command, one_error, rule, run_cli, schema

PREVIOUS = "the previous report\n"


@pytest.fixture
def folder(work: Path) -> Path:
    """``work`` with an XSD and a previous report in place."""
    (work / "order.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="order">'
        '<xs:complexType><xs:sequence><xs:element name="id" type="xs:string"/></xs:sequence>'
        "</xs:complexType></xs:element></xs:schema>")
    (work / "report.out").write_text(PREVIOUS)
    return work


COMMANDS = {
    "validate": ("validate", "-c", "holds.sch", "--format", "json", "doc.xml"),
    "compile": ("compile", "holds.sch"),
    "batch": ("batch", "-j", "1", "-c", "holds.sch", "--format", "json", "doc.xml"),
    "contrast": ("contrast", "-c", "holds.sch", "--xsd", "order.xsd", "--format", "json",
                 "doc.xml"),
    "obligations": ("obligations", "-c", "holds.sch", "--sample", "doc.xml", "--format", "json"),
    "impact": ("impact", "-c", "holds.sch", "--old", "doc.xml", "--new", "doc.xml",
               "--format", "json"),
}


def debris(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_full_disk_keeps_the_previous_report(folder, command):
    ran = run_cli(*COMMANDS[command], "-o", "report.out", cwd=folder, file_bytes=64)
    line = one_error(ran, "report.out")
    assert "too large" in line.lower() or "cannot write" in line.lower(), line
    assert (folder / "report.out").read_text() == PREVIOUS
    assert debris(folder) == []


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_complete_report_replaces_the_previous_one(folder, command):
    os.chmod(folder / "report.out", 0o640)
    ran = run_cli(*COMMANDS[command], "-o", "report.out", cwd=folder)
    assert ran.code == 0, ran.stderr
    assert (folder / "report.out").read_text() != PREVIOUS
    assert (folder / "report.out").stat().st_mode & 0o777 == 0o640
    assert debris(folder) == []


def test_a_new_report_gets_the_usual_permissions(folder):
    umask = os.umask(0o022)
    os.umask(umask)
    assert run_cli(*COMMANDS["validate"], "-o", "new.json", cwd=folder).code == 0
    assert (folder / "new.json").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_refused_contract_writes_nothing(folder, secret):
    (folder / "evil.sch").write_text(schema(f'<sch:include href="{secret}"/>' + rule("true()")))
    for args in (("compile", "evil.sch"), ("validate", "-c", "evil.sch", "doc.xml")):
        ran = run_cli(*args, "-o", "report.out", cwd=folder)
        one_error(ran, "outside the schema's folder")
        assert (folder / "report.out").read_text() == PREVIOUS
    assert debris(folder) == []


def test_a_killed_run_leaves_the_previous_report(folder):
    (folder / "cubic.sch").write_text(schema(rule(
        "count(//*[count(//*[count(//*) &gt; 0]) &gt; 0]) &gt;= 0", kind="assert")))
    (folder / "wide.xml").write_text("<order>" + "<id>1</id>" * 3000 + "</order>")
    process = subprocess.Popen([*_command(), "validate", "-c", "cubic.sch", "--time-limit", "0",
                                "-o", "report.out", "wide.xml"], cwd=folder,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2)
    assert process.poll() is None, "the run should still be busy"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert (folder / "report.out").read_text() == PREVIOUS
    assert debris(folder) == []
    # The worker checking the document ends with the command, not minutes later.
    deadline = time.monotonic() + 10
    while processes_in(folder) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_in(folder) == []


def processes_in(folder: Path) -> list[int]:
    """The processes whose working directory is ``folder`` (Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cwd").resolve() == folder.resolve():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_write_atomic_cleans_up_after_a_failed_write(tmp_path, monkeypatch):
    target = tmp_path / "cdcxml.lock"
    target.write_text(PREVIOUS)

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, "x" * 100_000)
    assert target.read_text() == PREVIOUS
    assert list(tmp_path.iterdir()) == [target]


def test_write_atomic_replaces_a_symlink_instead_of_writing_through_it(tmp_path, secret):
    link = tmp_path / "report.json"
    os.symlink(secret, link)
    write_atomic(link, "{}")
    assert not link.is_symlink() and link.read_text() == "{}"
    assert "TOP-SECRET" in secret.read_text()
