"""SVRL output: one SVRL document per document × contract."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from ..schematron.ns import RUN


def render(documents: Sequence[tuple[str, str, etree._ElementTree]]) -> bytes:
    """One SVRL document as is; several wrapped in a ``cdcxml:svrl-reports`` element."""
    if len(documents) == 1:
        return etree.tostring(documents[0][2], pretty_print=True, xml_declaration=True,
                              encoding="UTF-8")
    root = etree.Element(f"{{{RUN}}}svrl-reports", nsmap={"cdcxml": RUN})
    for path, consumer, tree in documents:
        item = etree.SubElement(root, f"{{{RUN}}}report", document=path, consumer=consumer)
        item.append(tree.getroot())
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")
