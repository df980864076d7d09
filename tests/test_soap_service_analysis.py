"""obligations, contrast and impact on a SOAP service of its own, with hand-computed answers.

The inventory service (tests/data/analysis/inventory) answers GetItem and ListItems, and a declared
fault. Three consumers bind their own prefixes (s, w, r) and check each operation under its own
phase; the samples were captured as a one-line SOAP 1.1 envelope and a SOAP 1.2 envelope.
"""

from __future__ import annotations

import pytest
from lxml import etree

from cdcxml import xmlio
from cdcxml.interactions import Hints, choose_phases
from cdcxml.sources import load_contracts

from .analysis_support import DATA, ROOT, run, run_json

INVENTORY = DATA / "inventory"
CONTRACTS = INVENTORY / "contracts"
SAMPLES = INVENTORY / "samples"
GET = SAMPLES / "get-item.soap11.xml"
LIST = SAMPLES / "list-items.soap12.xml"
DOCS = INVENTORY / "documents"
XSD = INVENTORY / "schemas/inventory.xsd"

# Worked out by hand from the three contracts: how each consumer depends on each path.
MATRIX = {
    "/GetItemResponse": {"reporting": ["content"], "shop": ["content"], "warehouse": ["content"]},
    "/GetItemResponse/Item": {"reporting": ["presence", "content"], "shop": ["presence", "content"],
                              "warehouse": ["presence", "content"]},
    "/GetItemResponse/Item/@sku": {"warehouse": ["presence"]},
    "/GetItemResponse/Item/Name": {"shop": ["presence"]},
    "/GetItemResponse/Item/Price": {"reporting": ["presence"],
                                    "shop": ["presence", "content", "type"]},
    "/GetItemResponse/Item/Price/@currency": {"reporting": ["presence"]},
    "/GetItemResponse/Item/Stock": {"warehouse": ["presence", "content", "type"]},
    # reporting rejects the ListItems sample: it is not analysed there, so it is in no row below.
    "/ListItemsResponse": {"shop": ["content"], "warehouse": ["content"]},
    "/ListItemsResponse/Item": {"shop": ["presence", "content"], "warehouse": ["presence"]},
    "/ListItemsResponse/Item/@sku": {"warehouse": ["presence"]},
    "/ListItemsResponse/Item/Name": {"shop": ["presence"]},
    "/ListItemsResponse/Total": {"shop": ["presence"]},
}


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_obligations_per_operation_phase_and_a_consumer_not_analysed_on_a_sample():
    code, report = run_json("obligations", "-c", CONTRACTS, "--sample", SAMPLES)
    assert code == 1  # reporting rejects a sample: the analysis is incomplete
    assert {o["path"]: o["consumers"] for o in report["obligations"]} == MATRIX
    assert report["unused"] == ["/GetItemResponse/Item/Note"]
    # Only reporting reads the list's prices, and it was not analysed there: not "unused".
    assert report["undecided"] == ["/ListItemsResponse/Item/Price",
                                   "/ListItemsResponse/Item/Price/@currency"]
    assert report["not_analysed"] == []
    samples = {s["path"]: s for s in report["samples"]}
    assert samples[str(LIST)]["rejected_by"] == ["reporting"]
    assert samples[str(GET)]["phases"] == {
        "reporting": "item-price (response element r:GetItemResponse (interaction price-of-item))",
        "shop": "get (response element s:GetItemResponse (interaction get-item))",
        "warehouse": "stock (response element w:GetItemResponse (interaction stock-of-item))"}


def test_a_consumer_rejecting_every_sample_is_reported_and_nothing_is_unused():
    code, report = run_json("obligations", "-c", CONTRACTS, "-c", INVENTORY / "audit",
                            "--sample", SAMPLES)
    assert code == 1
    assert report["not_analysed"] == ["audit"]
    assert report["unused"] == []
    assert report["undecided"] == ["/GetItemResponse/Item/Note", "/ListItemsResponse/Item/Price",
                                   "/ListItemsResponse/Item/Price/@currency"]
    text = run("obligations", "-c", CONTRACTS, "-c", INVENTORY / "audit", "--sample", SAMPLES)
    assert text.stdout.splitlines()[0].startswith(
        "ANALYSIS INCOMPLETE: not analysed (rejected every sample): audit")
    html = run("obligations", "-c", CONTRACTS, "-c", INVENTORY / "audit", "--sample", SAMPLES,
               "--format", "html")
    banner = etree.HTML(html.stdout).find(".//p[@id='not-analysed']")
    assert "audit" in banner.text


def test_contrast_four_cases_on_soap_11_and_12_envelopes():
    code, report = run_json("contrast", "--xsd", XSD, "-c", CONTRACTS, SAMPLES,
                            DOCS / "get-item-promo.soap12.xml", DOCS / "get-item-broken.soap11.xml")
    assert code == 1
    summary = report["summary"]
    assert summary["both_accept"] == [str(GET)]
    assert summary["xsd_accepts_consumer_rejects"] == [str(LIST)]
    assert summary["xsd_rejects_consumers_accept"] == [str(DOCS / "get-item-promo.soap12.xml")]
    assert summary["both_reject"] == [str(DOCS / "get-item-broken.soap11.xml")]
    assert summary["consumers"]["reporting"] == {"rejects": 1, "xsd_rejects": 2,
                                                 "rejects_xsd_accepts": 1, "accepts_xsd_rejects": 2}
    assert summary["consumers"]["warehouse"] == {"rejects": 1, "xsd_rejects": 2,
                                                 "rejects_xsd_accepts": 0, "accepts_xsd_rejects": 1}
    promo = report["documents"][2]
    error, = promo["xsd"]["errors"]
    # The offending element itself, in the envelope, with a contract's prefix.
    assert (error["line"], error["location"]) == (
        2, "/env:Envelope[1]/env:Body[1]/r:GetItemResponse[1]/r:Item[1]/r:Promo[1]")
    phases = {c["consumer"]: c["phase"] for c in report["documents"][1]["contracts"]}
    assert phases == {"reporting": "price-list", "shop": "list", "warehouse": "skus"}


