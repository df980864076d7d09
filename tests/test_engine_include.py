"""sch:include: nested includes resolved from each file's own folder, fragments by id, and refusals
(outside the schema's folder, cycles, missing files) as compile errors with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdcxml.errors import SchematronError

from .engine_support import DATA, engine_contract, engine_doc, write_contract


def _main():
    return engine_contract("include", "main.sch").validate(engine_doc("include", "orders.xml"))


def test_included_patterns_run_with_the_main_ones():
    report = _main()
    assert sorted({f.pattern for f in report.findings}) == ["included-lines", "included-orders"]
    assert not report.valid


def test_nested_include_resolves_against_the_including_file():
    # parts/orders.sch includes shared/identified.sch, which lives in parts/shared/.
    found = [f for f in _main().findings if f.id == "has-id"]
    assert [(f.pattern, f.message, f.location.line) for f in found] == [
        ("included-orders", "a order without id", 7)]


def test_include_of_a_fragment_takes_only_that_element():
    found = _main().findings
    assert [(f.id, f.message) for f in found if f.pattern == "included-lines"] == [
        ("line-qty", "line W-2 has no quantity")]
    assert "never" not in {f.id for f in found}


def test_included_file_keeps_its_own_namespace_prefixes():
    line = next(f for f in _main().findings if f.id == "line-qty")
    assert line.context == "ord:line"
    assert line.location.xpath == "/o:orders[1]/o:order[1]/o:line[2]"


def test_a_document_satisfying_every_included_rule_passes(tmp_path):
    doc = tmp_path / "good.xml"
    doc.write_text('<orders xmlns="urn:example:orders"><order id="a" status="s">'
                   '<line sku="x" qty="1"/></order></orders>')
    assert engine_contract("include", "main.sch").validate(doc).valid


@pytest.mark.parametrize(("name", "file", "line", "words"), [
    ("outside.sch", "outside.sch", 3, "points outside the schema's folder"),
    ("cycle.sch", "cycle-b.sch", 3, "includes itself"),
    ("self.sch", "self.sch", 4, "includes itself"),
    ("missing.sch", "missing.sch", 4, "cannot read included file"),
])
def test_refused_includes(name, file, line, words):
    with pytest.raises(SchematronError) as err:
        engine_contract("include", name).check()
    assert Path(err.value.path).name == file
    assert err.value.line == line
    assert words in err.value.message


def test_include_through_a_symlink_out_of_the_folder_is_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "rule.sch").write_bytes((DATA / "include/parts/shared/identified.sch").read_bytes())
    home = tmp_path / "contract"
    home.mkdir()
    (home / "link.sch").symlink_to(outside / "rule.sch")
    contract = write_contract(home, """
      <sch:pattern id="p"><sch:rule context="r"><sch:include href="link.sch"/></sch:rule></sch:pattern>""")
    with pytest.raises(SchematronError, match="outside the schema's folder"):
        contract.check()


def test_include_needs_a_file_to_resolve_against():
    from cdcxml.contract import contract_from_bytes

    source = (DATA / "include" / "main.sch").read_bytes()
    with pytest.raises(SchematronError, match="needs the schema to be a file"):
        contract_from_bytes(source, name="inline").check()


def test_include_without_href_is_an_error(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p">
        <sch:include/>
      </sch:pattern>""")
    with pytest.raises(SchematronError, match="include needs an href") as err:
        contract.check()
    assert err.value.line == 5


def test_extends_href_inside_an_included_file_resolves_against_that_file():
    found = engine_contract("include", "extends.sch").validate(
        engine_doc("include", "orders.xml")).findings
    assert [(f.pattern, f.id, f.message, f.location.line) for f in found] == [
        ("lines", "positive", "line W-2 has quantity 0", 5)]


def _lang_files(tmp_path):
    (tmp_path / "de.sch").write_text(
        '<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" xml:lang="de">'
        '<sch:pattern id="de-pattern"><sch:rule context="r">'
        '<sch:assert id="de-assert" test="@a">braucht a</sch:assert></sch:rule></sch:pattern>'
        '<sch:rule id="de-rule"><sch:assert id="de-extended" test="@b">braucht b</sch:assert>'
        "</sch:rule></sch:schema>", encoding="utf-8")
    (tmp_path / "main.sch").write_text(
        '<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt" '
        'xml:lang="en"><sch:include href="de.sch#de-pattern"/>'
        '<sch:pattern id="own"><sch:rule context="r"><sch:extends href="de.sch#de-rule"/>'
        '<sch:assert id="en-assert" test="@c">needs c</sch:assert></sch:rule></sch:pattern>'
        "</sch:schema>", encoding="utf-8")
    from cdcxml import load_contract

    return load_contract(tmp_path / "main.sch")


def test_included_and_extended_definitions_keep_the_language_of_their_file(tmp_path):
    contract = _lang_files(tmp_path)
    found = {f.id: f.lang for f in contract.validate(b"<r/>").findings}
    assert found == {"de-assert": "de", "de-extended": "de", "en-assert": "en"}


def test_svrl_carries_the_language_of_the_included_file(tmp_path):
    from cdcxml.schematron.ns import SVRL

    svrl = _lang_files(tmp_path).run_svrl(b"<r/>")
    langs = {el.get("id"): el.get("{http://www.w3.org/XML/1998/namespace}lang")
             for el in svrl.getroot().iter(f"{{{SVRL}}}failed-assert")}
    assert langs == {"de-assert": "de", "de-extended": "de", "en-assert": "en"}
