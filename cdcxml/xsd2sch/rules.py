"""Walk a schema from its global elements and say, rule by rule, what each element must satisfy.

A rule's context is the element's path from the payload's root, written as predicates on its
parents (``o:Line[parent::o:Lines[parent::o:Order[not(parent::*) or parent::soap:Body ...]]]``)
so that it matches the payload at the document's root or inside a SOAP Body: in a document the
XSD accepts, the path of names decides which declaration an element was validated against, except
where ``xsi:type`` picks a derived type, so an element that may carry ``xsi:type`` gets one rule per
type it may take, told apart by a predicate on ``xsi:type``. Recursive content is followed a few
levels deep and then left unchecked (and said so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xmlschema.validators import XsdAtomicBuiltin

from . import content, facets
from .names import Names, local

SOAP11_BODY = "{http://schemas.xmlsoap.org/soap/envelope/}Body"
SOAP12_BODY = "{http://www.w3.org/2003/05/soap-envelope}Body"
# The type name xsi:type gives, and what follows its prefix (local names hold no colon).
_XSI_TYPE = "normalize-space(@xsi:type)"
_XSI_AFTER = f"substring-after({_XSI_TYPE}, ':')"


def _xsi_local_in(names: list[str]) -> str:
    """An XPath test: the local part of the type xsi:type names is one of ``names``."""
    if len(names) == 1:
        return f"({_XSI_TYPE} = '{names[0]}' or {_XSI_AFTER} = '{names[0]}')"
    listed = "|".join(names)
    return (f"(contains('|{listed}|', concat('|', {_XSI_TYPE}, '|')) or "
            f"contains('|{listed}|', concat('|', {_XSI_AFTER}, '|')))")


# Stands for the element's name in the messages of a rule several element names share.
PLACEHOLDER = "\x00"
NIL = "normalize-space(@xsi:nil) = 'true' or normalize-space(@xsi:nil) = '1'"


@dataclass(frozen=True, slots=True)
class Check:
    """One assertion: what kind of rule it enforces, its test and message, and what it is about.

    ``subject`` names the children (Clark names) or attributes (``@`` + Clark name) the check
    is about; ``("",)`` means the element's own value, ``()`` the element as a whole.
    """

    kind: str
    test: str
    message: str
    subject: tuple[str, ...]
    hint: str


@dataclass(slots=True)
class Rule:
    """Every check on the elements one context matches."""

    context: str
    path: tuple[str, ...]
    label: str
    stem: str = ""
    checks: list[Check] = field(default_factory=list)
    lets: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Pattern:
    """Rules under one id: those of a global element, of a type, or of the payload's root.

    ``optional``: a valid document may have no element this pattern's rules match."""

    element: str
    rules: list[Rule] = field(default_factory=list)
    id: str = ""
    comment: str = ""
    optional: bool = False


@dataclass(slots=True)
class Content:
    """What the children of an element are: declared ones by name (with the position a name is
    pinned to, when a wildcard may bring in namesakes after it), global ones a wildcard admits,
    and whether some child is left unfollowed (a wildcard, a name two particles share, or
    content of any type)."""

    children: dict[str, object] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)
    admitted: dict[str, object] = field(default_factory=dict)
    open: bool = False


@dataclass(frozen=True, slots=True)
class Limits:
    """How far the walk goes before it stops and says what it left out."""

    max_repeat: int = 3
    max_depth: int = 40
    max_rules: int = 5000
    max_wildcard_hops: int = 1


