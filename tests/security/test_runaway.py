"""Runaway checks: an assertion with cubic XPath cost, a ReDoS pattern in an XSD, or a check that
eats memory is stopped at its limit, reported for its document, and the run goes on."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from cdcxml import guard, load_contract
from cdcxml.errors import InputError

from .conftest import rule, run_cli, schema

CUBIC = "count(//*[count(//*[count(//*) &gt; 0]) &gt; 0]) &gt;= 0"
REDOS_XSD = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="order"><xs:complexType><xs:sequence>
    <xs:element name="id"><xs:simpleType><xs:restriction base="xs:string">
      <xs:pattern value="(a+)+b"/>
    </xs:restriction></xs:simpleType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>
"""


@pytest.fixture
def runaway(work: Path) -> Path:
    """A contract whose one assertion costs n^3 on a wide document, and that wide document."""
    (work / "cubic.sch").write_text(schema(rule(CUBIC, "never", kind="assert")))
    (work / "wide.xml").write_text("<order>" + "<id>1</id>" * 3000 + "</order>")
    return work / "cubic.sch"


@pytest.fixture
def redos(work: Path) -> Path:
    """An XSD whose pattern backtracks exponentially, and a document that makes it."""
    (work / "redos.xsd").write_text(REDOS_XSD)
    (work / "redos.xml").write_text("<order><id>" + "a" * 40 + "c</id></order>")
    (work / "fine.xml").write_text("<order><id>aab</id></order>")
    return work / "redos.xsd"


# -- the command line ----------------------------------------------------------------------------------

def test_a_cubic_assertion_is_stopped_and_reported(work, runaway):
    ran = run_cli("validate", "-c", runaway, "--time-limit", "2", "--format", "json",
                  "wide.xml", "doc.xml", cwd=work, timeout=30)
    assert ran.code == 1 and ran.stderr == ""
    docs = {d["path"]: d for d in json.loads(ran.stdout)["documents"]}
    assert docs["wide.xml"]["error"] == "stopped after 2 s: over the time limit per document"
    assert docs["doc.xml"]["valid"] is True
    assert ran.seconds < 20


def test_a_redos_pattern_is_stopped_and_reported(work, redos):
    ran = run_cli("validate", "-c", "holds.sch", "--xsd", redos, "--time-limit", "2",
                  "redos.xml", "fine.xml", cwd=work, timeout=30)
    assert ran.code == 1 and ran.stderr == ""
    assert "redos.xml: error: stopped after 2 s: over the time limit per document" in ran.stdout
    assert "1 valid" in ran.stdout
    assert ran.seconds < 20


def test_a_check_over_the_memory_limit_is_stopped(work):
    (work / "big.xml").write_text("<order>" + "<id>1</id>" * 400_000 + "</order>")
    ran = run_cli("validate", "-c", "holds.sch", "--memory-limit", "50", "big.xml", "doc.xml",
                  cwd=work, timeout=60)
    assert ran.code == 1 and ran.stderr == "", ran.stderr
    (line,) = [x for x in ran.stdout.splitlines() if x.startswith("big.xml: error: ")]
    assert line.endswith(("not enough memory to parse the document",
                          "more memory than the limit of 50 MB")), line
    assert "1 valid" in ran.stdout


def test_limits_can_be_switched_off(work):
    ran = run_cli("validate", "-c", "holds.sch", "--time-limit", "0", "--memory-limit", "0",
                  "doc.xml", cwd=work)
    assert ran.code == 0, ran.stdout + ran.stderr


# -- the library ---------------------------------------------------------------------------------------

def _slow(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def test_guard_returns_results_and_raises_errors():
    def work(x):
        if x < 0:
            raise InputError("negative", path="in.xml", line=3)
        return {"double": 2 * x}

    with guard.Guard(work, guard.Budget(seconds=10)) as g:
        assert g(21) == {"double": 42}
        with pytest.raises(InputError) as caught:
            g(-1)
        assert str(caught.value) == "in.xml:3: negative"
        assert g(1) == {"double": 2}


def test_guard_stops_a_call_over_time_and_recovers():
    with guard.Guard(_slow, guard.Budget(seconds=0.5)) as g:
        started = time.monotonic()
        with pytest.raises(guard.RunawayError, match="stopped after 0.5 s"):
            g(60)
        assert time.monotonic() - started < 5
        assert g(0) == "done"


def test_guard_stops_a_call_over_memory_and_recovers():
    def hog(megabytes):
        return len(bytearray(megabytes * 1024 * 1024))

    with guard.Guard(hog, guard.Budget(seconds=30, memory=100 * guard.MB)) as g:
        with pytest.raises(guard.RunawayError, match="more memory than the limit of 100 MB"):
            g(1024)
        assert g(1) == 1024 * 1024


def test_guard_reports_a_worker_that_dies():
    def die(how):
        if how == "signal":
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(3)

    with guard.Guard(die, guard.Budget(seconds=10)) as g:
        with pytest.raises(guard.RunawayError, match="killed by signal 9"):
            g("signal")
        with pytest.raises(guard.RunawayError, match="exit code 3"):
            g("exit")


def test_guarded_validation_of_the_library(work, runaway):
    contract = load_contract(runaway)
    contract.compiled(None)
    reports = list(guard.validate([work / "wide.xml", work / "doc.xml"], [contract],
                                  budget=guard.Budget(seconds=1)))
    assert [r.error for r in reports] == ["stopped after 1 s: over the time limit per document",
                                          None]


def test_without_a_budget_nothing_is_forked(work):
    contract = load_contract(work / "holds.sch")
    (report,) = guard.validate([work / "doc.xml"], [contract], budget=guard.Budget())
    assert report.valid and not guard.Budget().active
