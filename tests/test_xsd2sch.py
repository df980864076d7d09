"""cdcxml xsd2sch: the generated contract, full and targeted, run by cdcxml's own engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from cdcxml import xmlio
from cdcxml.contract import contract_from_bytes, load_contract
from cdcxml.errors import CdcxmlError
from cdcxml.xsd2sch import KeepError, convert
from cdcxml.xsd2sch.keep import parse_path

from .helpers import cli as run

DATA = Path(__file__).parent / "data" / "xsd2sch"
PS = DATA / "productsearch"
PS_XSD = PS / "products-v1.xsd"
SCH = "http://purl.oclc.org/dsdl/schematron"
NS = {"sch": SCH, "cdc": "urn:cdcxml:contract:1"}


def contract(xsd, **kw):
    return contract_from_bytes(convert(xsd, **kw).schematron, name="generated")


def failures(c, doc):
    return [(f.id, f.message) for f in c.validate(doc).failures]


# -- the article's ProductSearch ----------------------------------------------------------------

def test_full_mode_accepts_the_v1_response():
    assert contract(PS_XSD).validate(PS / "v1.xml").valid


def test_full_mode_flags_the_response_without_instock():
    report = contract(PS_XSD).validate(PS / "no-instock.xml")
    assert not report.valid
    found = {(f.id, f.message, f.line) for f in report.failures}
    assert found == {
        ("Product.InStock-count", "Product must contain exactly one InStock", 3),
        ("Product.InStock-count", "Product must contain exactly one InStock", 9),
    }


def test_kept_paths_accept_the_response_without_instock():
    c = contract(PS_XSD, keep_paths=["CatalogueID", "Name", "Price"])
    assert c.validate(PS / "no-instock.xml").valid
    assert c.validate(PS / "v1.xml").valid


def test_kept_paths_flag_the_response_without_price():
    c = contract(PS_XSD, keep_paths=["CatalogueID", "Name", "Price"])
    report = c.validate(PS / "no-price.xml")
    assert [(f.message, f.line) for f in report.failures] == [
        ("Product must contain exactly one Price", 3)]


def test_kept_contract_says_nothing_about_instock_or_manufacturer():
    data = convert(PS_XSD, keep_paths=["CatalogueID", "Name", "Price"]).schematron
    assert b"InStock" not in data and b"Manufacturer" not in data
    assert b"Product must contain exactly one Price" in data


def test_consumer_xpaths_resolved_against_a_sample_keep_the_same_assertions():
    lines = [x for x in (PS / "reseller-xpaths.txt").read_text().splitlines()
             if x and not x.startswith("#")]
    with_sample = convert(PS_XSD, keep_paths=lines, samples=[PS / "v1.xml"]).schematron
    without = convert(PS_XSD, keep_paths=lines).schematron
    assert with_sample == without
    c = contract_from_bytes(with_sample, name="reseller")
    assert c.validate(PS / "no-instock.xml").valid
    assert not c.validate(PS / "no-price.xml").valid


def test_samples_in_a_soap_envelope_resolve_to_the_payload_paths():
    xpaths = ["/soap:Envelope/soap:Body/p:Products/p:Product/p:Price", "//p:Name/text()"]
    with_soap = convert(PS_XSD, keep_paths=xpaths, samples=[PS / "soap-v1.xml"]).schematron
    assert with_soap == convert(PS_XSD, keep_paths=["Price", "Name"]).schematron


# -- the shape of the output --------------------------------------------------------------------

def test_output_is_iso_schematron_with_a_contract_stub_a_payload_pattern_and_one_per_type(
        tmp_path):
    data = convert(DATA / "catalog" / "catalog.xsd", consumer="shop", provider="catalog-svc")
    root = xmlio.parse_bytes(data.schematron).getroot()
    assert root.tag == f"{{{SCH}}}schema" and root.get("queryBinding") == "xslt"
    meta = root.find("cdc:contract", NS)
    assert (meta.get("consumer"), meta.get("provider")) == ("shop", "catalog-svc")
    patterns = root.findall("sch:pattern", NS)
    # The payload's root elements, one rule each (and one per type xsi:type may give them):
    # the one pattern a document without the payload leaves silent.
    payload = patterns[0]
    assert payload.get("id") == "payload" and payload.get(f"{{{NS['cdc']}}}optional") is None
    roots = [r.get("context").split("[")[0] for r in payload.findall("sch:rule", NS)]
    assert list(dict.fromkeys(roots)) == ["c:Catalog", "c:Book", "c:EBook", "c:Album"]
    # Then a pattern per type, named after it, that a valid document may leave unmatched.
    ids = [p.get("id") for p in patterns[1:]]
    assert {"ItemType", "BookType", "EBookType", "AlbumType", "Price", "TagList"} <= set(ids)
    assert all(p.get(f"{{{NS['cdc']}}}optional") == "true" for p in patterns[1:])
    assert "type ItemType: Featured" in [c.text.strip() for c in root.iter(etree.Comment)]
    ids = [a.get("id") for a in root.iter(f"{{{SCH}}}assert")]
    assert len(ids) == len(set(ids)) == data.assertions
    target = tmp_path / "catalog.sch"
    target.write_bytes(data.schematron)
    loaded = load_contract(target)
    assert (loaded.consumer, loaded.provider) == ("shop", "catalog-svc")


def test_every_namespace_gets_a_prefix_and_paths_cross_namespaces():
    root = xmlio.parse_bytes(convert(DATA / "orders" / "orders.xsd").schematron).getroot()
    prefixes = {n.get("prefix"): n.get("uri") for n in root.findall("sch:ns", NS)}
    assert prefixes == {"o": "urn:example:orders", "c": "urn:example:common",
                        "xsi": "http://www.w3.org/2001/XMLSchema-instance",
                        "soap": "http://schemas.xmlsoap.org/soap/envelope/",
                        "soap12": "http://www.w3.org/2003/05/soap-envelope"}
    contexts = [r.get("context") for r in root.iter(f"{{{SCH}}}rule")]
    assert "o:Order[not(parent::*) or parent::soap:Body or parent::soap12:Body]" in contexts
    # A name only one declaration gives needs nothing more; c:Address is global, so its rule
    # says where it is not the payload's root.
    assert "o:Line" in contexts and "c:Postcode" in contexts
    assert any(c.startswith("c:Address[") and c.endswith("[parent::o:Order]") for c in contexts)


def test_messages_say_what_the_xsd_required():
    c = contract(DATA / "orders" / "orders.xsd")
    found = failures(c, DATA / "orders" / "order-broken.xml")
    assert found == [
        ("Line.choice", "Line must not contain more than one of: GiftWrap, "
                        "Engraving/Font"),
        ("Sku.pattern", "Sku must match the pattern [A-Z]{3}-\\d{4}"),
    ]
    assert c.validate(DATA / "orders" / "order.xml").valid


def test_choice_of_exactly_one_branch(tmp_path):
    c = contract(DATA / "orders" / "orders.xsd")
    tree = xmlio.parse_file(DATA / "orders" / "order.xml")
    ns = {"o": "urn:example:orders"}
    payment = tree.find("o:Payment", ns)
    voucher = payment.find("o:Voucher", ns)
    payment.remove(voucher)
    assert ("Payment.choice", "Payment must contain exactly one of: Card, Invoice, "
                              "Voucher/Code") in failures(c, tree)
    payment.append(voucher)
    invoice = etree.SubElement(payment, "{urn:example:orders}Invoice")
    etree.SubElement(invoice, "{urn:example:orders}DueDays").text = "30"
    assert ("Payment.choice", "Payment must contain exactly one of: Card, Invoice, "
                              "Voucher/Code") in failures(c, tree)


def test_derived_type_named_by_xsi_type_gets_its_own_rules():
    c = contract(DATA / "orders" / "orders.xsd")
    tree = xmlio.parse_file(DATA / "orders" / "order.xml")
    address = tree.find("{urn:example:common}Address")
    address.remove(address.find("{urn:example:common}Postcode"))
    assert ("UKAddress.Postcode-count",
            "Address must contain exactly one Postcode") in failures(c, tree)
    address.set("{http://www.w3.org/2001/XMLSchema-instance}type", "c:Address")
    assert c.validate(tree).valid
    address.set("{http://www.w3.org/2001/XMLSchema-instance}type", "c:Money")
    assert ("Address.xsi-type", "Address must name one of Address, UKAddress, USAddress "
                                      "in xsi:type") in failures(c, tree)


def test_whitespace_is_collapsed_before_checks():
    c = contract(DATA / "orders" / "orders.xsd")
    tree = xmlio.parse_file(DATA / "orders" / "order.xml")
    quantity = tree.find(".//{urn:example:orders}Quantity")
    quantity.text = "\n  +0042 \t"
    assert c.validate(tree).valid
    quantity.text = "4 2"
    assert ("Quantity.type", "Quantity must be an integer (xs:positiveInteger)") in failures(c, tree)
    quantity.text = "1000"
    assert ("Quantity.range", "Quantity must be between 1 and 999") in \
        failures(c, tree)


def test_what_cannot_be_checked_is_listed_and_commented():
    result = convert(DATA / "measurements" / "reading.xsd", elements=["Readings"])
    assert "Readings/Reading/Serial: pattern [A-Z]+\\d+ is checked only in part (length and " \
           "allowed characters)" in result.unchecked
    assert b"<!-- not checked: Readings/Reading/Serial: pattern" in result.schematron


def test_element_option_selects_patterns():
    root = xmlio.parse_bytes(convert(DATA / "catalog" / "catalog.xsd",
                                     elements=["Book", "c:Album"]).schematron).getroot()
    payload = root.find("sch:pattern", NS)
    roots = [r.get("context").split("[")[0] for r in payload.findall("sch:rule", NS)]
    assert list(dict.fromkeys(roots)) == ["c:Book", "c:Album"]
    assert "ItemType" not in [p.get("id") for p in root.findall("sch:pattern", NS)]
    with pytest.raises(CdcxmlError, match="no such global element"):
        convert(DATA / "catalog" / "catalog.xsd", elements=["Nope"])


def test_self_recursive_content_is_checked_at_every_depth():
    c = contract(DATA / "tree" / "tree.xsd")
    depth = 7
    inner = '<Leaf t:weight="0.5"/>'
    for i in range(depth):
        inner = f'<Node t:id="{i + 1}"><Label>n{i}</Label>{inner}</Node>'
    doc = f'<t:Tree xmlns:t="urn:example:tree">{inner}</t:Tree>'.encode()
    assert c.validate(doc).valid
    broken = doc.replace(b't:weight="0.5"', b't:weight="1.5"')
    assert [f.line for f in c.validate(broken).failures] == [1]
    assert failures(c, broken) == [("Leaf.weight-range",
                                    "Leaf/@weight must be more than 0 and less than 1")]


# -- keep paths ---------------------------------------------------------------------------------

def test_keep_path_forms():
    prefixes = {"p": "urn:example.com:productsearch:products"}
    product = ("{urn:example.com:productsearch:products}Products",
               "{urn:example.com:productsearch:products}Product")
    price = (*product, "{urn:example.com:productsearch:products}Price")
    assert parse_path("Price", prefixes).matches(price)
    assert parse_path("/p:Products/p:Product/p:Price", prefixes).matches(price)
    assert not parse_path("/p:Product/p:Price", prefixes).matches(price)
    assert parse_path("//p:Price/text()", prefixes).matches(price)
    assert parse_path("*//q:Price", prefixes).matches(price)  # unknown prefix: any namespace
    assert parse_path("p:Product[1]/p:Price[. > 2]", prefixes).matches(price)
    assert parse_path("Product/@id", prefixes).matches(product, "id")
    assert not parse_path("Product/@id", prefixes).matches(product)
    with pytest.raises(KeepError, match="is not a name"):
        parse_path("count(p:Product)", prefixes)


def test_keep_attribute_keeps_its_checks_and_the_way_to_it():
    data = convert(DATA / "orders" / "orders.xsd", keep_paths=["Line/UnitPrice/@currency"])
    c = contract_from_bytes(data.schematron, name="kept")
    root = xmlio.parse_bytes(data.schematron).getroot()
    messages = [a.text for a in root.iter(f"{{{SCH}}}assert")]
    assert messages == [
        "Order must not have xsi:nil (it is not nillable)",
        "Order must contain exactly one Lines",
        "Lines must contain at least one Line",
        "Line must contain exactly one UnitPrice",
        "UnitPrice must have attribute currency",
        "UnitPrice/@currency must be one of EUR, GBP, USD",
    ]
    assert c.validate(DATA / "orders" / "order-broken.xml").valid


def test_keep_that_matches_nothing_is_an_error():
    with pytest.raises(KeepError, match="matches no element"):
        convert(PS_XSD, keep_paths=["Description"])


# -- the command line ---------------------------------------------------------------------------

def test_cli_writes_the_contract_and_validate_uses_it(tmp_path):
    out = tmp_path / "reseller.sch"
    result = run("xsd2sch", PS_XSD, "--keep", "CatalogueID", "--keep", "Name", "--keep", "Price",
                 "--consumer", "reseller-web", "-o", out)
    assert result.exit_code == 0, result.output
    assert "assertions in" in result.stderr
    assert load_contract(out).consumer == "reseller-web"
    assert run("validate", "-c", out, PS / "no-instock.xml").exit_code == 0
    assert run("validate", "-c", out, PS / "no-price.xml").exit_code == 1


def test_cli_prints_to_stdout_and_lists_what_is_not_checked():
    result = run("xsd2sch", DATA / "measurements" / "reading.xsd", "--element", "Reading")
    assert result.exit_code == 0
    assert result.stdout.startswith("<?xml")
    assert "cdcxml: not checked: Reading/Serial: pattern" in result.stderr


def test_cli_keep_from_with_samples(tmp_path):
    out = tmp_path / "k.sch"
    result = run("xsd2sch", PS_XSD, "--keep-from", PS / "reseller-xpaths.txt", "--sample",
                 PS / "v1.xml", "-o", out)
    assert result.exit_code == 0, result.output
    assert b"InStock" not in out.read_bytes()


def test_cli_never_overwrites_an_input(tmp_path):
    copy = tmp_path / "products.xsd"
    copy.write_bytes(PS_XSD.read_bytes())
    result = run("xsd2sch", copy, "-o", copy)
    assert result.exit_code == 2
    assert "would overwrite an input" in result.output
    assert copy.read_bytes() == PS_XSD.read_bytes()


@pytest.mark.parametrize(("args", "message"), [
    (["missing.xsd"], "missing.xsd: no such file"),
    ([DATA / "xsd" / "bad" / "unknown-type.xsd"], "unknown-type.xsd:4: invalid schema"),
    ([PS_XSD, "--keep", "Description"], "matches no element"),
    ([PS_XSD, "--sample", PS / "v1.xml"], "--sample needs --keep"),
    ([PS_XSD, "--keep-from", PS / "v1.xml", "--keep", "Name"], None),
])
def test_cli_errors_are_one_line_and_exit_2(args, message):
    result = run("xsd2sch", *args)
    if message is None:
        # Lines of an XML file are not paths: the first one cannot be read as one.
        assert result.exit_code == 2
        assert "cannot read" in result.stderr
        return
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_xml_namespace_attributes_use_the_built_in_prefix():
    data = convert(DATA / "xsd" / "remote" / "xml-lang.xsd").schematron
    root = xmlio.parse_bytes(data).getroot()
    assert "xml" not in {n.get("prefix") for n in root.findall("sch:ns", NS)}
    c = contract_from_bytes(data, name="notes")
    assert c.validate(b'<h:Note xmlns:h="urn:example:here" xml:lang="en">hi</h:Note>').valid
    assert failures(c, b'<h:Note xmlns:h="urn:example:here">hi</h:Note>') == [
        ("Note.lang-attribute", "Note must have attribute lang")]


def test_only_the_values_a_test_reads_are_bound():
    root = xmlio.parse_bytes(convert(DATA / "flat" / "employee.xsd").schematron).getroot()
    for rule in root.iter(f"{{{SCH}}}rule"):
        tests = " ".join(a.get("test") for a in rule.findall("sch:assert", NS))
        for let in rule.findall("sch:let", NS):
            assert f"${let.get('name')}" in tests


def test_a_schema_with_nothing_to_assert_is_an_error(tmp_path):
    xsd = tmp_path / "types.xsd"
    xsd.write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
                   '<xs:simpleType name="T"><xs:restriction base="xs:int"/></xs:simpleType>'
                   '</xs:schema>')
    with pytest.raises(CdcxmlError, match="nothing to check"):
        convert(xsd)
