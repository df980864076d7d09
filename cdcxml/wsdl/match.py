"""Which WSDL operation an interaction of a contract calls.

An interaction names no operation; it sends a request. The operation is the one of the binding of
the request's SOAP version whose input element is the request's Body element; where the Body
element is not known (no body, or not SOAP), the SOAPAction decides. An interaction that matches
no operation calls one the WSDL does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .. import soap, xmlio
from ..contract import Interaction
from ..errors import CdcxmlError
from ..interactions import message_element
from . import Operation, Wsdl


@dataclass(frozen=True, slots=True)
class Mismatch:
    """How an interaction's request differs from what the WSDL says of its operation."""

    interaction: str
    message: str


def request_element(interaction: Interaction) -> str | None:
    """The Clark name of the request's Body element (or root, for plain XML), if it has a body."""
    body = interaction.request.body
    if not body:
        return None
    try:
        tree = xmlio.parse_bytes(body, f"request of {interaction.id}")
    except CdcxmlError:
        return None
    element = message_element(tree)
    return element.tag if element is not None and isinstance(element.tag, str) else None


def operation_of(interaction: Interaction, wsdl: Wsdl) -> Operation | None:
    """The operation ``interaction`` calls, or None when the WSDL has none that fits."""
    return _operation(interaction, wsdl, request_element(interaction))


def _operation(interaction: Interaction, wsdl: Wsdl, element: str | None) -> Operation | None:
    version = interaction.request.soap_version or soap.SOAP11
    ops = [op for op in wsdl.operations if op.soap_version == version]
    if element is not None:
        found = [op for op in ops if op.input == element]
        if len(found) == 1:
            return found[0]
        if found:
            by_action = [op for op in found if _same_action(op, interaction)]
            return (by_action or found)[0]
    action = interaction.request.soap_action
    if action:
        found = [op for op in ops if _same_action(op, interaction)]
        if found:
            return found[0]
    return None


def check(interaction: Interaction, wsdl: Wsdl) -> list[Mismatch]:
    """Every way ``interaction``'s request disagrees with the WSDL (empty when it agrees)."""
    iid = interaction.id
    version = interaction.request.soap_version
    if version is None:
        return [Mismatch(iid, "the request is not SOAP, but the WSDL describes a SOAP service")]
    if version not in {op.soap_version for op in wsdl.operations}:
        return [Mismatch(iid, f"the WSDL has no SOAP {version} binding")]
    element = request_element(interaction)  # the request is parsed once
    op = _operation(interaction, wsdl, element)
    if op is None:
        what = f"Body element {_pretty(element)}" if element else (
            f"SOAPAction {interaction.request.soap_action!r}")
        return [Mismatch(iid, f"calls an operation the WSDL does not have ({what} matches no "
                              f"operation of the SOAP {version} binding)")]
    problems = []
    if op.soap_action and not _same_action(op, interaction):
        problems.append(Mismatch(iid, f"operation {op.name} expects SOAPAction "
                                      f"{op.soap_action!r}, the request sends "
                                      f"{interaction.request.soap_action or ''!r}"))
    if element is not None and op.input is not None and element != op.input:
        problems.append(Mismatch(iid, f"operation {op.name} expects Body element "
                                      f"{_pretty(op.input)}, the request sends {_pretty(element)}"))
    return problems


def _same_action(op: Operation, interaction: Interaction) -> bool:
    return soap.unquote_action(op.soap_action) == soap.unquote_action(
        interaction.request.soap_action)


def _pretty(clark: str | None) -> str:
    if not clark:
        return "(none)"
    q = etree.QName(clark)
    return f"{{{q.namespace}}}{q.localname}" if q.namespace else q.localname
