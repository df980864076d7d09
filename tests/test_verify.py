"""``verify`` against real providers on 127.0.0.1: every way an interaction holds, fails or errs."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
import requests

from cdcxml import load_contract
from cdcxml.errors import ConfigError, SchematronError
from cdcxml.verify import ERROR, FAILED, PASSED, request_headers, request_url, verify
from cdcxml.wsgi import WSGIAdapter

from .verify_support import (
    DATA,
    EXAMPLE,
    FakeProvider,
    Reply,
    closed_port,
    data,
    load_example_app,
)

CONTRACTS = DATA / "contracts"
RESELLER = CONTRACTS / "reseller-web.sch"
MARKETING = CONTRACTS / "marketing.sch"
MOBILE = DATA / "other" / "mobile-app.sch"
PLAIN = DATA / "other" / "plain-xml.sch"


@pytest.fixture
def provider():
    p = FakeProvider().start()
    yield p
    p.close()


def serve(provider, path, response_file, status=200, content_type="text/xml; charset=utf-8"):
    provider.routes[path] = Reply(status, data("responses", response_file), content_type)


def run(contracts, provider, **kwargs):
    return list(verify(contracts, provider.url, **kwargs))


def test_a_provider_that_keeps_the_contract_passes(provider):
    serve(provider, "/ProductSearch", "products-11.xml")
    [result] = run([RESELLER], provider)
    assert result.outcome == PASSED and result.valid
    assert (result.consumer, result.interaction, result.method) == (
        "reseller-web", "search-widgets", "POST")
    assert result.url == provider.url + "/ProductSearch"
    assert result.status == 200
    assert result.report.valid
    assert result.contract == str(RESELLER)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = 500


def test_a_response_without_price_fails_naming_the_assertion_and_line(provider):
    serve(provider, "/ProductSearch", "no-price-11.xml")
    [result] = run([RESELLER], provider)
    assert result.outcome == FAILED
    assert result.error is None and result.mismatches == ()
    [failure] = result.failures
    assert failure.id == "has-price"
    assert failure.message == "Must contain Price node"
    assert failure.line == 11  # the second Product in no-price-11.xml
    assert failure.location.xpath.endswith("p:Products[1]/p:Product[2]")


def test_only_the_interactions_phase_is_run(provider):
    # products-plain has no Description: the "wishes" pattern would fail, but it is not in the
    # "search" phase the interaction names.
    serve(provider, "/ProductSearch", "no-price-11.xml")
    [result] = run([RESELLER], provider)
    assert result.phase == "search"
    assert {f.id for f in result.failures} == {"has-price"}


def test_passing_and_failing_consumers_in_one_run(provider):
    serve(provider, "/ProductSearch", "no-price-11.xml")
    provider.routes["/state"] = Reply(200, b"", None)
    results = run([CONTRACTS], provider, state_url=provider.url + "/state")
    by_consumer = {r.consumer: r.outcome for r in results}
    assert by_consumer == {"marketing": PASSED, "reseller-web": FAILED}


def test_soap11_requests_are_sent_with_their_headers_and_body(provider):
    serve(provider, "/ProductSearch", "products-11.xml")
    run([RESELLER], provider)
    [call] = provider.calls_to("/ProductSearch")
    assert call.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert call.headers["SOAPAction"] == '"urn:example:Search"'
    assert call.body == data("contracts", "requests", "search-widgets.xml")


def test_a_soap12_endpoint(provider):
    serve(provider, "/soap12/ProductSearch", "products-12.xml",
          content_type="application/soap+xml; charset=utf-8")
    [result] = run([MOBILE], provider, interactions=["search-12"])
    assert result.outcome == PASSED
    [call] = provider.calls_to("/soap12/ProductSearch")
    assert call.headers["Content-Type"] == (
        'application/soap+xml; charset=utf-8; action="urn:example:Search"')
    assert "SOAPAction" not in call.headers
    assert b"http://www.w3.org/2003/05/soap-envelope" in call.body


def test_a_soap11_fault_is_reported_as_a_fault(provider):
    serve(provider, "/ProductSearch", "fault-11.xml", status=500)
    [result] = run([RESELLER], provider)
    assert result.outcome == FAILED
    assert (result.fault.code, result.fault.reason) == ("soap:Server",
                                                         "Catalogue database unavailable")
    assert result.mismatches == (
        "status 500 Internal Server Error, expected 200",
        "SOAP 1.1 fault soap:Server: Catalogue database unavailable",
    )


def test_a_fault_the_contract_expects_is_not_a_failure(provider):
    serve(provider, "/soap12/ProductSearch", "fault-12.xml", status=400,
          content_type="application/soap+xml")
    [result] = run([MOBILE], provider, interactions=["unknown-product-fault"])
    assert result.outcome == PASSED
    assert result.fault.code == "env:Sender"
    assert result.fault.subcodes == ("ps:UnknownProduct",)


def test_a_fault_with_status_200_is_still_a_failure(provider):
    serve(provider, "/ProductSearch", "fault-11.xml", status=200)
    [result] = run([RESELLER], provider)
    assert result.outcome == FAILED
    assert result.mismatches == ("SOAP 1.1 fault soap:Server: Catalogue database unavailable",)
    # The contract's rules match no Product in a fault: its pattern checked nothing.
    assert [f.kind for f in result.failures] == ["vacuous"]


def test_a_hanging_endpoint_errs_at_the_timeout_and_the_run_goes_on(provider):
    provider.routes["/ProductSearch"] = Reply(hang=True)
    serve(provider, "/products", "products-plain.xml", content_type="application/xml")
    started = time.monotonic()
    results = run([RESELLER, PLAIN], provider, timeout=1)
    took = time.monotonic() - started
    assert [r.outcome for r in results] == [ERROR, PASSED]
    assert results[0].error == "no complete response within 1 s"
    assert took < 5


def test_a_trickling_endpoint_errs_at_the_timeout(provider):
    provider.routes["/ProductSearch"] = Reply(200, data("responses", "products-11.xml"),
                                              trickle=0.05)
    started = time.monotonic()
    [result] = run([RESELLER], provider, timeout=1)
    assert result.outcome == ERROR
    assert result.error == "response body not complete within 1 s"
    assert time.monotonic() - started < 5


def test_an_html_error_page_is_a_failure_with_its_title(provider):
    serve(provider, "/ProductSearch", "error-page.html", status=502,
          content_type="text/html; charset=utf-8")
    [result] = run([RESELLER], provider)
    assert result.outcome == FAILED
    assert result.mismatches == ("status 502 Bad Gateway, expected 200",
                                 "content type text/html, expected text/xml")
    assert result.error == "response is an HTML page, not XML ('502 Bad Gateway')"
    assert result.report is None


def test_a_body_that_is_not_xml_is_an_error(provider):
    provider.routes["/ProductSearch"] = Reply(200, b"Products: Widget, Fooble\n")
    [result] = run([RESELLER], provider)
    assert result.outcome == ERROR
    assert result.error.startswith("response body is not usable XML at line 1: not well-formed")


def test_an_empty_body_is_an_error(provider):
    provider.routes["/ProductSearch"] = Reply(200, b"")
    [result] = run([RESELLER], provider)
    assert result.outcome == ERROR
    assert result.error == "response body is not usable XML: document is empty"


def test_a_response_with_a_doctype_is_refused(provider):
    serve(provider, "/ProductSearch", "doctype.xml")
    [result] = run([RESELLER], provider)
    assert result.outcome == ERROR
    assert "DOCTYPE not allowed" in result.error


def test_an_oversized_body_is_an_error(provider):
    serve(provider, "/ProductSearch", "products-11.xml")
    [result] = run([RESELLER], provider, max_body_bytes=100)
    assert result.outcome == ERROR
    assert result.error == "response body is larger than the limit of 100 bytes"
    assert result.status == 200


def test_a_redirect_is_an_error_naming_the_target(provider):
    provider.routes["/ProductSearch"] = Reply(301, b"", None, headers={"Location": "/v2/search"})
    [result] = run([RESELLER], provider)
    assert result.outcome == ERROR
    assert result.error == (f"redirected (301) to {provider.url}/v2/search; redirects are not "
                            "followed")


def test_an_unreachable_provider_errs_for_every_interaction():
    base = f"http://127.0.0.1:{closed_port()}"
    results = list(verify([RESELLER, PLAIN], base))
    assert [(r.outcome, r.error) for r in results] == [(ERROR, "connection refused")] * 2


def test_a_wrong_content_type_is_a_mismatch(provider):
    serve(provider, "/ProductSearch", "products-11.xml", content_type="application/json")
    [result] = run([RESELLER], provider)
    assert result.outcome == FAILED
    assert result.mismatches == ("content type application/json, expected text/xml",)


def test_without_an_expected_content_type_any_xml_type_is_accepted(provider):
    serve(provider, "/products", "products-plain.xml", content_type="application/xml")
    [result] = run([PLAIN], provider)
    assert result.outcome == PASSED
    [call] = provider.calls_to("/products?category=widgets")
    assert call.method == "GET"
    assert call.body == b""


def test_without_an_expected_content_type_a_non_xml_type_is_a_mismatch(provider):
    serve(provider, "/products", "products-plain.xml", content_type="text/plain")
    [result] = run([PLAIN], provider)
    assert result.mismatches == ("content type text/plain, expected an XML media type",)


def test_the_provider_state_is_set_up_before_its_interaction(provider):
    serve(provider, "/ProductSearch", "products-11.xml")
    provider.routes["/_state"] = Reply(201, b"", None)
    [result] = run([MARKETING], provider, state_url=provider.url + "/_state")
    assert result.outcome == PASSED
    assert result.state == "two products in the catalogue"
    assert [c.path for c in provider.calls] == ["/_state", "/ProductSearch", "/_state"]
    setup, _, teardown = provider.calls
    assert setup.method == teardown.method == "POST"
    assert json.loads(setup.body) == {"consumer": "marketing", "action": "setup", "params": {},
                                      "state": "two products in the catalogue"}
    assert json.loads(teardown.body) == {**json.loads(setup.body), "action": "teardown"}
    assert setup.at <= provider.calls[1].at <= teardown.at


def test_a_failing_state_call_errs_and_sends_nothing(provider):
    serve(provider, "/ProductSearch", "products-11.xml")
    provider.routes["/_state"] = Reply(500, b"boom", "text/plain")
    [result] = run([MARKETING], provider, state_url=provider.url + "/_state")
    assert result.outcome == ERROR
    assert result.error == ("provider state 'two products in the catalogue' could not be set up: "
                            "state URL answered 500 Internal Server Error")
    assert provider.calls_to("/ProductSearch") == []


def test_a_state_without_a_state_url_is_a_setup_error_before_any_request(provider):
    serve(provider, "/ProductSearch", "products-11.xml")
    with pytest.raises(ConfigError, match="needs provider state 'two products in the "
                       "catalogue': give a state URL") as caught:
        run([RESELLER, MARKETING], provider)
    assert (caught.value.path, caught.value.line) == (str(MARKETING), 6)
    assert provider.calls == []


def test_headers_are_passed_through_and_the_runs_win(provider):
    serve(provider, "/ProductSearch", "products-11.xml")
    provider.routes["/_state"] = Reply(200, b"", None)
    run([MARKETING], provider, state_url=provider.url + "/_state",
        headers={"Authorization": "Bearer ci-token", "x-consumer": "overridden"})
    [call] = provider.calls_to("/ProductSearch")
    assert call.headers["Authorization"] == "Bearer ci-token"
    assert call.headers["x-consumer"] == "overridden"
    assert "X-Consumer" not in call.headers or call.headers["X-Consumer"] == "overridden"
    # The run's headers are for the provider's endpoints, not for the state URL.
    assert "Authorization" not in provider.calls_to("/_state")[0].headers


def test_contract_headers_are_sent(provider):
    serve(provider, "/ProductSearch", "products-11.xml")
    provider.routes["/_state"] = Reply(200, b"", None)
    run([MARKETING], provider, state_url=provider.url + "/_state")
    assert provider.calls_to("/ProductSearch")[0].headers["X-Consumer"] == "marketing"


def test_an_injected_session_is_used(provider):
    serve(provider, "/ProductSearch", "products-11.xml")
    with requests.Session() as session:
        session.auth = ("ci", "secret")
        [result] = run([RESELLER], provider, session=session)
    assert result.valid
    assert provider.calls_to("/ProductSearch")[0].headers["Authorization"].startswith("Basic ")


def test_consumers_and_interactions_can_be_selected(provider):
    serve(provider, "/soap12/ProductSearch", "products-12.xml",
          content_type="application/soap+xml")
    results = run([CONTRACTS, MOBILE], provider, consumers=["mobile-app"],
                  interactions=["search-12"])
    assert [(r.consumer, r.interaction) for r in results] == [("mobile-app", "search-12")]


def test_an_unknown_consumer_or_interaction_is_a_usage_error(provider):
    with pytest.raises(ConfigError, match="no contract for consumer nobody"):
        verify([CONTRACTS], provider.url, consumers=["nobody"])
    with pytest.raises(ConfigError, match="no interaction nothing"):
        verify([CONTRACTS], provider.url, interactions=["nothing"])


def test_bad_options_stop_the_run_before_anything_is_sent(provider):
    with pytest.raises(ConfigError, match="base URL must be an http"):
        verify([RESELLER], "ftp://example.com")
    with pytest.raises(ConfigError, match="timeout"):
        verify([RESELLER], provider.url, timeout=0)
    with pytest.raises(ConfigError, match="no contracts"):
        verify([], provider.url)
    assert provider.calls == []


def test_a_broken_contract_stops_the_run_before_anything_is_sent(provider):
    with pytest.raises(SchematronError):
        verify([RESELLER, DATA / "other" / "broken.sch"], provider.url)
    assert provider.calls == []


def test_a_contract_without_interactions_has_nothing_to_send(tmp_path, provider):
    sch = tmp_path / "bare.sch"
    sch.write_text('<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron">'
                   '<sch:pattern><sch:rule context="/"><sch:assert test="true()">x</sch:assert>'
                   "</sch:rule></sch:pattern></sch:schema>")
    with pytest.raises(ConfigError, match="no interactions"):
        verify([sch], provider.url)


def test_urls_keep_the_base_path():
    assert request_url("http://h:1/api/", "/ProductSearch") == "http://h:1/api/ProductSearch"
    assert request_url("http://h:1", "x?y=1") == "http://h:1/x?y=1"


def test_plain_xml_requests_carry_an_xml_content_type():
    interaction = load_contract(PLAIN).interactions[0]
    assert request_headers(interaction, None) == {}
    assert request_headers(interaction, b"<q/>") == {
        "Content-Type": "application/xml; charset=utf-8"}


def test_the_envelope_is_what_the_contract_sees(provider):
    # Contracts address the message as it travels: an assertion on the envelope itself works.
    sch = DATA / "other" / "envelope.sch"
    serve(provider, "/ProductSearch", "products-11.xml")
    [result] = run([sch], provider)
    assert result.outcome == PASSED
    serve(provider, "/ProductSearch", "products-12.xml")
    [result] = run([sch], provider)
    assert [f.id for f in result.failures] == ["soap11-envelope"]


@pytest.mark.parametrize(("drop_price", "outcome"), [(False, PASSED), (True, FAILED)])
def test_a_wsgi_provider_is_verified_in_process(drop_price, outcome):
    app = load_example_app().make_app(drop_price=drop_price)
    with requests.Session() as session:
        session.mount("http://provider.test/", WSGIAdapter(app))
        marketing, reseller = verify([EXAMPLE / "contracts"], "http://provider.test",
                                     session=session)
    assert (marketing.consumer, reseller.consumer) == ("marketing", "reseller-web")
    for result in (marketing, reseller):
        assert (result.outcome, result.status) == (outcome, 200)
    assert [f.id for f in marketing.failures] == ([] if not drop_price else ["has-price"])
    assert [f.test for f in reseller.failures] == ([] if not drop_price else ["p:Price"])