def test_one_line_envelope_findings_are_told_apart_by_xpath():
    result = run("validate", "-c", CONTRACTS, DOCS / "get-item-broken.soap11.xml")
    assert result.exit_code == 1
    doc = DOCS / "get-item-broken.soap11.xml"
    lines = result.stdout.splitlines()
    assert (f"{doc}:2: /soap:Envelope[1]/soap:Body[1]/w:GetItemResponse[1]/w:Item[1]: warehouse: "
            "An item has its SKU [has-sku]") in lines
    assert f"{doc}: warehouse: phase stock (response element w:GetItemResponse (interaction " \
           "stock-of-item))" in lines


def test_faults_are_checked_against_the_envelope_schema_and_are_their_own_case():
    code, report = run_json("contrast", "--xsd", XSD, "-c", CONTRACTS / "shop.sch",
                            DOCS / "fault-not-found.soap11.xml", DOCS / "fault-malformed.soap12.xml")
    # The envelope schema's verdict is shown beside the consumer's; the consumer expects a SOAP 1.1
    # fault, so a SOAP 1.2 one gives its fault pattern nothing to check: a rejection, not a pass.
    assert code == 1
    assert report["summary"]["soap_fault"] == [str(DOCS / "fault-not-found.soap11.xml"),
                                               str(DOCS / "fault-malformed.soap12.xml")]
    assert report["summary"]["xsd_rejects_consumers_accept"] == []
    good, bad = report["documents"]
    assert good["xsd"] == {"valid": True, "errors": [], "fault": True,
                           "schema": "SOAP 1.1 envelope schema"}
    assert good["contracts"][0]["phase"] == "not-found"
    assert bad["xsd"]["schema"] == "SOAP 1.2 envelope schema"
    assert bad["xsd"]["errors"][0]["location"] == "/env:Envelope[1]/env:Body[1]/env:Fault[1]/env:Reason[1]"
    assert good["contracts"][0]["valid"] and not bad["contracts"][0]["valid"]
    assert [f["kind"] for f in bad["contracts"][0]["failures"]] == ["vacuous"]
    junit = etree.fromstring(run("contrast", "--xsd", XSD, "-c", CONTRACTS / "shop.sch", "--format",
                                 "junit", DOCS / "fault-malformed.soap12.xml").stdout_bytes)
    # Only the consumer's rejection is a failure; the envelope schema's verdict is a property.
    assert junit.xpath("count(//failure | //error)") == 1
    assert junit.xpath("string(//property[@name='category']/@value)") == "soap_fault"


def test_impact_names_the_sample_and_the_change():
    args = ("impact", "-c", CONTRACTS, "--old-xsd", XSD, "--new-xsd",
            INVENTORY / "schemas/inventory-v2.xsd", "--sample", SAMPLES)
    result = run(*args)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "warehouse: BREAKS (rejects 0 old, 1 new document(s))" in lines
    assert "reporting: holds (rejects 1 old, 1 new document(s))" in lines
    assert "shop: holds (rejects 0 old, 0 new document(s))" in lines
    assert (f"    {GET}:2 (derived: removed /GetItemResponse/Item/Stock): "
            "/soap:Envelope[1]/soap:Body[1]/w:GetItemResponse[1]/w:Item[1]") in lines
    _, report = run_json(*args)
    warehouse = next(c for c in report["consumers"] if c["consumer"] == "warehouse")
    location, = warehouse["assertions"][0]["locations"]
    assert (location["sample"], location["change"]) == (str(GET), "removed /GetItemResponse/Item/Stock")


def test_phase_choice_by_soap_action_interaction_and_firing():
    shop, = load_contracts([CONTRACTS / "shop.sch"])
    plain = xmlio.parse_bytes(b"<Other xmlns='urn:example:inventory'/>", "other.xml")
    # Every interaction names its response element and none is this one: not for the consumer.
    na, = choose_phases(shop, plain)
    assert (na.applies, na.reason) == (
        False, "answers none of its interactions: message element s:Other")
    by_action = choose_phases(shop, plain, Hints(soap_action='"urn:inventory:ListItems"'))
    assert [(c.phase, c.interactions) for c in by_action] == [("list", ("list-items",))]
    by_id = choose_phases(shop, xmlio.parse_file(GET), Hints(interaction="list-items"))
    assert [c.phase for c in by_id] == ["list"]
    listing = xmlio.parse_bytes(b"<x><ListItemsResponse xmlns='urn:example:inventory'/></x>", "x")
    # Recorded as the answer to one of its requests: the contract applies, only "list" fires.
    fired = choose_phases(shop, listing, Hints(path="/inventory/other"))
    assert [c.applies for c in choose_phases(shop, listing)] == [False]
    assert [c.phase for c in choose_phases(shop, listing, Hints(soap_action="urn:inventory:GetItem"))
            ] == ["get", "not-found"]
    assert [c.applies for c in fired] == [False]
    assert run("validate", "-c", CONTRACTS, "--interaction", "nope", GET).exit_code == 2
