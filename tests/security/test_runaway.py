"""Runaway checks: an assertion with cubic XPath cost, a ReDoS pattern in an XSD, or a check that
eats memory is stopped at its limit, reported for its document, and the run goes on."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from cdcxml import load_contract
from cdcxml.checking import check_documents
from cdcxml.errors import InputError
from cdcxml.limits import guard
from cdcxml.limits.pool import GuardedMap

from ..verify_support import FakeProvider, Reply
from .conftest import rule, run_cli, run_many, schema

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


def test_the_svrl_output_has_the_same_limits(work, runaway):
    ran = run_cli("validate", "-c", runaway, "--time-limit", "2", "--format", "svrl",
                  "wide.xml", "doc.xml", cwd=work, timeout=30)
    assert ran.code == 1
    assert ran.stderr == ("cdcxml: wide.xml: stopped after 2 s: over the time limit per "
                          "document\n")
    assert ran.stdout.startswith("<?xml") and "schematron-output" in ran.stdout
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


STOPPED = "stopped after 2 s: over the time limit per document"
GOOD_XSD = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="order"><xs:complexType><xs:sequence>
    <xs:element name="id" type="xs:string"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>
"""


def stopped_lines(ran) -> list[str]:
    """The stderr lines that report a check stopped at its limit."""
    return [line for line in ran.lines if "stopped" in line]


@pytest.fixture
def hostile(work: Path, runaway: Path, redos: Path) -> Path:
    """The cubic contract, the ReDoS schema, a harmless schema and their documents side by side."""
    (work / "good.xsd").write_text(GOOD_XSD)
    return work


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_batch_stops_runaway_documents_and_goes_on(hostile, jobs):
    # wide.xml runs the cubic assertion; redos.xml passes it at once and hangs in the XSD pattern.
    ran = run_cli("batch", "-c", "cubic.sch", "--xsd", "redos.xsd", "--time-limit", "2",
                  "-j", jobs, "--format", "json", "doc.xml", "wide.xml", "redos.xml", "fine.xml",
                  cwd=hostile, timeout=60)
    assert ran.code == 1 and ran.stderr == "", ran.stderr
    docs = json.loads(ran.stdout)["documents"]
    assert [d["path"] for d in docs] == ["doc.xml", "wide.xml", "redos.xml", "fine.xml"]
    assert [d["error"] for d in docs] == [None, STOPPED, STOPPED, None]
    assert docs[0]["xsd"]["valid"] is False  # "1" does not match the pattern, and says so at once
    assert docs[3]["valid"] is True
    assert ran.seconds < 15


def test_batch_outputs_are_the_same_on_one_and_on_two_processes(hostile):
    args = ("batch", "-c", "cubic.sch", "-c", "holds.sch", "--xsd", "redos.xsd", "--time-limit",
            "2", "--format", "jsonl", "fine.xml", "redos.xml", "doc.xml", "wide.xml", "fine.xml")
    one, two = run_many([(*args, "-j", "1"), (*args, "-j", "2")], cwd=hostile, timeout=60)
    assert one.code == two.code == 1
    assert one.stdout == two.stdout
    lines = [json.loads(line) for line in one.stdout.splitlines()]
    assert [d["error"] for d in lines] == [None, STOPPED, None, STOPPED, None]
    assert f"could not be checked: 2\n  redos.xml: {STOPPED}\n  wide.xml: {STOPPED}" in one.stderr


def test_batch_stops_a_document_over_the_memory_limit(work):
    (work / "big.xml").write_text("<order>" + "<id>1</id>" * 400_000 + "</order>")
    ran = run_cli("batch", "-c", "holds.sch", "--memory-limit", "50", "-j", "1", "big.xml",
                  "doc.xml", cwd=work, timeout=60)
    assert ran.code == 1, ran.stderr
    (line,) = [x for x in ran.stdout.splitlines() if x.startswith("big.xml: error: ")]
    assert line.endswith(("not enough memory to parse the document",
                          "more memory than the limit of 50 MB")), line
    assert "1 valid" in ran.stdout


WIDE = ("<order>" + "<id>1</id>" * 3000 + "</order>").encode()


@pytest.fixture
def wide_provider():
    """Answers /wide with the document the cubic assertion chokes on, /small with a small one."""
    provider = FakeProvider()
    provider.routes["/wide"] = Reply(body=WIDE, content_type="text/xml")
    provider.routes["/small"] = Reply(body=b"<order><id>1</id></order>", content_type="text/xml")
    provider.start()
    yield provider.url
    provider.close()


