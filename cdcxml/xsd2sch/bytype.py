"""Full mode: one rule per named type (and per anonymous type), reached from every place it is used.

The checks on an element depend on its declaration and its type, not on where it sits, so each
distinct set of checks (a *variant*: a type, with what its declaration adds, such as nillable,
default and fixed values) is written once. Its rule's context says where elements take that
variant: their name, and, only where another variant shares the name, a test on their parent's
name (its parent's, and so on) telling them apart, the way the XSD does: a child's declaration
is decided by its parent's type and its own name. ``xsi:type`` tests tell apart the types one
declaration may take. Content no declaration validates (what a wildcard brings in unvalidated, a
name two particles share, content of any type) is kept out of every context by one guard on the
names of its ancestors, so elements there are never checked against a declaration they are not
validated by.

The payload's root elements get their rules in one pattern of their own, ``payload``, whose rules
match the root wherever it sits (the document's root or a SOAP Body's child): a document without
the payload fires no rule there. Every other pattern is optional: the type it checks may be absent
from a valid document.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .facets import is_builtin
from .names import local
from .rules import PLACEHOLDER, Content, Pattern, Rule, Walker

START = -1
MAX_DEPTH = 8


@dataclass(slots=True, eq=False)
class Variant:
    """The checks elements of one type (as some declarations use it) must pass, and where."""

    index: int
    decl: object  # the first declaration found that uses it
    type: object
    rule: Rule
    content: Content
    tt: str | None  # the xsi:type test, for a declaration with several candidate types
    cs: tuple | None  # which candidate set that test tells apart
    names: list[str] = field(default_factory=list)
    parents: dict[str, set[int]] = field(default_factory=dict)


class Builder:
    """Variants of every global element's content, their contexts, and the patterns."""

    def __init__(self, walker: Walker):
        self.walker = walker
        self.names = walker.names
        self.variants: list[Variant] = []
        self._by_key: dict[tuple, Variant] = {}
        self._of: dict[tuple[int, int], Variant] = {}
        self._queue: list[Variant] = []
        self._named: dict[str, list[Variant]] = {}
        self._memo: dict[tuple, str | None] = {}
        self.notes: list[str] = []

    # -- variants ------------------------------------------------------------------------------
    def _variant(self, decl, t, path: tuple[str, ...]) -> Variant:
        known = self._of.get((id(decl), id(t)))
        if known is not None:
            return known
        rule = Rule("", path, PLACEHOLDER)
        candidates = self.walker.candidates(decl)
        tt = cs = None
        if len(candidates) == 1:
            check = self.walker.xsi_type_check(decl, t, PLACEHOLDER)
            if check is not None:
                rule.checks.append(check)
        else:
            tt = self.walker.type_test(decl, t)
            cs = tuple(id(c) for c in candidates)
        found = self.walker.fill(rule, decl, t)
        key = (id(t), tt, cs, tuple((c.kind, c.test, c.message, c.subject) for c in rule.checks),
               tuple(sorted(rule.lets.items())))
        v = self._by_key.get(key)
        if v is None:
            v = Variant(len(self.variants), decl, t, rule, found, tt, cs)
            self._by_key[key] = v
            self.variants.append(v)
            self._queue.append(v)
        self._of[(id(decl), id(t))] = v
        if decl.name not in v.names:
            v.names.append(decl.name)
            self._named.setdefault(decl.name, []).append(v)
        return v

    def _reach(self, decl, parent: int, path: tuple[str, ...]) -> list[Variant]:
        found = []
        for t in self.walker.candidates(decl):
            v = self._variant(decl, t, path)
            v.parents.setdefault(decl.name, set()).add(parent)
            found.append(v)
        return found

    def walk(self, roots: list, others: list) -> list[Variant]:
        """Every variant reachable from any global element; those reachable from ``roots`` are
        returned, in the order they are first reached."""
        edges: dict[int, list[int]] = {}
        starts: list[int] = []
        for decl in [*roots, *[g for g in others if g not in roots]]:
            for v in self._reach(decl, START, (decl.name,)):
                if decl in roots:
                    starts.append(v.index)
            while self._queue:
                v = self._queue.pop(0)
                out = edges.setdefault(v.index, [])
                c = v.content
                for name, child in [*c.children.items(), *c.admitted.items()]:
                    for w in self._reach(child, v.index, v.rule.path + (name,)):
                        out.append(w.index)
        order: list[int] = []
        seen: set[int] = set()
        todo = list(starts)
        while todo:
            i = todo.pop(0)
            if i in seen:
                continue
            seen.add(i)
            order.append(i)
            todo.extend(edges.get(i, []))
        return [self.variants[i] for i in order]

    # -- contexts ------------------------------------------------------------------------------
    def _steps(self, goods: list[Variant], bads: list[Variant], depth: int, *, top: bool = False,
               use_tt: bool = True) -> list[tuple[str, list[str]]]:
        """Name tests with predicates that hold for elements of ``goods`` and for none of
        ``bads`` (in documents the XSD accepts, outside unvalidated content)."""
        out: list[tuple[str, list[str]]] = []
        names: list[str] = []
        for v in goods:
            names.extend(n for n in v.names if n not in names)
        for name in names:
            g = [v for v in goods if name in v.names]
            b = [w for w in bads if name in w.names and w not in g]
            groups: dict[tuple, list[Variant]] = {}
            for v in g:
                groups.setdefault((v.tt, v.cs) if use_tt and b else (None, None), []).append(v)
            for (tt, cs), members in groups.items():
                preds: list[str] = []
                rivals = b
                if tt is not None:
                    rivals = [w for w in b if not (w.cs == cs and w.tt != tt)]
                    if len(rivals) < len(b):
                        preds.append(tt)
                gp = set().union(*(v.parents.get(name, set()) for v in members))
                bp = set().union(*(w.parents.get(name, set()) for w in rivals))
                if top and START in gp:
                    gp.discard(START)  # the payload pattern checks the root
                    bp.add(START)
                if not gp:
                    continue
                if bp:
                    sub = None if gp & bp else self._parent(gp, bp, depth + 1)
                    if sub is None:
                        self._note(f"{local(name)} in some places (as "
                                   f"{self.label(members[0])}): not checked (its parents cannot "
                                   f"be told apart by name)")
                        continue
                    preds.append(sub)
                out.append((self.names.xpath(name), preds))
        return out

    def _parent(self, gp: set[int], bp: set[int], depth: int) -> str | None:
        """A test on an element: its parent is of a variant in ``gp`` and not in ``bp``."""
        key = (frozenset(gp), frozenset(bp))
        if key in self._memo:
            return self._memo[key]
        if depth > MAX_DEPTH:
            return None
        parts = []
        if START in gp:
            parts.append(self.walker.payload_root())
        goods = [self.variants[i] for i in sorted(gp - {START})]
        bads = [self.variants[i] for i in sorted(bp - {START})]
        if goods:
            for name, preds in self._steps(goods, bads, depth):
                parts.append(f"parent::{name}" + "".join(f"[{p}]" for p in preds))
        found = " or ".join(parts) if parts else None
        self._memo[key] = found
        return found

    def guard(self) -> str | None:
        """A test true outside content no declaration validates."""
        followed: dict[str, frozenset[str]] = {}
        for v in self.variants:
            c = v.content
            if not c.open:
                continue
            steps = set()
            for n in c.children:
                step = f"self::{self.names.xpath(n)}"
                if n in c.positions:
                    step += f"[count(preceding-sibling::*) = {c.positions[n] - 1}]"
                steps.add(step)
            steps.update(f"self::{self.names.xpath(n)}" for n in c.admitted)
            for q in v.names:
                followed[q] = frozenset(steps) & followed[q] if q in followed else frozenset(steps)
        if not followed:
            return None
        by_steps: dict[frozenset[str], list[str]] = {}
        for q, steps in followed.items():
            by_steps.setdefault(steps, []).append(q)
        clauses = []
        for steps, holders in by_steps.items():
            if not steps:
                clauses.extend(f"ancestor::{self.names.xpath(q)}" for q in holders)
                continue
            parents = " or ".join(f"parent::{self.names.xpath(q)}" for q in holders)
            clauses.append(f"ancestor-or-self::*[{parents}][not({' or '.join(sorted(steps))})]")
        return f"not({' or '.join(clauses)})"

    def context(self, goods: list[Variant], *, use_tt: bool = True, extra: str | None = None,
                guard: str | None = None) -> str:
        """The rule context for ``goods`` away from the payload's root, or '' for none."""
        bads = [w for v in goods for n in v.names for w in self._named[n] if w not in goods]
        bads = list(dict.fromkeys(bads))
        alts = []
        for name, preds in self._steps(goods, bads, 0, top=True, use_tt=use_tt):
            preds = [*preds, *([extra] if extra else []), *([guard] if guard else [])]
            alt = name + "".join(f"[{p}]" for p in preds)
            if alt not in alts:
                alts.append(alt)
        return " | ".join(alts)

    # -- patterns ------------------------------------------------------------------------------
    def label(self, v: Variant) -> str:
        t = v.type
        name = getattr(t, "name", None)
        if name and is_builtin(t):
            return f"xs-{local(name)}"
        if name:
            return local(name)
        return local(v.names[0])

    def patterns(self, roots: list) -> list[Pattern]:
        """The payload pattern, then one pattern per variant the roots reach."""
        reached = self.walk(roots, self.walker.globals)
        guard = self.guard()
        payload = Pattern("payload", id="payload",
                          comment="The payload's root, at the document's root or in a SOAP "
                                  "Body: a document without it fires no rule here.")
        ids: dict[int, str] = {}
        taken: set[str] = set()
        for v in reached:
            base = self.label(v)
            pid = base if base not in taken else f"{base}.{local(v.names[0])}"
            n = 1
            while pid in taken:
                n += 1
                pid = f"{base}-{n}"
            taken.add(pid)
            ids[v.index] = pid
        root = self.walker.payload_root()
        for decl in roots:
            variants = [self._of[(id(decl), id(t))] for t in self.walker.candidates(decl)]
            step = f"{self.names.xpath(decl.name)}[{root}]"
            for v in variants:
                context = f"{step}[{v.tt}]" if v.tt else step
                payload.rules.append(self._rule(v, context, ids[v.index], decl.name))
            if len(variants) > 1:
                fallback = Rule(step, (decl.name,), local(decl.name), f"{local(decl.name)}")
                fallback.checks.append(self.walker.xsi_type_fallback(decl, local(decl.name)))
                payload.rules.append(fallback)
        out = [payload]
        fallbacks: dict[tuple, list[Variant]] = {}
        for v in reached:
            if v.cs is not None:
                fallbacks.setdefault(v.cs, []).append(v)
        for v in reached:
            context = self.context([v], guard=guard)
            if not context:
                continue
            names = ", ".join(dict.fromkeys(local(n) for n in v.names))
            what = (f"type {local(v.type.name)}" if getattr(v.type, "name", None)
                    else f"the type declared in {local(v.names[0])}")
            pattern = Pattern(v.names[0], id=ids[v.index], optional=True,
                              comment=f"{what}: {names}")
            pattern.rules.append(self._rule(v, context, ids[v.index]))
            group = fallbacks.pop(v.cs, None) if v.cs is not None else None
            if group:
                tests = "".join(f"[not({w.tt})]" for w in group)
                where = self.context(group, use_tt=False, extra=tests[1:-1], guard=guard)
                if where:
                    label = local(v.names[0])
                    rule = Rule(where, v.rule.path, label, ids[v.index])
                    rule.checks.append(self.walker.xsi_type_fallback(v.decl, label))
                    pattern.rules.append(rule)
            out.append(pattern)
        for v in reached:
            for note in v.rule.notes:
                if note not in self.notes:
                    self.notes.append(note)
        return out

    def _rule(self, v: Variant, context: str, stem: str, name: str | None = None) -> Rule:
        labels = {local(n) for n in ([name] if name else v.names)}
        label = labels.pop() if len(labels) == 1 else None
        checks = [c if label is None else dataclasses.replace(
            c, message=c.message.replace(PLACEHOLDER, label)) for c in v.rule.checks]
        return Rule(context, v.rule.path, label or PLACEHOLDER, stem, checks, dict(v.rule.lets),
                    list(v.rule.notes))

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

