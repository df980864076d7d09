"""``cdcxml validate``, ``compile`` and ``lint`` through click's CliRunner: inputs, formats,
output files, exit codes 0/1/2 and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from cdcxml.cli import main

from .engine_support import DATA
from .helpers import cli as cdcxml

CLI = DATA / "cli"
CONTRACT = CLI / "orders.sch"
DOCS = CLI / "docs"
LINT = DATA / "lint"
SVRL = "http://purl.oclc.org/dsdl/svrl"


def _one_error_line(result, *words: str) -> str:
    assert result.exit_code == 2, result.output
    # an exception other than SystemExit would be a traceback outside the test runner
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


# -- validate: inputs and exit codes ---------------------------------------------------------------

def test_a_document_that_holds_exits_0():
    result = cdcxml("validate", "-c", CONTRACT, DOCS / "good.xml")
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 document: 1 valid, 0 invalid, 0 could not be checked\n"


def test_a_violation_exits_1_with_one_line_per_finding():
    result = cdcxml("validate", "-c", CONTRACT, DOCS / "bad.xml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{DOCS / 'bad.xml'}:4: order-screen: order without id [has-id]",
        "1 document: 0 valid, 1 invalid, 0 could not be checked",
    ]


def test_a_directory_is_recursed_for_xml_documents_only():
    result = cdcxml("validate", "-c", CONTRACT, DOCS, "--format", "json")
    data = json.loads(result.stdout)
    paths = [Path(d["path"]).relative_to(DOCS).as_posix() for d in data["documents"]]
    assert paths == ["bad.xml", "good.xml", "nested/rush.xml"]
    assert data["summary"] == {"documents": 3, "valid": 2, "invalid": 1, "errors": 0}
    assert result.exit_code == 1


def test_an_informational_report_does_not_break_the_contract():
    result = cdcxml("validate", "-c", CONTRACT, DOCS / "nested" / "rush.xml", "--format", "json")
    assert result.exit_code == 0
    (contract,) = json.loads(result.stdout)["documents"][0]["contracts"]
    assert contract["valid"] is True and contract["failures"] == []
    assert [r["id"] for r in contract["reports"]] == ["rush"]


def test_standard_input():
    data = (DOCS / "bad.xml").read_bytes()
    result = cdcxml("validate", "-c", CONTRACT, "-", input=data)
    assert result.exit_code == 1
    assert result.stdout.startswith("-:4: order-screen: order without id [has-id]\n")


def test_json_has_the_documented_shape():
    result = cdcxml("validate", "-c", CONTRACT, "--format", "json", DOCS / "bad.xml")
    data = json.loads(result.stdout)
    assert set(data) == {"cdcxml", "documents", "summary"}
    (doc,) = data["documents"]
    assert set(doc) == {"path", "valid", "error", "xsd", "contracts"}
    assert doc["xsd"] is None and doc["error"] is None and doc["valid"] is False
    (contract,) = doc["contracts"]
    assert (contract["consumer"], contract["contract"]) == ("order-screen", str(CONTRACT))
    (failure,) = contract["failures"]
    assert failure == {
        "kind": "assert", "id": "has-id", "pattern": "orders", "context": "o:order",
        "test": "@id", "role": None, "flag": None, "message": "order without id",
        "location": "/o:orders[1]/o:order[2]", "line": 4,
    }


def test_svrl_format_exit_codes():
    assert cdcxml("validate", "-c", CONTRACT, "--format", "svrl", DOCS / "good.xml").exit_code == 0
    result = cdcxml("validate", "-c", CONTRACT, "--format", "svrl", DOCS / "bad.xml")
    assert result.exit_code == 1
    root = etree.fromstring(result.stdout_bytes)
    assert len(root.findall(f"{{{SVRL}}}failed-assert")) == 1


def test_a_document_that_is_not_well_formed_is_an_error_entry_and_the_run_goes_on():
    result = cdcxml("validate", "-c", CONTRACT, "--format", "json", CLI / "broken.xml",
                    DOCS / "good.xml")
    assert result.exit_code == 1
    broken, good = json.loads(result.stdout)["documents"]
    assert broken["valid"] is False and broken["contracts"] == []
    assert "not well-formed" in broken["error"] and "line 4" in broken["error"]
    assert good["valid"] is True
    text = cdcxml("validate", "-c", CONTRACT, CLI / "broken.xml")
    assert text.exit_code == 1
    assert text.stdout.startswith(f"{CLI / 'broken.xml'}: error: line 4: not well-formed")
    assert "Traceback" not in text.output


def test_a_missing_document_is_a_usage_error(tmp_path):
    # A path given to check that is not there: the run would check less than it was asked to.
    result = cdcxml("validate", "-c", CONTRACT, "--format", "json", tmp_path / "gone.xml")
    _one_error_line(result, "gone.xml", "no such file or directory")
    assert result.stdout == ""


def test_a_doctype_is_refused_per_document(tmp_path):
    doc = tmp_path / "entity.xml"
    doc.write_text('<!DOCTYPE o [<!ENTITY e SYSTEM "file:///etc/passwd">]><o>&e;</o>')
    result = cdcxml("validate", "-c", CONTRACT, "--format", "json", doc)
    assert result.exit_code == 1
    assert "DOCTYPE" in json.loads(result.stdout)["documents"][0]["error"]


def test_svrl_format_reports_an_unreadable_document_and_goes_on():
    result = cdcxml("validate", "-c", CONTRACT, "--format", "svrl", CLI / "broken.xml",
                    DOCS / "good.xml")
    assert result.exit_code == 1
    assert "broken.xml" in result.stderr and "not well-formed" in result.stderr
    assert etree.fromstring(result.stdout_bytes).tag == f"{{{SVRL}}}schematron-output"


# -- validate: errors that stop the run ----------------------------------------------------------

@pytest.mark.parametrize(("name", "line"), [("bad-xpath.sch", 6), ("undefined-in-test.sch", 6),
                                            ("extends-recursive.sch", 9)])
def test_an_invalid_contract_is_one_stderr_line_with_file_and_line_and_exit_2(name, line):
    contract = DATA / "errors" / name
    result = cdcxml("validate", "-c", contract, DOCS / "good.xml")
    _one_error_line(result, f"{contract}:{line}: ")
    assert result.stdout == ""


def test_a_contract_that_is_not_well_formed_is_exit_2(tmp_path):
    contract = tmp_path / "broken.sch"
    contract.write_text('<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron">\n<oops>')
    _one_error_line(cdcxml("validate", "-c", contract, DOCS / "good.xml"), f"{contract}:2: ",
                    "not well-formed")


def test_a_missing_contract_is_exit_2(tmp_path):
    _one_error_line(cdcxml("validate", "-c", tmp_path / "nope.sch", DOCS / "good.xml"),
                    "nope.sch", "no such file or directory")


def test_an_unknown_phase_is_exit_2():
    _one_error_line(cdcxml("validate", "-c", CONTRACT, "--phase", "later", DOCS / "good.xml"),
                    "no phase 'later'")


def test_an_unsupported_query_binding_is_exit_2(tmp_path):
    contract = tmp_path / "xslt2.sch"
    contract.write_text(CONTRACT.read_text().replace('queryBinding="xslt"', 'queryBinding="xslt2"'))
    _one_error_line(cdcxml("validate", "-c", contract, DOCS / "good.xml"), "'xslt2'")


def test_usage_errors_are_exit_2():
    assert cdcxml("validate", DOCS / "good.xml").exit_code == 2
    assert cdcxml("validate", "-c", CONTRACT).exit_code == 2
    assert cdcxml("validate", "-c", CONTRACT, "--format", "html", DOCS).exit_code == 2


def test_debug_shows_the_exception():
    result = CliRunner().invoke(main, ["--debug", "validate", "-c",
                                       str(DATA / "errors" / "bad-xpath.sch"), str(DOCS / "good.xml")])
    assert result.exit_code == 2  # as without --debug
    assert "Traceback (most recent call last)" in result.stderr
    assert "not a valid XPath" in result.stderr


# -- validate --output -----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "json", "svrl"])
def test_output_file_replaces_the_old_one_and_leaves_no_temporary_files(tmp_path, fmt):
    out = tmp_path / "reports" / "report.out"
    out.parent.mkdir()
    out.write_text("old report")
    result = cdcxml("validate", "-c", CONTRACT, "--format", fmt, "-o", out, DOCS / "bad.xml")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.out"]
    written = out.read_bytes()
    assert b"old report" not in written
    expected = cdcxml("validate", "-c", CONTRACT, "--format", fmt, DOCS / "bad.xml").stdout_bytes
    assert written == expected


def test_output_file_is_untouched_when_the_run_cannot_start(tmp_path):
    out = tmp_path / "report.json"
    out.write_text("previous")
    result = cdcxml("validate", "-c", DATA / "errors" / "bad-xpath.sch", "--format", "json",
                    "-o", out, DOCS / "good.xml")
    assert result.exit_code == 2
    assert out.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_output_into_a_missing_folder_is_one_error_line(tmp_path):
    out = tmp_path / "no" / "such" / "r.txt"
    _one_error_line(cdcxml("validate", "-c", CONTRACT, "-o", out, DOCS / "good.xml"),
                    f"{out}: cannot write the report")
    assert not (tmp_path / "no").exists()


# -- compile ---------------------------------------------------------------------------------------

def test_compile_writes_xslt_that_lxml_loads(tmp_path):
    out = tmp_path / "orders.xsl"
    result = cdcxml("compile", CONTRACT, "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    stylesheet = etree.parse(str(out))
    assert stylesheet.getroot().tag == "{http://www.w3.org/1999/XSL/Transform}stylesheet"
    assert stylesheet.getroot().get("version") == "1.0"
    etree.XSLT(stylesheet)  # compiles
    assert [p.name for p in tmp_path.iterdir()] == ["orders.xsl"]


def test_compile_to_standard_output_with_a_phase():
    result = cdcxml("compile", DATA / "phases" / "phases.sch", "--phase", "lenient")
    assert result.exit_code == 0
    root = etree.fromstring(result.stdout_bytes)
    names = [v.get("name") for v in root.iter("{http://www.w3.org/1999/XSL/Transform}variable")]
    assert "max-qty" in names


def test_compile_into_a_missing_folder_is_one_error_line(tmp_path):
    out = tmp_path / "missing" / "orders.xsl"
    _one_error_line(cdcxml("compile", CONTRACT, "-o", out),
                    f"{out}: cannot write the report: No such file or directory")


def test_compile_errors_are_exit_2():
    _one_error_line(cdcxml("compile", DATA / "errors" / "let-twice-in-rule.sch"),
                    "let-twice-in-rule.sch:6: ")


# -- lint ------------------------------------------------------------------------------------------

def test_lint_finds_unused_shadowed_and_unmatched():
    contract = LINT / "untidy.sch"
    result = cdcxml("lint", contract, "--sample", LINT / "sample.xml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{contract}:4: warning: let 'unused-limit' is never used",
        f"{contract}:19: warning: diagnostic 'forgotten' is never referenced",
        f"{contract}:10: warning: rule 'o:order' never fires: the earlier rule 'o:order' of the "
        "same pattern matches first",
        f"{contract}:13: warning: rule context 'o:invoice' matches nothing in the sample documents",
    ]
    assert result.stderr == "4 problems\n"


def test_lint_without_samples_does_not_judge_contexts():
    result = cdcxml("lint", LINT / "untidy.sch")
    assert result.exit_code == 1
    assert "matches nothing" not in result.stdout
    assert len(result.stdout.splitlines()) == 3


def test_lint_of_a_tidy_contract_exits_0():
    result = cdcxml("lint", LINT / "tidy.sch", "--sample", LINT / "sample.xml")
    assert result.exit_code == 0
    assert result.output == ""


def test_lint_checks_cdc_metadata_against_its_schema():
    contract = LINT / "bad-metadata.sch"
    result = cdcxml("lint", contract)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{contract}:4: error: cdc metadata:") and "'colour'" in lines[0]
    assert lines[1].startswith(f"{contract}:7: error: cdc metadata:") and "'700'" in lines[1]


def test_lint_of_a_contract_that_does_not_compile_is_exit_2():
    _one_error_line(cdcxml("lint", DATA / "errors" / "unbound-prefix.sch"),
                    "unbound-prefix.sch:4: ", "prefix 'p'")


def test_lint_of_a_directory_checks_every_contract():
    result = cdcxml("lint", LINT)
    assert result.exit_code == 1
    named = {Path(line.split(":", 1)[0]).name for line in result.stdout.splitlines()}
    assert named == {"untidy.sch", "bad-metadata.sch"}