def test_verify_stops_a_runaway_contract_on_one_response(work, wide_provider):
    interactions = "".join(
        f'<cdc:interaction id="{name}"><cdc:request method="POST" path="/{name}">'
        "<order><id>1</id></order></cdc:request></cdc:interaction>" for name in ("wide", "small"))
    (work / "shop.sch").write_text(schema(
        '<cdc:contract consumer="shop" provider="orders" version="1.0.0"/>' + interactions
        + rule(CUBIC, "never", kind="assert"), extra_ns='xmlns:cdc="urn:cdcxml:contract:1"'))
    ran = run_cli("verify", "--base-url", wide_provider, "-c", "shop.sch", "--time-limit", "2",
                  "--format", "json", cwd=work, timeout=60)
    assert ran.code == 1 and ran.stderr == "", ran.stderr
    by_id = {d["interaction"]: d for d in json.loads(ran.stdout)["documents"]}
    assert by_id["wide"]["error"] == f"contract run on the response {STOPPED}"
    assert by_id["wide"]["valid"] is False
    assert by_id["small"]["valid"] is True and by_id["small"]["error"] is None
    assert ran.seconds < 15

    text = run_cli("verify", "--base-url", wide_provider, "-c", "shop.sch", "--time-limit", "2",
                   cwd=work, timeout=60)
    assert text.code == 1
    assert f"      contract run on the response {STOPPED}" in text.stdout.splitlines()


def test_contrast_stops_a_runaway_contract_and_a_runaway_pattern(hostile):
    ran = run_cli("contrast", "-c", "cubic.sch", "--xsd", "redos.xsd", "--time-limit", "2",
                  "--format", "json", "wide.xml", "redos.xml", "fine.xml", cwd=hostile, timeout=60)
    assert ran.code == 1
    assert ran.lines == [f"cdcxml: wide.xml: {STOPPED}", f"cdcxml: redos.xml: {STOPPED}"]
    docs = {d["path"]: d for d in json.loads(ran.stdout)["documents"]}
    assert docs["wide.xml"]["error"] == docs["redos.xml"]["error"] == STOPPED
    assert docs["fine.xml"]["category"] == "both_accept"
    assert ran.seconds < 15


def test_obligations_stop_a_runaway_contract_on_a_sample(hostile):
    ran = run_cli("obligations", "-c", "cubic.sch", "-c", "holds.sch", "--sample", "wide.xml",
                  "--sample", "fine.xml", "--xsd", "redos.xsd", "--time-limit", "2",
                  "--format", "json", cwd=hostile, timeout=60)
    assert ran.code == 1
    assert ran.lines == [f"cdcxml: wide.xml: cubic: {STOPPED}"]
    report = json.loads(ran.stdout)
    assert report["samples"] == [{"path": "wide.xml", "rejected_by": ["cubic"]},
                                 {"path": "fine.xml", "rejected_by": []}]
    # holds was analysed on both samples; the ReDoS schema only lists paths, so it costs nothing
    (order_id,) = [o for o in report["obligations"] if o["path"] == "/order/id"]
    assert "holds" in json.dumps(order_id)
    assert ran.seconds < 15


def test_obligations_stop_a_contract_that_runs_away_on_one_mutant(work):
    # Cheap while the flag is there; cubic once the mutant has lost it.
    (work / "lazy.sch").write_text(schema(rule(f"flag or {CUBIC}", "never", kind="assert")))
    (work / "flagged.xml").write_text("<order><flag/>" + "<x/>" * 3000 + "</order>")
    ran = run_cli("obligations", "-c", "lazy.sch", "--sample", "flagged.xml", "--time-limit", "2",
                  cwd=work, timeout=60)
    assert ran.code == 1
    assert ran.lines == [f"cdcxml: flagged.xml with /order/flag removed: lazy: {STOPPED}"]
    rows = {line.split()[0]: line.split()[1:] for line in ran.stdout.splitlines()
            if line.startswith("/")}
    assert rows["/order/flag"] == ["P"]  # the consumer cannot do without the flag
    assert ran.seconds < 20


