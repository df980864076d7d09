"""pattern/@documents: subordinate documents named by the instance, read only from inside the
contract's folder, with locations (XPath and line) in the subordinate document."""

from __future__ import annotations

import shutil

import pytest
from lxml import etree

from cdcxml import xmlio
from cdcxml.errors import RunError

from .engine_support import DATA, engine_contract, engine_doc

FOLDER = DATA / "documents"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


def _contract():
    return engine_contract("documents", "catalogue.sch")


def test_rules_run_on_every_subordinate_document():
    found = _contract().validate(engine_doc("documents", "instance", "orders.xml")).findings
    items = [f for f in found if f.pattern == "catalogues"]
    assert sorted(f.message for f in items) == ["catalogue item A-2 has no price",
                                                "catalogue item W-2 has no price"]


def test_main_document_patterns_still_run():
    found = _contract().validate(engine_doc("documents", "instance", "orders.xml")).findings
    main = [f for f in found if f.pattern == "orders"]
    assert [(f.message, f.location.document, f.location.line) for f in main] == [
        ("order o3 names no catalogue", None, 5)]


def test_locations_point_into_the_subordinate_document():
    found = _contract().validate(engine_doc("documents", "instance", "orders.xml")).findings
    items = sorted((f for f in found if f.pattern == "catalogues"), key=lambda f: f.message)
    expected = [("autumn.xml", 5), ("spring.xml", 4)]
    for f, (name, line) in zip(items, expected, strict=True):
        path = FOLDER / "instance" / name
        assert f.location.document == path.as_uri()
        assert f.location.line == line
        tree = xmlio.parse_file(path)
        (node,) = tree.xpath(f.location.xpath, namespaces={"c": "urn:example:catalogue"})
        assert node.sourceline == line
        assert node.get("sku") in f.message


def test_svrl_names_the_subordinate_documents():
    svrl = _contract().run_svrl(engine_doc("documents", "instance", "orders.xml")).getroot()
    active = svrl.find("svrl:active-pattern[@id='catalogues']", SVRL)
    docs = active.get("documents").split()
    assert [d.rsplit("/", 1)[-1] for d in docs] == ["spring.xml", "autumn.xml"]
    fired = svrl.findall("svrl:fired-rule[@context='c:item']", SVRL)
    assert {f.get("document").rsplit("/", 1)[1] for f in fired} == {"spring.xml", "autumn.xml"}


@pytest.mark.parametrize("name", ["escape.xml", "absolute.xml"])
def test_documents_outside_the_contract_folder_are_refused(name):
    with pytest.raises(RunError, match="refused"):
        _contract().validate(engine_doc("documents", "instance", name))


def test_network_documents_are_refused():
    with pytest.raises(RunError, match="refused"):
        _contract().validate(engine_doc("documents", "instance", "network.xml"))


def test_an_instance_outside_the_contract_folder_cannot_pull_in_its_neighbours(tmp_path):
    for name in ("orders.xml", "spring.xml", "autumn.xml"):
        shutil.copy(FOLDER / "instance" / name, tmp_path / name)
    with pytest.raises(RunError, match="outside the contract's folder"):
        _contract().validate(tmp_path / "orders.xml")


def test_a_missing_subordinate_document_is_a_run_error_naming_it(tmp_path):
    doc = etree.fromstring(b'<orders xmlns="urn:example:orders"><order id="x" catalogue="gone.xml"/>'
                           b"</orders>", base_url=(FOLDER / "instance" / "x.xml").as_uri())
    with pytest.raises(RunError, match="gone.xml"):
        _contract().validate(doc.getroottree())


def test_a_subordinate_document_with_a_doctype_is_refused(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    shutil.copy(FOLDER / "catalogue.sch", folder / "catalogue.sch")
    (folder / "evil.xml").write_text('<!DOCTYPE c [<!ENTITY x "y">]>'
                                     '<catalogue xmlns="urn:example:catalogue"/>')
    (folder / "orders.xml").write_text('<orders xmlns="urn:example:orders">'
                                       '<order id="a" catalogue="evil.xml"/></orders>')
    from cdcxml import load_contract

    with pytest.raises(RunError, match="DOCTYPE"):
        load_contract(folder / "catalogue.sch").validate(folder / "orders.xml")


def test_attribute_text_and_comment_locations_in_a_subordinate_document(tmp_path):
    from .engine_support import write_contract

    contract = write_contract(tmp_path, """
      <sch:pattern id="sub" documents="'part.xml'">
        <sch:rule context="@q:code"><sch:report id="a" test="true()">a</sch:report></sch:rule>
        <sch:rule context="text()[normalize-space()]">
          <sch:report id="t" test="true()">t</sch:report></sch:rule>
        <sch:rule context="comment()"><sch:report id="c" test="true()">c</sch:report></sch:rule>
        <sch:rule context="processing-instruction()">
          <sch:report id="p" test="true()">p</sch:report></sch:rule>
      </sch:pattern>""", ns={"q": "urn:q"})
    part = tmp_path / "part.xml"
    part.write_text('<r xmlns:z="urn:q">\n<i/><i z:code="1">x<!--n--><?go now?>y</i>\n</r>')
    (tmp_path / "main.xml").write_text("<main/>")
    found = contract.validate(tmp_path / "main.xml").findings
    got = sorted((f.id, f.location.xpath, f.location.line) for f in found)
    assert got == [("a", "/r[1]/i[2]/@q:code", 2), ("c", "/r[1]/i[2]/comment()[1]", 2),
                   ("p", "/r[1]/i[2]/processing-instruction('go')[1]", 2),
                   ("t", "/r[1]/i[2]/text()[1]", 2), ("t", "/r[1]/i[2]/text()[2]", 2)]
    tree = xmlio.parse_file(part)
    for f in found:
        assert len(tree.xpath(f.location.xpath, namespaces={"q": "urn:q"})) == 1
        assert f.location.document == part.as_uri()
