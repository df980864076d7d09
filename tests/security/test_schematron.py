"""Hostile contracts: includes and ``document()`` never reach outside the contract's folder or the
network, nothing is written, cycles and include bombs end, and in-folder references still work."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import SECRET, one_error, rule, run_cli, run_many, schema

DYN = 'xmlns:dyn="http://exslt.org/dynamic"'
DYN_NS = '<sch:ns prefix="dyn" uri="http://exslt.org/dynamic"/>'


def contract(work: Path, body: str, name: str = "c.sch", **kw) -> Path:
    path = work / name
    path.write_text(schema(body, **kw))
    return path


def no_leak(ran) -> None:
    assert SECRET not in ran.stdout + ran.stderr


def run_refused(ran, *words: str) -> str:
    """A contract refused while the document is checked: the document's entry says why."""
    no_leak(ran)
    assert ran.code == 1, (ran.stdout, ran.stderr)
    lines = [line for line in ran.stdout.splitlines() if line.startswith("doc.xml: error: ")]
    assert len(lines) == 1, ran.stdout
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


ENTRY_POINTS = {
    "validate": lambda c, work: ("validate", "-c", c, work / "doc.xml"),
    "lint": lambda c, work: ("lint", c),
    "compile": lambda c, work: ("compile", c, "-o", work / "out.xsl"),
    "batch": lambda c, work: ("batch", "-j", "1", "-c", c, work / "doc.xml"),
}


def refused_everywhere(work: Path, path: Path, *words: str) -> None:
    """Every command that loads the contract refuses it with one line naming a file in ``work``."""
    runs = run_many([args(path, work) for args in ENTRY_POINTS.values()], cwd=work)
    for name, ran in zip(ENTRY_POINTS, runs, strict=True):
        line = one_error(ran, *words)
        assert f"cdcxml: {work}" in line, (name, line)
        no_leak(ran)
    assert not (work / "out.xsl").exists()


# -- includes ------------------------------------------------------------------------------------------

def test_include_outside_the_folder(work, secret):
    c = contract(work, f'<sch:include href="../outside/{secret.name}"/>' + rule("true()"))
    refused_everywhere(work, c, "points outside the schema's folder")


def test_include_by_absolute_url(work, secret):
    c = contract(work, f'<sch:include href="{secret.as_uri()}"/>' + rule("true()"))
    refused_everywhere(work, c, "c.sch:2", "points outside the schema's folder")


def test_include_through_a_symlink_that_leaves_the_folder(work, secret):
    os.symlink(secret, work / "link.sch")
    c = contract(work, '<sch:include href="link.sch"/>' + rule("true()"))
    refused_everywhere(work, c, "points outside the schema's folder")


def test_extends_href_outside_the_folder(work, secret):
    body = ('<sch:pattern id="p"><sch:rule context="/*">'
            f'<sch:extends href="../outside/{secret.name}"/></sch:rule></sch:pattern>')
    refused_everywhere(work, contract(work, body), "points outside the schema's folder")


def test_include_over_the_network_connects_nowhere(work, listener):
    c = contract(work, f'<sch:include href="{listener.url}/rules.sch"/>' + rule("true()"))
    refused_everywhere(work, c, "c.sch:2", "only files inside the schema's folder")
    listener.close()
    assert listener.connections == []


def test_cyclic_includes_end(work):
    (work / "b.sch").write_text(f'<sch:pattern xmlns:sch="{SCH_NS}" id="b">'
                                '<sch:include href="c.sch"/></sch:pattern>')
    (work / "c.sch").write_text(f'<sch:rule xmlns:sch="{SCH_NS}" context="/*">'
                                '<sch:include href="b.sch"/></sch:rule>')
    refused_everywhere(work, contract(work, '<sch:include href="b.sch"/>'), "includes itself")


def test_a_contract_including_itself(work):
    refused_everywhere(work, contract(work, '<sch:include href="c.sch"/>'), "includes itself")


def test_cyclic_extends_end(work):
    body = ('<sch:pattern id="p">'
            '<sch:rule abstract="true" id="r1"><sch:extends rule="r2"/></sch:rule>'
            '<sch:rule abstract="true" id="r2"><sch:extends rule="r1"/></sch:rule>'
            '<sch:rule context="/*"><sch:extends rule="r1"/></sch:rule></sch:pattern>')
    refused_everywhere(work, contract(work, body), "extends itself")


def test_a_deep_include_chain_ends(work):
    for i in range(40):
        (work / f"i{i}.sch").write_text(f'<sch:pattern xmlns:sch="{SCH_NS}" id="p{i}">'
                                        f'<sch:include href="i{i + 1}.sch"/></sch:pattern>')
    (work / "i40.sch").write_text(f'<sch:rule xmlns:sch="{SCH_NS}" context="/*"/>')
    refused_everywhere(work, contract(work, '<sch:include href="i0.sch"/>'),
                       "nested deeper than 32")


