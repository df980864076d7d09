"""Abstract patterns (parameters, defaults) and abstract rules (extends by rule and by href)."""

from __future__ import annotations

import pytest

from cdcxml.errors import SchematronError

from .engine_support import engine_contract, engine_doc, write_contract


def _patterns():
    return engine_contract("abstract", "patterns.sch").validate(
        engine_doc("abstract", "orders.xml")).findings


def test_parameters_are_substituted_in_context_test_and_value_of():
    found = {f.pattern: f for f in _patterns()}
    lines = found["order-lines"]
    assert lines.context == "o:order"
    assert lines.test == "count(o:line) >= 1"
    assert lines.location.line == 7


def test_a_parameter_default_applies_unless_the_instance_overrides_it():
    found = {f.pattern: f for f in _patterns()}
    assert found["order-lines"].message == "order needs at least 1"  # default min
    assert found["orders-two"].test == "count(o:order) >= 3"  # overridden min
    assert found["orders-two"].message == "orders needs at least 3 order"


def test_one_abstract_pattern_gives_independent_instances():
    found = _patterns()
    assert sorted(f.pattern for f in found) == ["order-lines", "orders-two", "qty-range"]
    assert {f.id for f in found if f.pattern != "qty-range"} == {"required"}


def test_parameters_reach_the_diagnostics_of_the_instance():
    found = {f.pattern: f for f in _patterns()}
    qty = found["qty-range"]
    assert qty.message == "12 is outside 1..10"
    assert [(d.id, d.text) for d in qty.diagnostics] == [
        ("out-of-range", "expected a number from 1 to 10, got 12")]


def test_abstract_rules_from_pattern_and_schema_level_extend_concrete_rules():
    found = engine_contract("abstract", "rules.sch").validate(
        engine_doc("abstract", "lines.xml")).findings
    assert sorted((f.pattern, f.id, f.location.line) for f in found) == [
        ("lines", "has-id", 5),
        ("lines", "sku-format", 5),
        ("orders", "has-id", 7),
        ("orders", "has-lines", 7),
    ]
    # the abstract rule's let came along with its assertion
    assert next(f for f in found if f.id == "has-lines").message == "order has 0 lines"


def test_extends_href_with_fragment_takes_the_rule_from_another_file():
    found = engine_contract("abstract", "rules.sch").validate(
        engine_doc("abstract", "lines.xml")).findings
    sku = next(f for f in found if f.id == "sku-format")
    assert sku.context == "o:line"
    assert sku.message == "sku X-2 does not start with W-"


def test_an_abstract_rule_never_fires_on_its_own(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p">
        <sch:rule abstract="true" id="base">
          <sch:report id="fired" test="true()">fired</sch:report>
        </sch:rule>
      </sch:pattern>""")
    assert contract.validate(b"<r/>").findings == ()


def test_an_abstract_rule_without_assertions_can_be_extended(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p">
        <sch:rule abstract="true" id="empty"/>
        <sch:rule context="r">
          <sch:extends rule="empty"/>
          <sch:report id="fired" test="true()">fired</sch:report>
        </sch:rule>
      </sch:pattern>""")
    assert [f.id for f in contract.validate(b"<r/>").findings] == ["fired"]


ERRORS = [
    ("extends-recursive.sch", 9, "extends itself"),
    ("extends-concrete.sch", 8, "that rule is not abstract"),
    ("extends-href-not-rule.sch", 5, "does not point at a sch:rule"),
    ("extends-href-missing-id.sch", 5, "no element with id 'nowhere'"),
    ("is-a-unknown.sch", 3, "is-a 'missing': no abstract pattern with id 'missing'"),
    ("is-a-missing-param.sch", 5, "undefined variable $child"),
    ("abstract-rule-no-id.sch", 4, "an abstract rule needs an id"),
]


@pytest.mark.parametrize(("name", "line", "words"), ERRORS)
def test_abstract_errors_name_the_file_and_line(name, line, words):
    with pytest.raises(SchematronError) as err:
        engine_contract("errors", name).check()
    assert err.value.path.endswith(name)
    assert err.value.line == line
    assert words in err.value.message
