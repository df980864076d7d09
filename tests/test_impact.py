"""impact: what a new schema or new responses do to each consumer, and to XSD-validating ones."""

from __future__ import annotations

import pytest
from lxml import etree

from cdcxml import xmlio
from cdcxml.analysis import derive
from cdcxml.xsd import load_xsd

from .analysis_support import EXAMPLE, TRACKING, run, run_json

SAMPLE_1 = TRACKING / "samples/shipments-1.xml"


def _consumers(report: dict) -> dict[str, dict]:
    return {c["consumer"]: c for c in report["consumers"]}


def test_productsearch_v1_to_v3_breaks_only_xsd_validating_consumers():
    code, report = run_json("impact", "-c", EXAMPLE / "contracts",
                            "--old-xsd", EXAMPLE / "schemas/products-v1.xsd",
                            "--new-xsd", EXAMPLE / "schemas/products-v3.xsd",
                            "--sample", EXAMPLE / "responses/v1.xml")
    assert code == 0
    assert [(c["consumer"], c["breaks"], c["assertions"]) for c in report["consumers"]] == [
        ("marketing", False, []), ("reseller-web", False, [])]
    derived = f"{EXAMPLE / 'responses/v1.xml'} [derived for products-v3.xsd]"
    assert report["xsd"] == {"schema": str(EXAMPLE / "schemas/products-v1.xsd"),
                             "rejects": [derived], "rejects_although_contracts_hold": [derived]}
    assert report["derived"] == [{"sample": str(EXAMPLE / "responses/v1.xml"),
                                  "removed": ["/Products/Product/InStock"],
                                  "added": ["/Products/Product/Description"], "problems": []}]
    assert report["new"][0]["xsd"]["valid"] is False


def test_tracking_schema_change_breaks_billing_and_says_what_it_could_not_derive():
    code, report = run_json("impact", "-c", TRACKING / "contracts",
                            "--old-xsd", TRACKING / "schemas/tracking-v1.xsd",
                            "--new-xsd", TRACKING / "schemas/tracking-v2.xsd",
                            "--sample", TRACKING / "samples")
    assert code == 1
    consumers = _consumers(report)
    assert {name: c["breaks"] for name, c in consumers.items()} == {
        "analytics": False, "billing": True, "customer-portal": False, "warehouse": False}
    billing = consumers["billing"]
    assert [a["assertion"] for a in billing["assertions"]] == [
        "has-weight", "weight-positive", "weight-unit"]
    derived_1 = f"{SAMPLE_1} [derived for tracking-v2.xsd]"
    assert [(loc["document"], loc["line"]) for loc in billing["assertions"][0]["locations"]] == [
        (derived_1, 4), (derived_1, 18),
        (f"{TRACKING / 'samples/shipments-2.xml'} [derived for tracking-v2.xsd]", 3)]
    first = report["derived"][0]
    assert first["removed"] == ["/Shipments/Shipment/Weight", "/Shipments/Shipment/InternalRef"]
    assert first["added"] == ["/Shipments/Shipment/@tracking", "/Shipments/Shipment/Carrier"]
    assert first["problems"][0] == ("/Shipments/Shipment/@tracking: no value of an anonymous "
                                    "restriction of string could be derived")
    assert all("tracking" in p for p in first["problems"])


def test_derived_documents_keep_order_values_and_envelope():
    tree = xmlio.parse_file(SAMPLE_1)
    derived, how = derive(str(SAMPLE_1), tree, load_xsd(TRACKING / "schemas/tracking-v2.xsd"))
    ns = {"t": "urn:example:tracking"}
    first = derived.find("t:Shipment", ns)
    assert [etree.QName(c).localname for c in first] == [
        "Status", "Carrier", "Parcel", "Parcel", "Destination", "Event", "Event"]
    assert first.findtext("t:Carrier", namespaces=ns) == "DHL"  # the enumeration's first value
    assert tree.find(".//t:Weight", ns) is not None  # the sample itself is left alone
    soap = xmlio.parse_file(EXAMPLE / "responses/soap/v1.xml")
    derived, how = derive("soap", soap, load_xsd(EXAMPLE / "schemas/products-v3.xsd"))
    assert etree.QName(derived.getroot()).localname == "Envelope"
    assert how.removed == ("/Products/Product/InStock",)
    assert how.problems == ()


def test_new_documents_break_two_consumers_at_their_lines():
    code, report = run_json("impact", "-c", TRACKING / "contracts",
                            "--old", SAMPLE_1, "--new", TRACKING / "changed/shipments-1.xml",
                            "--xsd", TRACKING / "schemas/tracking-v1.xsd")
    assert code == 1
    consumers = _consumers(report)
    changed = str(TRACKING / "changed/shipments-1.xml")
    portal, = consumers["customer-portal"]["assertions"]
    assert (portal["assertion"], portal["pattern"]) == ("status-text", "tracking-page")
    assert [(loc["document"], loc["line"]) for loc in portal["locations"]] == [(changed, 18)]
    warehouse, = consumers["warehouse"]["assertions"]
    assert warehouse["assertion"] == "number(@seq) = number(@seq)"
    assert warehouse["locations"][0]["line"] == 8
    assert not consumers["billing"]["breaks"] and not consumers["analytics"]["breaks"]
    assert (consumers["warehouse"]["old_rejects"], consumers["warehouse"]["new_rejects"]) == (0, 1)
    # The old XSD rejects the new document too, but contracts break as well: nothing needless.
    assert report["xsd"]["rejects"] == [changed]
    assert report["xsd"]["rejects_although_contracts_hold"] == []
    assert report["derived"] == []


def test_text_and_junit():
    args = ("impact", "-c", TRACKING / "contracts", "--old", SAMPLE_1,
            "--new", TRACKING / "changed/shipments-1.xml")
    result = run(*args)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "customer-portal: BREAKS (rejects 0 old, 1 new document(s))" in lines
    assert "  [status-text] A shipment needs a status to show" in lines
    assert f"    {TRACKING / 'changed/shipments-1.xml'}:18: /t:Shipments[1]/t:Shipment[2]" in lines
    assert "billing: holds (rejects 0 old, 0 new document(s))" in lines
    junit = etree.fromstring(run(*args, "--format", "junit").stdout_bytes)
    suite = junit.find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("4", "2")
    failed = [c.get("name") for c in suite if c.find("failure") is not None]
    assert failed == ["customer-portal", "warehouse"]


@pytest.mark.parametrize("args", [
    ("--old-xsd", "a.xsd", "--sample", "x.xml"),
    ("--old-xsd", "a.xsd", "--new-xsd", "b.xsd"),
    ("--old", "x.xml"),
    ("--old-xsd", "a.xsd", "--new-xsd", "b.xsd", "--sample", "x.xml", "--new", "y.xml"),
    ("--old", "x.xml", "--new", "y.xml", "--sample", "z.xml"),
])
def test_usage_errors_exit_2(args):
    result = run("impact", "-c", EXAMPLE / "contracts", *args)
    assert result.exit_code == 2
    assert "Error:" in result.stderr
