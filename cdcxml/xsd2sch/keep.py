"""Targeted mode: keep only the assertions about the paths a consumer reads.

A kept path keeps its own checks (its occurrences in its parent, its value, ``xsi:nil`` and
``xsi:type``) and the occurrences of every element on the way to it, nothing else. Paths are given
as XPath or slash paths (``p:Product/p:Price``, ``//Price``, ``Product/@id``); with sample
documents, any XPath the consumer evaluates can be given and is resolved to the element and
attribute paths it selects in the samples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from ..errors import KeepError
from .rules import Pattern


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a kept path: a name test, after an optional ``//`` gap."""

    local: str  # "*" for any name
    ns: str | None  # None: any namespace
    attribute: bool = False
    gap: bool = False

    def matches(self, name: str) -> bool:
        """True when the Clark ``name`` passes this step's name test."""
        ns, _, loc = name[1:].partition("}") if name.startswith("{") else ("", "", name)
        if self.local != "*" and self.local != loc:
            return False
        return self.ns is None or self.ns == ns


@dataclass(frozen=True, slots=True)
class KeepPath:
    """A path to keep, read from a ``--keep`` option or a line of ``--keep-from``."""

    text: str
    steps: tuple[Step, ...]
    absolute: bool

    def matches(self, path: tuple[str, ...], attribute: str | None = None) -> bool:
        """True when this path selects the element at ``path`` (or its ``attribute``)."""
        steps = self.steps
        if not steps:
            return False
        if steps[-1].attribute:
            if attribute is None or not steps[-1].matches(attribute):
                return False
            steps = steps[:-1]
        elif attribute is not None:
            return False
        return _match(steps, 0, path, 0, anywhere=not self.absolute)


def _match(steps, i: int, path, j: int, *, anywhere: bool) -> bool:
    if i == len(steps):
        return j == len(path)
    step = steps[i]
    if step.gap or (anywhere and i == 0):
        return any(step.matches(path[k]) and _match(steps, i + 1, path, k + 1, anywhere=False)
                   for k in range(j, len(path)))
    return j < len(path) and step.matches(path[j]) and _match(steps, i + 1, path, j + 1,
                                                              anywhere=False)


@dataclass(frozen=True, slots=True)
class ExactTarget:
    """An element (or attribute) path found by evaluating a consumer's XPath on a sample."""

    path: tuple[str, ...]
    attribute: str | None = None

    def matches(self, path: tuple[str, ...], attribute: str | None = None) -> bool:
        """True for this path, or for its end when the sample wraps the message (a SOAP
        envelope around the payload the schema describes)."""
        return attribute == self.attribute and 0 < len(path) <= len(self.path) and \
            self.path[-len(path):] == path


_PREDICATE = re.compile(r"\[[^\[\]]*\]")
_NAME = re.compile(r"^(?:(?P<prefix>[A-Za-z_][\w.-]*|\*):)?(?P<local>[A-Za-z_][\w.-]*|\*)$")


def parse_path(text: str, prefixes: dict[str, str]) -> KeepPath:
    """Read a slash path or a simple XPath; unknown prefixes match any namespace."""
    source = text.strip()
    stripped = source
    while _PREDICATE.search(stripped):
        stripped = _PREDICATE.sub("", stripped)
    if not stripped:
        raise KeepError("an empty path cannot be kept")
    absolute = stripped.startswith("/") and not stripped.startswith("//")
    steps: list[Step] = []
    gap = False
    parts = stripped.split("/")
    for i, part in enumerate(parts):
        part = part.strip()
        if part == "":
            if 0 < i < len(parts) - 1 or (i == 0 and stripped.startswith("//")):
                gap = True
            continue
        if part in (".", "text()", "node()", "self::node()"):
            continue
        attribute = False
        for axis in ("child::", "descendant::", "descendant-or-self::"):
            if part.startswith(axis):
                gap = gap or axis != "child::"
                part = part[len(axis):]
        if part.startswith("attribute::"):
            part, attribute = part[len("attribute::"):], True
        if part.startswith("@"):
            part, attribute = part[1:], True
        match = _NAME.match(part)
        if not match:
            raise KeepError(f"cannot read {text!r} as a path to keep (step {part!r} is not a "
                            f"name; give a path such as Product/Price, or sample documents)")
        prefix, loc = match.group("prefix"), match.group("local")
        ns: str | None
        if prefix is None:
            ns = None if not attribute else ""
        elif prefix == "*":
            ns = None
        else:
            ns = prefixes.get(prefix)
        steps.append(Step(loc, ns, attribute, gap))
        gap = False
    if not steps:
        raise KeepError(f"{text!r} names no element or attribute")
    return KeepPath(source, tuple(steps), absolute)


