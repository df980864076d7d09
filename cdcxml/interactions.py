"""Which phase of a contract a document is checked under: the phase of the interaction it answers.

A contract with one phase per interaction (one per SOAP operation, say) checks each response under
its own interaction's phase. :func:`choose_phases` decides, for one contract and one document:

1. ``--phase`` (``Hints.phase``) forces one phase for every contract;
2. ``--interaction ID`` (``Hints.interaction``) picks that interaction of a contract that has it;
3. otherwise the interactions are narrowed, each test applied only when it keeps at least one: by
   the document's message element (the SOAP Body's first child, or the root) against each
   interaction's ``cdc:response element``, then by the ``SOAPAction`` and request path a capture
   recorded (a HAR entry);
4. when nothing narrows them, every phase the interactions name that fires a rule on the document
   (all of them, when none fires), so no phase is silently left out.

A contract whose interactions name no phase runs its default phase, as it always has.

*Applicability.* When every interaction of a contract says what answers it (``cdc:response
element``, ``fault="true"`` for a SOAP Fault, ``body="empty"`` for nothing at all) and the
document's message element answers none of them, the document is not a response this consumer
receives: unless ``--phase`` or ``--interaction`` forces a choice, the contract is not run on it
and its report says why (:attr:`~cdcxml.results.ContractReport.not_applicable`). A contract with
an interaction that does not say keeps running on every document (and vacuity judges it).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlparse

from lxml import etree

from . import soap
from .contract import Contract, Interaction
from .results import ContractReport

FAULT = "Fault"


@dataclass(frozen=True, slots=True)
class Hints:
    """What is known about the request a document answers, besides the document itself."""

    phase: str | None = None  # --phase: this phase for every contract, no choice made
    interaction: str | None = None  # --interaction ID
    soap_action: str | None = None  # recorded with the response (HAR request headers)
    path: str | None = None  # the request's URL path (HAR request URL)


NO_HINTS = Hints()


@dataclass(frozen=True, slots=True)
class PhaseChoice:
    """One phase to run a contract under, and what chose it (said in every report)."""

    phase: str | None  # None: the contract's default phase
    reason: str  # e.g. "response element p:SearchResponse (interaction search)"
    interactions: tuple[str, ...] = ()
    applies: bool = True  # False: the document answers none of the contract's interactions


def message_element(tree: etree._ElementTree | etree._Element) -> etree._Element | None:
    """The element a document's interaction is told by: the SOAP Body's first child, or the root."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    if soap.envelope_version(root) is None:
        return root
    return soap.payload(root)


def _is_fault(clark: str | None) -> bool:
    if clark is None:
        return False
    q = etree.QName(clark)
    return q.localname == FAULT and q.namespace in soap.ENVELOPE_NS.values()


def _expects(interaction: Interaction, element: etree._Element | None) -> bool:
    response = interaction.response
    if response.empty or element is None or not isinstance(element.tag, str):
        return False
    if response.element == element.tag:
        return True
    # A SOAP Fault (either version) answers an interaction that expects a fault.
    return _is_fault(element.tag) and (response.fault or _is_fault(response.element))


def _says_answer(interaction: Interaction) -> bool:
    """True when the interaction says what answers it: an element, a fault, or no body."""
    response = interaction.response
    return response.element is not None or response.fault or response.empty


def not_applicable(contract: Contract, tree: etree._ElementTree,
                   hints: Hints = NO_HINTS) -> str | None:
    """Why ``tree`` is not for ``contract``'s consumer (it answers none of its interactions, and
    every interaction says what answers it); None when the contract applies to it.

    A recorded ``SOAPAction`` of one of its interactions makes it apply whatever came back: the
    document answers a request this consumer makes (a wrong answer is a finding, not n/a).
    """
    interactions = contract.interactions
    if not interactions or not all(_says_answer(i) for i in interactions):
        return None
    element = message_element(tree)
    if any(_expects(i, element) for i in interactions):
        return None
    action = soap.unquote_action(hints.soap_action)
    if hints.soap_action and any(soap.unquote_action(i.request.soap_action) == action
                                 for i in interactions):
        return None
    return f"answers none of its interactions: message element {element_label(tree, contract)}"


def unanswered(tree: etree._ElementTree, contracts: Sequence[Contract]) -> str:
    """The failure of a document no contract applies to: it answers no consumer's interactions."""
    label = element_label(tree, contracts[0] if contracts else None)
    return f"no consumer's interactions answer this document (message element {label})"


def element_label(tree: etree._ElementTree, contract: Contract | None = None) -> str:
    """The document's message element as ``prefix:name`` (the contract's prefixes first)."""
    element = message_element(tree)
    if element is None or not isinstance(element.tag, str):
        return "(none: the SOAP Body is empty)"
    return _label(element.tag, contract)




def _path_of(value: str | None) -> str:
    return urlparse(value or "").path or "/"


def _label(clark: str, contract: Contract | None) -> str:
    q = etree.QName(clark)
    if not q.namespace:
        return q.localname
    from .schematron.run import Locator

    prefixes = _prefixes(contract) if contract is not None else ()
    prefix = next((p for p, uri in prefixes if uri == q.namespace), None)
    prefix = prefix or Locator.WELL_KNOWN.get(q.namespace)
    return f"{prefix}:{q.localname}" if prefix else clark


