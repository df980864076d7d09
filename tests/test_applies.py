"""A document is checked only by the consumers it is for: those whose interactions it answers.

The stock-quote example has two consumers: trading-desk calls GetQuote (SOAP 1.1), risk-report
calls ListQuotes (SOAP 1.2), and every interaction names its response element. A GetQuote response
is not risk-report's business (n/a, not a rejection), and a document for no consumer is a failure
of its own in every command. Contracts with an interaction that names no response element keep
running on every document, so vacuity still judges them (the ProductSearch example).
"""

from __future__ import annotations

import json

from lxml import etree

from cdcxml import xmlio
from cdcxml.checking import check_document
from cdcxml.interactions import choose_phases
from cdcxml.sources import load_contracts

from .analysis_support import EXAMPLE, ROOT, run, run_json

STOCK = ROOT / "examples/stockquote"
# The example's two consumers as first written: no interaction expects the fault.
CONTRACTS = ROOT / "tests/data/applies/contracts"
WSDL = STOCK / "service.wsdl"
QUOTE = STOCK / "responses/get-quote.soap11.xml"
EXCHANGE = STOCK / "responses/get-quote-exchange.soap11.xml"
LIST = STOCK / "responses/list-quotes.soap12.xml"
FAULT = STOCK / "responses/unknown-symbol.soap11.xml"
# trading-desk with a second interaction expecting the UnknownSymbol fault (fault="true").
WITH_FAULTS = ROOT / "tests/data/applies/trading-desk-faults.sch"
RISK = CONTRACTS / "risk-report.sch"

NOT_FOR_RISK = "answers none of its interactions: message element tns:GetQuoteResponse"
NOT_FOR_DESK = "answers none of its interactions: message element tns:ListQuotesResponse"
FOR_NOBODY = "no consumer's interactions answer this document (message element soap:Fault)"


def contracts_of(doc: dict) -> dict[str, dict]:
    return {c["consumer"]: c for c in doc["contracts"]}


def test_the_library_marks_the_contract_not_applicable_and_runs_nothing():
    desk, risk = sorted(load_contracts([CONTRACTS]), key=lambda c: c.consumer != "trading-desk")
    tree = xmlio.parse_file(LIST)
    choice, = choose_phases(desk, tree)
    assert (choice.applies, choice.reason) == (False, NOT_FOR_DESK)
    report = check_document(tree, str(LIST), [desk, risk])
    by = {c.consumer: c for c in report.contracts}
    assert not by["trading-desk"].applies and by["trading-desk"].findings == ()
    assert by["trading-desk"].not_applicable == NOT_FOR_DESK
    assert by["risk-report"].applies and by["risk-report"].phase == "ListQuotes"
    assert report.valid and report.unanswered is None
    nobody = check_document(xmlio.parse_file(FAULT), str(FAULT), [desk, risk])
    assert nobody.unanswered == FOR_NOBODY and not nobody.valid


def test_contrast_shows_na_and_counts_it_neither_way():
    result = run("contrast", "--xsd", WSDL, "-c", CONTRACTS, QUOTE, EXCHANGE, LIST)
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()
            if line.startswith(str(STOCK))}
    assert rows[str(QUOTE)] == ["accept", "n/a", "accept"]
    assert rows[str(EXCHANGE)] == ["REJECT", "n/a", "accept"]
    assert rows[str(LIST)] == ["accept", "accept", "n/a"]
    assert f"{LIST}: n/a for trading-desk ({NOT_FOR_DESK})" in result.stdout
    assert "trading-desk: its contract rejects 0 document(s)" in result.stdout
    assert "risk-report: its contract rejects 0 document(s)" in result.stdout
    code, report = run_json("contrast", "--xsd", WSDL, "-c", CONTRACTS, QUOTE, EXCHANGE, LIST)
    assert code == 0
    summary = report["summary"]
    assert summary["both_accept"] == [str(QUOTE), str(LIST)]
    assert summary["xsd_rejects_consumers_accept"] == [str(EXCHANGE)]
    assert summary["xsd_accepts_consumer_rejects"] == [] and summary["unanswered"] == []
    desk = contracts_of(report["documents"][2])["trading-desk"]
    assert desk["applies"] is False and desk["not_applicable"] == NOT_FOR_DESK
    assert desk["failures"] == []
    assert contracts_of(report["documents"][2])["risk-report"]["applies"] is True


