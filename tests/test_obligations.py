"""obligations: remove, empty and retype each path of valid samples; who fails depends on it."""

from __future__ import annotations

import pytest
from lxml import etree

from cdcxml import xmlio
from cdcxml.analysis import find_obligations, load_samples
from cdcxml.analysis.mutate import CONTENT, PRESENCE, TYPE, mutants, wrong_value
from cdcxml.analysis.paths import display
from cdcxml.sources import load_contracts
from cdcxml.xsd import load_xsd

from .analysis_support import (
    ADDRESS_NS,
    EXAMPLE,
    PRODUCTS_NS,
    TRACKING,
    TRACKING_NS,
    run,
    run_json,
)

P, C, T = PRESENCE, CONTENT, TYPE

# The tracking scenario, worked out by hand from the four contracts in tests/data/analysis/tracking:
# for each path, how each consumer depends on it. Paths nobody depends on are left out here.
TRACKING_MATRIX = {
    # Emptied of shipments, the root gives these consumers nothing to check.
    "/Shipments": {"billing": [C], "customer-portal": [C]},
    "/Shipments/@generated": {"analytics": [P]},
    # A consumer whose rules are about shipments checks nothing when they are gone (vacuous).
    "/Shipments/Shipment": {"analytics": [C], "billing": [P, C], "customer-portal": [P, C],
                            "warehouse": [C]},
    "/Shipments/Shipment/@id": {"customer-portal": [P]},
    "/Shipments/Shipment/@priority": {"billing": [P, C, T]},
    "/Shipments/Shipment/Status": {"customer-portal": [P, C]},
    "/Shipments/Shipment/Weight": {"billing": [P, C, T]},
    "/Shipments/Shipment/Weight/@unit": {"billing": [P, C, T]},
    "/Shipments/Shipment/Parcel": {"warehouse": [P, C]},
    "/Shipments/Shipment/Parcel/@seq": {"warehouse": [P, C, T]},
    "/Shipments/Shipment/Parcel/Barcode": {"warehouse": [P]},
    "/Shipments/Shipment/Destination": {"analytics": [C], "customer-portal": [P, C],
                                        "warehouse": [C]},
    "/Shipments/Shipment/Destination/@verified": {"customer-portal": [P, C, T]},
    "/Shipments/Shipment/Destination/City": {"customer-portal": [P]},
    "/Shipments/Shipment/Destination/Postcode": {"warehouse": [P, C]},
    "/Shipments/Shipment/Destination/Country": {"analytics": [P, C, T]},
    "/Shipments/Shipment/Event": {"analytics": [P]},
    "/Shipments/Shipment/Event/@at": {"customer-portal": [P]},
}
TRACKING_UNUSED = [
    "/Shipments/Shipment/Status/@code",
    "/Shipments/Shipment/InternalRef",
    "/Shipments/Shipment/Insurance",
    "/Shipments/Shipment/Insurance/@currency",
]
TRACKING_NAMESPACES = {
    "/Shipments/@generated": None,
    "/Shipments/Shipment/Destination": ADDRESS_NS,
    "/Shipments/Shipment/Destination/@verified": ADDRESS_NS,
    "/Shipments/Shipment/Weight": TRACKING_NS,
    "/Shipments/Shipment/Parcel/@seq": None,
}


def _by_path(report: dict) -> dict[str, dict]:
    return {o["path"]: o for o in report["obligations"]}


# -- ProductSearch: the article's story --------------------------------------------------------
def test_productsearch_instock_unused_price_both_manufacturer_marketing():
    code, report = run_json("obligations", "-c", EXAMPLE / "contracts",
                            "--sample", EXAMPLE / "responses/v1.xml")
    assert code == 0
    obligations = _by_path(report)
    assert report["unused"] == ["/Products/Product/InStock"]
    assert "/Products/Product/InStock" not in obligations
    assert obligations["/Products/Product/Price"] == {
        "path": "/Products/Product/Price",
        "namespace": PRODUCTS_NS,
        "consumers": {"marketing": ["presence", "content", "type"], "reseller-web": ["presence"]},
    }
    assert obligations["/Products/Product/Manufacturer"]["consumers"] == {"marketing": ["presence"]}
    for name in ("CatalogueID", "Name"):
        assert obligations[f"/Products/Product/{name}"]["consumers"] == {
            "marketing": ["presence"], "reseller-web": ["presence"]}
    # An empty result list gives both consumers nothing they check: their patterns match no
    # Product (vacuous), so the Products must be there, and the root's content must hold them.
    assert obligations["/Products/Product"]["consumers"] == {
        "marketing": ["presence", "content"], "reseller-web": ["presence", "content"]}
    assert obligations["/Products"]["consumers"] == {"marketing": ["content"],
                                                     "reseller-web": ["content"]}
    assert report["samples"] == [{"path": str(EXAMPLE / "responses/v1.xml"), "rejected_by": []}]
    assert "not_in_samples" not in report


def test_soap_samples_give_payload_paths():
    _, plain = run_json("obligations", "-c", EXAMPLE / "contracts",
                        "--sample", EXAMPLE / "responses/v1.xml")
    code, soap = run_json("obligations", "-c", EXAMPLE / "contracts",
                          "--sample", EXAMPLE / "responses/soap/v1.xml")
    assert code == 0
    assert soap["obligations"] == plain["obligations"]
    assert soap["unused"] == plain["unused"]


