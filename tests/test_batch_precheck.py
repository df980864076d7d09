"""The one-XPath pre-check says "some finding" exactly when the stylesheet reports one."""

from __future__ import annotations

import random

import pytest
from lxml import etree

from cdcxml.schematron import compile_schematron

NS = "urn:example.com:productsearch:products"
HEAD = (f'<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">'
        f'<sch:ns prefix="p" uri="{NS}"/>')

CONTRACTS = {
    "consumer": HEAD + """
      <sch:pattern id="search-results"><sch:rule context="p:Product">
        <sch:assert test="p:CatalogueID">id</sch:assert>
        <sch:assert test="p:Name">name</sch:assert>
        <sch:assert test="p:Price">price</sch:assert>
        <sch:assert test="not(p:Price) or number(p:Price) = number(p:Price)">number</sch:assert>
      </sch:rule></sch:pattern></sch:schema>""",
    "several patterns and rules": HEAD + """
      <sch:pattern id="a">
        <sch:rule context="p:Product"><sch:assert test="count(*) &lt;= 6">many</sch:assert></sch:rule>
        <sch:rule context="p:Price"><sch:assert test="number(.) &gt;= 0">negative</sch:assert>
          <sch:report test="@currency = 'XXX'" role="info">no currency</sch:report></sch:rule>
        <sch:rule context="@currency"><sch:assert test="string-length(.) = 3">code</sch:assert></sch:rule>
      </sch:pattern>
      <sch:pattern id="b">
        <sch:rule context="/"><sch:assert test="p:Products">root</sch:assert></sch:rule>
        <sch:rule context="p:Products/p:Product[1]">
          <sch:report test="p:InStock = 'No'">first one out of stock</sch:report></sch:rule>
      </sch:pattern>
      <sch:pattern id="c"><sch:rule context="p:Name | p:Manufacturer">
        <sch:assert test="normalize-space() != '' and not(*)">text</sch:assert>
      </sch:rule></sch:pattern>
      <sch:pattern id="d"><sch:rule context="comment() | processing-instruction()">
        <sch:report test="contains(., 'secret')">leak</sch:report>
      </sch:rule></sch:pattern>
      <sch:pattern id="e"><sch:rule context="text()[normalize-space()]">
        <sch:assert test="string-length(.) &lt; 12">long text</sch:assert>
      </sch:rule></sch:pattern>
    </sch:schema>""",
    "a group": HEAD + """
      <sch:group id="g">
        <sch:rule context="p:Product"><sch:assert test="p:InStock">stock</sch:assert></sch:rule>
        <sch:rule context="p:Product"><sch:assert test="p:Manufacturer">maker</sch:assert></sch:rule>
      </sch:group></sch:schema>""",
}


def document(rng: random.Random) -> bytes:
    products = []
    for _ in range(rng.randint(0, 4)):
        children = []
        for name in ("CatalogueID", "Name", "Price", "Manufacturer", "InStock", "Extra"):
            if rng.random() < 0.85 if name != "Extra" else rng.random() < 0.1:
                value = rng.choice(["12", "-3", "n/a", "", "  ", "Widget", "No", "a very long name"])
                attr = rng.choice(["", "", ' currency="EUR"', ' currency="XXX"', ' currency="E"'])
                children.append(f"<{name}{attr}>{value}</{name}>")
        rng.shuffle(children)
        if rng.random() < 0.1:
            children.append(rng.choice(["<!-- secret -->", "<?note secret?>", "<!-- ok -->"]))
        products.append("<Product>" + "".join(children) + "</Product>")
    root = "Products" if rng.random() < 0.95 else "Items"
    return f'<{root} xmlns="{NS}">{"".join(products)}</{root}>'.encode()


@pytest.mark.parametrize("name", list(CONTRACTS))
def test_precheck_agrees_with_the_stylesheet(name):
    source = CONTRACTS[name].encode()
    fast = compile_schematron(source)
    oracle = compile_schematron(source, svrl=True)  # SVRL runs never take the shortcut
    assert fast.precheck is not None
    assert oracle.precheck is None
    rng = random.Random(name)
    flagged = 0
    for _ in range(400):
        tree = etree.fromstring(document(rng)).getroottree()
        expected = oracle.run(tree).findings
        assert bool(fast.precheck(tree)) == bool(expected)
        assert fast.run(tree).findings == expected
        flagged += bool(expected)
    assert 0 < flagged < 400


@pytest.mark.parametrize("body", [
    '<sch:let name="n" value="3"/><sch:pattern><sch:rule context="p:Product">'
    '<sch:assert test="count(*) &lt; $n">x</sch:assert></sch:rule></sch:pattern>',
    '<sch:pattern><sch:rule context="p:Product"><sch:assert test="current()/p:Name">x'
    '</sch:assert></sch:rule></sch:pattern>',
    '<sch:pattern><sch:rule context="p:Product"><sch:assert test="position() = 1">x'
    '</sch:assert></sch:rule></sch:pattern>',
    '<sch:pattern><sch:rule context="p:Product"><sch:assert test="document(\'a.xml\')">x'
    '</sch:assert></sch:rule></sch:pattern>',
    # Two rules that can match one node: only the first fires, which one XPath cannot say.
    '<sch:pattern><sch:rule context="p:Product[p:Price]"><sch:assert test="p:Name">x'
    '</sch:assert></sch:rule><sch:rule context="p:Product"><sch:assert test="p:Price">y'
    '</sch:assert></sch:rule></sch:pattern>',
])
def test_schemas_one_xpath_cannot_carry_always_run_the_stylesheet(body):
    compiled = compile_schematron((HEAD + body + "</sch:schema>").encode())
    assert compiled.precheck is None
