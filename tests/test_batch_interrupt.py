"""Ctrl-C during ``cdcxml batch`` leaves a complete, valid report; ``--resume`` finishes the run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .batch_support import CAPTURES, CONTRACTS

CLI = [sys.executable, "-c", "from cdcxml.cli import main; main()"]
DOCUMENTS = 6000


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> Path:
    """A folder of captures, large enough that a run can be interrupted half way."""
    folder = tmp_path_factory.mktemp("many")
    ok = (CAPTURES / "001-ok.xml").read_bytes()
    broken = (CAPTURES / "002-no-price.xml").read_bytes()
    for i in range(DOCUMENTS):
        (folder / f"{i:05d}.xml").write_bytes(broken if i % 7 == 0 else ok)
    return folder


def start(*args: str, **kwargs) -> subprocess.Popen:
    # A session of its own, so Ctrl-C can go to the whole group, as a terminal sends it.
    return subprocess.Popen([*CLI, "batch", "-c", str(CONTRACTS), *args], start_new_session=True,
                            **kwargs)


def interrupt(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGINT)


def wait_for_lines(path: Path, n: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= n:
            return
        assert proc.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.01)
    raise AssertionError("the run wrote nothing")


def test_interrupted_jsonl_run_is_valid_and_resumes_to_the_full_run(many, tmp_path):
    target = tmp_path / "run.jsonl"
    proc = start("-j", "2", "--format", "jsonl", "-o", str(target), str(many),
                 stderr=subprocess.PIPE, text=True)
    wait_for_lines(target, 100, proc)
    interrupt(proc)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert "Traceback" not in err
    done = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert 100 <= len(done) < DOCUMENTS
    expected_names = [str(many / f"{i:05d}.xml") for i in range(DOCUMENTS)]
    assert [d["path"] for d in done] == expected_names[:len(done)]

    resumed = subprocess.run([*CLI, "batch", "-c", str(CONTRACTS), "-j", "2", "--format",
                              "jsonl", "-o", str(target), "--resume", str(many)],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 1, resumed.stderr
    full = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [d["path"] for d in full] == expected_names
    assert [d["valid"] for d in full] == [i % 7 != 0 for i in range(DOCUMENTS)]
    rejected = -(-DOCUMENTS // 7)
    assert f"marketing: {rejected} of {DOCUMENTS} documents rejected" in resumed.stderr


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_interrupted_report_on_stdout_is_complete(many, fmt):
    # Unbuffered: what is read here must not stay in a buffer communicate() does not see.
    proc = start("-j", "2", "--format", fmt, str(many), stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, bufsize=0)
    # Wait until documents are being reported, then press Ctrl-C.
    first = b""
    while len(first) < 10_000:
        chunk = proc.stdout.read(10_000)
        assert chunk, "the run ended before it could be interrupted"
        first += chunk
    interrupt(proc)
    rest, err = proc.communicate(timeout=60)
    out = (first + rest).decode("utf-8")
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    if fmt == "json":
        report = json.loads(out)
        assert report["interrupted"] is True
        assert 0 < len(report["documents"]) < DOCUMENTS
        assert report["summary"]["documents"] == len(report["documents"])
    else:
        lines = out.splitlines()
        assert "interrupted: the report covers the documents checked so far" in lines
        checked = int(lines[-1].split()[0])
        assert 0 < checked < DOCUMENTS
        assert sum(1 for line in lines if "Must contain Price node [has-price]" in line) == (
            -(-checked // 7))


def test_interrupted_output_file_is_whole(many, tmp_path):
    target = tmp_path / "report.json"
    # The folder four times over: long enough that the interrupt lands mid-run on a quiet machine.
    proc = start("-j", "2", "--format", "json", "-o", str(target), *[str(many)] * 4,
                 stderr=subprocess.PIPE)
    time.sleep(1.5)
    interrupt(proc)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    report = json.loads(target.read_text(encoding="utf-8"))
    assert report["interrupted"] is True
    assert report["summary"]["documents"] == len(report["documents"])
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_progress_bar_on_a_terminal_and_none_when_piped(tmp_path):
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen([*CLI, "batch", "-c", str(CONTRACTS), "-j", "1", "--format", "jsonl",
                             str(CAPTURES)], stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    out, _ = proc.communicate(timeout=120)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert proc.returncode == 1
    assert b"checking" in seen and b"docs/s" in seen and b"11/11" in seen
    assert len(out.splitlines()) == 11
    assert b"docs/s" not in out

    piped = subprocess.run([*CLI, "batch", "-c", str(CONTRACTS), "-j", "1", str(CAPTURES)],
                           capture_output=True, timeout=120)
    assert b"docs/s" not in piped.stderr and b"checking" not in piped.stderr