def test_xsd_declarations_in_no_sample():
    code, report = run_json("obligations", "-c", EXAMPLE / "contracts",
                            "--sample", EXAMPLE / "responses/v1.xml",
                            "--xsd", EXAMPLE / "schemas/products-v2-extension.xsd")
    assert code == 0
    # The extensible schema's Extension is declared; the v1 sample has none.
    assert report["not_in_samples"] == ["/Products/Product/Extension"]


def test_text_matrix():
    result = run("obligations", "-c", EXAMPLE / "contracts", "--sample", EXAMPLE / "responses/v1.xml")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["path", "marketing", "reseller-web"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:] if line.startswith("/")}
    assert rows["/Products/Product/Price"] == ["P", "C", "T", "P"]
    assert rows["/Products/Product/Manufacturer"] == ["P", "."]
    assert "unused (no consumer depends on it): 1" in lines
    assert "  /Products/Product/InStock" in lines


def test_sample_a_consumer_rejects_is_reported_and_fails_the_run():
    code, report = run_json("obligations", "-c", EXAMPLE / "contracts",
                            "--sample", EXAMPLE / "responses/v1.xml",
                            "--sample", EXAMPLE / "responses/broken-no-price.xml")
    assert code == 1
    assert report["samples"][1] == {"path": str(EXAMPLE / "responses/broken-no-price.xml"),
                                    "rejected_by": ["marketing", "reseller-web"]}
    # The valid sample still gives the whole matrix.
    assert _by_path(report)["/Products/Product/Price"]["consumers"]["reseller-web"] == ["presence"]


def test_unreadable_sample_is_one_line_and_exit_1():
    result = run("obligations", "-c", EXAMPLE / "contracts",
                 "--sample", "tests/data/analysis/productsearch/not-well-formed.xml")
    assert result.exit_code == 1  # a document that fails, as validate counts it
    assert result.stdout == ""
    line, = result.stderr.splitlines()
    assert line.startswith("cdcxml: tests/data/analysis/productsearch/not-well-formed.xml:4: not well-formed")


# -- the tracking scenario: four consumers, two namespaces, attributes, repeated elements ------
def test_tracking_matrix_as_worked_out_by_hand():
    code, report = run_json("obligations", "-c", TRACKING / "contracts",
                            "--sample", TRACKING / "samples")
    assert code == 0
    assert {o["path"]: o["consumers"] for o in report["obligations"]} == TRACKING_MATRIX
    assert report["unused"] == TRACKING_UNUSED
    assert report["consumers"] == ["analytics", "billing", "customer-portal", "warehouse"]
    namespaces = {o["path"]: o["namespace"] for o in report["obligations"]}
    for path, ns in TRACKING_NAMESPACES.items():
        assert namespaces[path] == ns


def test_tracking_library_api_and_xsd_declarations():
    contracts = load_contracts([TRACKING / "contracts"])
    samples = load_samples([TRACKING / "samples"])
    result = find_obligations(contracts, samples,
                              xsd=load_xsd(TRACKING / "schemas/tracking-v1.xsd"))
    assert [display(p) for p in result.not_in_samples] == [
        "/Shipments/Shipment/@carrier", "/Shipments/Shipment/Signature"]
    price = result.obligation((f"{{{TRACKING_NS}}}Shipments", f"{{{TRACKING_NS}}}Shipment",
                               f"{{{TRACKING_NS}}}Weight"))
    billing, = price.dependencies
    assert billing.consumer == "billing"
    assert billing.kinds == (P, C, T)
    assert set(billing.assertions) == {"has-weight", "weight-positive", "weight-unit"}
    assert result.holds


# -- mutations ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "wrong"), [
    ("10.99", "not-a-number"), ("-3", "not-a-number"), ("1e5", "not-a-number"),
    ("2024-05-01", "not-a-date"), ("2024-05-01T10:00:00Z", "not-a-date"), ("true", "maybe"),
    ("Widget", "12345"), ("", "12345"),
])
def test_wrong_value(value, wrong):
    assert wrong_value(value) == wrong


def test_mutants_touch_every_occurrence_and_leave_the_sample_alone():
    tree = xmlio.parse_file(TRACKING / "samples/shipments-1.xml")
    before = etree.tostring(tree)
    seq = (f"{{{TRACKING_NS}}}Shipments", f"{{{TRACKING_NS}}}Shipment", f"{{{TRACKING_NS}}}Parcel",
           "@seq")
    found = dict(mutants(tree, seq))
    assert list(found) == [P, C, T]
    ns = {"t": TRACKING_NS}
    assert found[P].xpath("//t:Parcel/@seq", namespaces=ns) == []
    assert found[C].xpath("//t:Parcel/@seq", namespaces=ns) == ["", "", ""]
    assert found[T].xpath("//t:Parcel/@seq", namespaces=ns) == ["not-a-number"] * 3
    assert etree.tostring(tree) == before
    root = (f"{{{TRACKING_NS}}}Shipments",)
    assert [kind for kind, _ in mutants(tree, root)] == [C]  # the root stays; it has children
    barcode = (*seq[:3], f"{{{TRACKING_NS}}}Barcode")
    empty = dict(mutants(tree, barcode))[C]
    assert [b.text for b in empty.iterfind(".//t:Barcode", namespaces=ns)] == [None] * 3


def test_removing_an_element_keeps_mixed_text():
    tree = xmlio.parse_bytes(b"<p>one <b>two</b> three</p>")
    removed = dict(mutants(tree, ("p", "b")))[P]
    assert etree.tostring(removed) == b"<p>one  three</p>"