def _prefixes(contract: Contract) -> tuple[tuple[str, str], ...]:
    try:
        return tuple(contract.compiled(None).ns.items())
    except Exception:  # noqa: BLE001 - naming only; a contract that cannot compile fails elsewhere
        return ()


def _narrowed(interactions: Sequence[Interaction], element: etree._Element | None,
              hints: Hints, contract: Contract) -> tuple[list[Interaction], list[str]]:
    found = list(interactions)
    reasons = []
    tests = []  # (test, reason, counts even when it keeps every interaction)
    if element is not None and isinstance(element.tag, str):
        tests.append((lambda i: _expects(i, element),
                      f"response element {_label(element.tag, contract)}", True))
    if hints.soap_action:
        action = soap.unquote_action(hints.soap_action)
        tests.append((lambda i: soap.unquote_action(i.request.soap_action) == action,
                      f"SOAPAction {action}", True))
    if hints.path:
        # SOAP services often answer every operation at one path: it tells only when it narrows.
        path = _path_of(hints.path)
        tests.append((lambda i: _path_of(i.request.path) == path, f"request path {path}", False))
    for test, reason, positive in tests:
        kept = [i for i in found if test(i)]
        if kept and (positive or len(kept) < len(found)):
            found = kept
            reasons.append(reason)
    return found, reasons


def _choices(found: Sequence[Interaction], reason: str) -> tuple[PhaseChoice, ...]:
    by_phase: dict[str | None, list[str]] = {}
    for i in found:
        by_phase.setdefault(i.phase, []).append(i.id)
    return tuple(PhaseChoice(phase, f"{reason} (interaction {', '.join(ids)})", tuple(ids))
                 for phase, ids in by_phase.items())


def fires(contract: Contract, phase: str | None, tree: etree._ElementTree) -> bool:
    """True when some rule of ``phase`` has a context node in the document."""
    from .schematron.run import R  # the engine loads on first use

    raw = contract.compiled(phase, svrl=True).run(tree).raw
    return any(True for _ in raw.iterchildren(R + "r"))


def choose_phases(contract: Contract, tree: etree._ElementTree,
                  hints: Hints = NO_HINTS) -> tuple[PhaseChoice, ...]:
    """The phase(s) to check ``tree`` under for ``contract``, each with what chose it."""
    if hints.phase is not None:
        return (PhaseChoice(hints.phase, "--phase"),)
    interactions = contract.interactions
    if hints.interaction is not None:
        named = [i for i in interactions if i.id == hints.interaction]
        if named:
            return _choices(named, "--interaction")
    reason = not_applicable(contract, tree, hints)
    if reason is not None:
        return (PhaseChoice(None, reason, applies=False),)
    if not any(i.phase for i in interactions):
        return (PhaseChoice(None, "default phase"),)
    found, reasons = _narrowed(interactions, message_element(tree), hints, contract)
    if reasons:
        return _choices(found, ", ".join(reasons))
    candidates = _choices(interactions, "no interaction matched; phase fires")
    firing = tuple(c for c in candidates if fires(contract, c.phase, tree))
    if firing:
        return firing
    return tuple(replace(c, reason="no interaction matched and no phase fires") for c in candidates)


def check_contract(contract: Contract, tree: etree._ElementTree,
                   choices: Sequence[PhaseChoice], *, svrl: bool = False
                   ) -> tuple[ContractReport, ...]:
    """Run ``contract`` on ``tree`` under each chosen phase; each report says its phase and why.

    A choice that does not apply runs nothing: its report says why the contract is not for the
    document. With ``svrl`` (plain Schematron, as for vacuity) it runs the default phase instead.
    """
    out = []
    for choice in choices:
        if not choice.applies and not svrl:
            out.append(ContractReport(contract.consumer, contract.name,
                                      not_applicable=choice.reason))
            continue
        report = contract.validate(tree, phase=choice.phase, svrl=svrl)
        phase = report.phase or choice.phase or _default(contract)
        if report.findings or report.svrl is not None:
            out.append(replace(report, phase=phase, chosen_by=choice.reason))
        else:  # a document that holds: the same report as every other one that holds
            out.append(_holds(report, phase, choice.reason))
    return tuple(out)


@functools.lru_cache(maxsize=256)
def _holds(report: ContractReport, phase: str | None, reason: str | None) -> ContractReport:
    return replace(report, phase=phase, chosen_by=reason)


def _default(contract: Contract) -> str | None:
    try:
        return contract.compiled(None).plan.phase
    except Exception:  # noqa: BLE001 - naming only
        return None


def run_contract(contract: Contract, tree: etree._ElementTree,
                 hints: Hints = NO_HINTS, *, svrl: bool = False) -> tuple[ContractReport, ...]:
    """Choose the phase(s) for ``tree`` and run ``contract`` under them."""
    return check_contract(contract, tree, choose_phases(contract, tree, hints), svrl=svrl)


def known_interaction(contracts: Sequence[Contract], interaction: str) -> bool:
    """True when some contract has an interaction with this id (``--interaction`` must name one)."""
    return any(i.id == interaction for c in contracts for i in c.interactions)
