"""What changed between two versions of a WSDL, operation by operation, and who calls it.

Changes are compared per SOAP binding version: an operation removed (or renamed: removed, and a
new operation with the same messages added), a binding version dropped, a SOAPAction or style
changed, an input or output element changed, a fault added or removed. Each change names the
consumers whose interactions call that operation in the old WSDL (:mod:`cdcxml.wsdl.match`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from ..contract import Contract
from . import Operation, Wsdl
from .match import operation_of

# Whether a change breaks a caller that uses the operation as it was.
BREAKING = {"removed": True, "renamed": True, "binding-removed": True, "soap-action": True,
            "style": True, "input": True, "output": True, "fault-added": False,
            "fault-removed": False, "added": False}


@dataclass(frozen=True, slots=True)
class OperationChange:
    """One change to one operation, and the consumers (with interaction ids) that call it."""

    kind: str
    operation: str
    soap_version: str
    message: str
    callers: tuple[tuple[str, str], ...] = ()  # (consumer, interaction id)

    @property
    def breaking(self) -> bool:
        return BREAKING[self.kind]

    @property
    def consumers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for c, _ in self.callers))


def diff(old: Wsdl, new: Wsdl, contracts: Iterable[Contract] = ()) -> list[OperationChange]:
    """The operation-level changes from ``old`` to ``new``, each with its callers."""
    callers = _callers(old, list(contracts))
    changes: list[OperationChange] = []
    old_versions = {op.soap_version for op in old.operations}
    new_versions = {op.soap_version for op in new.operations}
    for version in sorted(old_versions - new_versions):
        for op in _ops(old, version).values():
            changes.append(OperationChange(
                "binding-removed", op.name, version,
                f"the SOAP {version} binding is gone: {op.name} can no longer be called over it",
                callers.get((version, op.name), ())))
    for version in sorted(old_versions & new_versions):
        before, after = _ops(old, version), _ops(new, version)
        added = {n: op for n, op in after.items() if n not in before}
        for name, op in before.items():
            who = callers.get((version, name), ())
            if name not in after:
                twin = next((a for a in added.values() if _same_messages(a, op)), None)
                if twin is not None:
                    changes.append(OperationChange(
                        "renamed", name, version, f"renamed to {twin.name}", who))
                    added.pop(twin.name)
                    changes.extend(c for c in _compare(op, twin, who) if c.kind != "soap-action")
                else:
                    changes.append(OperationChange("removed", name, version, "removed", who))
                continue
            changes.extend(_compare(op, after[name], who))
        for name in added:
            changes.append(OperationChange("added", name, version, "added"))
    return changes


def _same_messages(a: Operation, b: Operation) -> bool:
    """Whether ``a`` looks like ``b`` under a new name: the same messages, or the same action."""
    return (a.input, a.output) == (b.input, b.output) or bool(
        a.soap_action and a.soap_action == b.soap_action)


def _compare(a: Operation, b: Operation, who) -> list[OperationChange]:
    out = []
    v = a.soap_version
    if (a.soap_action or "") != (b.soap_action or ""):
        out.append(OperationChange("soap-action", a.name, v,
                                   f"SOAPAction {a.soap_action or ''!r} -> {b.soap_action or ''!r}",
                                   who))
    if a.style != b.style:
        out.append(OperationChange("style", a.name, v, f"style {a.style} -> {b.style}", who))
    if a.input != b.input:
        out.append(OperationChange("input", a.name, v,
                                   f"request element {_q(a.input)} -> {_q(b.input)}", who))
    if a.output != b.output:
        out.append(OperationChange("output", a.name, v,
                                   f"response element {_q(a.output)} -> {_q(b.output)}", who))
    fa = {f.name: f for f in a.faults}
    fb = {f.name: f for f in b.faults}
    for name in fb.keys() - fa.keys():
        out.append(OperationChange("fault-added", a.name, v, f"fault {name} added", who))
    for name in fa.keys() - fb.keys():
        out.append(OperationChange("fault-removed", a.name, v, f"fault {name} removed", who))
    return out


def _ops(wsdl: Wsdl, version: str) -> dict[str, Operation]:
    found: dict[str, Operation] = {}
    for op in wsdl.operations:
        if op.soap_version == version:
            found.setdefault(op.name, op)
    return found


def _callers(wsdl: Wsdl, contracts: list[Contract]) -> dict[tuple[str, str], tuple]:
    table: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for contract in contracts:
        for interaction in contract.info.interactions:
            op = operation_of(interaction, wsdl)
            if op is not None:
                table.setdefault((op.soap_version, op.name), []).append(
                    (contract.info.consumer, interaction.id))
    return {k: tuple(v) for k, v in table.items()}


def _q(clark: str | None) -> str:
    if not clark:
        return "(none)"
    return etree.QName(clark).localname