def test_contrast_junit_skips_na_and_fails_a_document_for_no_consumer():
    result = run("contrast", "--xsd", WSDL, "-c", CONTRACTS, LIST, FAULT, "--format", "junit")
    assert result.exit_code == 1
    root = etree.fromstring(result.stdout_bytes)
    desk = root.find("testsuite[@name='trading-desk']")
    assert (desk.get("failures"), desk.get("skipped")) == ("0", "2")
    skipped = desk.find(f"testcase[@name='{LIST}']/skipped")
    assert skipped.get("message") == f"not applicable: {NOT_FOR_DESK}"
    nobody = root.find("testsuite[@name='no consumer']")
    failure = nobody.find(f"testcase[@name='{FAULT}']/failure")
    assert failure.get("message") == FOR_NOBODY


def test_contrast_a_document_for_no_consumer_fails_in_its_own_category():
    result = run("contrast", "--xsd", WSDL, "-c", CONTRACTS, QUOTE, FAULT)
    assert result.exit_code == 1
    assert f"{FAULT}: {FOR_NOBODY}" in result.stdout
    assert "FOR NO CONSUMER (answers no consumer's interactions: nothing checked it): 1" in result.stdout
    code, report = run_json("contrast", "--xsd", WSDL, "-c", CONTRACTS, QUOTE, FAULT)
    assert code == 1 and report["summary"]["unanswered"] == [str(FAULT)]
    assert report["summary"]["soap_fault"] == []
    fault = report["documents"][1]
    assert fault["category"] == "unanswered" and fault["unanswered"] == FOR_NOBODY
    # A consumer that expects the fault (fault="true") makes it its own: checked, and it holds.
    code, report = run_json("contrast", "--xsd", WSDL, "-c", WITH_FAULTS, "-c", RISK, QUOTE, FAULT)
    assert code == 0 and report["summary"]["soap_fault"] == [str(FAULT)]
    desk = contracts_of(report["documents"][1])["trading-desk"]
    assert desk["applies"] is True and desk["phase"] == "UnknownSymbol"


def test_validate_checks_each_document_for_its_consumers_only():
    result = run("validate", "-c", CONTRACTS, QUOTE, LIST)
    assert result.exit_code == 0, result.output
    assert f"{QUOTE}: n/a for risk-report ({NOT_FOR_RISK})" in result.stdout
    assert "2 documents: 2 valid, 0 invalid" in result.stdout
    code, report = run_json("validate", "-c", CONTRACTS, QUOTE, LIST)
    assert code == 0
    assert contracts_of(report["documents"][0])["risk-report"]["applies"] is False
    assert contracts_of(report["documents"][0])["trading-desk"]["applies"] is True
    assert "unanswered" not in report["documents"][0]


def test_validate_fails_a_document_for_no_consumer():
    result = run("validate", "-c", CONTRACTS, FAULT)
    assert result.exit_code == 1
    assert f"{FAULT}: {FOR_NOBODY}" in result.stdout
    assert "1 document: 0 valid, 1 invalid" in result.stdout
    code, report = run_json("validate", "-c", CONTRACTS, FAULT)
    doc, = report["documents"]
    assert code == 1 and doc["valid"] is False and doc["unanswered"] == FOR_NOBODY
    assert [c["applies"] for c in doc["contracts"]] == [False, False]


def test_interaction_forces_the_contract_onto_the_document():
    # --interaction says which request this answers: trading-desk runs, and the reply is wrong.
    result = run("validate", "-c", CONTRACTS / "trading-desk.sch", "--interaction", "GetQuote", LIST)
    assert result.exit_code == 1
    assert "pattern GetQuote matched nothing" in result.stdout
    assert "n/a" not in result.stdout


def test_batch_counts_na_apart_and_fails_a_document_for_no_consumer():
    result = run("batch", "-c", CONTRACTS, "--format", "json", QUOTE, LIST)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    consumers = {c["consumer"]: c for c in report["batch"]["consumers"]}
    assert (consumers["trading-desk"]["documents"], consumers["trading-desk"]["not_applicable"]) == (1, 1)
    assert (consumers["risk-report"]["rejected"], consumers["risk-report"]["not_applicable"]) == (0, 1)
    result = run("batch", "-c", CONTRACTS, QUOTE, FAULT)
    assert result.exit_code == 1
    assert f"{FAULT}: {FOR_NOBODY}" in result.stdout
    assert "for no consumer (answers no consumer's interactions): 1" in result.stdout
    junit = run("batch", "-c", CONTRACTS, "--format", "junit", QUOTE, FAULT)
    root = etree.fromstring(junit.stdout_bytes)
    risk = root.find("testsuite[@name='risk-report']")
    assert (risk.get("failures"), risk.get("skipped")) == ("0", "2")
    failure = root.find(f"testsuite[@name='no consumer']/testcase[@name='{FAULT}']/failure")
    assert failure.get("message") == FOR_NOBODY


