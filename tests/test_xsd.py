"""Safe XSD loading and full XSD validation (cdcxml.xsd)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdcxml import xmlio
from cdcxml.errors import CdcxmlError, InputError
from cdcxml.results import Location
from cdcxml.xsd import XsdError, load_xsd, validate

DATA = Path(__file__).parent / "data" / "xsd2sch"
ORDERS = DATA / "orders" / "orders.xsd"


def test_imports_across_namespaces_resolve_inside_the_folder():
    xsd = load_xsd(ORDERS)
    assert "{urn:example:common}Address" in xsd.schema.maps.elements
    assert xsd.path == ORDERS


def test_valid_document_has_no_errors_whatever_form_it_comes_in():
    xsd = load_xsd(ORDERS)
    doc = DATA / "orders" / "order.xml"
    for form in (doc, str(doc), doc.read_bytes(), xmlio.parse_file(doc)):
        report = validate(xsd, form)
        assert report.valid and report.errors == ()
    assert xsd.validate(doc).valid


def test_invalid_document_lists_every_error_with_its_line():
    report = load_xsd(ORDERS).validate(DATA / "orders" / "order-broken.xml")
    assert not report.valid
    assert len(report.errors) == 2
    sku, engraving = report.errors
    assert sku.location == Location("/o:Order[1]/o:Lines[1]/o:Line[2]/o:Sku[1]", 24)
    assert "pattern" in sku.message
    # An unexpected child is pointed at itself (line 28), not at the Line that holds it (line 23).
    assert engraving.location == Location("/o:Order[1]/o:Lines[1]/o:Line[2]/o:Engraving[1]", 28)
    assert str(engraving).startswith("line 28: Unexpected child")


def test_import_outside_the_folder_is_refused_by_default():
    target = DATA / "xsd" / "inside" / "reaches-out.xsd"
    with pytest.raises(XsdError) as err:
        load_xsd(target)
    assert err.value.path == str(target)
    assert "outside the schema's folder" in str(err.value)
    assert "outside/shared.xsd refused" in str(err.value)


def test_import_outside_the_folder_is_allowed_when_asked():
    xsd = load_xsd(DATA / "xsd" / "inside" / "reaches-out.xsd", allow="local")
    assert xsd.validate(b'<i:Thing xmlns:i="urn:example:inside"> A1 </i:Thing>').valid


def test_remote_import_is_refused():
    with pytest.raises(XsdError, match="remote resource"):
        load_xsd(DATA / "xsd" / "remote" / "remote-import.xsd")


def test_the_xml_namespace_need_not_be_fetched():
    xsd = load_xsd(DATA / "xsd" / "remote" / "xml-lang.xsd")
    doc = b'<h:Note xmlns:h="urn:example:here" xml:lang="en">hi</h:Note>'
    assert xsd.validate(doc).valid
    assert not xsd.validate(b'<h:Note xmlns:h="urn:example:here">hi</h:Note>').valid


def test_unknown_type_names_file_and_line():
    target = DATA / "xsd" / "bad" / "unknown-type.xsd"
    with pytest.raises(XsdError) as err:
        load_xsd(target)
    assert err.value.path == str(target)
    assert err.value.line == 4
    assert "Missing" in err.value.message


def test_doctype_in_schema_is_refused_with_its_line():
    target = DATA / "xsd" / "bad" / "doctype.xsd"
    with pytest.raises(CdcxmlError) as err:
        load_xsd(target)
    assert err.value.path == str(target)
    assert "DOCTYPE" in str(err.value)


def test_included_file_goes_through_the_hardened_loader():
    with pytest.raises(CdcxmlError) as err:
        load_xsd(DATA / "xsd" / "bad" / "includes-doctype.xsd")
    assert "doctype.xsd" in str(err.value)
    assert "DOCTYPE" in str(err.value)


def test_not_well_formed_schema_names_the_line():
    with pytest.raises(CdcxmlError) as err:
        load_xsd(DATA / "xsd" / "bad" / "not-well-formed.xsd")
    assert err.value.line == 4


def test_missing_schema_file():
    with pytest.raises(InputError) as err:
        load_xsd(DATA / "xsd" / "nope.xsd")
    assert "no such file" in str(err.value)


def test_unknown_allow_mode_is_a_programming_error():
    with pytest.raises(ValueError, match="allow"):
        load_xsd(ORDERS, allow="all")