def test_an_include_bomb_ends(work):
    # Each level includes the next twice: 2^30 copies if nothing counted them.
    for i in range(30):
        twice = f'<sch:include href="b{i + 1}.sch"/>' * 2
        (work / f"b{i}.sch").write_text(f'<sch:rule xmlns:sch="{SCH_NS}" context="/*">'
                                        f'{twice}</sch:rule>')
    (work / "b30.sch").write_text(f'<sch:assert xmlns:sch="{SCH_NS}" test="true()">x</sch:assert>')
    body = '<sch:pattern id="p"><sch:include href="b0.sch"/></sch:pattern>'
    refused_everywhere(work, contract(work, body), "more than 1000 includes")


def test_an_included_file_with_a_doctype(work, listener):
    (work / "evil.sch").write_text(
        f'<!DOCTYPE x [<!ENTITY e SYSTEM "{listener.url}/e">]>\n'
        f'<sch:pattern xmlns:sch="{SCH_NS}" id="e">&e;</sch:pattern>')
    refused_everywhere(work, contract(work, '<sch:include href="evil.sch"/>'),
                       "DOCTYPE not allowed")
    listener.close()
    assert listener.connections == []


def test_a_contract_with_a_doctype(work, secret):
    c = work / "c.sch"
    c.write_text(f'<!DOCTYPE s [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n'
                 + schema(rule("true()", "&x;")))
    refused_everywhere(work, c, "c.sch:1", "DOCTYPE not allowed")


@pytest.mark.parametrize("element", ["xsl:include", "xsl:import"])
def test_stylesheet_includes_are_refused(work, secret, element):
    c = contract(work, f'<{element} href="../outside/{secret.name}"/>' + rule("true()"))
    refused_everywhere(work, c, f"{element} is not allowed")


def test_in_folder_includes_still_work(work):
    (work / "rules").mkdir()
    (work / "rules" / "order.sch").write_text(
        f'<sch:rule xmlns:sch="{SCH_NS}" context="order">'
        '<sch:assert id="id" test="id">needs an id</sch:assert></sch:rule>')
    c = contract(work, '<sch:pattern id="p"><sch:include href="rules/order.sch"/></sch:pattern>')
    ran = run_cli("validate", "-c", c, "doc.xml", cwd=work)
    assert ran.code == 0, ran.stdout + ran.stderr
    (work / "doc2.xml").write_text("<order/>")
    ran = run_cli("validate", "-c", c, "doc2.xml", cwd=work)
    assert ran.code == 1 and "needs an id" in ran.stdout


# -- document() ----------------------------------------------------------------------------------------

def _doc(target: str) -> str:
    return f"document('{target}')"


@pytest.mark.parametrize("where", ["test", "let", "rule-let", "value-of", "key", "property",
                                   "diagnostic", "xsl-in-text", "subject"])
def test_document_outside_the_folder_is_refused_wherever_it_is(work, secret, where):
    target = _doc(secret.as_uri())
    bodies = {
        "test": rule(f"{target}"),
        "let": f'<sch:let name="s" value="{target}"/>' + rule("true()", '<sch:value-of select="$s"/>'),
        "rule-let": ('<sch:pattern id="p"><sch:rule context="/*">'
                     f'<sch:let name="s" value="{target}"/>'
                     '<sch:report test="$s">x</sch:report></sch:rule></sch:pattern>'),
        "value-of": rule("true()", f'<sch:value-of select="{target}"/>'),
        "key": f'<xsl:key name="k" match="*" use="{target}"/>' + rule(f"key('k', '{SECRET}')"),
        "property": ('<sch:pattern id="p"><sch:rule context="/*">'
                     '<sch:report id="a" test="true()" properties="pp">x</sch:report>'
                     '</sch:rule></sch:pattern><sch:properties><sch:property id="pp">'
                     f'<sch:value-of select="{target}"/></sch:property></sch:properties>'),
        "diagnostic": ('<sch:pattern id="p"><sch:rule context="/*">'
                       '<sch:report id="a" test="true()" diagnostics="d">x</sch:report>'
                       '</sch:rule></sch:pattern><sch:diagnostics><sch:diagnostic id="d">'
                       f'<sch:value-of select="{target}"/></sch:diagnostic></sch:diagnostics>'),
        "xsl-in-text": rule("true()", f'<xsl:copy-of select="{target}"/>'),
        "subject": ('<sch:pattern id="p"><sch:rule context="/*">'
                    f'<sch:report id="a" test="true()" subject="{target}">x</sch:report>'
                    '</sch:rule></sch:pattern>'),
    }
    c = contract(work, bodies[where])
    ran = run_cli("validate", "-c", c, "doc.xml", cwd=work)
    run_refused(ran, "outside the contract's folder")


