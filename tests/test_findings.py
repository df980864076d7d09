"""Findings point at real nodes: a line for every element, attribute and text context, and an XPath
in the contract's prefixes that selects the reported node again. Results are frozen and hashable."""

from __future__ import annotations

import dataclasses

import pytest
from lxml import etree

from cdcxml import xmlio
from cdcxml.results import ContractReport, Finding, Location

from .engine_support import engine_contract, engine_doc, write_contract

CASES = [
    (("contexts", "node-kinds.sch"), ("contexts", "orders.xml")),
    (("contexts", "variables.sch"), ("contexts", "quantities.xml")),
    (("rules", "first-match.sch"), ("rules", "items.xml")),
    (("lets", "scopes.sch"), ("lets", "orders.xml")),
    (("text", "messages.sch"), ("text", "orders.xml")),
    (("groups", "group.sch"), ("groups", "orders.xml")),
    (("keys", "keys.sch"), ("keys", "orders.xml")),
    (("include", "main.sch"), ("include", "orders.xml")),
]


def _node_line(node) -> int | None:
    if isinstance(node, etree._Element):
        return node.sourceline
    return node.getparent().sourceline


def _same(a, b) -> bool:
    """Whether two XPath results are the same node (attributes and text come back as strings)."""
    if isinstance(a, etree._Element) or isinstance(b, etree._Element):
        return a is b or (isinstance(a, etree._Element) and isinstance(b, etree._Element)
                          and a.getroottree().getpath(a) == b.getroottree().getpath(b))
    if getattr(a, "is_attribute", False):
        return (getattr(b, "is_attribute", False) and a.attrname == b.attrname
                and a.getparent() is b.getparent())
    return (str(a) == str(b) and a.getparent() is b.getparent()
            and a.is_tail == b.is_tail and a.is_text == b.is_text)


def _resolve(contract, tree, finding: Finding):
    ns = dict(contract.compiled().schema.ns)
    found = tree.xpath(finding.location.xpath, namespaces=ns)
    return found


@pytest.mark.parametrize(("schema", "doc"), CASES, ids=lambda p: "/".join(p))
def test_every_location_has_a_line_and_resolves_to_one_node(schema, doc):
    contract = engine_contract(*schema)
    tree = xmlio.parse_file(engine_doc(*doc))
    findings = contract.validate(tree).findings
    assert findings, "each case is chosen to have findings"
    for f in findings:
        assert f.location.line, f
        if f.location.xpath == "/":
            assert f.location.line == tree.getroot().sourceline
            continue
        nodes = _resolve(contract, tree, f)
        assert len(nodes) == 1, (f.location.xpath, nodes)
        assert _node_line(nodes[0]) == f.location.line


@pytest.mark.parametrize(("schema", "doc"), CASES, ids=lambda p: "/".join(p))
def test_the_resolved_node_is_one_the_rule_context_matches(schema, doc):
    from cdcxml.schematron.xpath import pattern_to_expression

    contract = engine_contract(*schema)
    tree = xmlio.parse_file(engine_doc(*doc))
    compiled = contract.compiled()
    for f in contract.validate(tree).findings:
        # variables and key() only mean something inside the stylesheet
        if f.location.xpath == "/" or "$" in f.context or "key(" in f.context:
            continue
        rule = next(r for p in compiled.schema.patterns for r in p.rules if r.context == f.context)
        if rule.subject or any(a.subject for a in rule.assertions if a.id == f.id):
            continue
        matched = tree.xpath(pattern_to_expression(f.context), namespaces=dict(rule.ns))
        node = _resolve(contract, tree, f)[0]
        assert any(_same(node, m) for m in matched), f


