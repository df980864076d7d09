"""Lets: scoped schema > phase > pattern > rule, element content, and the compile errors the
standard asks for (collisions, undefined variables) pointing at the Schematron file and line."""

from __future__ import annotations

import pytest

from cdcxml.errors import SchematronError

from .engine_support import engine_contract, engine_doc, write_contract


def test_lets_of_every_scope_meet_in_one_assertion():
    report = engine_contract("lets", "scopes.sch").validate(engine_doc("lets", "orders.xml"))
    total = next(f for f in report.findings if f.id == "order-total")
    # $total and $doubled (rule), $line-count (pattern) and $max-qty (schema) all in one message.
    assert total.message == "order o2 has 13 items (doubled 26) of 4 lines"
    assert total.location.line == 7


def test_schema_let_with_a_string_value():
    report = engine_contract("lets", "scopes.sch").validate(engine_doc("lets", "orders.xml"))
    currency = [f for f in report.findings if f.id == "order-currency"]
    assert [f.message for f in currency] == ["order o2 is not in EUR"]


def test_let_with_element_content_is_a_node_set():
    report = engine_contract("lets", "scopes.sch").validate(engine_doc("lets", "orders.xml"))
    unknown = [f for f in report.findings if f.id == "known-sku"]
    assert [(f.message, f.location.line) for f in unknown] == [("unknown sku W-9", 8)]


def test_let_with_text_content_compares_as_a_string(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:let name="expected">widget</sch:let>
      <sch:pattern id="p">
        <sch:rule context="item">
          <sch:assert id="is-widget" test=". = $expected"
            >got <sch:value-of select="."/>, not <sch:value-of select="$expected"/></sch:assert>
        </sch:rule>
      </sch:pattern>""")
    found = contract.validate(b"<r><item>widget</item><item>fooble</item></r>").findings
    assert [f.message for f in found] == ["got fooble, not widget"]


def test_rule_lets_are_evaluated_per_context_node(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p">
        <sch:rule context="order">
          <sch:let name="n" value="count(line)"/>
          <sch:report id="count" test="true()"
            ><sch:value-of select="@id"/>:<sch:value-of select="$n"/></sch:report>
        </sch:rule>
      </sch:pattern>""")
    doc = b'<r><order id="a"><line/></order><order id="b"><line/><line/><line/></order></r>'
    assert [f.message for f in contract.validate(doc).findings] == ["a:1", "b:3"]


def test_a_later_rule_let_may_use_an_earlier_one(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:let name="base" value="10"/>
      <sch:pattern id="p">
        <sch:rule context="r">
          <sch:let name="a" value="$base + 1"/>
          <sch:let name="b" value="$a * 2"/>
          <sch:assert id="b" test="$b = 0"><sch:value-of select="$b"/></sch:assert>
        </sch:rule>
      </sch:pattern>""")
    assert [f.message for f in contract.validate(b"<r/>").findings] == ["22"]


ERRORS = [
    ("let-twice-in-rule.sch", 6, "let 'total' is declared twice"),
    ("let-shadows-schema-let.sch", 6, "let 'limit' collides"),
    ("let-pattern-collision.sch", 10, "let 'limit' is defined twice"),
    ("undefined-in-test.sch", 6, "undefined variable $limit"),
    ("undefined-in-value-of.sch", 5, "undefined variable $order-id"),
    ("let-used-before-defined.sch", 5, "undefined variable $total"),
    ("rule-let-in-other-rule.sch", 9, "undefined variable $total"),
    ("bad-xpath.sch", 6, "'p:Price[' is not a valid XPath expression"),
    ("unbound-prefix.sch", 4, "prefix 'p'"),
]


@pytest.mark.parametrize(("name", "line", "words"), ERRORS)
def test_static_errors_name_the_file_and_line(name, line, words):
    with pytest.raises(SchematronError) as err:  # at load: load_contract compiles
        engine_contract("errors", name)
    assert err.value.path.endswith(name)
    assert err.value.line == line
    assert words in err.value.message
    assert str(err.value).startswith(f"{err.value.path}:{line}: ")


def test_undefined_variable_in_a_diagnostic_is_a_compile_error(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p">
        <sch:rule context="r">
          <sch:assert test="a" diagnostics="d">no a</sch:assert>
        </sch:rule>
      </sch:pattern>
      <sch:diagnostics>
        <sch:diagnostic id="d">see <sch:value-of select="$nowhere"/></sch:diagnostic>
      </sch:diagnostics>""")
    with pytest.raises(SchematronError, match=r"undefined variable \$nowhere"):
        contract.check()
