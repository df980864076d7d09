"""``cdcxml compile`` writes a stylesheet any XSLT 1.0 processor runs, without cdcxml."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from cdcxml import load_contract
from cdcxml.cli import main

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "productsearch"
SVRL = "http://purl.oclc.org/dsdl/svrl"
CASES = [
    (EXAMPLE / "contracts" / "marketing.sch", EXAMPLE / "responses" / "broken-no-price.xml"),
    (EXAMPLE / "contracts" / "reseller-web.sch", EXAMPLE / "responses" / "broken-no-price.xml"),
    (EXAMPLE / "contracts" / "marketing.sch", EXAMPLE / "responses" / "soap" / "broken-no-price.xml"),
    (EXAMPLE / "contracts" / "marketing.sch", EXAMPLE / "responses" / "v1.xml"),
]


def _compile(tmp_path: Path, contract: Path) -> Path:
    out = tmp_path / "contract.xsl"
    result = CliRunner().invoke(main, ["compile", "-c", str(contract), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    return out


def _findings(svrl: etree._Element, doc: etree._ElementTree) -> list[tuple[str, int]]:
    """(assertion id or test, line of the node its location points at), in order."""
    out = []
    for f in svrl.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        [node] = doc.xpath(f.get("location"))
        out.append((f.get("id") or f.get("test"), node.sourceline))
    return out


def _expected(contract: Path, doc: Path) -> list[tuple[str, int]]:
    report = load_contract(contract).validate(doc)
    return [(f.id or f.test, f.location.line) for f in report.findings]


@pytest.mark.parametrize(("contract", "doc"), CASES, ids=lambda p: p.name)
def test_the_stylesheet_runs_in_plain_lxml_with_cdcxml_findings(tmp_path, contract, doc):
    xsl = _compile(tmp_path, contract)
    transform = etree.XSLT(etree.parse(str(xsl)))  # no extension functions registered
    tree = etree.parse(str(doc))
    svrl = transform(tree).getroot()
    assert svrl.tag == f"{{{SVRL}}}schematron-output"
    assert svrl.find(f"{{{SVRL}}}active-pattern") is not None
    assert _findings(svrl, tree) == _expected(contract, doc)


def test_the_stylesheet_runs_in_xsltproc_when_there_is_one(tmp_path):
    contract, doc = CASES[0]
    xsl = _compile(tmp_path, contract)
    xsltproc = shutil.which("xsltproc")
    if xsltproc is None:  # the lxml test above runs everywhere; this one where xsltproc is
        transform = etree.XSLT(etree.parse(str(xsl)))
        out = etree.tostring(transform(etree.parse(str(doc))))
    else:
        done = subprocess.run([xsltproc, str(xsl), str(doc)], capture_output=True, check=False)
        assert done.returncode == 0, done.stderr.decode()
        out = done.stdout
    svrl = etree.fromstring(out)
    assert _findings(svrl, etree.parse(str(doc))) == [("has-price", 10)]


def test_internal_keeps_cdcxml_s_own_form(tmp_path):
    out = tmp_path / "internal.xsl"
    result = CliRunner().invoke(main, ["compile", str(CASES[0][0]), "--internal", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert b"cdcr:locate(" in out.read_bytes()
    with pytest.raises(etree.XSLTApplyError):  # it needs cdcxml's extension functions
        etree.XSLT(etree.parse(str(out)))(etree.parse(str(CASES[0][1])))


def test_compile_writes_one_line_errors(tmp_path):
    result = CliRunner().invoke(main, ["compile", str(CASES[0][0]), "-o", "README.md/x.xsl"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "cdcxml: README.md/x.xsl: cannot write the report: Not a directory"
