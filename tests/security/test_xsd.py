"""Hostile XSDs, through every command that takes one: includes and imports reach only the schema's
folder, never the network; DOCTYPEs are refused; the ``xml`` namespace import resolves locally."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import SECRET, one_error, run_cli, run_many

XS = 'xmlns:xs="http://www.w3.org/2001/XMLSchema"'
ORDER = ('<xs:element name="order"><xs:complexType><xs:sequence>'
         '<xs:element name="id" type="xs:string"/></xs:sequence>'
         '<xs:attribute ref="xml:lang"/></xs:complexType></xs:element>')
XML_IMPORT = ('<xs:import namespace="http://www.w3.org/XML/1998/namespace" '
              'schemaLocation="http://www.w3.org/2001/xml.xsd"/>')


def commands(xsd: Path) -> dict[str, tuple]:
    """Every command that reads an XSD, checking doc.xml against holds.sch."""
    return {
        "validate": ("validate", "-c", "holds.sch", "--xsd", xsd, "doc.xml"),
        "batch": ("batch", "-j", "1", "-c", "holds.sch", "--xsd", xsd, "doc.xml"),
        "contrast": ("contrast", "-c", "holds.sch", "--xsd", xsd, "doc.xml"),
        "obligations": ("obligations", "-c", "holds.sch", "--sample", "doc.xml", "--xsd", xsd),
        "impact-old": ("impact", "-c", "holds.sch", "--old-xsd", xsd, "--new-xsd", "good.xsd",
                       "--sample", "doc.xml"),
        "impact-new": ("impact", "-c", "holds.sch", "--old-xsd", "good.xsd", "--new-xsd", xsd,
                       "--sample", "doc.xml"),
    }


def xsd(work: Path, name: str, body: str, prolog: str = "") -> str:
    (work / name).write_text(f"{prolog}<xs:schema {XS}>{body}</xs:schema>\n")
    return name


@pytest.fixture
def schemas(work: Path, secret: Path) -> Path:
    """A good schema beside the hostile ones, and an XSD beside the secret, outside the folder."""
    xsd(work, "good.xsd", XML_IMPORT + ORDER)
    xsd(secret.parent, "outside.xsd", f'<xs:element name="secret" fixed="{SECRET}"/>')
    (work / "doc.xml").write_text('<order xml:lang="en"><id>1</id></order>\n')
    return work


def refused_by_every_command(work: Path, name: str, *words: str) -> None:
    """One error line from every command, with ``words`` in it (the file at fault among them)."""
    runs = run_many(list(commands(name).values()), cwd=work,
                    env={"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"})
    for command, ran in zip(commands(name), runs, strict=True):
        line = one_error(ran, *words)
        assert SECRET not in ran.stdout + ran.stderr, (command, line)


def test_include_outside_the_folder(schemas):
    name = xsd(schemas, "inc.xsd", '<xs:include schemaLocation="../outside/outside.xsd"/>' + ORDER)
    refused_by_every_command(schemas, name, "inc.xsd", "refused", "outside the schema's folder")


def test_import_outside_the_folder(schemas, secret):
    name = xsd(schemas, "imp.xsd", f'<xs:import namespace="urn:s" schemaLocation="{secret.parent.as_uri()}'
               '/outside.xsd"/>' + XML_IMPORT + ORDER)
    refused_by_every_command(schemas, name, "imp.xsd", "refused", "outside the schema's folder")


@pytest.mark.parametrize("element", ["import", "include", "redefine"])
def test_remote_references_connect_nowhere(schemas, listener, element):
    ns = ' namespace="urn:remote"' if element == "import" else ""
    name = xsd(schemas, "remote.xsd",
               f'<xs:{element}{ns} schemaLocation="{listener.url}/remote.xsd"/>' + XML_IMPORT + ORDER)
    for ran in run_many(list(commands(name).values()), cwd=schemas):
        one_error(ran, name, "remote.xsd")
    listener.close()
    assert listener.connections == []


def test_a_schema_with_a_doctype(schemas, listener):
    name = xsd(schemas, "dtd.xsd", ORDER, prolog=f'<!DOCTYPE xs:schema SYSTEM "{listener.url}/x.dtd">\n')
    # The hardened loader never reads the DTD; the schema reader refuses to be handed one.
    refused_by_every_command(schemas, name, "dtd.xsd", "External references are forbidden")
    listener.close()
    assert listener.connections == []


def test_an_included_schema_with_an_entity(schemas, listener):
    (schemas / "part.xsd").write_text(
        f'<!DOCTYPE s [<!ENTITY e SYSTEM "{listener.url}/e">]>\n'
        f'<xs:schema {XS}><xs:element name="part" type="xs:string"/>&e;</xs:schema>')
    name = xsd(schemas, "main.xsd", '<xs:include schemaLocation="part.xsd"/>' + XML_IMPORT + ORDER)
    refused_by_every_command(schemas, name, "part.xsd:1", "DOCTYPE not allowed")
    listener.close()
    assert listener.connections == []


def test_the_xml_namespace_import_resolves_locally(schemas, listener):
    # Any HTTP fetch would go through the proxy, which is the listener.
    proxy = {"HTTP_PROXY": listener.url, "HTTPS_PROXY": listener.url, "NO_PROXY": ""}
    runs = run_many(list(commands("good.xsd").values()), cwd=schemas, env=proxy)
    for command, ran in zip(commands("good.xsd"), runs, strict=True):
        assert ran.code == 0, (command, ran.stdout, ran.stderr)
    # The imported declaration is really used: a bad xml:lang is an XSD error.
    (schemas / "bad-lang.xml").write_text('<order xml:lang="not a language!"><id>1</id></order>')
    ran = run_cli("validate", "-c", "holds.sch", "--xsd", "good.xsd", "bad-lang.xml", cwd=schemas,
                  env=proxy)
    assert ran.code == 1 and "bad-lang.xml:1: xsd:" in ran.stdout, ran.stdout
    listener.close()
    assert listener.connections == []


def test_schema_location_hints_in_documents_are_ignored(schemas, listener):
    (schemas / "hint.xml").write_text(
        '<order xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:noNamespaceSchemaLocation="{listener.url}/other.xsd"><id>1</id></order>')
    ran = run_cli("validate", "-c", "holds.sch", "--xsd", "good.xsd", "hint.xml", cwd=schemas)
    assert ran.code == 0, ran.stdout
    listener.close()
    assert listener.connections == []


def test_in_folder_includes_still_work(schemas):
    (schemas / "types").mkdir()
    xsd(schemas / "types", "id.xsd", '<xs:simpleType name="Id"><xs:restriction base="xs:string">'
        '<xs:pattern value="[0-9]+"/></xs:restriction></xs:simpleType>')
    name = xsd(schemas, "split.xsd", '<xs:include schemaLocation="types/id.xsd"/>'
               '<xs:element name="order"><xs:complexType><xs:sequence>'
               '<xs:element name="id" type="Id"/></xs:sequence>'
               '<xs:anyAttribute processContents="skip"/></xs:complexType></xs:element>')
    for command, ran in zip(commands(name), run_many(list(commands(name).values()), cwd=schemas),
                            strict=True):
        assert ran.code == 0, (command, ran.stdout, ran.stderr)


# -- containment compares resolved paths by their parts -----------------------------------------------

@pytest.fixture
def escapes(schemas: Path) -> Path:
    """A folder beside the schemas' whose name starts like it, and a link out of the folder."""
    private = schemas.parent / (schemas.name + "-private")
    private.mkdir()
    xsd(private, "x.xsd", f'<xs:element name="secret" fixed="{SECRET}"/>')
    (schemas / "link.xsd").symlink_to(schemas.parent / "outside" / "outside.xsd")
    return schemas


@pytest.mark.parametrize("location", ["../work-private/x.xsd", "link.xsd"],
                         ids=["sibling-folder-with-the-same-prefix", "symlink-out-of-the-folder"])
def test_an_include_cannot_escape_by_prefix_or_link(escapes, location):
    name = xsd(escapes, "esc.xsd", f'<xs:include schemaLocation="{location}"/>' + ORDER)
    for args in (("validate", "-c", "holds.sch", "--xsd", name, "doc.xml"),
                 ("xsd2sch", name, "-o", "out.sch")):
        ran = run_cli(*args, cwd=escapes)
        one_error(ran, "esc.xsd", "refused", "outside the schema's folder")
        assert SECRET not in ran.stdout + ran.stderr
    assert not (escapes / "out.sch").exists()
