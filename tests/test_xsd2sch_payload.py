"""xsd2sch: the payload checked wherever it sits, and one rule per type wherever it is used."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from cdcxml import xmlio
from cdcxml.contract import contract_from_bytes
from cdcxml.xsd2sch import convert

from .helpers import cli as run

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "productsearch"
V1_XSD = EXAMPLE / "schemas" / "products-v1.xsd"
SCH = "http://purl.oclc.org/dsdl/schematron"
NS = {"sch": SCH}
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"


def envelope(payload: bytes, ns: str) -> bytes:
    return (f'<?xml version="1.0"?>\n<env:Envelope xmlns:env="{ns}"><env:Body>'.encode()
            + payload + b"</env:Body></env:Envelope>")


def payload_of(path: Path) -> bytes:
    return etree.tostring(xmlio.parse_file(path).getroot())


def test_the_example_contract_checks_the_payload_inside_a_soap_envelope(tmp_path):
    out = tmp_path / "v1.sch"
    assert run("xsd2sch", V1_XSD, "-o", out).exit_code == 0
    broken = run("validate", "-c", out, EXAMPLE / "responses" / "soap" / "broken-no-price.xml")
    assert broken.exit_code == 1
    assert "Product must contain exactly one Price" in broken.output
    for good in ("soap/v1.xml", "v1.xml"):
        result = run("validate", "-c", out, EXAMPLE / "responses" / good)
        assert result.exit_code == 0, result.output
    assert run("validate", "-c", out, EXAMPLE / "responses" / "broken-no-price.xml").exit_code == 1


@pytest.mark.parametrize("keep", [(), ("Price",)])
@pytest.mark.parametrize("ns", [SOAP11, SOAP12])
def test_soap_11_and_12_bodies_are_checked_in_full_and_targeted_mode(ns, keep):
    c = contract_from_bytes(convert(V1_XSD, keep_paths=keep).schematron, name="v1")
    broken = envelope(payload_of(EXAMPLE / "responses" / "broken-no-price.xml"), ns)
    good = envelope(payload_of(EXAMPLE / "responses" / "v1.xml"), ns)
    assert [f.message for f in c.validate(broken).failures] == [
        "Product must contain exactly one Price"]
    assert c.validate(good).valid


def _matches(schematron: bytes, pattern_id: str, doc: bytes) -> int:
    """How many nodes of ``doc`` the rules of one pattern match (contexts read as XPath)."""
    root = etree.fromstring(schematron)
    ns = {n.get("prefix"): n.get("uri") for n in root.findall("sch:ns", NS)}
    pattern = root.find(f"sch:pattern[@id='{pattern_id}']", NS)
    tree = etree.fromstring(doc)
    found = set()
    for rule in pattern.findall("sch:rule", NS):
        for alt in rule.get("context").split(" | "):
            found.update(tree.xpath("//" + alt, namespaces=ns))
    return len(found)


@pytest.mark.parametrize("keep", [(), ("Price",)])
def test_the_payload_pattern_fires_only_where_the_payload_is(keep):
    data = convert(V1_XSD, keep_paths=keep).schematron
    root = etree.fromstring(data)
    payload = root.find("sch:pattern", NS)
    assert payload.get("id") == "payload"
    assert payload.get("{urn:cdcxml:contract:1}optional") is None
    plain = payload_of(EXAMPLE / "responses" / "v1.xml")
    assert _matches(data, "payload", plain) >= 1
    assert _matches(data, "payload", envelope(plain, SOAP11)) >= 1
    assert _matches(data, "payload", envelope(plain, SOAP12)) >= 1
    # No payload, a renamed one, a fault: nothing for the payload pattern to fire on.
    assert _matches(data, "payload", b"<x/>") == 0
    renamed = plain.replace(b"<Products", b"<Items").replace(b"</Products>", b"</Items>")
    assert _matches(data, "payload", renamed) == 0
    fault = envelope(b"<env:Fault xmlns:env='" + SOAP11.encode() + b"'><faultcode>env:Server"
                     b"</faultcode><faultstring>down</faultstring></env:Fault>", SOAP11)
    assert _matches(data, "payload", fault) == 0
    # Products nested deeper than the Body is not the payload.
    assert _matches(data, "payload", b"<a>" + plain + b"</a>") == 0


# -- one rule per type ---------------------------------------------------------------------------

REUSED = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="urn:t" targetNamespace="urn:t"
           elementFormDefault="qualified">
  <xs:element name="Doc">
    <xs:complexType><xs:sequence>
      <xs:element name="Party" type="Party" maxOccurs="3"/>
      <xs:element name="Order" type="Order" minOccurs="0"/>
      <xs:element name="Extra" minOccurs="0">
        <xs:complexType><xs:sequence>
          <xs:any processContents="skip" maxOccurs="unbounded"/>
        </xs:sequence></xs:complexType>
      </xs:element>
    </xs:sequence></xs:complexType>
  </xs:element>
  <xs:complexType name="Order"><xs:sequence>
    <xs:element name="Buyer" type="Party"/>
    <xs:element name="Seller" type="Party"/>
    <xs:element name="Id" type="Code"/>
  </xs:sequence></xs:complexType>
  <xs:complexType name="Party"><xs:sequence>
    <xs:element name="Id" type="xs:positiveInteger"/>
    <xs:element name="Name" type="xs:string"/>
    <xs:element name="Contact" type="Party" minOccurs="0"/>
  </xs:sequence></xs:complexType>
  <xs:simpleType name="Code"><xs:restriction base="xs:string">
    <xs:pattern value="[A-Z]{3}"/>
  </xs:restriction></xs:simpleType>
</xs:schema>
"""