class Walker:
    """Turns a loaded xmlschema schema into patterns of rules."""

    def __init__(self, schema, names: Names, limits: Limits | None = None):
        self.schema = schema
        self.names = names
        self.limits = limits or Limits()
        self.notes: list[str] = []
        self.rule_count = 0
        self._types = [t for t in schema.maps.types.values()
                       if t.is_complex() and getattr(t, "name", None)
                       and not facets.is_builtin(t)]
        self._candidates_of: dict[int, list] = {}
        self._globals = [e for e in schema.maps.elements.values()
                         if not e.abstract and not e.name.startswith("{http://www.w3.org/")]

    @property
    def globals(self) -> list:
        """The global elements a document may hold, whatever its root."""
        return self._globals

    # -- patterns ------------------------------------------------------------------------------
    def pattern(self, decl) -> Pattern:
        """The rules for documents rooted at global element ``decl``."""
        pattern = Pattern(decl.name)
        self._element(pattern, decl, f"{self.names.xpath(decl.name)}[{self.payload_root()}]",
                      (decl.name,), "", {}, 0, hops=0)
        return pattern

    def _element(self, pattern: Pattern, decl, base: str, path: tuple[str, ...], stem: str,
                 seen: dict, depth: int, closed: bool = False, hops: int = 0) -> None:
        label = local(decl.name)
        if depth >= self.limits.max_depth or self.rule_count >= self.limits.max_rules:
            self._note(f"{_show(path)}: not checked (the contract would grow too large)")
            return
        stem = f"{stem}.{label}" if stem else label
        candidates = self.candidates(decl)
        if len(candidates) == 1:
            t = candidates[0]
            rule = Rule(base, path, label, stem)
            check = self.xsi_type_check(decl, t, label)
            if check is not None:
                rule.checks.append(check)
            self._fill(pattern, rule, decl, t, seen, depth, closed, hops)
            return
        declared = candidates[0]
        first = Rule(f"{base}[{self.type_test(decl, declared)}]", path, label,
                     f"{stem}-as-{local(declared.name)}")
        self._fill(pattern, first, decl, declared, seen, depth, hops=hops)
        for t in candidates[1:]:
            rule = Rule(f"{base}[{self.type_test(decl, t)}]", path, label,
                        f"{stem}-as-{local(t.name)}")
            self._fill(pattern, rule, decl, t, seen, depth, hops=hops)
        fallback = Rule(base, path, label, stem)
        fallback.checks.append(self.xsi_type_fallback(decl, label))
        self._add(pattern, fallback)

    def xsi_type_check(self, decl, t, label: str) -> Check | None:
        """The check that ``xsi:type`` names no type but ``t`` (for a declaration with no other
        candidate type), or None when anything goes."""
        allowed = self._simple_candidates(t) if t.is_simple() else (
            [t] if getattr(t, "name", None) else [])
        if _is_any_type(t) or any(_is_any_simple(a) for a in allowed):
            return None
        locals_ = list(dict.fromkeys(local(a.name) for a in allowed))
        test = f"not(@xsi:type) or {_xsi_local_in(locals_)}" if allowed else "not(@xsi:type)"
        message = (f"{label} must not name a type other than {local(t.name)} or one "
                   f"derived from it in xsi:type" if allowed
                   else f"{label} must not have xsi:type")
        return Check("xsi-type", test, message, (), "xsi-type")

    def type_test(self, decl, t) -> str:
        """An XPath test: an element of ``decl`` (which has several candidate types) takes type
        ``t``, the declared one when it names none."""
        candidates = self.candidates(decl)
        locals_ = [local(c.name) for c in candidates]
        exact = len(set(locals_)) < len(locals_)
        if t is candidates[0]:
            return f"not(@xsi:type) or {self._is_type(t, exact)}"
        return self._is_type(t, exact)

    def xsi_type_fallback(self, decl, label: str) -> Check:
        """The check that fails an element of ``decl`` whose ``xsi:type`` names no candidate."""
        shown = ", ".join(local(t.name) for t in self.candidates(decl))
        return Check("xsi-type", "false()", f"{label} must name one of {shown} in xsi:type", (),
                     "xsi-type")

    def payload_root(self) -> str:
        """An XPath test: this element is the payload's root, the document's own root element or
        the child of a SOAP 1.1 or 1.2 Body."""
        return (f"not(parent::*) or parent::{self.names.xpath(SOAP11_BODY)} or "
                f"parent::{self.names.xpath(SOAP12_BODY)}")

    def candidates(self, decl) -> list:
        """The declared type, then every named type an ``xsi:type`` may put in its place."""
        known = self._candidates_of.get(id(decl))
        if known is None:
            known = self._candidates_of[id(decl)] = self._find_candidates(decl)
        return known

    def _find_candidates(self, decl) -> list:
        t = decl.type
        if t.is_simple() or _is_any_type(t) or not getattr(t, "name", None):
            return [t]
        blocked = set((decl.block or "").split()) | set((getattr(t, "block", "") or "").split())
        found = [t]
        for d in self._types:
            if d is t or d.abstract or not d.is_derived(t):
                continue
            if blocked & _methods(d, t):
                continue
            found.append(d)
        return found

    def _simple_candidates(self, t) -> list:
        """Named simple types an ``xsi:type`` may name for a value of type ``t``."""
        if not getattr(t, "name", None):
            return []
        found = []
        for d in self.schema.maps.types.values():
            if not getattr(d, "name", None) or not d.is_simple():
                continue
            if d.name.startswith("{http://www.w3.org/") and not isinstance(d, XsdAtomicBuiltin):
                continue  # the meta-schema's own helper types
            if d is t or d.is_derived(t) or _member_of(d, t):
                found.append(d)
        return found

    def _is_type(self, t, exact: bool = False) -> str:
        """An XPath test: this element's ``xsi:type`` names type ``t``.

        Unless ``exact``, only the local name is compared, which tells apart candidates whose
        local names differ (a right local name in a wrong namespace is invalid anyway).
        """
        ns, loc = t.name[1:].split("}") if t.name.startswith("{") else ("", t.name)
        value = "normalize-space(@xsi:type)"
        if not exact:
            return _xsi_local_in([loc])
        unprefixed = (f"not(contains({value}, ':')) and {value} = '{loc}' and "
                      f"string(namespace::*[name() = '']) = '{ns}'")
        if not ns:
            return f"({unprefixed})"
        prefixed = (f"substring-after({value}, ':') = '{loc}' and namespace::*[name() = "
                    f"substring-before(normalize-space(../@xsi:type), ':')] = '{ns}'")
        return f"({prefixed} or {unprefixed})"

    # -- one rule ------------------------------------------------------------------------------
    def fill(self, rule: Rule, decl, t) -> Content:
        """Add to ``rule`` the checks on an element of ``decl`` that takes type ``t``; return
        what its children are."""
        label = rule.label
        guard = NIL if decl.nillable else None
        if decl.nillable:
            rule.checks.append(Check("nil", f"not({NIL}) or (not(*) and string(.) = '')",
                                     f"{label} must be empty when xsi:nil is true", (), "nil"))
        else:
            rule.checks.append(Check("nil", "not(@xsi:nil)",
                                     f"{label} must not have xsi:nil (it is not nillable)", (),
                                     "nil"))
        found = Content()
        identities = getattr(decl, "identities", None) or ()
        for identity in identities.values() if isinstance(identities, dict) else identities:
            kind = type(identity).__name__.replace("Xsd", "").lower()
            rule.notes.append(f"{_show(rule.path)}: identity constraint {local(identity.name)} "
                              f"(xs:{kind}) is not checked")
        if t.is_simple():
            self._value(rule, decl, t, guard)
        elif _is_any_type(t):
            found.open = True
        else:
            self._attributes(rule, t)
            if t.has_simple_content():
                self._value(rule, decl, t.content, guard)
            else:
                if not t.mixed:
                    rule.checks.append(Check(
                        "text", "not(text()[normalize-space()])",
                        f"{label} must not contain text, only elements", (), "text"))
                if t.content is not None and not t.is_empty():
                    model = content.analyse(t.content, label, self.names, self._globals)
                    for c in model.checks:
                        rule.checks.append(Check(c.kind, _unless(guard, c.test), c.message,
                                                 c.subject, c.hint))
                    found = Content(model.children, model.positions, model.admitted, model.open)
                    for name in model.unfollowed:
                        rule.notes.append(
                            f"{_show(rule.path + (name,))}: not followed (a wildcard or a second "
                            f"particle may match it)")
        return found

    def _fill(self, pattern: Pattern, rule: Rule, decl, t, seen: dict, depth: int,
              closed: bool = False, hops: int = 0) -> None:
        found = self.fill(rule, decl, t)
        children, positions, admitted = found.children, found.positions, found.admitted
        self._add(pattern, rule)
        key = (id(decl), id(t))
        if seen.get(key, 0) >= self.limits.max_repeat:
            if children:
                self._note(f"{_show(rule.path)}: content nested deeper than "
                           f"{self.limits.max_repeat} levels of {rule.label} is not checked")
            return
        inner = dict(seen)
        inner[key] = inner.get(key, 0) + 1
        for name, child in children.items():
            step = self.names.xpath(name)
            if child is decl and len(self.candidates(child)) == 1:
                if closed:
                    continue  # the rule that matches this element matches its nested copies too
                # An element that holds itself: one rule for every depth, whose context asks
                # that the nearest ancestor not of its name be the element this rule is about.
                context = f"{step}[ancestor::*[not(self::{step})][1][self::{rule.context}]]"
                self._element(pattern, child, context, rule.path + (name,), rule.stem, inner,
                              depth + 1, closed=True)
                continue
            if name in positions:
                # Declared at a fixed position, while a wildcard may bring in namesakes later.
                step = f"{step}[count(preceding-sibling::*) = {positions[name] - 1}]"
            self._element(pattern, child, f"{step}[parent::{rule.context}]",
                          rule.path + (name,), rule.stem, inner, depth + 1, hops=hops)
        for name, child in admitted.items():
            if hops >= self.limits.max_wildcard_hops:
                self._note(f"{_show(rule.path)}: elements a wildcard brings into content a "
                           f"wildcard brought in are not checked")
                break
            self._element(pattern, child, f"{self.names.xpath(name)}[parent::{rule.context}]",
                          rule.path + (name,), rule.stem, inner, depth + 1, hops=hops + 1)

    def _value(self, rule: Rule, decl, st, guard: str | None) -> None:
        label = rule.label
        value = facets.Value(".", "value")
        result = facets.value_checks(st, value, _show(rule.path))
        conditions = [guard] if guard else []
        if decl.default is not None or decl.fixed is not None:
            conditions.append("string(.) = ''")
        if _is_union(st):
            conditions.append("@xsi:type")  # xsi:type may name a member type instead
        condition = " or ".join(conditions) if conditions else None
        for c in result.checks:
            rule.checks.append(Check(c.kind, _unless(condition, c.test), f"{label} must {c.text}",
                                     ("",), c.kind))
        if decl.fixed is not None:
            test = facets.fixed_test(st, decl.fixed, value)
            if test:
                rule.checks.append(Check(
                    "fixed", _unless(" or ".join(["string(.) = ''", *([guard] if guard else [])]),
                                     test),
                    f"{label} must be {decl.fixed}", ("",), "fixed"))
            else:
                rule.notes.append(f"{_show(rule.path)}: the fixed value is not checked")
        _used_lets(rule, value)
        rule.notes.extend(result.notes)

    def _attributes(self, rule: Rule, t) -> None:
        label = rule.label
        for name, attr in t.attributes.items():
            if name is None or attr.use == "prohibited":
                continue
            step = self.names.attribute(name)
            shown = f"{label}/@{local(name)}"
            subject = ("@" + name,)
            if attr.use == "required":
                rule.checks.append(Check("attribute", step,
                                         f"{label} must have attribute {local(name)}", subject,
                                         f"{local(name)}-attribute"))
            value = facets.Value(step, f"{_var(local(name))}")
            result = facets.value_checks(attr.type, value, f"{_show(rule.path)}/@{local(name)}")
            for c in result.checks:
                rule.checks.append(Check(c.kind, f"not({step}) or {_wrap(c.test)}",
                                         f"{shown} must {c.text}", subject,
                                         f"{local(name)}-{c.kind}"))
            if attr.fixed is not None:
                test = facets.fixed_test(attr.type, attr.fixed, value)
                if test:
                    rule.checks.append(Check("fixed", f"not({step}) or {_wrap(test)}",
                                             f"{shown} must be {attr.fixed}", subject,
                                             f"{local(name)}-fixed"))
            _used_lets(rule, value)
            rule.notes.extend(result.notes)

    def _add(self, pattern: Pattern, rule: Rule) -> None:
        pattern.rules.append(rule)
        self.rule_count += 1

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def _used_lets(rule: Rule, value: facets.Value) -> None:
    """Bind only the processed values some test of the rule reads."""
    for name, expr in value.lets.items():
        if any(re.search(rf"\${re.escape(name)}(?![\w.-])", c.test) for c in rule.checks):
            rule.lets[name] = expr


