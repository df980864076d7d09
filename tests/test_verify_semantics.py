"""What ``verify`` checks beyond the assertions, against a real provider on 127.0.0.1: SOAP answered
as SOAP, empty one-way answers, expected and unexpected faults, real timings, setup errors."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from cdcxml import load_contract
from cdcxml.errors import ConfigError
from cdcxml.verify import FAILED, PASSED, verify

from .helpers import cli as cdcxml
from .verify_support import FakeProvider, Reply

ENV11 = "http://schemas.xmlsoap.org/soap/envelope/"
ENV12 = "http://www.w3.org/2003/05/soap-envelope"


@pytest.fixture
def provider():
    p = FakeProvider().start()
    yield p
    p.close()


def contract(tmp_path, interactions: str, patterns: str = "", name="c") -> str:
    path = tmp_path / f"{name}.sch"
    path.write_text(f"""<?xml version="1.0" encoding="utf-8"?>
<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" xmlns:cdc="urn:cdcxml:contract:1"
            xmlns:soap="{ENV11}" xmlns:t="urn:example:travel"
            xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <cdc:contract consumer="{name}" provider="p"/>
  {interactions}
  <sch:ns prefix="soap" uri="{ENV11}"/>
  <sch:ns prefix="e" uri="urn:example:errors"/>
  {patterns or '<sch:pattern id="answer"><sch:rule context="answer">'
               '<sch:assert id="has-id" test="@id">an id</sch:assert></sch:rule></sch:pattern>'}
