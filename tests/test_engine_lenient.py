"""What real schemas do although ISO forbids it, where the meaning is clear: run with one warning
line each (``file:line: warning: ...``), an error under ``strict``; unclear cases stay errors."""

from __future__ import annotations

import pytest

from cdcxml.errors import SchematronError

from .engine_support import SCH_NS, engine_contract, write_contract


def _strict(contract):
    contract.strict = True
    with pytest.raises(SchematronError) as err:
        contract.check()
    return err.value


def test_extends_of_an_abstract_rule_in_another_pattern_runs_with_a_warning():
    contract = engine_contract("errors", "extends-other-pattern.sch")
    assert [f.message for f in contract.validate(b"<order/>").findings] == ["needs an id"]
    assert [str(w) for w in contract.warnings] == [
        f"{contract.path}:10: warning: extends rule 'identified' names an abstract rule of "
        "another pattern ('first'), not of this one; the rule is used as defined there"]
    err = _strict(engine_contract("errors", "extends-other-pattern.sch"))
    assert (err.line, "names an abstract rule of another pattern" in err.message) == (10, True)


def test_extends_of_a_rule_in_an_abstract_pattern_stays_an_error(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern abstract="true" id="shape">
        <sch:rule abstract="true" id="has"><sch:assert test="$child">has</sch:assert></sch:rule>
      </sch:pattern>
      <sch:pattern id="p"><sch:rule context="r"><sch:extends rule="has"/></sch:rule></sch:pattern>""")
    with pytest.raises(SchematronError, match="abstract pattern 'shape', whose parameters"):
        contract.check()


def test_the_xml_prefix_bound_to_another_uri_is_ignored_with_a_warning(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p"><sch:rule context="r">
        <sch:assert id="lang" test="@xml:lang = 'de'">German</sch:assert></sch:rule></sch:pattern>""",
                              ns={"xml": "http://www.w3.org/XML/1998/namespace/"})
    assert [f.id for f in contract.validate(b'<r xml:lang="en"/>').findings] == ["lang"]
    assert contract.validate(b'<r xml:lang="de"/>').findings == ()
    (warning,) = contract.warnings
    assert str(warning).startswith(f"{contract.path}:2: warning: sch:ns binds the prefix xml to "
                                   "'http://www.w3.org/XML/1998/namespace/', but xml always names")
    assert str(warning).endswith("; the binding is ignored")
    _strict(contract)


def test_another_prefix_for_the_xml_namespace_is_an_error_that_says_so(tmp_path):
    contract = write_contract(tmp_path, "<sch:pattern><sch:rule context='r'><sch:assert "
                              "test='1'>x</sch:assert></sch:rule></sch:pattern>",
                              ns={"x": "http://www.w3.org/XML/1998/namespace"})
    with pytest.raises(SchematronError, match="binds 'x' to the XML namespace, which only the "
                                              "prefix xml may name"):
        contract.check()


def test_a_prefix_declared_by_xmlns_only_is_used_with_a_warning(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p"><sch:rule context="q:r">
        <sch:assert id="a" test="q:a">needs a</sch:assert></sch:rule></sch:pattern>""",
                              attrs='xmlns:q="urn:q"')
    doc = b'<r xmlns="urn:q"><b/></r>'
    assert [f.id for f in contract.validate(doc).findings] == ["a"]
    assert sorted(str(w) for w in contract.warnings) == [
        f"{contract.path}:4: warning: the prefix 'q' is declared by xmlns only, not by sch:ns; "
        "it names 'urn:q' as xmlns says",
        f"{contract.path}:5: warning: the prefix 'q' is declared by xmlns only, not by sch:ns; "
        "it names 'urn:q' as xmlns says"]
    assert "declared by xmlns only" in _strict(contract).message


def test_an_is_a_of_an_abstract_pattern_never_included_says_what_is_missing(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p" is-a="from-library"><sch:param name="x" value="a"/></sch:pattern>""")
    with pytest.raises(SchematronError, match="no abstract pattern with id 'from-library' in this "
                                              "schema or the files it includes"):
        contract.check()


def test_lint_reports_each_leniency_as_an_error(tmp_path):
    from cdcxml.lint import lint

    contract = write_contract(tmp_path, """
      <sch:pattern id="p"><sch:rule context="r">
        <sch:assert test="true()">x</sch:assert></sch:rule></sch:pattern>""",
                              attrs='defaultPhase="nowhere"')
    problems = [p for p in lint(contract) if "defaultPhase" in p.message]
    assert [(p.level, p.where.line) for p in problems] == [("error", 1)]


def test_the_cli_prints_one_warning_line_and_strict_refuses(tmp_path):
    from click.testing import CliRunner

    from cdcxml.cli import main

    (tmp_path / "c.sch").write_text(
        f'<sch:schema xmlns:sch="{SCH_NS}" queryBinding="xslt" defaultPhase="nowhere">'
        "<sch:pattern><sch:rule context='r'><sch:assert test='true()'>x</sch:assert></sch:rule>"
        "</sch:pattern></sch:schema>", encoding="utf-8")
    (tmp_path / "d.xml").write_bytes(b"<r/>")
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", "-c", str(tmp_path / "c.sch"), str(tmp_path / "d.xml")])
    assert ok.exit_code == 0, ok.output
    assert ok.stderr.count("warning: defaultPhase 'nowhere' names no phase") == 1
    strict = runner.invoke(main, ["validate", "--strict", "-c", str(tmp_path / "c.sch"),
                                  str(tmp_path / "d.xml")])
    assert strict.exit_code != 0
    assert "c.sch:1: defaultPhase 'nowhere' names no phase" in strict.stderr


def test_svrl_output_is_plain_iso_and_refuses_what_iso_forbids(tmp_path):
    # An extends of another pattern's abstract rule runs with a warning in text output, and is
    # an error where the standard's own report is asked for.
    schema = tmp_path / "cross.sch"
    schema.write_text(
        '<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron">'
        '<sch:pattern id="base"><sch:rule abstract="true" id="has-b">'
        '<sch:assert test="b">needs b</sch:assert></sch:rule></sch:pattern>'
        '<sch:pattern id="use"><sch:rule context="a"><sch:extends rule="has-b"/></sch:rule>'
        '</sch:pattern></sch:schema>')
    doc = tmp_path / "a.xml"
    doc.write_text("<a/>")
    from click.testing import CliRunner

    from cdcxml.cli import main

    text = CliRunner().invoke(main, ["validate", "-c", str(schema), str(doc)])
    assert text.exit_code == 1 and "warning:" in text.output and "needs b" in text.output
    svrl = CliRunner().invoke(main, ["validate", "-c", str(schema), "--format", "svrl", str(doc)])
    assert svrl.exit_code == 2, svrl.output
    assert "has-b" in svrl.output
