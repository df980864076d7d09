"""WSDL 1.1 as an input: operations, types as a schema, `init --wsdl`, and verify against spyne."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cdcxml import load_contract
from cdcxml.contract import contract_from_bytes
from cdcxml.errors import WsdlError
from cdcxml.wsdl import load_wsdl
from cdcxml.wsdl.diff import diff
from cdcxml.wsdl.match import check, operation_of
from cdcxml.wsdl.scaffold import scaffold
from cdcxml.xsd import load_xsd

from .helpers import cli
from .wsdl_service import Behaviour, Server

DATA = Path(__file__).parent / "data" / "wsdl"
SPYNE = DATA / "product-search.wsdl"
DOTNET = DATA / "dotnet" / "QuoteService.wsdl"
TNS = "{urn:example:productsearch}"


def test_spyne_wsdl_operations_per_binding():
    wsdl = load_wsdl(SPYNE)
    assert wsdl.service == "ProductSearch"
    assert wsdl.names() == ["SearchProducts", "GetProduct"]
    search11 = wsdl.operation("SearchProducts", "1.1")
    search12 = wsdl.operation("SearchProducts", "1.2")
    assert (search11.soap_action, search11.style) == ("SearchProducts", "document")
    assert search11.input == TNS + "SearchProducts"
    assert search11.output == TNS + "SearchProductsResponse"
    assert [(f.name, f.element) for f in search11.faults] == [("NotFound", TNS + "NotFound")]
    assert search11.address == "http://localhost:8000/"
    assert search12.binding == "Application12" and search12.output == search11.output
    assert wsdl.operation("GetProduct", "1.1").faults == ()


def test_dotnet_wsdl_imports_a_separate_schema_file():
    wsdl = load_wsdl(DOTNET)
    op = wsdl.operation("GetQuote", "1.2")
    assert op.soap_action == "http://tempuri.org/GetQuote"
    assert op.address == "http://localhost/QuoteService.asmx"
    ok = (b'<GetQuoteResponse xmlns="http://tempuri.org/"><GetQuoteResult>'
          b'<Symbol xmlns="http://tempuri.org/Types">X</Symbol>'
          b'<Price xmlns="http://tempuri.org/Types">1.5</Price></GetQuoteResult></GetQuoteResponse>')
    assert wsdl.xsd.validate(ok).valid
    # Price is declared in the imported Types.xsd: without it the response is invalid.
    report = wsdl.xsd.validate(re.sub(rb"<Price.*?</Price>", b"", ok))
    assert not report.valid and "Price" in report.errors[0].message


def test_load_xsd_reads_a_wsdl_as_its_types():
    xsd = load_xsd(SPYNE)
    doc = (b'<SearchProductsResponse xmlns="urn:example:productsearch"><SearchProductsResult>'
           b'<Product xmlns="urn:example:products"><Name>a</Name></Product>'
           b'</SearchProductsResult></SearchProductsResponse>')
    report = xsd.validate(doc)
    assert not report.valid and "Price" in report.errors[0].message


def test_validate_with_a_wsdl_as_xsd_checks_the_soap_body(tmp_path):
    envelope = tmp_path / "reply.xml"
    envelope.write_text(
        '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
        '<SearchProductsResponse xmlns="urn:example:productsearch"><SearchProductsResult>'
        '<Product xmlns="urn:example:products"><Name>a</Name></Product>'
        '</SearchProductsResult></SearchProductsResponse></e:Body></e:Envelope>')
    contract = tmp_path / "c.sch"
    contract.write_bytes(scaffold(load_wsdl(SPYNE), "shop"))
    result = cli("validate", "-c", str(contract), "--xsd", str(SPYNE), str(envelope))
    assert result.exit_code == 1, result.output
    assert "Price" in result.output


def test_xsd2sch_converts_a_wsdl(tmp_path):
    out = tmp_path / "generated.sch"
    result = cli("xsd2sch", str(DOTNET), "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "GetQuoteResponse" in text and "Price" in text


def test_scaffold_has_an_interaction_phase_and_pattern_per_operation():
    text = scaffold(load_wsdl(SPYNE), "reseller-web")
    contract = contract_from_bytes(text, name="scaffold.sch")
    assert contract.info.consumer == "reseller-web"
    assert contract.info.provider == "product-search"
    ids = [i.id for i in contract.interactions]
    assert ids == ["SearchProducts", "GetProduct"]
    search = contract.interactions[0]
    assert (search.phase, search.request.soap_version, search.request.soap_action,
            search.request.path) == ("SearchProducts", "1.1", "SearchProducts", "/")
    # The request body is one the WSDL's schema accepts.
    wsdl = load_wsdl(SPYNE)
    assert operation_of(search, wsdl).name == "SearchProducts"
    assert check(search, wsdl) == []
    assert b"/tns:SearchProductsResponse/tns:SearchProductsResult/s0:Product/s0:Price" in text


def test_scaffold_of_one_operation_over_soap_12(tmp_path):
    out = tmp_path / "quote.sch"
    result = cli("init", "--wsdl", str(DOTNET), "--consumer", "desk", "--operation", "GetQuote",
                 "--soap", "1.2", "-o", str(out))
    assert result.exit_code == 0, result.output
    contract = load_contract(out)
    (inter,) = contract.interactions
    assert (inter.request.soap_version, inter.request.path) == ("1.2", "/QuoteService.asmx")
    assert cli("lint", str(out)).exit_code == 0


def test_init_refuses_an_unknown_operation_and_never_overwrites(tmp_path):
    result = cli("init", "--wsdl", str(SPYNE), "--consumer", "x", "--operation", "Nope")
    assert result.exit_code == 2
    assert "no operation 'Nope'" in result.output and "SearchProducts" in result.output
    existing = tmp_path / "mine.sch"
    existing.write_text("keep me")
    result = cli("init", "--wsdl", str(SPYNE), "--consumer", "x", "-o", str(existing))
    assert result.exit_code == 2 and existing.read_text() == "keep me"


def _filled(tmp_path: Path, asserts: str) -> Path:
    text = scaffold(load_wsdl(SPYNE), "reseller-web").decode()
    text = text.replace('<sch:rule context="tns:SearchProductsResponse">\n',
                        f'<sch:rule context="tns:SearchProductsResponse">\n{asserts}\n', 1)
    path = tmp_path / "reseller-web.sch"
    path.write_text(text)
    return path


def test_verify_runs_an_init_contract_against_a_spyne_service(tmp_path):
    contract = _filled(tmp_path, '<sch:assert id="has-price" '
                                 'test="tns:SearchProductsResult/s0:Product/s0:Price">'
                                 'Every product has a price</sch:assert>')
    assert cli("lint", str(contract)).exit_code == 0
    with Server() as server:
        ok = cli("verify", "--base-url", server.url, "-c", str(contract))
        assert ok.exit_code == 0, ok.output
        Behaviour.drop_price = True
        broken = cli("verify", "--base-url", server.url, "-c", str(contract),
                     "--interaction", "SearchProducts")
    assert broken.exit_code == 1, broken.output
    assert "reseller-web" in broken.output and "has-price" in broken.output


def test_diff_names_changed_operations_and_their_callers(tmp_path):
    old = load_wsdl(SPYNE)
    text = SPYNE.read_text()
    changed = (text.replace('soapAction="GetProduct"', 'soapAction="urn:GetProduct"')
               .replace('<wsdl:fault name="NotFound" message="tns:NotFound"/>', ''))
    (tmp_path / "new.wsdl").write_text(changed)
    new = load_wsdl(tmp_path / "new.wsdl")
    contract = contract_from_bytes(scaffold(old, "shop", operations=["GetProduct"]), name="s.sch")
    changes = {(c.kind, c.operation, c.soap_version): c for c in diff(old, new, [contract])}
    action = changes[("soap-action", "GetProduct", "1.1")]
    assert action.breaking and action.consumers == ("shop",)
    assert action.callers == (("shop", "GetProduct"),)
    removed = changes[("fault-removed", "SearchProducts", "1.1")]
    assert not removed.breaking and removed.consumers == ()


def test_diff_tells_a_rename_from_a_removal(tmp_path):
    old = load_wsdl(DOTNET)
    text = DOTNET.read_text().replace('name="GetQuote"', 'name="FetchQuote"')
    (tmp_path / "Types.xsd").write_text((DATA / "dotnet" / "Types.xsd").read_text())
    (tmp_path / "new.wsdl").write_text(text)
    changes = diff(old, load_wsdl(tmp_path / "new.wsdl"))
    kinds = {(c.kind, c.operation, c.message) for c in changes}
    assert ("renamed", "GetQuote", "renamed to FetchQuote") in kinds


def test_a_wsdl_without_types_is_one_line(tmp_path):
    bare = tmp_path / "bare.wsdl"
    bare.write_text('<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" '
                    'targetNamespace="urn:x"/>')
    with pytest.raises(WsdlError, match="no schema in wsdl:types"):
        load_wsdl(bare)
    result = cli("init", "--wsdl", str(bare), "--consumer", "x")
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "bare.wsdl" in result.output


def test_verify_with_the_wsdl_fails_a_call_to_an_operation_it_lacks(tmp_path):
    contract = _filled(tmp_path, '<sch:assert test="tns:SearchProductsResult">results</sch:assert>')
    renamed = tmp_path / "renamed.wsdl"
    renamed.write_text(SPYNE.read_text().replace('soapAction="GetProduct"',
                                                 'soapAction="urn:GetProduct"'))
    with Server() as server:
        ok = cli("verify", "--base-url", server.url, "-c", str(contract), "--wsdl", str(SPYNE))
        assert ok.exit_code == 0, ok.output
        broken = cli("verify", "--base-url", server.url, "-c", str(contract),
                     "--wsdl", str(renamed), "--format", "json")
    assert broken.exit_code == 1, broken.output
    assert "operation GetProduct expects SOAPAction 'urn:GetProduct'" in broken.output
    assert "renamed.wsdl" in broken.output


def test_verify_with_an_unreadable_wsdl_sends_nothing(tmp_path):
    contract = _filled(tmp_path, '<sch:assert test="tns:SearchProductsResult">results</sch:assert>')
    bad = tmp_path / "bad.wsdl"
    bad.write_text("<definitions")
    with Server() as server:
        result = cli("verify", "--base-url", server.url, "-c", str(contract), "--wsdl", str(bad))
    assert result.exit_code == 2 and "bad.wsdl" in result.output


FAULT = ('<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><e:Fault>'
         '<faultcode>e:Server</faultcode><faultstring>nothing</faultstring>'
         '<detail>{detail}</detail></e:Fault></e:Body></e:Envelope>')


@pytest.mark.parametrize(("detail", "problem"), [
    ('<NotFound xmlns="urn:example:productsearch"/>', None),
    ('<NotFound xmlns="urn:example:productsearch"><why/></NotFound>', "why"),
    ('<Gone xmlns="urn:example:productsearch"/>', "none of the faults the WSDL declares (NotFound)"),
])
def test_a_fault_detail_is_held_to_the_fault_elements_the_wsdl_declares(tmp_path, detail,
                                                                        problem):
    from cdcxml import xmlio
    from cdcxml.xsd.payload import xsd_check

    tree = xmlio.parse_bytes(FAULT.format(detail=detail).encode(), "fault.xml")
    report = xsd_check(load_xsd(SPYNE))(tree)
    assert report.fault
    assert report.schema == "SOAP 1.1 envelope schema and the WSDL's fault elements"
    if problem is None:
        assert report.valid, report.errors
    else:
        assert not report.valid and problem in str(report.errors[0])
    # A plain XSD declares no faults: only the envelope schema judges.
    plain = tmp_path / "plain.xsd"
    plain.write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>')
    assert xsd_check(load_xsd(plain))(tree).valid


def test_init_with_faults_adds_an_interaction_and_a_pattern_per_declared_fault(tmp_path):
    out = tmp_path / "faults.sch"
    result = cli("init", "--wsdl", str(SPYNE), "--consumer", "shop", "--operation", "SearchProducts",
                 "--faults", "-o", str(out))
    assert result.exit_code == 0, result.output
    contract = load_contract(out)
    fault = next(i for i in contract.interactions if i.id == "SearchProducts-NotFound")
    assert (fault.phase, fault.response.fault, fault.response.status) == (
        "SearchProducts-NotFound", True, 500)
    assert b'test=".//tns:NotFound"' in out.read_bytes()
    assert cli("lint", str(out)).exit_code == 0
    # Against the live service: a search for "nothing" is answered by the NotFound fault.
    out.write_text(out.read_text().replace("<term>string</term>", "<term>nothing</term>", 1)
                   .replace("<term>string</term>", "<term>nothing</term>"))
    with Server() as server:
        ran = cli("verify", "--base-url", server.url, "-c", str(out),
                  "--interaction", "SearchProducts-NotFound")
    # spyne answers with a fault but puts no NotFound detail in it: the consumer's need fails.
    assert ran.exit_code == 1, ran.output
    assert "SearchProducts-NotFound-detail" in ran.output


STOCKQUOTE = Path(__file__).parent.parent / "examples" / "stockquote"


@pytest.mark.slow
def test_the_stockquote_walkthrough_prints_what_it_shows(tmp_path):
    """Every console block of examples/stockquote/README.md, run as written from the repository
    root (the provider started as the README starts it, on a free port), prints what it shows."""
    import socket
    import subprocess
    import sys
    import time

    root = STOCKQUOTE.parent.parent
    text = (STOCKQUOTE / "README.md").read_text(encoding="utf-8")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = str(sock.getsockname()[1])
    sock.close()
    venv_bin = Path(sys.executable).parent
    provider = subprocess.Popen([sys.executable, "examples/stockquote/provider/app.py", "--port",
                                 port], cwd=root, stderr=subprocess.DEVNULL)
    before = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True,
                            text=True).stdout
    try:
        time.sleep(1)
        blocks = re.findall(r"```console\n(.*?)```", text, re.S)
        assert len(blocks) == 5
        for body in blocks:
            steps: list[tuple[str, list[str]]] = []
            for line in body.splitlines():
                if line.startswith("$ "):
                    steps.append((line[2:], []))
                else:
                    steps[-1][1].append(line)
            for command, expected in steps:
                line = (command.replace(".venv/bin/", f"{venv_bin}/").replace("8091", port)
                        .replace("/tmp/stockquote", str(tmp_path)))
                done = subprocess.run(["bash", "-c", line], cwd=root, capture_output=True,
                                      text=True)
                shown = [s.replace(port, "8091").replace(str(tmp_path), "/tmp/stockquote")
                         for s in (done.stdout + done.stderr).splitlines()]
                assert shown == expected, command
    finally:
        provider.terminate()
        provider.wait()
    after = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True,
                           text=True).stdout
    assert after == before  # nothing written into the repository
