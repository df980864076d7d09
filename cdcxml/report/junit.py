"""JUnit XML (the Ant/Jenkins format): a testsuite per consumer, a testcase per interaction.

A response that breaks the contract is a ``<failure>`` carrying the failed assertions with their
line numbers in the response; an interaction that could not be checked (no answer, not XML) is an
``<error>``, so CI tells "the provider broke a consumer" from "the check could not run". A failure
of a pending contract (one that never passed on the provider's main line) is ``<skipped>`` with
the failure as its message, since it does not fail the build.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from lxml import etree

from ..verify import ERROR, FAILED, InteractionResult
from .verify_out import problems

# Characters XML 1.0 cannot carry; a response body may contain them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def render_junit(results: Sequence[InteractionResult], *, name: str = "cdcxml verify",
                 timestamp: datetime | None = None) -> bytes:
    """The JUnit XML document for a verify run."""
    suites: dict[str, list[InteractionResult]] = {}
    for r in results:
        suites.setdefault(r.consumer, []).append(r)
    root = etree.Element("testsuites", name=name)
    _counts(root, results)
    for consumer, members in suites.items():
        suite = etree.SubElement(root, "testsuite", name=consumer)
        _counts(suite, members)
        suite.set("skipped", str(sum(1 for r in members if _forgiven(r))))
        if timestamp is not None:
            suite.set("timestamp", timestamp.replace(microsecond=0).isoformat())
        props = etree.SubElement(suite, "properties")
        for contract in dict.fromkeys(r.contract for r in members):
            etree.SubElement(props, "property", name="contract", value=_clean(contract))
        for r in members:
            _testcase(suite, r)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _counts(el: etree._Element, results: Sequence[InteractionResult]) -> None:
    el.set("tests", str(len(results)))
    el.set("failures", str(sum(1 for r in results if r.outcome == FAILED and not _forgiven(r))))
    el.set("errors", str(sum(1 for r in results if r.outcome == ERROR)))
    el.set("time", _seconds(sum(r.elapsed for r in results)))


def _testcase(suite: etree._Element, r: InteractionResult) -> None:
    case = etree.SubElement(suite, "testcase", name=r.interaction, classname=r.consumer,
                            time=_seconds(r.elapsed))
    if _forgiven(r):
        lines = problems(r)
        first = lines[0] if lines else r.outcome
        el = etree.SubElement(case, "skipped", message=_clean(f"pending contract: {first}"))
        el.text = _clean("\n".join(["pending: this contract has never passed on the provider's "
                                    "main line, so its failures do not fail the build", *lines]))
    elif r.outcome in (FAILED, ERROR):
        tag = "failure" if r.outcome == FAILED else "error"
        lines = problems(r)
        first = lines[0] if lines else r.outcome
        kind = _kind(r)
        el = etree.SubElement(case, tag, message=_clean(first), type=kind)
        el.text = _clean("\n".join([f"{r.method} {r.url}" + (f" -> {r.status}" if r.status else ""),
                                    *lines]))
    out = [f"{r.method} {r.url}" + (f" -> {r.status}" if r.status is not None else "")]
    if r.state:
        out.append(f"provider state: {r.state}")
    if r.phase:
        out.append(f"phase: {r.phase}")
    if r.body_excerpt and not r.valid:
        out.extend(["", r.body_excerpt.decode("utf-8", "replace")])
    etree.SubElement(case, "system-out").text = _clean("\n".join(out))


def _forgiven(r: InteractionResult) -> bool:
    return r.pending and r.outcome == FAILED


def _kind(r: InteractionResult) -> str:
    if r.outcome == ERROR:
        return "transport" if r.status is None else "response"
    if r.failures and not r.mismatches:
        return "assertion"
    if r.fault is not None:
        return "soap-fault"
    return "response"

