"""SVRL output: one SVRL document per document × contract."""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from ..results import DocumentReport
from ..schematron.ns import RUN


def render(reports: Iterable[DocumentReport]) -> bytes:
    """The SVRL of every contract run on every document (checked with ``svrl=True``).

    One SVRL document as is; several wrapped in a ``cdcxml:svrl-reports`` element.
    """
    documents = [(d.path, c.consumer, _tree(c.svrl)) for d in reports for c in d.contracts]
    if len(documents) == 1:
        return etree.tostring(documents[0][2], pretty_print=True, xml_declaration=True,
                              encoding="UTF-8")
    root = etree.Element(f"{{{RUN}}}svrl-reports", nsmap={"cdcxml": RUN})
    for path, consumer, tree in documents:
        item = etree.SubElement(root, f"{{{RUN}}}report", document=path, consumer=consumer)
        item.append(tree.getroot())
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")


def _tree(svrl: bytes | None) -> etree._ElementTree:
    if svrl is None:
        raise ValueError("the report was checked without svrl=True")
    # Our own output, parsed back as it was written: no entities, no network, nothing to fetch.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    return etree.fromstring(svrl, parser).getroottree()
