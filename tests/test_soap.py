"""SOAP 1.1/1.2: request headers, versions, payloads and faults, parsed through the hardened loader."""

from __future__ import annotations

import pytest

from cdcxml import soap
from cdcxml.errors import UnsafeXMLError, XMLSyntaxError

from .verify_support import data


def tree(*parts: str):
    return soap.parse_response(data(*parts), "/".join(parts))


def test_soap11_requests_carry_text_xml_and_a_quoted_soapaction():
    assert soap.request_headers("1.1", "urn:example:Search") == {
        "Content-Type": "text/xml; charset=utf-8",
        "SOAPAction": '"urn:example:Search"',
    }


def test_soap11_without_an_action_still_sends_an_empty_quoted_soapaction():
    assert soap.request_headers("1.1", None)["SOAPAction"] == '""'


def test_an_action_given_with_quotes_is_not_quoted_twice():
    assert soap.request_headers("1.1", '"urn:a"')["SOAPAction"] == '"urn:a"'
    assert soap.request_headers("1.2", '"urn:a"') == {
        "Content-Type": 'application/soap+xml; charset=utf-8; action="urn:a"'}


def test_soap12_puts_the_action_in_the_content_type():
    assert soap.request_headers("1.2", "urn:example:Search") == {
        "Content-Type": 'application/soap+xml; charset=utf-8; action="urn:example:Search"'}
    assert soap.request_headers("1.2", None) == {
        "Content-Type": "application/soap+xml; charset=utf-8"}


def test_an_unknown_version_is_refused():
    with pytest.raises(ValueError, match="1.3"):
        soap.request_headers("1.3", None)


def test_envelope_versions_are_told_by_namespace():
    assert soap.envelope_version(tree("responses", "products-11.xml")) == "1.1"
    assert soap.envelope_version(tree("responses", "products-12.xml")) == "1.2"
    assert soap.envelope_version(tree("responses", "products-plain.xml")) is None


def test_request_bodies_are_read_for_their_version():
    assert soap.body_version(data("contracts", "requests", "search-widgets.xml")) == "1.1"
    assert soap.body_version(b"<Search/>") is None
    assert soap.body_version(b"not xml") is None
    assert soap.body_version(None) is None


def test_the_payload_is_the_first_element_in_the_body():
    payload = soap.payload(tree("responses", "products-12.xml"))
    assert payload.tag == "{urn:example.com:productsearch:products}Products"
    assert soap.payload(tree("responses", "products-plain.xml")) is None
    assert soap.body(tree("responses", "products-plain.xml")) is None


def test_a_soap11_fault_is_data():
    fault = soap.find_fault(tree("responses", "fault-11.xml"))
    assert fault == soap.Fault(
        version="1.1",
        code="soap:Server",
        reason="Catalogue database unavailable",
        actor="urn:example:productsearch",
        detail="after 30 s",
        line=4,
    )
    assert str(fault) == "SOAP 1.1 fault soap:Server: Catalogue database unavailable"


def test_a_soap12_fault_has_code_subcodes_and_the_english_reason():
    fault = soap.find_fault(tree("responses", "fault-12.xml"))
    assert fault.version == "1.2"
    assert fault.code == "env:Sender"
    assert fault.subcodes == ("ps:UnknownProduct",)
    assert fault.reason == "Unknown product 999"
    assert fault.actor == "urn:example:productsearch"
    assert fault.detail == "999"
    assert str(fault) == "SOAP 1.2 fault env:Sender/ps:UnknownProduct: Unknown product 999"


def test_a_soap11_fault_with_qualified_children_is_still_read():
    doc = soap.parse_response(
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>'
        b"<s:faultcode>s:Client</s:faultcode><s:faultstring>bad</s:faultstring>"
        b"</s:Fault></s:Body></s:Envelope>", "qualified")
    fault = soap.find_fault(doc)
    assert (fault.code, fault.reason, fault.detail) == ("s:Client", "bad", None)


def test_answers_without_a_fault_have_none():
    assert soap.find_fault(tree("responses", "products-11.xml")) is None
    assert soap.find_fault(tree("responses", "products-plain.xml")) is None


def test_responses_with_a_doctype_are_refused():
    with pytest.raises(UnsafeXMLError, match="DOCTYPE"):
        tree("responses", "doctype.xml")


def test_responses_that_are_not_xml_are_a_syntax_error():
    with pytest.raises(XMLSyntaxError, match="error-page.html"):
        tree("responses", "error-page.html")
