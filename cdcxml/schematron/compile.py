"""Compile a resolved schema to one XSLT 1.0 stylesheet that walks each document once.

Design: a single walk (mode ``w0``) visits the nodes the patterns can match, skipping node kinds no
rule can match (often attributes and text). At each node it dispatches only to the patterns whose
rules can match that node's name; each pattern is one mode whose templates are its rules in
decreasing priority, so the first matching rule of a pattern fires and the others do not. Failures
call ``cdcr:locate`` (a Python extension) once, which gives the node's XPath and source line.
Output is a compact result tree of our own (``urn:cdcxml:run``) that run.py reads into findings or
turns into SVRL.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from lxml import etree

from ..errors import SchematronError
from . import xpath
from .model import Assertion, Diagnostic, Let, Pattern, Phase, Property, Rule, Schema
from .ns import EXSL, RUN, SCH, SVRL, XSL

# Up to this many patterns, each is applied to the nodes an axis scan finds; beyond, one walk.
DIRECT_MAX_UNITS = 16
ALLOWED_XSL_IN_TEXT = frozenset({
    "copy-of", "value-of", "text", "if", "choose", "when", "otherwise", "for-each", "sort",
    "variable", "number", "element", "attribute",
})
X = f"{{{XSL}}}"
R = f"{{{RUN}}}"


@dataclass(frozen=True, slots=True)
class Unit:
    """One dispatch target: a pattern, or one rule of a group (every rule of a group fires)."""

    index: int
    pattern_index: int
    rules: tuple[Rule, ...]
    rule_indexes: tuple[int, ...]


@dataclass
class Plan:
    """What run.py needs to read the output back: tables indexed by the numbers in the output."""

    patterns: list[Pattern] = field(default_factory=list)
    rules: list[tuple[int, Rule]] = field(default_factory=list)  # (pattern index, rule)
    assertions: list[tuple[int, Assertion]] = field(default_factory=list)  # (rule index, a)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    properties: list[Property] = field(default_factory=list)
    phase: str | None = None


def _avt(value: str) -> str:
    return value.replace("{", "{{").replace("}", "}}")


class Compiler:
    """Turns a :class:`Schema` and the active patterns of one phase into an XSLT tree."""

    def __init__(self, schema: Schema, phase: Phase | None, patterns: list[Pattern],
                 *, svrl: bool, phase_id: str | None):
        self.schema = schema
        self.phase = phase
        self.patterns = patterns
        self.svrl = svrl
        self.plan = Plan(phase=phase_id)
        self.names: dict[str, str] = {}  # namespace uri -> generated prefix for walk templates

    # -- top level ------------------------------------------------------------------------------
    def compile(self) -> tuple[etree._ElementTree, Plan]:
        nsmap = {"xsl": XSL, "svrl": SVRL, "cdcr": RUN, "exsl": EXSL}
        nsmap.update({p: u for p, u in self.schema.ns if p not in nsmap})
        root = etree.Element(X + "stylesheet", nsmap=nsmap)
        root.set("version", "1.0")
        root.set("extension-element-prefixes", "exsl")
        root.set("exclude-result-prefixes", " ".join(p for p in nsmap if p != "cdcr"))
        etree.SubElement(root, X + "output", method="xml", encoding="UTF-8")
        for key in self.schema.keys:
            root.append(etree.fromstring(key))
        # A phase's variable shadows the schema's of the same name (ISO 2016 §3.26); pattern
        # variables are global and may not reuse a schema's, phase's or other pattern's name.
        phase_lets = list(self.phase.lets) if self.phase is not None else []
        shadowed = {let.name for let in phase_lets}
        for let in [*(x for x in self.schema.lets if x.name not in shadowed), *phase_lets]:
            self._global_let(root, let)
        for pattern in self.patterns:
            for let in pattern.lets:
                self._global_let(root, let)

        units_by_group: list[tuple[Pattern | None, list[Unit]]] = []
        main_units: list[Unit] = []
        unit_counter = itertools.count()
        for p_index, pattern in enumerate(self.patterns):
            self.plan.patterns.append(pattern)
            units = []
            rule_indexes = []
            for rule in pattern.rules:
                rule_indexes.append(len(self.plan.rules))
                self.plan.rules.append((p_index, rule))
            if pattern.first_match:
                units.append(Unit(next(unit_counter), p_index, pattern.rules, tuple(rule_indexes)))
            else:
                for rule, ri in zip(pattern.rules, rule_indexes, strict=True):
                    units.append(Unit(next(unit_counter), p_index, (rule,), (ri,)))
            if pattern.documents:
                units_by_group.append((pattern, units))
            else:
                main_units.extend(units)

        start = etree.SubElement(root, X + "template", match="/")
        out = etree.SubElement(start, R + "out")
        if self.svrl:
            for p_index, pattern in enumerate(self.patterns):
                if not pattern.documents:
                    etree.SubElement(out, R + "p", p=str(p_index))
        walk_from = self.phase.from_ if self.phase is not None and self.phase.from_ else "/"
        # A phase's from selects many nodes: scanning from each is quadratic in libxml2, the walk
        # is not.
        if main_units and len(main_units) <= DIRECT_MAX_UNITS and walk_from == "/":
            for unit in main_units:
                self._direct(root, out, unit)
        elif main_units:
            etree.SubElement(out, X + "apply-templates", select=walk_from, mode="w0")
            self._walk(root, "w0", main_units)
        self._hits(out, [(i, p) for i, p in enumerate(self.patterns) if not p.documents],
                   walk_from)
        for g, (pattern, units) in enumerate(units_by_group, start=1):
            self._subordinate(out, pattern, g)
            self._walk(root, f"w{g}", units)
        for units in [main_units, *(u for _, u in units_by_group)]:
            for unit in units:
                self._unit(root, unit)
        return etree.ElementTree(root), self.plan

    def _global_let(self, parent: etree._Element, let: Let) -> None:
        self._let(parent, let)

    def _let(self, parent: etree._Element, let: Let) -> None:
        if let.value is not None:
            etree.SubElement(parent, X + "variable", nsmap=dict(let.ns), name=let.name,
                             select=let.value)
            return
        # Element content is a result tree fragment in XSLT 1.0; as a node-set, paths into it
        # work ($codes/code) and its string value stays the same.
        fragment = f"cdcr-content-{let.name}"
        var = etree.SubElement(parent, X + "variable", nsmap=dict(let.ns), name=fragment)
        self._literal_content(var, etree.fromstring(let.content))
        etree.SubElement(parent, X + "variable", name=let.name,
                         select=f"exsl:node-set(${fragment})")

    # -- which patterns fired ---------------------------------------------------------------------
    def _hits(self, parent: etree._Element, patterns: list[tuple[int, Pattern]],
              walk_from: str) -> None:
        """``<cdcr:h p="i"/>`` for each pattern one of whose required rules matches a node.

        A pattern that fired nothing checked nothing; the contract level calls that vacuous. One
        XPath per rule, evaluated from the root of the document being walked, stopping at the
        first node; a phase's ``from`` keeps only nodes inside the nodes it selects.
        """
        scoped = walk_from != "/"
        if scoped and any(p.required_rules for _, p in patterns):
            etree.SubElement(parent, X + "variable", name="cdcr-from", select=walk_from)
        for p_index, pattern in patterns:
            rules = pattern.required_rules
            if not rules:
                continue
            choose = etree.SubElement(parent, X + "choose")
            for rule in rules:
                found = (xpath.pattern_to_expression(rule.context)
                         or xpath.forward_expression(rule.context))
                found = f"({found})"
                if scoped:
                    found += ("[count(ancestor-or-self::node() | $cdcr-from) < "
                              "count(ancestor-or-self::node()) + count($cdcr-from)]")
                when = etree.SubElement(choose, X + "when", nsmap=dict(rule.ns),
                                        test=f"{found}[1]")
                etree.SubElement(when, R + "h", p=str(p_index))

    # -- subordinate documents ------------------------------------------------------------------
    def _subordinate(self, out: etree._Element, pattern: Pattern, g: int) -> None:
        p_index = self.plan.patterns.index(pattern)
        var = f"cdcr-docs-{g}"
        etree.SubElement(out, X + "variable", name=var, select=pattern.documents)
        choose = etree.SubElement(out, X + "choose")
        when = etree.SubElement(choose, X + "when", test=f"exsl:object-type(${var}) = 'node-set'")
        other = etree.SubElement(choose, X + "otherwise")
        if self.svrl:
            marker = etree.Element(R + "p", p=str(p_index))
            docs = etree.SubElement(marker, X + "attribute", name="docs")
            kind = etree.SubElement(docs, X + "choose")
            many = etree.SubElement(kind, X + "when", test=f"exsl:object-type(${var}) = 'node-set'")
            each = etree.SubElement(many, X + "for-each", select=f"${var}")
            etree.SubElement(each, X + "value-of", select="concat(string(.), ' ')")
            one = etree.SubElement(kind, X + "otherwise")
            etree.SubElement(one, X + "value-of", select=f"${var}")
            out.insert(out.index(choose), marker)
        # cdcr:enter tells the run which document is being walked, for locations and SVRL.
        each = etree.SubElement(when, X + "for-each", select=f"${var}")
        etree.SubElement(each, X + "value-of", select="cdcr:enter(string(.))")
        etree.SubElement(each, X + "apply-templates", select="document(string(.), .)",
                         mode=f"w{g}")
        self._hits(etree.SubElement(each, X + "for-each", select="document(string(.), .)"),
                   [(p_index, pattern)], "/")
        etree.SubElement(other, X + "value-of", select=f"cdcr:enter(string(${var}))")
        etree.SubElement(other, X + "apply-templates", select=f"document(string(${var}), /)",
                         mode=f"w{g}")
        self._hits(etree.SubElement(other, X + "for-each", select=f"document(string(${var}), /)"),
                   [(p_index, pattern)], "/")
        etree.SubElement(out, X + "value-of", select="cdcr:enter('')")

    # -- selecting the nodes a pattern can match ------------------------------------------------------
    def _steps(self, unit: Unit) -> set[xpath.StepTest]:
        steps: set[xpath.StepTest] = set()
        for rule in unit.rules:
            if xpath.variables(rule.context):
                steps.add(xpath.StepTest("any"))
            else:
                steps.update(xpath.final_steps(rule.context, dict(rule.ns).get))
        return steps

    def _direct(self, root: etree._Element, out: etree._Element, unit: Unit) -> None:
        """Apply a pattern to exactly the nodes its rules can match, found by one C-level scan of
        the descendant axis.

        For a handful of patterns this beats a template-driven walk: libxml2 scans the descendant
        axis far faster than libxslt instantiates a template per node. Only one scan, never a
        union of scans nor a scan from many nodes: libxml2 merges and sorts those in quadratic
        time (seconds for 40,000 siblings). A pattern that needs attributes beside other nodes, or
        two attribute names, gets a walk of its own instead.
        """
        steps = self._steps(unit)
        kinds = {s.kind for s in steps}
        if "any" in kinds or ("attribute" in kinds and (len(kinds) > 1 or len(steps) > 1)):
            mode = f"d{unit.index}"
            etree.SubElement(out, X + "apply-templates", select="/", mode=mode)
            self._walk(root, mode, [unit])
            return
        nsmap: dict[str, str] = {}
        tests: list[str] = []
        for step in sorted(steps, key=lambda s: (s.kind, s.name or "")):
            if step.kind == "root":
                continue
            if step.kind in ("text", "comment", "pi"):
                tests.append({"text": "text()", "comment": "comment()",
                              "pi": "processing-instruction()"}[step.kind])
                continue
            test = "*"
            if step.name is not None:
                uri, local = step.name[1:].split("}", 1)
                if uri:
                    prefix = self._prefix_for(uri)
                    nsmap[prefix] = uri
                    local = f"{prefix}:{local}"
                test = local
            tests.append(test)
        tests = list(dict.fromkeys(tests))
        # The root comes first in document order: applying it first keeps findings in order.
        if "root" in kinds:
            etree.SubElement(out, X + "apply-templates", select="/", mode=f"m{unit.index}")
        if not tests:
            return
        if "attribute" in kinds:
            select = f"/descendant-or-self::*/@{tests[0]}"
        elif len(tests) == 1:
            select = f"/descendant::{tests[0]}"
        else:
            only_elements = all(not t.endswith(")") for t in tests)
            select = (f"/descendant::{'*' if only_elements else 'node()'}"
                      f"[{' or '.join(f'self::{t}' for t in tests)}]")
        etree.SubElement(out, X + "apply-templates", nsmap=nsmap or None, select=select,
                         mode=f"m{unit.index}")

    # -- the walk ---------------------------------------------------------------------------------
    def _prefix_for(self, uri: str) -> str:
        prefix = self.names.get(uri)
        if prefix is None:
            prefix = f"n{len(self.names)}"
            self.names[uri] = prefix
        return prefix

    def _walk(self, root: etree._Element, mode: str, units: list[Unit]) -> None:
        by_kind: dict[str, list[Unit]] = {}
        by_name: dict[tuple[str, str], list[Unit]] = {}
        any_units: list[Unit] = []
        for unit in units:
            for step in self._steps(unit):
                if step.kind == "any":
                    any_units.append(unit)
                elif step.name is None or step.name.endswith("}*"):
                    by_kind.setdefault(step.kind, []).append(unit)
                else:
                    by_name.setdefault((step.kind, step.name), []).append(unit)
        any_set = set(u.index for u in any_units)

        def ordered(found: list[Unit]) -> list[Unit]:
            seen = {u.index: u for u in [*found, *any_units]}
            return [seen[i] for i in sorted(seen)]

        kinds = set(by_kind) | {k for k, _ in by_name}
        need_attr = bool(any_set) or "attribute" in kinds
        need_other = bool(any_set) or bool(kinds & {"text", "comment", "pi"})
        children = "node()" if need_other else "*"
        descend = f"@*|{children}" if need_attr else children

        def template(match: str, dispatch: list[Unit], recurse: bool, priority: str | None,
                     nsmap: dict[str, str] | None = None):
            t = etree.SubElement(root, X + "template", nsmap=nsmap, match=match, mode=mode)
            if priority is not None:
                t.set("priority", priority)
            for unit in dispatch:
                etree.SubElement(t, X + "apply-templates", select=".", mode=f"m{unit.index}")
            if recurse:
                etree.SubElement(t, X + "apply-templates", select=descend, mode=mode)
            return t

        template("/", ordered(by_kind.get("root", [])), True, None)
        template("*", ordered(by_kind.get("element", [])), True, "-1")
        for (kind, clark), found in sorted(by_name.items()):
            uri, local = clark[1:].split("}", 1)
            nsmap = None
            if uri:
                prefix = self._prefix_for(uri)
                nsmap = {prefix: uri}
                local = f"{prefix}:{local}"
            if kind == "element":
                template(local, ordered(found + by_kind.get("element", [])), True, "1", nsmap)
            elif kind == "attribute":
                template(f"@{local}", ordered(found + by_kind.get("attribute", [])), False, "1",
                         nsmap)
        if need_attr:
            template("@*", ordered(by_kind.get("attribute", [])), False, "-1")
        if need_other:
            template("text()", ordered(by_kind.get("text", [])), False, None)
            template("comment()", ordered(by_kind.get("comment", [])), False, None)
            template("processing-instruction()", ordered(by_kind.get("pi", [])), False, None)

    # -- a pattern's rules ----------------------------------------------------------------------
    def _unit(self, root: etree._Element, unit: Unit) -> None:
        mode = f"m{unit.index}"
        n = len(unit.rules)
        membership = any(xpath.variables(r.context) for r in unit.rules)
        if membership:
            self._membership_unit(root, unit)
            return
        for i, (rule, ri) in enumerate(zip(unit.rules, unit.rule_indexes, strict=True)):
            t = etree.SubElement(root, X + "template", nsmap=dict(rule.ns), match=rule.context,
                                 mode=mode, priority=str(n - i))
            self._rule_body(t, rule, ri)
        etree.SubElement(root, X + "template", match="/|@*|node()", mode=mode, priority="-1")

    def _membership_unit(self, root: etree._Element, unit: Unit) -> None:
        # XSLT 1.0 forbids variables in match patterns: test membership in a global node-set.
        mode = f"m{unit.index}"
        t = etree.SubElement(root, X + "template", match="/|@*|node()", mode=mode)
        choose = etree.SubElement(t, X + "choose")
        for rule, ri in zip(unit.rules, unit.rule_indexes, strict=True):
            var = f"cdcr-ctx-{ri}"
            # A context with a variable has no linear translation in general; XSLT 1.0 leaves
            # nothing else.
            select = (xpath.pattern_to_expression(rule.context)
                      or xpath.forward_expression(rule.context))
            etree.SubElement(root, X + "variable", nsmap=dict(rule.ns), name=var, select=select)
            when = etree.SubElement(choose, X + "when", nsmap=dict(rule.ns),
                                    test=f"count(.|${var}) = count(${var})")
            self._rule_body(when, rule, ri)

    def _rule_body(self, parent: etree._Element, rule: Rule, ri: int) -> None:
        for let in rule.lets:
            self._let(parent, let)
        if self.svrl:
            fired = etree.SubElement(parent, R + "r", r=str(ri))
            doc = etree.SubElement(fired, X + "attribute", name="d")
            etree.SubElement(doc, X + "value-of", select="cdcr:uri()")
        p_index = self.plan.rules[ri][0]
        pattern = self.plan.patterns[p_index]
        for a in rule.assertions:
            ai = len(self.plan.assertions)
            self.plan.assertions.append((ri, a))
            # The assertion's own namespaces: it may come from an included file with other sch:ns.
            nsmap = dict(a.ns) if a.ns != rule.ns else None
            if a.kind == "assert":
                choose = etree.SubElement(parent, X + "choose", nsmap=nsmap)
                etree.SubElement(choose, X + "when", test=a.test)
                body = etree.SubElement(choose, X + "otherwise")
            else:
                body = etree.SubElement(parent, X + "if", nsmap=nsmap, test=a.test)
            self._finding(body, rule, pattern, a, ai)

    def _finding(self, parent: etree._Element, rule: Rule, pattern: Pattern, a: Assertion,
                 ai: int) -> None:
        f = etree.SubElement(parent, R + "f", a=str(ai))
        subject = a.subject or rule.subject
        target = f"({subject})[1] | self::node()[not(({subject})[1])]" if subject else "."
        loc = etree.SubElement(f, X + "attribute", name="l")
        if pattern.documents:
            # Only an element of another document keeps its line on the way to Python.
            etree.SubElement(loc, X + "value-of",
                             select=f"cdcr:locate(({target})/ancestor-or-self::*[1], /*)")
            self._steps_of(f, target)
        else:
            etree.SubElement(loc, X + "value-of", select=f"cdcr:locate({target}, /*)")
        text = etree.SubElement(f, R + "t")
        self._message_content(text, etree.fromstring(a.text.content))
        for did in a.diagnostics:
            diag = _lookup(pattern.diagnostics, self.schema.diagnostics, did)
            self._reference(f, "d", diag, self.plan.diagnostics)
        for pid in a.properties:
            prop = _lookup(pattern.properties, self.schema.properties, pid)
            self._reference(f, "pr", prop, self.plan.properties)

    def _reference(self, f: etree._Element, tag: str, item, table: list) -> None:
        """A diagnostic or property of a finding: its index in the plan and its expanded text."""
        table.append(item)
        ref = etree.SubElement(f, R + tag, {R + "i": str(len(table) - 1)})
        self._message_content(ref, etree.fromstring(item.text.content))

    def _steps_of(self, f: etree._Element, target: str) -> None:
        # lxml hands an extension function a detached copy of a node from another document, so
        # for subordinate documents the stylesheet spells out the node's path, one step a line.
        steps = etree.SubElement(f, X + "attribute", name="x")
        each = etree.SubElement(steps, X + "for-each", select=f"({target})/ancestor-or-self::node()")
        choose = etree.SubElement(each, X + "choose")
        same = "[local-name() = local-name(current()) and namespace-uri() = namespace-uri(current())]"
        for test, value in (
            ("self::*", "concat('e ', namespace-uri(), ' ', local-name(), ' ', "
                        f"count(preceding-sibling::*{same}) + 1)"),
            ("self::text()", "concat('t ', count(preceding-sibling::text()) + 1)"),
            ("self::comment()", "concat('c ', count(preceding-sibling::comment()) + 1)"),
            ("self::processing-instruction()",
             "concat('p ', name(), ' ', count(preceding-sibling::processing-instruction()"
             "[name() = name(current())]) + 1)"),
            ("count(. | ../@*) = count(../@*)", "concat('a ', namespace-uri(), ' ', local-name())"),
        ):
            when = etree.SubElement(choose, X + "when", test=test)
            etree.SubElement(when, X + "value-of", select=value)
            etree.SubElement(when, X + "text").text = "\n"

    # -- human text -----------------------------------------------------------------------------
    def _text(self, parent: etree._Element, value: str | None) -> None:
        if value:
            etree.SubElement(parent, X + "text").text = value

    def _message_content(self, parent: etree._Element, holder: etree._Element) -> None:
        # Layout whitespace before the first and after the last child is not message text, and
        # an xsl:copy-of of attributes must come before any text.
        if len(holder):
            holder.text = holder.text if (holder.text or "").strip() else None
            last = holder[-1]
            last.tail = last.tail if (last.tail or "").strip() else None
        self._text(parent, holder.text)
        for child in holder:
            if not isinstance(child.tag, str):
                self._text(parent, child.tail)
                continue
            q = etree.QName(child)
            if q.namespace == SCH and q.localname == "value-of":
                etree.SubElement(parent, X + "value-of", nsmap=_nsmap(child),
                                 select=child.get("select", "."))
            elif q.namespace == SCH and q.localname == "name":
                # With @path, the value of that expression (as the public test suites read it).
                path = child.get("path")
                etree.SubElement(parent, X + "value-of", nsmap=_nsmap(child),
                                 select=path if path else "name()")
            elif q.namespace == SCH and q.localname in ("emph", "dir", "span"):
                el = etree.SubElement(parent, f"{{{SVRL}}}{q.localname}")
                # SVRL spells sch:dir's @value as svrl:dir/@dir.
                for attr, svrl_attr in (("class", "class"), ("value", "dir")):
                    if child.get(attr) is not None:
                        el.set(svrl_attr, _avt(child.get(attr)))
                self._message_content(el, child)
            elif q.namespace == XSL:
                if q.localname not in ALLOWED_XSL_IN_TEXT:
                    raise SchematronError(f"xsl:{q.localname} is not allowed in assertion text")
                copy_el = etree.fromstring(etree.tostring(child, with_tail=False))
                parent.append(copy_el)
            elif q.namespace == SCH:
                self._message_content(parent, child)
            else:
                self._literal_element(parent, child)
                self._text(parent, child.tail)
                continue
            self._text(parent, child.tail)

    def _literal_content(self, parent: etree._Element, holder: etree._Element) -> None:
        self._text(parent, holder.text)
        for child in holder:
            if isinstance(child.tag, str):
                self._literal_element(parent, child)
            self._text(parent, child.tail)

    def _literal_element(self, parent: etree._Element, el: etree._Element) -> None:
        # Built with xsl:element/xsl:attribute so nothing in it is executed or evaluated.
        q = etree.QName(el)
        new = etree.SubElement(parent, X + "element", name=_avt(q.localname),
                               namespace=_avt(q.namespace or ""))
        for name, value in el.attrib.items():
            aq = etree.QName(name)
            attr = etree.SubElement(new, X + "attribute", name=_avt(aq.localname),
                                    namespace=_avt(aq.namespace or ""))
            self._text(attr, value)
        self._literal_content(new, el)


def _nsmap(el: etree._Element) -> dict[str, str]:
    return {k: v for k, v in el.nsmap.items() if k is not None}


def _lookup(local, schema_level, ident):
    for item in local:
        if item.id == ident:
            return item
    for item in schema_level:
        if item.id == ident:
            return item
    raise SchematronError(f"no diagnostic or property with id {ident!r}")
