"""contrast: the provider XSD's verdict beside each consumer's; validate --xsd."""

from __future__ import annotations

from lxml import etree

from cdcxml.analysis import (
    BOTH_ACCEPT,
    BOTH_REJECT,
    XSD_ACCEPTS_CONSUMER_REJECTS,
    XSD_REJECTS_CONSUMERS_ACCEPT,
    contrast,
)
from cdcxml.sources import load_contracts
from cdcxml.xsd import load_xsd

from .analysis_support import DATA, EXAMPLE, TRACKING, run, run_json

V1_XSD = EXAMPLE / "schemas/products-v1.xsd"
RESPONSES = EXAMPLE / "responses"


def _doc(name: str) -> str:
    return str(RESPONSES / name)


def test_productsearch_summary_in_the_articles_terms():
    code, report = run_json("contrast", "--xsd", V1_XSD, "-c", EXAMPLE / "contracts", RESPONSES)
    summary = report["summary"]
    assert summary["xsd_rejects_consumers_accept"] == [_doc("v2-description.xml"),
                                                       _doc("v3-no-instock.xml")]
    assert summary["xsd_accepts_consumer_rejects"] == []
    assert summary["both_reject"] == [_doc("broken-no-price.xml"), _doc("soap/broken-no-price.xml")]
    assert summary["both_accept"] == [_doc("soap/v1.xml"), _doc("v1.xml")]
    assert summary["consumers"] == {
        name: {"rejects": 2, "xsd_rejects": 4, "rejects_xsd_accepts": 0, "accepts_xsd_rejects": 2}
        for name in ("marketing", "reseller-web")
    }
    assert (summary["documents"], summary["valid"], summary["invalid"], summary["errors"]) == (
        6, 2, 4, 0)
    # A real break is a violation: the run fails.
    assert code == 1


def test_document_entries_keep_the_validate_shape_with_a_case():
    _, report = run_json("contrast", "--xsd", V1_XSD, "-c", EXAMPLE / "contracts",
                         _doc("v2-description.xml"))
    doc, = report["documents"]
    assert doc["category"] == XSD_REJECTS_CONSUMERS_ACCEPT
    assert doc["xsd"]["valid"] is False
    assert any("Extension" in e["message"] and e["line"] == 9 for e in doc["xsd"]["errors"])
    assert [(c["consumer"], c["valid"]) for c in doc["contracts"]] == [
        ("marketing", True), ("reseller-web", True)]
    assert report["xsd"] == str(V1_XSD)


def test_only_xsd_rejections_do_not_fail_the_run():
    code, report = run_json("contrast", "--xsd", V1_XSD, "-c", EXAMPLE / "contracts",
                            _doc("v1.xml"), _doc("v2-description.xml"), _doc("v3-no-instock.xml"))
    assert code == 0
    assert len(report["summary"]["xsd_rejects_consumers_accept"]) == 2


def test_soap_bodies_are_unwrapped_for_the_xsd():
    code, report = run_json("contrast", "--xsd", V1_XSD, "-c", EXAMPLE / "contracts",
                            _doc("soap/v1.xml"))
    assert code == 0
    assert report["documents"][0]["xsd"] == {"valid": True, "errors": []}
    _, broken = run_json("contrast", "--xsd", V1_XSD, "-c", EXAMPLE / "contracts",
                         _doc("soap/broken-no-price.xml"))
    # The line and XPath are the envelope's, and point at the offending element: the second
    # product's Manufacturer, standing where its Price should be, on line 15 of the file.
    error = broken["documents"][0]["xsd"]["errors"][0]
    assert (error["line"], error["location"]) == (
        15, "/soap:Envelope[1]/soap:Body[1]/p:Products[1]/p:Product[2]/p:Manufacturer[1]")


def test_a_gap_the_schema_does_not_show():
    # xs:double accepts NaN; the marketing contract wants a number.
    nan = DATA / "productsearch/price-nan.xml"
    code, report = run_json("contrast", "--xsd", V1_XSD, "-c", EXAMPLE / "contracts", nan)
    assert code == 1
    assert report["summary"][XSD_ACCEPTS_CONSUMER_REJECTS] == [str(nan)]
    assert report["summary"]["consumers"]["marketing"]["rejects_xsd_accepts"] == 1
    assert report["summary"]["consumers"]["reseller-web"]["rejects"] == 0
    failure, = report["documents"][0]["contracts"][0]["failures"]
    assert (failure["id"], failure["line"]) == ("price-is-number", 3)


def test_unreadable_document_is_an_entry_not_a_crash():
    bad = DATA / "productsearch/not-well-formed.xml"
    code, report = run_json("contrast", "--xsd", V1_XSD, "-c", EXAMPLE / "contracts",
                            bad, _doc("v1.xml"))
    assert code == 1
    assert report["documents"][0]["category"] is None
    assert "not well-formed" in report["documents"][0]["error"]
    assert report["summary"]["errors"] == 1
    assert report["summary"][BOTH_ACCEPT] == [_doc("v1.xml")]


