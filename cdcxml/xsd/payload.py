"""The message an XSD applies to: a SOAP envelope's Body payload, or the document itself."""

from __future__ import annotations

import copy
from collections.abc import Callable

from lxml import etree

from .. import soap
from ..results import XsdReport


def payload_element(tree: etree._ElementTree) -> etree._Element:
    """The payload of a SOAP envelope, or the root of any other document (in place, not copied)."""
    root = tree.getroot()
    if soap.envelope_version(root) is None:
        return root
    found = soap.payload(root)
    return found if found is not None else root


def payload_tree(tree: etree._ElementTree) -> etree._ElementTree:
    """A tree holding only the message an XSD applies to; line numbers stay those of ``tree``."""
    if soap.envelope_version(tree) is None:
        return tree
    found = soap.payload(tree)
    if found is None:
        return tree
    # deepcopy keeps sourceline and the in-scope namespace declarations of the envelope.
    return etree.ElementTree(copy.deepcopy(found))


def xsd_check(xsd) -> Callable[[etree._ElementTree], XsdReport]:
    """A checker for ``cdcxml.validate``: validates the payload of each document against ``xsd``."""

    def check(tree: etree._ElementTree) -> XsdReport:
        return xsd.validate(payload_tree(tree))

    return check
