"""Rules: the first matching rule of a pattern fires, every pattern sees the whole document, and
rule contexts reach every node kind, with variables too."""

from __future__ import annotations

import pytest

from cdcxml.errors import SchematronError

from .engine_support import engine_contract, engine_doc, ids, messages, write_contract


def _findings(schema: tuple[str, ...], doc: tuple[str, ...]):
    return engine_contract(*schema).validate(engine_doc(*doc)).findings


def test_only_the_first_matching_rule_of_a_pattern_fires():
    found = _findings(("rules", "first-match.sch"), ("rules", "items.xml"))
    by_kind = [(f.id, f.location.line) for f in found if f.pattern == "by-kind"]
    # item 2 and item 3 are special: the general rule must not fire for them as well.
    assert by_kind == [("general", 3), ("special", 4), ("other", 5), ("special", 6),
                       ("general", 7)]


def test_a_later_rule_fires_for_nodes_the_earlier_rules_do_not_match():
    found = _findings(("rules", "first-match.sch"), ("rules", "items.xml"))
    other = [f for f in found if f.id == "other"]
    assert [f.message for f in other] == ["other note"]
    assert other[0].context == "*"


def test_every_pattern_sees_the_whole_document():
    found = _findings(("rules", "first-match.sch"), ("rules", "items.xml"))
    # The special item without a code was handled by by-kind's first rule, and is still
    # checked by the second pattern.
    missing = [f for f in found if f.pattern == "every-item"]
    assert [(f.id, f.location.xpath, f.location.line) for f in missing] == [
        ("has-code", "/items[1]/item[3]", 6)]


def test_findings_carry_rule_and_assertion_facts():
    found = _findings(("rules", "first-match.sch"), ("rules", "items.xml"))
    special = next(f for f in found if f.id == "special")
    assert special.kind == "report"
    assert special.context == "item[@kind = 'special']"
    assert special.test == "true()"
    assert special.message == "special b2"
    missing = next(f for f in found if f.id == "has-code")
    assert missing.kind == "assert" and missing.test == "@code"


CONTEXTS = (("contexts", "node-kinds.sch"), ("contexts", "orders.xml"))


def test_root_context():
    root = [f for f in _findings(*CONTEXTS) if f.pattern == "root"]
    assert [(f.id, f.location.xpath) for f in root] == [("root-seen", "/")]
    assert root[0].location.line == 3  # the document element's line stands for "/"


def test_attribute_contexts_first_match_per_attribute():
    found = [f for f in _findings(*CONTEXTS) if f.pattern == "attributes"]
    assert [(f.id, f.message, f.location.xpath, f.location.line) for f in found] == [
        ("other-attribute", "status open", "/o:orders[1]/o:order[1]/@status", 5),
        ("qty-number", "qty many is not a number", "/o:orders[1]/o:order[1]/o:line[2]/@qty", 8),
    ]


def test_text_context():
    found = [f for f in _findings(*CONTEXTS) if f.pattern == "text"]
    assert [(f.id, f.location.xpath, f.location.line) for f in found] == [
        ("todo-text", "/o:orders[1]/o:order[2]/o:note[1]/text()[1]", 13)]


def test_comment_context():
    found = [f for f in _findings(*CONTEXTS) if f.pattern == "comments"]
    assert [(f.message, f.location.xpath, f.location.line) for f in found] == [
        ("comment: FIXME: totals are not checked", "/o:orders[1]/comment()[1]", 4)]


def test_processing_instruction_contexts_by_target():
    found = [f for f in _findings(*CONTEXTS) if f.pattern == "pis"]
    assert [(f.id, f.message, f.location.xpath, f.location.line) for f in found] == [
        ("audit-pi", "audit by=ops", "/processing-instruction('audit')[1]", 2),
        ("other-pi", "pi render",
         "/o:orders[1]/o:order[2]/processing-instruction('render')[1]", 12),
    ]


VARIABLES = (("contexts", "variables.sch"), ("contexts", "quantities.xml"))


def test_variable_in_a_context_predicate():
    found = [f for f in _findings(*VARIABLES) if f.pattern == "variable-in-predicate"]
    assert messages(found) == ["line W-2 is over 5", "line W-3 is over 5"]


def test_variable_as_the_whole_context_keeps_first_match():
    found = [f for f in _findings(*VARIABLES) if f.pattern == "variable-as-context"]
    # o1 and o2 are open (the variable's rule); only o3 reaches the general rule.
    assert [(f.id, f.message) for f in found] == [
        ("open-has-lines", "open order o2 has no lines"),
        ("closed-order", "closed o3"),
    ]


def test_union_context_matches_both_alternatives(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p">
        <sch:rule context="a | @b">
          <sch:report id="hit" test="true()"><sch:name/></sch:report>
        </sch:rule>
      </sch:pattern>""")
    found = contract.validate(b'<r><a b="1"/><c b="2"/></r>').findings
    assert [(f.message, f.location.xpath) for f in found] == [
        ("a", "/r[1]/a[1]"), ("b", "/r[1]/a[1]/@b"), ("b", "/r[1]/c[1]/@b")]


def test_a_context_that_is_no_xslt_pattern_is_a_compile_error_at_its_line():
    with pytest.raises(SchematronError) as err:
        engine_contract("errors", "bad-context-pattern.sch").check()
    assert err.value.line == 7
    assert err.value.path.endswith("bad-context-pattern.sch")
    assert "line/parent::order" in err.value.message
    assert "pattern" in err.value.message


def test_no_finding_without_a_matching_context(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p">
        <sch:rule context="missing">
          <sch:assert test="false()">never checked</sch:assert>
        </sch:rule>
      </sch:pattern>""")
    report = contract.validate(b"<r><a/></r>")
    assert report.valid and ids(report.findings) == []
