"""Failure locations on documents with thousands of failing siblings: exact, and linear in time."""

from __future__ import annotations

from lxml import etree

from cdcxml.contract import contract_from_bytes

NS = "urn:example.com:productsearch:products"

CONTRACT = f"""<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">
  <sch:ns prefix="p" uri="{NS}"/>
  <sch:pattern id="product">
    <sch:rule context="p:Product">
      <sch:assert id="price" test="p:Price">no price</sch:assert>
      <sch:assert id="name" test="p:Name">no name</sch:assert>
    </sch:rule>
  </sch:pattern>
  <sch:pattern id="price">
    <sch:rule context="p:Price">
      <sch:assert id="number" test="number(.) = number(.)">not a number</sch:assert>
    </sch:rule>
  </sch:pattern>
  <sch:pattern id="group">
    <sch:rule context="p:Group">
      <sch:report id="big" test="count(p:Product) > 2">a big group</sch:report>
    </sch:rule>
  </sch:pattern>
</sch:schema>""".encode()


def products(n: int) -> bytes:
    items = []
    for i in range(n):
        name = "" if i % 5 == 0 else "<Name>x</Name>"
        price = "" if i % 3 == 0 else ("<Price>n/a</Price>" if i % 7 == 0 else "<Price>1.5</Price>")
        items.append(f"<Product><CatalogueID>{i}</CatalogueID>{name}{price}</Product>")
        if i % 1000 == 999:
            items.append("<Group><Product/><Product/><Product><Price>x</Price></Product></Group>")
    return f'<Products xmlns="{NS}">\n' + "\n".join(items) + "\n</Products>"


def test_every_location_names_the_node_that_failed():
    data = products(3000)
    tree = etree.fromstring(data).getroottree()
    report = contract_from_bytes(CONTRACT, name="many").validate(tree)
    ns = {"p": NS}
    expected = set()
    for product in tree.iter(f"{{{NS}}}Product"):
        if product.find(f"{{{NS}}}Price") is None:
            expected.add(("price", product))
        if product.find(f"{{{NS}}}Name") is None:
            expected.add(("name", product))
        price = product.find(f"{{{NS}}}Price")
        if price is not None and price.text in ("n/a", "x"):
            expected.add(("number", price))
    for group in tree.iter(f"{{{NS}}}Group"):
        expected.add(("big", group))
    found = set()
    for f in report.findings:
        [node] = tree.xpath(f.location.xpath, namespaces=ns)
        assert node.sourceline == f.location.line
        found.add((f.id, node))
    assert found == expected
    assert len(report.findings) == len(expected) > 1500