</sch:schema>""", encoding="utf-8")
    return str(path)


SOAP_REQUEST = (f'<cdc:request path="/svc" soap="1.1"><soap:Envelope xmlns:soap="{ENV11}">'
                "<soap:Body><ask/></soap:Body></soap:Envelope></cdc:request>")


def envelope(body: str, ns: str = ENV11) -> bytes:
    return (f'<s:Envelope xmlns:s="{ns}"><s:Body>{body}</s:Body></s:Envelope>').encode()


def one(tmp_path, provider, reply: Reply, response: str = "", patterns: str = ""):
    provider.routes["/svc"] = reply
    sch = contract(tmp_path, f'<cdc:interaction id="i">{SOAP_REQUEST}{response}</cdc:interaction>',
                   patterns)
    [result] = verify([sch], provider.url)
    return result


# -- SOAP is checked as SOAP --------------------------------------------------------------------

def test_a_soap11_request_answered_by_a_soap11_envelope_passes(tmp_path, provider):
    result = one(tmp_path, provider, Reply(200, envelope('<answer id="1"/>')))
    assert result.outcome == PASSED, result


@pytest.mark.parametrize(("body", "problem"), [
    (b'<answer id="1"/>', "a SOAP 1.1 request was answered by 'answer', not a SOAP envelope"),
    (envelope('<answer id="1"/>', ENV12),
     "a SOAP 1.1 request was answered by a SOAP 1.2 envelope"),
    (f'<s:Envelope xmlns:s="{ENV11}"><answer id="1"/></s:Envelope>'.encode(),
     "the SOAP 1.1 envelope has no Body"),
])
def test_an_answer_that_is_not_a_soap11_envelope_fails(tmp_path, provider, body, problem):
    result = one(tmp_path, provider, Reply(200, body))
    assert result.outcome == FAILED
    assert problem in result.mismatches


def test_a_soap12_request_answered_by_a_soap11_envelope_fails(tmp_path, provider):
    provider.routes["/svc"] = Reply(200, envelope('<answer id="1"/>'), "application/soap+xml")
    request = (f'<cdc:request path="/svc"><e:Envelope xmlns:e="{ENV12}"><e:Body><ask/></e:Body>'
               "</e:Envelope></cdc:request>")
    sch = contract(tmp_path, f'<cdc:interaction id="i">{request}</cdc:interaction>')
    [result] = verify([sch], provider.url)
    assert result.mismatches == ("a SOAP 1.2 request was answered by a SOAP 1.1 envelope",)


ONE_WAY = '<cdc:response status="202" body="empty"/>'


def test_a_one_way_operation_passes_an_empty_202(tmp_path, provider):
    result = one(tmp_path, provider, Reply(202, b"", None), ONE_WAY)
    assert result.outcome == PASSED, result
    assert result.status == 202


@pytest.mark.parametrize(("reply", "problem"), [
    (Reply(202, envelope('<answer id="1"/>')), "a body of "),
    (Reply(200, b"", None), "status 200 OK, expected 202"),
])
def test_a_one_way_operation_fails_a_body_or_another_status(tmp_path, provider, reply, problem):
    result = one(tmp_path, provider, reply, ONE_WAY)
    assert result.outcome == FAILED
    assert any(m.startswith(problem) for m in result.mismatches), result.mismatches


@pytest.mark.parametrize("response", ["", '<cdc:response content-type="text/xml"/>'])
def test_without_a_status_200_is_expected(tmp_path, provider, response):
    result = one(tmp_path, provider, Reply(201, envelope('<answer id="1"/>')), response)
    assert result.mismatches == ("status 201 Created, expected 200",)


FAULT = envelope('<s:Fault><faultcode>s:Client</faultcode><faultstring>no such booking'
                 '</faultstring><detail><e:Missing xmlns:e="urn:example:errors">B-1</e:Missing>'
                 '</detail></s:Fault>')
FAULT_PATTERN = ('<sch:pattern id="fault-detail"><sch:rule context="soap:Fault/detail">'
                 '<sch:assert id="names-booking" test="e:Missing">names the booking</sch:assert>'
                 '</sch:rule></sch:pattern>')


@pytest.mark.parametrize("status", [500, 200])
def test_an_expected_fault_passes_whatever_the_status(tmp_path, provider, status):
    result = one(tmp_path, provider, Reply(status, FAULT),
                 f'<cdc:response status="{status}" fault="true" faultcode="Client"/>',
                 FAULT_PATTERN)
    assert result.outcome == PASSED, result
    assert result.fault.code == "s:Client"


def test_the_expected_faults_detail_is_checked_by_the_contract(tmp_path, provider):
    bare = FAULT.replace(b'<e:Missing xmlns:e="urn:example:errors">B-1</e:Missing>', b"")
    result = one(tmp_path, provider, Reply(500, bare),
                 '<cdc:response status="500" fault="true"/>', FAULT_PATTERN)
    assert result.outcome == FAILED
    assert [f.id for f in result.failures] == ["names-booking"]


def test_an_expected_fault_that_does_not_come_fails(tmp_path, provider):
    result = one(tmp_path, provider, Reply(500, envelope('<answer id="1"/>')),
                 '<cdc:response status="500" fault="true" faultcode="s:Client"/>')
    assert "no SOAP fault, expected a fault s:Client" in result.mismatches


def test_a_fault_with_another_code_fails(tmp_path, provider):
    result = one(tmp_path, provider, Reply(500, FAULT.replace(b"s:Client", b"s:Server")),
                 '<cdc:response status="500" fault="true" faultcode="Client"/>', FAULT_PATTERN)
    assert result.outcome == FAILED
    assert result.mismatches == (
        "SOAP 1.1 fault s:Server: no such booking, expected fault code Client",)


def test_a_fault_the_interaction_does_not_expect_fails_even_with_an_error_status(tmp_path,
                                                                               provider):
    result = one(tmp_path, provider, Reply(500, FAULT), '<cdc:response status="500"/>',
                 FAULT_PATTERN)
    assert result.outcome == FAILED
    assert result.mismatches == ("SOAP 1.1 fault s:Client: no such booking",)


# -- verify reports what really happened --------------------------------------------------------

def test_a_timed_out_interaction_reports_its_real_elapsed_time(tmp_path, provider):
    provider.routes["/svc"] = Reply(hang=True)
    sch = contract(tmp_path, f'<cdc:interaction id="i">{SOAP_REQUEST}</cdc:interaction>')
    report = tmp_path / "r.json"
    result = cdcxml("verify", "--base-url", provider.url, "-c", sch, "--timeout", "1",
                    "--format", "json", "-o", report)
    assert result.exit_code == 1
    [entry] = json.loads(report.read_text())["documents"]
    assert 1.0 <= entry["elapsed"] < 5
    junit = tmp_path / "r.xml"
    cdcxml("verify", "--base-url", provider.url, "-c", sch, "--timeout", "1", "--format",
           "junit", "-o", junit)
    [case] = etree.parse(str(junit)).iter("testcase")
    assert 1.0 <= float(case.get("time")) < 5


def test_a_missing_state_url_is_a_setup_error_before_any_request(tmp_path, provider):
    sch = contract(tmp_path, '<cdc:interaction id="plain">' + SOAP_REQUEST + "</cdc:interaction>"
                   '<cdc:interaction id="needs" state="a booking">' + SOAP_REQUEST
                   + "</cdc:interaction>")
    provider.routes["/svc"] = Reply(200, envelope('<answer id="1"/>'))
    result = cdcxml("verify", "--base-url", provider.url, "-c", sch)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"cdcxml: {sch}:6: interaction 'needs' of c needs provider state 'a booking': give a "
        "state URL (--state-url, or state-url in [verify])"]
    assert provider.calls == []


def test_an_inline_body_keeps_prefixes_used_only_in_values(tmp_path, provider):
    body = (f'<soap:Envelope xmlns:soap="{ENV11}" xmlns:t="urn:example:travel" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Body>'
            '<t:Book><t:Item xsi:type="t:Stay"/></t:Book></soap:Body></soap:Envelope>')
    (tmp_path / "book.xml").write_bytes(b"<?xml version='1.0' encoding='utf-8'?>\n"
                                        + body.encode())
    inline = ('<cdc:request path="/svc"><soap:Envelope><soap:Body><t:Book>'
              '<t:Item xsi:type="t:Stay"/></t:Book></soap:Body></soap:Envelope></cdc:request>')
    sch = contract(tmp_path, f'<cdc:interaction id="inline">{inline}</cdc:interaction>'
                   '<cdc:interaction id="href"><cdc:request path="/svc" href="book.xml"/>'
                   '</cdc:interaction>')
    provider.routes["/svc"] = Reply(200, envelope('<answer id="1"/>'))
    assert all(r.valid for r in verify([sch], provider.url))
    sent_inline, sent_href = (c.body for c in provider.calls)
    assert sent_inline == sent_href
    item = etree.fromstring(sent_inline).find(".//{urn:example:travel}Item")
    assert item.nsmap["t"] == "urn:example:travel"  # xsi:type="t:Stay" still means something
    # The contract's own namespaces do not travel with the body.
    assert b"urn:cdcxml:contract:1" not in sent_inline and b"schematron" not in sent_inline


def test_lint_refuses_an_interaction_whose_phase_does_not_exist(tmp_path):
    sch = contract(tmp_path, '<cdc:interaction id="i" phase="nope">' + SOAP_REQUEST
                   + "</cdc:interaction>")
    result = cdcxml("lint", sch)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{sch}:6: error: interaction 'i' names the phase 'nope', which the contract does not "
        "have (phases: none)"]


def test_the_break_summary_names_each_assertion_once(tmp_path, provider):
    provider.routes["/svc"] = Reply(200, envelope("<answer/><answer/><answer/>"))
    sch = contract(tmp_path, f'<cdc:interaction id="i">{SOAP_REQUEST}</cdc:interaction>')
    result = cdcxml("verify", "--base-url", provider.url, "-c", sch)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "  c: i (has-id)"
    assert result.stdout.count("has-id (line") == 3


def test_the_library_and_the_command_line_share_one_settings_value(tmp_path, provider):
    from cdcxml.config import load_config
    from cdcxml.verify.settings import VerifySettings

    toml = tmp_path / "cdcxml.toml"
    toml.write_text(f'[verify]\nbase-url = "{provider.url}"\ntimeout = 7\n'
                    'headers = ["X-A: 1", "X-B: 2"]\n', encoding="utf-8")
    settings = load_config(toml).verify
    assert isinstance(settings, VerifySettings)
    laid = settings.over(headers=(("x-b", "3"),), timeout=None, retries=2)
    assert (laid.timeout, laid.retries, laid.headers) == (7, 2, (("X-A", "1"), ("x-b", "3")))
    with pytest.raises(ConfigError, match="timeout must be more than 0"):
        VerifySettings(base_url=provider.url, timeout=0).checked()
    with pytest.raises(TypeError, match="unknown verify setting 'max_bytes'"):
        VerifySettings().over(max_bytes=1)
    assert load_contract(contract(tmp_path, "")).interactions == ()