def test_impact_stops_runaway_documents_and_derivations(hostile):
    documents, schemas, pattern = run_many([
        ("impact", "-c", "cubic.sch", "--old", "fine.xml", "--new", "wide.xml", "--new",
         "fine.xml", "--time-limit", "2"),
        ("impact", "-c", "holds.sch", "--old-xsd", "good.xsd", "--new-xsd", "redos.xsd",
         "--sample", "redos.xml", "--sample", "fine.xml", "--time-limit", "2"),
        ("impact", "-c", "holds.sch", "--old", "fine.xml", "--new", "redos.xml", "--new",
         "fine.xml", "--xsd", "redos.xsd", "--time-limit", "2", "--format", "json"),
    ], cwd=hostile, timeout=60)
    assert documents.code == 1
    assert documents.lines == [f"cdcxml: wide.xml (new): {STOPPED}"]
    assert f"wide.xml: error: {STOPPED}" in documents.stdout
    assert "cubic: holds (rejects 0 old, 0 new document(s))" in documents.stdout

    assert schemas.code == 1
    assert schemas.lines == [f"cdcxml: redos.xml [derived for redos.xsd]: {STOPPED}"]
    assert f"derived from redos.xml:\n  could not derive: {STOPPED}" in schemas.stdout
    assert "derived from fine.xml:\n  unchanged" in schemas.stdout

    assert pattern.code == 1
    assert pattern.lines == [f"cdcxml: redos.xml (new): {STOPPED}"]
    new = json.loads(pattern.stdout)["xsd"]
    assert new["rejects"] == []  # fine.xml was checked against the same schema, and holds
    for ran in (documents, schemas, pattern):
        assert ran.seconds < 20


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
    reports = list(check_documents([work / "wide.xml", work / "doc.xml"], [contract],
                                   budget=guard.Budget(seconds=1)))
    assert [r.error for r in reports] == ["stopped after 1 s: over the time limit per document",
                                          None]


def test_without_a_budget_nothing_is_forked(work):
    contract = load_contract(work / "holds.sch")
    (report,) = check_documents([work / "doc.xml"], [contract], budget=guard.Budget())
    assert report.valid and not guard.Budget().active


# -- many checks in one worker -------------------------------------------------------------------------

def _nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_guarded_map_stops_one_item_and_checks_the_rest():
    with GuardedMap(_nap, guard.Budget(seconds=0.5), flush_seconds=0.05) as g:
        started = time.monotonic()
        answers = g.map([0, 0.1, 60, 0, 0.1, 60, 0])
        assert time.monotonic() - started < 10
        assert [a for a in answers if not isinstance(a, guard.RunawayError)] == [0, 0.1, 0, 0.1, 0]
        assert [str(a) for a in answers if isinstance(a, guard.RunawayError)] == [
            "stopped after 0.5 s: over the time limit per document"] * 2
        assert [isinstance(a, guard.RunawayError) for a in answers] == [
            False, False, True, False, False, True, False]
        assert g.map([0.01]) == [0.01]  # the worker that replaced the stopped one goes on


def test_guarded_map_items_take_their_own_time():
    # Five items of 0.3 s each under a limit of 0.5 s: the limit is per item, not per list.
    with GuardedMap(_nap, guard.Budget(seconds=0.5)) as g:
        assert g.map([0.3] * 5) == [0.3] * 5


def test_guarded_map_stops_an_item_over_memory_and_one_that_dies():
    def work(item):
        if item == "hog":
            return len(bytearray(1024 * 1024 * 1024))
        if item == "die":
            os.kill(os.getpid(), signal.SIGKILL)
        return item.upper()

    with GuardedMap(work, guard.Budget(seconds=30, memory=100 * guard.MB)) as g:
        first, hog, middle, died, last = g.map(["a", "hog", "b", "die", "c"])
    assert (first, middle, last) == ("A", "B", "C")
    assert str(hog) == "stopped: the check needed more memory than the limit of 100 MB"
    assert "killed by signal 9" in str(died)


def test_guarded_map_raises_what_the_function_raises():
    def work(x):
        if x < 0:
            raise InputError("negative", path="in.xml", line=3)
        return 2 * x

    with GuardedMap(work, guard.Budget(seconds=10)) as g:
        with pytest.raises(InputError) as caught:
            g.map([1, -1, 2])
        assert str(caught.value) == "in.xml:3: negative"
        assert g.map([1, 2]) == [2, 4]


def test_guarded_map_without_a_budget_runs_here():
    seen = []

    def work(x):
        seen.append(x)
        return x

    with GuardedMap(work, guard.Budget()) as g:
        assert g.map([1, 2]) == [1, 2]
    assert seen == [1, 2]  # this process's list: nothing was forked


def test_guarded_map_replaces_a_worker_that_ended_while_idle():
    with GuardedMap(_nap, guard.Budget(seconds=10)) as g:
        assert g.map([0]) == [0]
        os.kill(g._pid, signal.SIGKILL)  # as the system's out-of-memory killer would
        time.sleep(0.2)
        assert g.map([0, 0.01]) == [0, 0.01]
