"""The message an XSD applies to: a SOAP envelope's Body payload, or the document itself."""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Callable

from lxml import etree

from .. import soap
from ..results import Location, XsdIssue, XsdReport


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


def xsd_check(xsd, *, prefixes: dict[str, str] | None = None
              ) -> Callable[[etree._ElementTree], XsdReport]:
    """A checker for ``cdcxml.checking``: the payload of each document against ``xsd``.

    A SOAP fault is checked against the SOAP envelope schema of its version instead: the payload
    XSD does not describe faults, and holding one to it would call every documented fault broken.
    ``prefixes`` (prefix -> URI) spell the XPath of each error, as the contracts spell theirs.
    """

    def check(tree: etree._ElementTree) -> XsdReport:
        version = soap.envelope_version(tree)
        if version is not None and soap.find_fault(tree) is not None:
            report = fault_check(tree, version, prefixes)
            return _with_detail(report, xsd, tree, version, prefixes)
        found = soap.payload(tree) if version is not None else None
        # The payload is validated in place: lines and XPaths stay those of the envelope.
        return xsd.validate(found if found is not None else tree, prefixes=prefixes)

    return check


ENVELOPE_SCHEMAS = {soap.SOAP11: "soap11-envelope.xsd", soap.SOAP12: "soap12-envelope.xsd"}


@functools.cache
def envelope_schema(version: str):
    """The SOAP envelope schema of ``version``, shipped with cdcxml, loaded by the hardened loader."""
    from ..lint import schema_file
    from . import load_xsd

    return load_xsd(schema_file(ENVELOPE_SCHEMAS[version]))


def _with_detail(report: XsdReport, xsd, tree: etree._ElementTree, version: str,
                 prefixes: dict[str, str] | None) -> XsdReport:
    """``report`` plus, where a WSDL declares fault elements, its detail held to them."""
    declared = getattr(xsd, "fault_elements", frozenset())
    if not declared:
        return report
    issues = list(report.errors)
    for child in fault_detail(tree, version):
        if child.tag not in declared:
            issues.append(XsdIssue(
                f"fault detail {etree.QName(child).localname} is none of the faults the WSDL "
                f"declares ({', '.join(sorted(etree.QName(d).localname for d in declared))})",
                Location("", child.sourceline)))
            continue
        issues.extend(xsd.validate(child, prefixes=prefixes).errors)
    schema = f"{report.schema} and the WSDL's fault elements"
    return dataclasses.replace(report, valid=not issues, errors=tuple(issues), schema=schema)


def fault_detail(tree: etree._ElementTree, version: str) -> list[etree._Element]:
    """The elements inside a SOAP fault's detail (``detail`` in 1.1, ``env:Detail`` in 1.2)."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    body = soap.body(root)
    fault = body.find(f"{{{soap.ENVELOPE_NS[version]}}}Fault") if body is not None else None
    if fault is None:
        return []
    name = "detail" if version == soap.SOAP11 else f"{{{soap.ENVELOPE_NS[version]}}}Detail"
    detail = fault.find(name)
    return [c for c in detail if isinstance(c.tag, str)] if detail is not None else []


def fault_check(tree: etree._ElementTree, version: str,
                prefixes: dict[str, str] | None = None) -> XsdReport:
    """A SOAP fault's envelope against the SOAP envelope schema of its version."""
    report = envelope_schema(version).validate(tree, prefixes=prefixes)
    return dataclasses.replace(report, schema=f"SOAP {version} envelope schema", fault=True)