DOC = b"""<Doc xmlns="urn:t">
  <Party><Id>1</Id><Name>a</Name><Contact><Id>2</Id><Name>b</Name></Contact></Party>
  <Order><Buyer><Id>3</Id><Name>c</Name></Buyer><Seller><Id>4</Id><Name>d</Name></Seller>
    <Id>ABC</Id></Order>
  <Extra><Party><Id>not a number</Id></Party><Id>lower</Id></Extra>
</Doc>"""


def test_a_type_used_in_many_places_is_one_rule_and_names_tell_declarations_apart(tmp_path):
    xsd = tmp_path / "reused.xsd"
    xsd.write_text(REUSED)
    data = convert(xsd).schematron
    root = etree.fromstring(data)
    party = root.findall("sch:pattern[@id='Party']", NS)
    assert len(party) == 1
    # Content the skip wildcard of Extra brings in is left out of every context.
    context = party[0].find("sch:rule", NS).get("context")
    assert context.split(" | ") == [f"t:{n}[not(ancestor::t:Extra)]"
                                    for n in ("Party", "Contact", "Buyer", "Seller")]
    contexts = [r.get("context") for r in root.iter(f"{{{SCH}}}rule")]
    # Id is a number under a Party and a code under an Order: its parent's name decides.
    assert "t:Id[parent::t:Party or parent::t:Contact or parent::t:Buyer or parent::t:Seller]" \
        "[not(ancestor::t:Extra)]" in contexts
    assert "t:Id[parent::t:Order][not(ancestor::t:Extra)]" in contexts
    c = contract_from_bytes(data, name="reused")
    # What the skip wildcard brings in is never checked against a declaration.
    assert c.validate(DOC).valid, [f.message for f in c.validate(DOC).failures]
    deep = DOC.replace(b"<Id>2</Id>", b"<Id>x</Id>")
    assert [f.message for f in c.validate(deep).failures] == [
        "Id must be an integer (xs:positiveInteger)"]
    code = DOC.replace(b"<Id>ABC</Id>", b"<Id>abc</Id>")
    assert [f.message for f in c.validate(code).failures] == ["Id must match the pattern [A-Z]{3}"]


def test_a_rule_shared_by_several_element_names_says_which_element_failed(tmp_path):
    xsd = tmp_path / "reused.xsd"
    xsd.write_text(REUSED)
    c = contract_from_bytes(convert(xsd).schematron, name="reused")
    broken = DOC.replace(b"<Seller><Id>4</Id>", b"<Seller>")
    assert [f.message for f in c.validate(broken).failures] == [
        "Seller must contain exactly one Id"]