def _methods(derived, base) -> set[str]:
    """The derivation methods on the way from ``derived`` up to ``base``."""
    found = set()
    t = derived
    while t is not None and t is not base:
        method = getattr(t, "derivation", None)
        if method:
            found.add(method)
        t = getattr(t, "base_type", None)
    return found


def _member_of(d, union) -> bool:
    """True when ``d`` is (derived from) a member of ``union``, which xsi:type may name."""
    members = getattr(union, "member_types", None) or []
    return any(d is m or d.is_derived(m) or _member_of(d, m) for m in members)


def _is_any_simple(t) -> bool:
    return getattr(t, "name", None) in ("{http://www.w3.org/2001/XMLSchema}anySimpleType",
                                        "{http://www.w3.org/2001/XMLSchema}anyAtomicType")


def _is_any_type(t) -> bool:
    return getattr(t, "name", None) == "{http://www.w3.org/2001/XMLSchema}anyType"


def _is_union(st) -> bool:
    t = st
    while t is not None:
        if hasattr(t, "member_types"):
            return True
        t = getattr(t, "base_type", None)
    return False


def _show(path: tuple[str, ...]) -> str:
    return "/".join(local(n) for n in path)


def _var(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
    return f"attr-{cleaned}"


def _wrap(test: str) -> str:
    return f"({test})" if " or " in test or " and " in test else test


def _unless(condition: str | None, test: str) -> str:
    if not condition:
        return test
    return f"{_wrap(condition)} or {_wrap(test)}"