def test_obligations_excuse_a_consumer_a_sample_is_not_for():
    code, report = run_json("obligations", "-c", CONTRACTS, "--sample", QUOTE, "--sample", LIST)
    assert code == 0
    assert report["not_analysed"] == [] and report["undecided"] == []
    # risk-report never receives a GetQuote response: a path only trading-desk could read and
    # does not is unused, not undecided.
    assert "/GetQuoteResponse/Quote/Symbol" in report["unused"]
    assert "/ListQuotesResponse/Quote/Price" in report["unused"]
    assert report["obligations"][0] == {"path": "/GetQuoteResponse", "namespace": "urn:example:stockquote",
                                        "consumers": {"trading-desk": ["content"]}}
    assert report["samples"][0]["not_applicable"] == ["risk-report"]
    assert report["samples"][0]["rejected_by"] == []


def test_obligations_do_not_analyse_a_sample_for_no_consumer_and_say_so():
    args = ("obligations", "-c", CONTRACTS, "--sample", QUOTE, "--sample", LIST, "--sample", FAULT)
    result = run(*args)
    assert result.exit_code == 1
    assert f"{FAULT}: NOT ANALYSED: {FOR_NOBODY}" in result.stdout
    code, report = run_json(*args)
    assert code == 1 and report["samples"][2]["unanswered"] == FOR_NOBODY
    assert not any(path.startswith("/Fault") for path in report["unused"] + report["undecided"])


def test_impact_ignores_na_and_fails_a_document_for_no_consumer():
    code, report = run_json("impact", "-c", CONTRACTS, "--old", QUOTE, "--old", LIST,
                            "--new", EXCHANGE, "--new", LIST)
    assert code == 0
    by = {c["consumer"]: c for c in report["consumers"]}
    assert by["trading-desk"]["breaks"] is False and by["risk-report"]["breaks"] is False
    assert (by["risk-report"]["old_rejects"], by["risk-report"]["new_rejects"]) == (0, 0)
    assert contracts_of(report["new"][0])["risk-report"]["applies"] is False
    assert report["unanswered"] == []
    result = run("impact", "-c", CONTRACTS, "--old", QUOTE, "--new", QUOTE, "--new", FAULT)
    assert result.exit_code == 1
    assert f"{FAULT}: {FOR_NOBODY}" in result.stdout
    code, report = run_json("impact", "-c", CONTRACTS, "--old", QUOTE, "--new", FAULT)
    assert code == 1 and report["unanswered"] == [{"path": str(FAULT), "reason": FOR_NOBODY}]


def test_contracts_without_response_elements_keep_vacuity(tmp_path):
    # ProductSearch's interactions name no response element: <x/> is for every consumer, and
    # fails for each of them as matching nothing.
    x = tmp_path / "x.xml"
    x.write_text("<x/>")
    code, report = run_json("validate", "-c", EXAMPLE / "contracts", x)
    doc, = report["documents"]
    assert code == 1 and "unanswered" not in doc
    for c in doc["contracts"]:
        assert c["applies"] is True and c["valid"] is False
        assert any(f["kind"] == "vacuous" for f in c["failures"])
    code, report = run_json("validate", "-c", EXAMPLE / "contracts", EXAMPLE / "responses/v1.xml")
    assert code == 0 and all(c["applies"] for c in report["documents"][0]["contracts"])


def test_html_reports_show_na_and_documents_for_no_consumer():
    page = run("contrast", "--xsd", WSDL, "-c", CONTRACTS, LIST, FAULT, "--format", "html").stdout
    cells = etree.HTML(page).xpath("//tr[@data-document=$d]/td[@data-consumer='trading-desk']",
                                   d=str(LIST))
    assert [(c.get("class"), c.text) for c in cells] == [("cell na", "n/a")]
    assert f"{FAULT}: {FOR_NOBODY}" in page
    page = run("obligations", "-c", CONTRACTS, "--sample", QUOTE, "--sample", FAULT,
               "--format", "html").stdout
    assert "Samples for no consumer (not analysed)" in page and FOR_NOBODY in page