def test_document_relative_to_the_checked_document_is_refused(work, secret):
    # document(href, node) resolves against the checked document, which lies outside.
    (secret.parent / "doc.xml").write_text("<order><id>1</id></order>")
    c = contract(work, rule(f"document('{secret.name}', /)"))
    ran = run_cli("validate", "-c", c, secret.parent / "doc.xml", cwd=work)
    no_leak(ran)
    assert ran.code == 1 and "outside the contract's folder" in ran.stdout, ran.stdout


def test_document_through_a_symlink_that_leaves_the_folder(work, secret):
    os.symlink(secret, work / "data.xml")
    ran = run_cli("validate", "-c", contract(work, rule(_doc("data.xml"))), "doc.xml", cwd=work)
    run_refused(ran, "outside the contract's folder")


def test_document_over_the_network_connects_nowhere(work, listener):
    ran = run_cli("validate", "-c", contract(work, rule(_doc(f"{listener.url}/x.xml"))),
                  "doc.xml", cwd=work)
    run_refused(ran, "refused")
    listener.close()
    assert listener.connections == []


def test_an_in_folder_document_with_an_internal_subset_is_refused(work, listener):
    (work / "codes.xml").write_text(f'<!DOCTYPE c [<!ENTITY e SYSTEM "{listener.url}/e">]><c>&e;</c>')
    ran = run_cli("validate", "-c", contract(work, rule(_doc("codes.xml"))), "doc.xml", cwd=work)
    run_refused(ran, "DOCTYPE not allowed")
    listener.close()
    assert listener.connections == []


def test_an_in_folder_document_naming_a_dtd_is_read_without_it(work, listener):
    (work / "c.dtd").write_text(f'<!ENTITY e "{SECRET}">')
    (work / "codes.xml").write_text(f'<!DOCTYPE c SYSTEM "{listener.url}/c.dtd"><c>1</c>')
    (work / "local.xml").write_text('<!DOCTYPE c SYSTEM "c.dtd"><c>1</c>')
    for target in ("codes.xml", "local.xml"):
        test = f"{_doc(target)}/c = 1"
        ran = run_cli("validate", "-c", contract(work, rule(test, "read", kind="assert")),
                      "doc.xml", cwd=work)
        assert ran.code == 0, (ran.stdout, ran.stderr)
        no_leak(ran)
    listener.close()
    assert listener.connections == []


def test_dynamic_evaluation_cannot_build_a_document_call(work, secret):
    built = f"dyn:evaluate(concat('docu', 'ment(&quot;{secret.as_uri()}&quot;)'))"
    c = contract(work, DYN_NS + rule("true()", f'<sch:value-of select="{built}"/>'),
                 extra_ns=DYN, binding="exslt")
    ran = run_cli("validate", "-c", c, "doc.xml", cwd=work)
    run_refused(ran, "refused")


def test_dynamic_evaluation_is_held_to_the_folder_when_document_is_allowed(work, secret):
    (work / "codes.xml").write_text("<codes><code>A</code></codes>")
    built = f"dyn:evaluate(concat('docu', 'ment(&quot;{secret.as_uri()}&quot;)'))"
    c = contract(work, DYN_NS + rule(_doc("codes.xml"), f'<sch:value-of select="{built}"/>'),
                 extra_ns=DYN, binding="exslt")
    ran = run_cli("validate", "-c", c, "doc.xml", cwd=work)
    run_refused(ran, "outside the contract's folder")


def test_no_file_is_written_by_a_contract(work, tmp_path):
    target = tmp_path / "written.txt"
    text = (f'<exsl:document xmlns:exsl="http://exslt.org/common" '
            f'xsl:extension-element-prefixes="exsl" href="{target.as_uri()}">pwned</exsl:document>')
    ran = run_cli("validate", "-c", contract(work, rule("true()", text)), "doc.xml", cwd=work)
    assert ran.code in (1, 2)
    assert not target.exists()
    assert "Traceback" not in ran.stderr


def test_in_folder_document_calls_still_work(work):
    (work / "data").mkdir()
    (work / "data" / "codes.xml").write_text("<codes><code>1</code></codes>")
    c = contract(work, rule(f"not(id = {_doc('data/codes.xml')}//code)", "unknown id",
                            context="order"))
    assert run_cli("validate", "-c", c, "doc.xml", cwd=work).code == 0
    (work / "doc2.xml").write_text("<order><id>2</id></order>")
    ran = run_cli("validate", "-c", c, "doc2.xml", cwd=work)
    assert ran.code == 1 and "unknown id" in ran.stdout


SCH_NS = "http://purl.oclc.org/dsdl/schematron"
