"""The public API a user reaches first: names, loading, validating paths, bytes and trees, and
compiled contracts reused and cached by content."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from lxml import etree

import cdcxml
from cdcxml import xmlio
from cdcxml.contract import contract_from_bytes
from cdcxml.schematron import compile_schematron

from .engine_support import DATA

CONTRACT = DATA / "cli" / "orders.sch"
GOOD = DATA / "cli" / "docs" / "good.xml"
BAD = DATA / "cli" / "docs" / "bad.xml"

INTENDED = [
    "CdcxmlError", "Contract", "ContractReport", "DocumentReport", "Finding", "Interaction",
    "Location", "SchematronError", "Summary", "XsdReport", "__version__", "load_contract",
    "validate", "verify",
]


def test_all_is_exactly_the_intended_names_sorted():
    assert cdcxml.__all__ == INTENDED
    assert cdcxml.__all__ == sorted(cdcxml.__all__)


def test_every_public_name_exists_and_is_documented():
    for name in cdcxml.__all__:
        value = getattr(cdcxml, name)
        if name == "__version__":
            assert isinstance(value, str) and value
            continue
        doc = inspect.getdoc(value)
        assert doc and doc.strip(), name


def test_load_contract_reads_the_cdc_metadata():
    contract = cdcxml.load_contract(CONTRACT)
    assert (contract.consumer, contract.provider, contract.version) == (
        "order-screen", "orders", "1.2.0")
    assert contract.path == CONTRACT
    assert len(contract.sha256) == 64


def test_a_plain_schematron_file_is_a_contract_named_after_the_file():
    contract = cdcxml.load_contract(DATA / "rules" / "first-match.sch")
    assert contract.consumer == "first-match"
    assert contract.provider is None


@pytest.mark.parametrize("kind", ["str path", "Path", "bytes", "tree", "element", "xml text"])
def test_validate_takes_a_path_bytes_or_a_tree(kind):
    doc = {
        "str path": str(BAD),
        "Path": BAD,
        "bytes": BAD.read_bytes(),
        "tree": xmlio.parse_file(BAD),
        "element": xmlio.parse_file(BAD).getroot(),
        "xml text": BAD.read_text(),
    }[kind]
    report = cdcxml.load_contract(CONTRACT).validate(doc)
    assert isinstance(report, cdcxml.ContractReport)
    assert report.valid is False
    assert [(f.id, f.location.line) for f in report.findings] == [("has-id", 4)]


def test_validate_of_a_tree_parsed_by_plain_lxml():
    tree = etree.parse(str(GOOD))
    assert cdcxml.load_contract(CONTRACT).validate(tree).valid


def test_the_library_validate_over_paths_and_contracts():
    contract = cdcxml.load_contract(CONTRACT)
    reports = list(cdcxml.validate([GOOD, BAD, DATA / "cli" / "broken.xml"], [contract]))
    assert [(Path(r.path).name, r.valid, r.error is not None) for r in reports] == [
        ("good.xml", True, False), ("bad.xml", False, False), ("broken.xml", False, True)]
    assert all(isinstance(r, cdcxml.DocumentReport) for r in reports)


def test_the_library_validate_takes_one_path_and_one_contract():
    (report,) = cdcxml.validate(str(BAD), cdcxml.load_contract(CONTRACT))
    assert report.path == str(BAD) and not report.valid


def test_validate_a_phase():
    contract = cdcxml.load_contract(DATA / "phases" / "phases.sch")
    report = contract.validate(DATA / "phases" / "orders.xml", phase="lenient")
    assert report.phase == "lenient"
    assert {f.pattern for f in report.findings} == {"quantities"}


def test_a_compiled_contract_is_reused_across_documents():
    contract = cdcxml.load_contract(CONTRACT)
    first = contract.compiled()
    for doc in (GOOD, BAD, GOOD):
        contract.validate(doc)
    assert contract.compiled() is first


def test_compiling_the_same_bytes_again_returns_the_same_object():
    source = CONTRACT.read_bytes()
    assert compile_schematron(source) is compile_schematron(bytes(source))
    a = contract_from_bytes(source, name="one")
    b = contract_from_bytes(source, name="two")
    assert a.compiled() is b.compiled()


def test_loading_the_same_file_twice_shares_the_compiled_contract():
    assert cdcxml.load_contract(CONTRACT).compiled() is cdcxml.load_contract(CONTRACT).compiled()


def test_different_bytes_phase_or_output_compile_separately(tmp_path):
    source = CONTRACT.read_bytes()
    changed = source.replace(b"order without id", b"an order needs an id")
    assert compile_schematron(source) is not compile_schematron(changed)
    phased = (DATA / "phases" / "phases.sch").read_bytes()
    assert compile_schematron(phased, phase="strict") is not compile_schematron(phased,
                                                                               phase="lenient")
    assert compile_schematron(source) is not compile_schematron(source, svrl=True)


def test_an_edited_contract_file_is_compiled_afresh(tmp_path):
    path = tmp_path / "c.sch"
    path.write_bytes(CONTRACT.read_bytes())
    before = cdcxml.load_contract(path)
    assert before.validate(BAD).findings[0].message == "order without id"
    path.write_bytes(CONTRACT.read_bytes().replace(b"order without id", b"id missing"))
    after = cdcxml.load_contract(path)
    assert after.compiled() is not before.compiled()
    assert after.validate(BAD).findings[0].message == "id missing"


def test_run_svrl_returns_an_svrl_tree():
    svrl = cdcxml.load_contract(CONTRACT).run_svrl(BAD)
    assert svrl.getroot().tag == "{http://purl.oclc.org/dsdl/svrl}schematron-output"


def test_errors_are_cdcxml_errors_with_file_and_line():
    with pytest.raises(cdcxml.SchematronError) as err:
        cdcxml.load_contract(DATA / "errors" / "bad-xpath.sch").validate(GOOD)
    assert isinstance(err.value, cdcxml.CdcxmlError)
    assert isinstance(err.value, ValueError)
    assert err.value.exit_code == 2
    assert (Path(err.value.path).name, err.value.line) == ("bad-xpath.sch", 6)


def test_a_missing_contract_is_an_input_error(tmp_path):
    with pytest.raises(cdcxml.CdcxmlError, match="no such file"):
        cdcxml.load_contract(tmp_path / "none.sch")


def test_every_error_lives_in_errors_and_has_a_one_line_brief():
    import importlib
    import inspect
    import pkgutil

    import cdcxml
    from cdcxml import errors

    elsewhere = set()
    for info in pkgutil.walk_packages(cdcxml.__path__, "cdcxml."):
        if info.name == "cdcxml.pytest_plugin":
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, errors.CdcxmlError) and cls.__module__ != "cdcxml.errors":
                elsewhere.add(f"{cls.__module__}.{cls.__name__}")
    assert elsewhere == set()
    err = errors.RunError("first\nsecond", path="doc.xml", line=3)
    assert err.brief == "doc.xml:3: first second"
    assert err.local == "line 3: first\nsecond"


NO_CONTRACT = "no contract to check: give at least one contract"


@pytest.mark.parametrize("contracts", [[], (), iter([])])
def test_validate_with_no_contract_is_refused_not_green(contracts):
    with pytest.raises(cdcxml.errors.ConfigError, match=NO_CONTRACT):
        cdcxml.validate([GOOD], contracts)
    with pytest.raises(cdcxml.errors.ConfigError, match=NO_CONTRACT):
        cdcxml.validate(GOOD.read_bytes(), [])


def test_every_checking_entry_point_refuses_no_contract():
    from cdcxml.analysis.contrast import contrast
    from cdcxml.analysis.impact import impact_of_documents, impact_of_schemas
    from cdcxml.analysis.obligations import find_obligations
    from cdcxml.batch.workers import Spec
    from cdcxml.checking import DocumentCheck, check_document, check_documents
    from cdcxml.xsd import load_xsd

    xsd = load_xsd(Path("examples/productsearch/schemas/products-v1.xsd"))
    sample = [("good.xml", xmlio.parse_file(GOOD))]
    calls = [
        lambda: check_documents([GOOD], []),
        lambda: check_document(sample[0][1], "good.xml", []),
        lambda: DocumentCheck(()),
        lambda: contrast([GOOD], [], xsd),
        lambda: impact_of_documents([], sample, sample),
        lambda: impact_of_schemas([], sample, xsd, xsd),
        lambda: find_obligations([], sample),
        lambda: Spec.of([]),
    ]
    for call in calls:
        with pytest.raises(cdcxml.errors.ConfigError, match=NO_CONTRACT):
            call()