def test_text_output():
    result = run("contrast", "--xsd", V1_XSD, "-c", EXAMPLE / "contracts",
                 _doc("v1.xml"), _doc("v3-no-instock.xml"), _doc("broken-no-price.xml"))
    assert result.exit_code == 1
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()
            if line.startswith(str(RESPONSES)) and len(line.split()) == 4}
    assert rows[_doc("v3-no-instock.xml")] == ["REJECT", "accept", "accept"]
    assert rows[_doc("broken-no-price.xml")] == ["REJECT", "REJECT", "REJECT"]
    assert f"{_doc('broken-no-price.xml')}:10: marketing: Must contain Price node [has-price]" in (
        result.stdout.splitlines())
    assert ("XSD rejects, every consumer accepts (XSD-validating consumers would break for nothing): 1"
            in result.stdout)
    assert "  marketing: its contract rejects 1 document(s), the XSD 2" in result.stdout.splitlines()


def test_junit_output():
    result = run("contrast", "--xsd", V1_XSD, "-c", EXAMPLE / "contracts", "--format", "junit",
                 _doc("v1.xml"), _doc("v2-description.xml"), _doc("broken-no-price.xml"))
    root = etree.fromstring(result.stdout_bytes)
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["xsd", "marketing", "reseller-web"]
    # The XSD's verdicts are shown, never failed on: the exit code is not made of them.
    assert (suites["xsd"].get("tests"), suites["xsd"].get("failures")) == ("3", "0")
    assert suites["marketing"].get("failures") == "1"
    failing = suites["marketing"].find("testcase/failure/..")
    assert failing.get("name") == _doc("broken-no-price.xml")
    assert "[has-price]" in failing.find("failure").text
    v2 = suites["xsd"].find(f"testcase[@name='{_doc('v2-description.xml')}']")
    assert v2.find("properties/property[@name='category']").get("value") == (
        XSD_REJECTS_CONSUMERS_ACCEPT)
    assert ":9: xsd: Unexpected child with tag 'p:Extension'" in v2.find("system-out").text


def test_junit_is_green_when_the_run_exits_0():
    result = run("contrast", "--xsd", V1_XSD, "-c", EXAMPLE / "contracts", "--format", "junit",
                 _doc("v1.xml"), _doc("v2-description.xml"), _doc("v3-no-instock.xml"))
    assert result.exit_code == 0
    root = etree.fromstring(result.stdout_bytes)
    assert root.xpath("count(//failure | //error)") == 0
    assert root.xpath("count(//property[@value='xsd_rejects_consumers_accept'])") == 2


def test_library_call_four_consumers():
    contracts = load_contracts([TRACKING / "contracts"])
    result = contrast([TRACKING / "samples", TRACKING / "changed"], contracts,
                      load_xsd(TRACKING / "schemas/tracking-v1.xsd"))
    cases = {r.path.rsplit("/", 2)[-2] + "/" + r.path.rsplit("/", 1)[-1]: r.category
             for r in result.rows}
    assert cases == {"changed/shipments-1.xml": BOTH_REJECT,
                     "samples/shipments-1.xml": BOTH_ACCEPT,
                     "samples/shipments-2.xml": BOTH_ACCEPT}
    counts = {c.consumer: (c.rejects, c.xsd_rejects) for c in result.per_consumer}
    assert counts == {"analytics": (0, 1), "billing": (0, 1), "customer-portal": (1, 1),
                      "warehouse": (1, 1)}


def test_bad_schema_is_one_line_and_exit_2():
    result = run("contrast", "--xsd", "tests/data/analysis/productsearch/not-well-formed.xml",
                 "-c", EXAMPLE / "contracts", _doc("v1.xml"))
    assert result.exit_code == 2
    line, = result.stderr.splitlines()
    assert line.startswith("cdcxml: tests/data/analysis/productsearch/not-well-formed.xml:4:")


# -- validate --xsd ----------------------------------------------------------------------------
def test_validate_adds_the_xsd_verdict():
    code, report = run_json("validate", "--xsd", V1_XSD, "-c", EXAMPLE / "contracts",
                            _doc("v1.xml"), _doc("v3-no-instock.xml"), _doc("soap/v1.xml"))
    assert code == 1
    verdicts = [(d["path"], d["valid"], d["xsd"]["valid"]) for d in report["documents"]]
    assert verdicts == [(_doc("v1.xml"), True, True), (_doc("v3-no-instock.xml"), False, False),
                        (_doc("soap/v1.xml"), True, True)]
    code, report = run_json("validate", "-c", EXAMPLE / "contracts", _doc("v3-no-instock.xml"))
    assert code == 0
    assert report["documents"][0]["xsd"] is None


def test_validate_xsd_text_and_svrl_refusal():
    result = run("validate", "--xsd", V1_XSD, "-c", EXAMPLE / "contracts", _doc("v2-description.xml"))
    assert result.exit_code == 1
    # The form of a finding: file:line of the offending element, then the XPath.
    assert (f"{_doc('v2-description.xml')}:9: xsd: Unexpected child with tag 'p:Extension' at "
            "position 6. (at /p:Products[1]/p:Product[1]/p:Extension[1])") in result.stdout
    refused = run("validate", "--xsd", V1_XSD, "-c", EXAMPLE / "contracts", "--format", "svrl",
                  _doc("v1.xml"))
    assert refused.exit_code == 2
    assert "--xsd" in refused.stderr
