"""Hostile WSDLs, through `init --wsdl` and `--xsd WSDL`: imports reach only the WSDL's folder and
never the network, DOCTYPEs are refused, import cycles end; each refusal is one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import SECRET, one_error, run_many

WSDL = "http://schemas.xmlsoap.org/wsdl/"
TYPES = ('<types><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t">'
         '{schema}<xs:element name="R" type="xs:string"/></xs:schema></types>')


def wsdl(work: Path, name: str, *, imports: str = "", schema: str = "", prolog: str = "") -> str:
    (work / name).write_text(
        f'{prolog}<definitions xmlns="{WSDL}" targetNamespace="urn:t">{imports}'
        f'{TYPES.format(schema=schema)}</definitions>\n')
    return name


def refused(work: Path, name: str, *words: str) -> None:
    """``init --wsdl`` and ``validate --xsd`` each refuse ``name`` in one line naming ``words``."""
    (work / "doc.xml").write_text('<R xmlns="urn:t">x</R>\n')
    (work / "holds.sch").write_text(
        '<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"><sch:pattern>'
        '<sch:rule context="/*"><sch:assert test="true()">x</sch:assert></sch:rule>'
        '</sch:pattern></sch:schema>\n')
    runs = run_many([("init", "--wsdl", name, "--consumer", "x"),
                     ("validate", "-c", "holds.sch", "--xsd", name, "doc.xml")], cwd=work)
    for ran in runs:
        line = one_error(ran, *words)
        assert SECRET not in line and SECRET not in ran.stdout


def test_remote_wsdl_import_is_refused_without_a_connection(work, listener):
    name = wsdl(work, "remote.wsdl", imports=f'<import namespace="urn:o" '
                                             f'location="{listener.url}/other.wsdl"/>')
    refused(work, name, "remote.wsdl", "only local files")
    assert listener.connections == []


def test_remote_schema_import_in_types_is_refused_without_a_connection(work, listener):
    name = wsdl(work, "remote-xsd.wsdl", schema=f'<xs:import namespace="urn:o" '
                                                f'schemaLocation="{listener.url}/o.xsd"/>')
    refused(work, name, "remote-xsd.wsdl")
    assert listener.connections == []


@pytest.mark.parametrize("prolog", [
    '<!DOCTYPE definitions [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE definitions SYSTEM "http://127.0.0.1:9/evil.dtd">',
])
def test_a_doctype_is_refused(work, prolog):
    name = wsdl(work, "doctype.wsdl", prolog=prolog)
    refused(work, name, "doctype.wsdl")


def test_an_import_cycle_is_refused(work):
    wsdl(work, "a.wsdl", imports='<import namespace="urn:t" location="b.wsdl"/>')
    wsdl(work, "b.wsdl", imports='<import namespace="urn:t" location="a.wsdl"/>')
    refused(work, "a.wsdl", "cycle")


def test_imports_outside_the_folder_are_refused(work, secret):
    outside = secret.parent / "outside.wsdl"
    wsdl(secret.parent, "outside.wsdl")
    name = wsdl(work, "escape.wsdl", imports=f'<import namespace="urn:o" '
                                             f'location="../{outside.parent.name}/outside.wsdl"/>')
    refused(work, name, "escape.wsdl", "leaves the folder")
    (work / "link.wsdl").symlink_to(outside)
    name = wsdl(work, "via-link.wsdl", imports='<import namespace="urn:o" location="link.wsdl"/>')
    refused(work, name, "via-link.wsdl", "leaves the folder")


def test_a_schema_include_outside_the_folder_is_refused(work, secret):
    (secret.parent / "outside.xsd").write_text(
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t">'
        f'<xs:element name="S" fixed="{SECRET}"/></xs:schema>')
    name = wsdl(work, "inc.wsdl", schema=f'<xs:include schemaLocation='
                                         f'"../{secret.parent.name}/outside.xsd"/>')
    refused(work, name, "inc.wsdl")


@pytest.mark.parametrize(("old", "new", "words"), [
    ('binding="tns:B"', 'binding="tns:Nope"', ("binding='tns:Nope' names no binding",)),
    ('type="tns:P"', 'type="tns:Nope"', ("type='tns:Nope' names no portType",)),
    ('<input message="tns:In"/>', '<input message="tns:Gone"/>', ("message='tns:Gone' names no",)),
    ('<fault name="F" message="tns:F"/>', '<fault name="F" message="x:F"/>',
     ("undeclared prefix 'x'",)),
])
def test_a_reference_that_resolves_to_nothing_is_an_error_not_an_empty_operation(
        work, old, new, words):
    # A misspelt reference must not turn an operation one-way or drop what it checks.
    text = (f'<definitions xmlns="{WSDL}" xmlns:tns="urn:t" '
            'xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" targetNamespace="urn:t">'
            + TYPES.format(schema="") +
            '<message name="In"><part name="p" element="tns:R"/></message>'
            '<message name="F"><part name="p" element="tns:R"/></message>'
            '<portType name="P"><operation name="Op"><input message="tns:In"/>'
            '<output message="tns:In"/><fault name="F" message="tns:F"/></operation></portType>'
            '<binding name="B" type="tns:P"><soap:binding/><operation name="Op">'
            '<soap:operation soapAction="a"/></operation></binding>'
            '<service name="S"><port name="p" binding="tns:B"><soap:address location="http://h/"/>'
            '</port></service></definitions>\n')
    (work / "ok.wsdl").write_text(text)
    assert run_many([("init", "--wsdl", "ok.wsdl", "--consumer", "x")], cwd=work)[0].code == 0
    (work / "bad.wsdl").write_text(text.replace(old, new))
    refused(work, "bad.wsdl", "bad.wsdl:1", *words)


def test_schemas_of_an_imported_wsdl_resolve_against_its_own_folder(work):
    # sub/types.wsdl includes t.xsd from sub/; a lax t.xsd beside the root WSDL must not be used.
    (work / "sub").mkdir()
    (work / "t.xsd").write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
                                'targetNamespace="urn:t"><xs:element name="Q"/></xs:schema>')
    (work / "sub" / "t.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t">'
        '<xs:element name="Q"><xs:complexType><xs:sequence><xs:element name="price" '
        'type="xs:decimal"/></xs:sequence></xs:complexType></xs:element></xs:schema>')
    (work / "sub" / "types.wsdl").write_text(
        f'<definitions xmlns="{WSDL}" targetNamespace="urn:t"><types>'
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:u">'
        '<xs:import namespace="urn:t" schemaLocation="t.xsd"/></xs:schema></types></definitions>')
    from cdcxml.wsdl import load_wsdl  # noqa: F401 - the CLI below reads it the same way

    (work / "root.wsdl").write_text(
        f'<definitions xmlns="{WSDL}" xmlns:tns="urn:t" '
        'xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" targetNamespace="urn:t">'
        '<import namespace="urn:t" location="sub/types.wsdl"/>'
        '<message name="M"><part name="p" element="tns:Q"/></message>'
        '<portType name="P"><operation name="Op"><input message="tns:M"/><output message="tns:M"/>'
        '</operation></portType><binding name="B" type="tns:P"><soap:binding/>'
        '<operation name="Op"/></binding></definitions>')
    (work / "doc.xml").write_text('<Q xmlns="urn:t"><junk/></Q>\n')
    (work / "holds.sch").write_text(
        '<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"><sch:pattern>'
        '<sch:rule context="/*"><sch:assert test="true()">x</sch:assert></sch:rule>'
        '</sch:pattern></sch:schema>\n')
    ran = run_many([("validate", "-c", "holds.sch", "--xsd", "root.wsdl", "doc.xml")], cwd=work)[0]
    assert ran.code == 1, (ran.stdout, ran.stderr)
    assert "price" in ran.stdout