def from_samples(text: str, samples, prefixes: dict[str, str]) -> list[ExactTarget]:
    """The element and attribute paths ``text`` selects in the sample documents."""
    found: list[ExactTarget] = []
    for tree in samples:
        ns = dict(prefixes)
        for prefix, uri in tree.getroot().nsmap.items():
            if prefix and prefix not in ns:
                ns[prefix] = uri
        try:
            result = tree.xpath(text, namespaces=ns)
        except etree.XPathError:
            return []
        if not isinstance(result, list):
            continue
        for node in result:
            target = _target(node)
            if target is not None and target not in found:
                found.append(target)
    return found


def _target(node) -> ExactTarget | None:
    if isinstance(node, etree._Element):
        if not isinstance(node.tag, str):
            return None
        return ExactTarget(_element_path(node))
    getparent = getattr(node, "getparent", None)
    if getparent is None or getparent() is None:
        return None
    parent = getparent()
    if getattr(node, "is_attribute", False):
        return ExactTarget(_element_path(parent), node.attrname)
    if getattr(node, "is_tail", False):
        parent = parent.getparent()
        if parent is None:
            return None
    return ExactTarget(_element_path(parent))


def _element_path(el: etree._Element) -> tuple[str, ...]:
    chain = [el.tag]
    chain.extend(a.tag for a in el.iterancestors())
    return tuple(reversed(chain))


@dataclass(slots=True)
class Selection:
    """What a set of kept paths keeps."""

    targets: list = field(default_factory=list)

    def element(self, path: tuple[str, ...]) -> bool:
        """True when an element at ``path`` is kept."""
        return any(t.matches(path) for t in self.targets)

    def attribute(self, path: tuple[str, ...], name: str) -> bool:
        """True when attribute ``name`` of the element at ``path`` is kept."""
        return any(t.matches(path, name) for t in self.targets)


def select(patterns: list[Pattern], selection: Selection) -> tuple[list[Pattern], list[str]]:
    """Patterns holding only the kept checks; and the kept paths that matched nothing."""
    kept_paths: set[tuple[str, ...]] = set()
    owners: set[tuple[str, ...]] = set()
    used = set()
    for pattern in patterns:
        for rule in pattern.rules:
            if selection.element(rule.path):
                kept_paths.add(rule.path)
            for check in rule.checks:
                for subject in check.subject:
                    if subject.startswith("@") and selection.attribute(rule.path, subject[1:]):
                        owners.add(rule.path)
    for i, t in enumerate(selection.targets):
        for pattern in patterns:
            for rule in pattern.rules:
                if t.matches(rule.path) or any(
                        s.startswith("@") and t.matches(rule.path, s[1:])
                        for c in rule.checks for s in c.subject):
                    used.add(i)
    needed = set()
    for path in kept_paths | owners:
        for n in range(1, len(path) + (1 if path in owners else 0)):
            needed.add(path[:n])
    out = []
    for pattern in patterns:
        rules = []
        for rule in pattern.rules:
            checks = []
            for check in rule.checks:
                if _keep(check, rule.path, rule.path in kept_paths, needed, selection):
                    checks.append(check)
            if checks:
                rule.checks = checks
                rules.append(rule)
        if rules:
            pattern.rules = rules
            out.append(pattern)
    unmatched = [getattr(t, "text", None) or "/".join(t.path)
                 for i, t in enumerate(selection.targets) if i not in used]
    return out, unmatched


def payload(patterns: list[Pattern]) -> list[Pattern]:
    """The kept rules in one pattern, ``payload``, that fires wherever the payload's root is."""
    if not patterns:
        return patterns
    merged = Pattern(patterns[0].element, id="payload",
                     comment="The payload's root, at the document's root or in a SOAP Body, and "
                             "the paths kept below it: a document without it fires no rule here.")
    for pattern in patterns:
        merged.rules.extend(pattern.rules)
    return [merged]


def _keep(check, path, is_target: bool, needed: set, selection: Selection) -> bool:
    if check.kind == "nil" and (is_target or len(path) == 1):
        # The root's own check stays, so that the payload's root always fires a rule.
        return True
    for subject in check.subject:
        if subject == "":
            if is_target:
                return True
        elif subject.startswith("@"):
            if selection.attribute(path, subject[1:]):
                return True
        elif path + (subject,) in needed or selection.element(path + (subject,)):
            return True
    return False
