"""Every command, given a hostile or broken input where it reads one: one clear line naming the
input, the exit code of docs/exit-codes.md, never a traceback, nothing fetched."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import BILLION_LAUGHS, one_error, run_cli

XSD = ('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{first}<xs:element name="order">'
       '<xs:complexType><xs:sequence><xs:element name="id" type="{type}"/></xs:sequence>'
       "</xs:complexType></xs:element>{extra}</xs:schema>")


@pytest.fixture
def inputs(work: Path, secret: Path, listener) -> Path:
    """Hostile documents and schemas beside a good contract, document and XSD."""
    (work / "lol.xml").write_bytes(BILLION_LAUGHS)
    (work / "utf7.xml").write_bytes(b'<?xml version="1.0" encoding="UTF-7"?><order/>')
    (work / "good.xsd").write_text(XSD.format(first="", type="xs:string", extra=""))
    (work / "dtd.xsd").write_text(f'<!DOCTYPE s SYSTEM "{listener.url}/s.dtd">'
                                  + XSD.format(first="", type="xs:string", extra=""))
    (secret.parent / "x.xsd").write_text(XSD.format(first="", type="xs:string", extra=""))
    (work / "outside.xsd").write_text(XSD.format(
        first=f'<xs:include schemaLocation="{secret.parent.as_uri()}/x.xsd"/>', type="xs:string",
        extra=""))
    (work / "remote.xsd").write_text(XSD.format(
        first=f'<xs:import namespace="urn:r" schemaLocation="{listener.url}/r.xsd"/>',
        type="xs:string", extra=""))
    (work / "regex.xsd").write_text(XSD.format(first="", type="Id", extra=(
        '<xs:simpleType name="Id"><xs:restriction base="xs:string">'
        '<xs:pattern value="(((a{1000}){1000}){1000}){1000}"/></xs:restriction></xs:simpleType>')))
    return work


# command line, exit code, words the one error line holds
DOCUMENT_CASES = {
    "lint-sample": (("lint", "holds.sch", "--sample", "lol.xml"), 2, "lol.xml:2",
                    "DOCTYPE not allowed"),
    # A sample or document that cannot be read is a document not checked: exit 1.
    "obligations-sample": (("obligations", "-c", "holds.sch", "--sample", "utf7.xml"), 1,
                           "utf7.xml", "encoding 'utf-7' is not allowed"),
    "impact-old": (("impact", "-c", "holds.sch", "--old", "lol.xml", "--new", "doc.xml"), 1,
                   "lol.xml:2", "DOCTYPE not allowed"),
    "impact-sample": (("impact", "-c", "holds.sch", "--old-xsd", "good.xsd", "--new-xsd",
                       "good.xsd", "--sample", "lol.xml"), 1, "lol.xml:2", "DOCTYPE not allowed"),
    "xsd2sch-sample": (("xsd2sch", "good.xsd", "--keep", "/order/id", "--sample", "lol.xml"), 2,
                       "lol.xml:2", "DOCTYPE not allowed"),
    "compile-doctype": (("compile", "lol.xml"), 2, "lol.xml:2", "DOCTYPE not allowed"),
    "lint-doctype": (("lint", "lol.xml"), 2, "lol.xml:2", "DOCTYPE not allowed"),
    "validate-contract-doctype": (("validate", "-c", "lol.xml", "doc.xml"), 2, "lol.xml:2",
                                  "DOCTYPE not allowed"),
    "verify-contract-doctype": (("verify", "--base-url", "http://127.0.0.1:9", "-c", "lol.xml"),
                                2, "lol.xml:2", "DOCTYPE not allowed"),
    "batch-contract-doctype": (("batch", "-c", "lol.xml", "doc.xml"), 2, "lol.xml:2",
                               "DOCTYPE not allowed"),
    "contrast-contract-doctype": (("contrast", "-c", "lol.xml", "--xsd", "good.xsd", "doc.xml"),
                                  2, "lol.xml:2", "DOCTYPE not allowed"),
}


@pytest.mark.parametrize("case", list(DOCUMENT_CASES))
def test_hostile_inputs_are_one_line(inputs, listener, case):
    args, code, *words = DOCUMENT_CASES[case]
    one_error(run_cli(*args, cwd=inputs), *words, code=code)
    listener.close()
    assert listener.connections == []


XSD2SCH_CASES = {
    "dtd.xsd": ("dtd.xsd", "External references are forbidden"),
    "outside.xsd": ("outside.xsd", "refused", "outside the schema's folder"),
    "remote.xsd": ("remote.xsd", "r.xsd"),
}


@pytest.mark.parametrize("schema", list(XSD2SCH_CASES))
def test_xsd2sch_refuses_hostile_schemas_and_writes_nothing(inputs, listener, schema):
    ran = run_cli("xsd2sch", schema, "-o", "out.sch", cwd=inputs)
    one_error(ran, *XSD2SCH_CASES[schema])
    assert not (inputs / "out.sch").exists()
    listener.close()
    assert listener.connections == []


def test_xsd2sch_does_not_spell_out_a_counted_repeat_bomb(inputs):
    ran = run_cli("xsd2sch", "regex.xsd", "-o", "out.sch", cwd=inputs, memory_mb=1024, timeout=60)
    assert ran.code == 0, ran.stderr
    assert (inputs / "out.sch").stat().st_size < 20_000


def test_contrast_reports_unreadable_documents_and_goes_on(inputs):
    ran = run_cli("contrast", "-c", "holds.sch", "--xsd", "good.xsd", "lol.xml", "utf7.xml",
                  "doc.xml", cwd=inputs)
    assert ran.code == 1 and ran.stderr == "", ran.stderr
    assert "lol.xml" in ran.stdout and "utf7.xml" in ran.stdout


def test_verify_with_a_broken_configuration(inputs):
    (inputs / "cdcxml.toml").write_text("[verify]\nbase-url = 3\ntimeout = 'soon'\n")
    one_error(run_cli("verify", cwd=inputs), "cdcxml.toml")


@pytest.mark.parametrize("args", [("validate", "-c", "missing.sch", "doc.xml"),
                                  ("validate", "-c", "holds.sch", "--phase", "nope", "doc.xml"),
                                  ("compile", "missing.sch"), ("lint", "missing.sch"),
                                  ("batch", "-c", "holds.sch", "--xsd", "missing.xsd", "doc.xml"),
                                  ("xsd2sch", "missing.xsd")])
def test_could_not_run_is_exit_2_with_one_line(work, args):
    ran = run_cli(*args, cwd=work)
    assert ran.code == 2 and len(ran.lines) == 1, ran.stderr


def test_debug_shows_the_traceback_for_a_refusal(inputs):
    ran_plain = run_cli("compile", "lol.xml", cwd=inputs)
    assert "Traceback" not in ran_plain.stderr
    import subprocess

    from .conftest import _bounded, _command  # a traceback is what --debug asks for

    done = subprocess.run([*_command(), "--debug", "compile", "lol.xml"], cwd=inputs,
                          capture_output=True, text=True, preexec_fn=_bounded(1024, None),
                          timeout=60)
    assert done.returncode != 0 and "Traceback" in done.stderr and "UnsafeXMLError" in done.stderr