def test_lines_for_attribute_text_and_element_contexts(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="elements"><sch:rule context="b">
        <sch:report id="e" test="true()">e</sch:report></sch:rule></sch:pattern>
      <sch:pattern id="attributes"><sch:rule context="@n">
        <sch:report id="a" test="true()">a</sch:report></sch:rule></sch:pattern>
      <sch:pattern id="texts"><sch:rule context="text()[normalize-space()]">
        <sch:report id="t" test="true()">t</sch:report></sch:rule></sch:pattern>""")
    doc = b'<r>\n<a>head<b n="1"/>\ntail</a>\n<b\n n="2">inner</b>\n</r>'
    tree = xmlio.parse_bytes(doc)
    found = contract.validate(tree).findings
    got = sorted((f.id, f.location.xpath, f.location.line) for f in found)
    # libxml2 gives an element the line its start tag ends on; attributes and text take the line
    # of their element (a tail, of the element it follows).
    assert got == [
        ("a", "/r[1]/a[1]/b[1]/@n", 2),
        ("a", "/r[1]/b[1]/@n", 5),
        ("e", "/r[1]/a[1]/b[1]", 2),
        ("e", "/r[1]/b[1]", 5),
        ("t", "/r[1]/a[1]/text()[1]", 2),
        ("t", "/r[1]/a[1]/text()[2]", 2),
        ("t", "/r[1]/b[1]/text()[1]", 5),
    ]
    texts = {f.location.xpath: tree.xpath(f.location.xpath) for f in found if f.id == "t"}
    assert texts == {"/r[1]/a[1]/text()[1]": ["head"], "/r[1]/a[1]/text()[2]": ["\ntail"],
                     "/r[1]/b[1]/text()[1]": ["inner"]}


def test_tail_text_location_selects_the_tail(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="texts"><sch:rule context="text()[contains(., 'TODO')]">
        <sch:report id="t" test="true()">t</sch:report>
      </sch:rule></sch:pattern>""")
    tree = xmlio.parse_bytes(b"<r>x<i/>y<i/>and TODO</r>")
    (f,) = contract.validate(tree).findings
    assert f.location.xpath == "/r[1]/text()[3]"
    assert tree.xpath(f.location.xpath) == ["and TODO"]


def test_locations_use_the_contract_prefixes_not_the_document_ones(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p"><sch:rule context="mine:item">
        <sch:assert id="a" test="@ok">no</sch:assert>
      </sch:rule></sch:pattern>""", ns={"mine": "urn:items"})
    tree = xmlio.parse_bytes(b'<theirs:list xmlns:theirs="urn:items"><theirs:item/></theirs:list>')
    (f,) = contract.validate(tree).findings
    assert f.location.xpath == "/mine:list[1]/mine:item[1]"
    assert tree.xpath(f.location.xpath, namespaces={"mine": "urn:items"})[0].tag == "{urn:items}item"


def test_a_namespace_the_contract_has_no_prefix_for_is_spelled_out(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p"><sch:rule context="*[local-name() = 'item']">
        <sch:assert id="a" test="@ok">no</sch:assert>
      </sch:rule></sch:pattern>""")
    tree = xmlio.parse_bytes(b'<list xmlns="urn:other"><item/></list>')
    (f,) = contract.validate(tree).findings
    (node,) = tree.xpath(f.location.xpath)
    assert node.tag == "{urn:other}item"
    assert f.location.line == 1


def test_subject_location_resolves_too():
    contract = engine_contract("text", "messages.sch")
    tree = xmlio.parse_file(engine_doc("text", "orders.xml"))
    f = next(f for f in contract.validate(tree).findings if f.id == "order-status")
    (node,) = _resolve(contract, tree, f)
    assert node.is_attribute and node.attrname == "id" and node == "o2"


def _sample_finding() -> Finding:
    report = engine_contract("rules", "first-match.sch").validate(engine_doc("rules", "items.xml"))
    return report.findings[0]


def test_findings_are_frozen_and_hashable():
    f = _sample_finding()
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.message = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.location.line = 0  # type: ignore[misc]
    assert hash(f) == hash(dataclasses.replace(f))
    assert len({f, dataclasses.replace(f)}) == 1
    assert isinstance(f.location, Location)


def test_reports_are_frozen_hashable_and_compare_by_value():
    contract = engine_contract("rules", "first-match.sch")
    a = contract.validate(engine_doc("rules", "items.xml"))
    b = contract.validate(engine_doc("rules", "items.xml"))
    assert isinstance(a, ContractReport)
    assert a == b and hash(a) == hash(b)
    assert isinstance(a.findings, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.findings = ()  # type: ignore[misc]
    assert {a, b} == {a}


def test_failures_and_reports_split_the_findings():
    report = engine_contract("text", "messages.sch").validate(engine_doc("text", "orders.xml"))
    assert set(report.failures) | set(report.reports) == set(report.findings)
    assert not set(report.failures) & set(report.reports)
    assert report.valid is False


def test_an_attribute_in_a_namespace_without_prefix_is_spelled_out(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p"><sch:rule context="@*[local-name() = 'code']">
        <sch:report id="a" test="true()">code</sch:report>
      </sch:rule></sch:pattern>""")
    tree = xmlio.parse_bytes(b'<r xmlns:z="urn:z"><i z:code="1"/><i code="2"/></r>')
    found = contract.validate(tree).findings
    assert len(found) == 2
    values = [tree.xpath(f.location.xpath) for f in found]
    assert values == [["1"], ["2"]]
    assert found[1].location.xpath == "/r[1]/i[2]/@code"
