"""Content models (sequence, choice, all, occurrences) as counts XPath 1.0 can check.

Sibling order is deliberately not checked, so a content model is read as a constraint on how many
of each child an element holds. Every constraint written is implied by the model: a child name
that two particles could match, or that a wildcard could also match, gives only a lower bound;
an optional group's requirements hold only once one of its own children is present; a repeated
group gives only per-name ranges. Documents the XSD accepts therefore always pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xmlschema.validators import XsdAnyElement, XsdGroup

from .names import Names, local
from .occurs import add as add_bounds
from .occurs import mul as mul_bounds

_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


@dataclass(frozen=True, slots=True)
class Particle:
    """A particle of a content model: an element (with its substitutes), a wildcard or a group."""

    kind: str  # "element", "any", "sequence", "choice" or "all"
    lo: int
    hi: int | None
    names: tuple[str, ...] = ()
    decls: tuple = ()
    children: tuple[Particle, ...] = ()
    wildcard: object = None


@dataclass(frozen=True, slots=True)
class ContentCheck:
    """A count constraint on an element's children."""

    kind: str
    test: str
    message: str
    subject: tuple[str, ...]
    hint: str


@dataclass(slots=True)
class ContentModel:
    """What a complex type's content model lets us check, and which children we can follow."""

    checks: list[ContentCheck] = field(default_factory=list)
    children: dict[str, object] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)
    admitted: dict[str, object] = field(default_factory=dict)
    unfollowed: list[str] = field(default_factory=list)
    open: bool = False


def particle_of(xp) -> Particle | None:
    """Our view of an xmlschema particle (None for a particle that admits nothing)."""
    lo = xp.min_occurs
    hi = xp.max_occurs
    if hi == 0:
        return None
    if isinstance(xp, XsdGroup):
        children = tuple(p for p in (particle_of(c) for c in xp) if p is not None)
        return Particle(xp.model, lo, hi, children=children)
    if isinstance(xp, XsdAnyElement):
        return Particle("any", lo, hi, wildcard=xp)
    head = xp.ref if getattr(xp, "ref", None) is not None else xp
    decls = []
    if not head.abstract:
        decls.append(head)
    if xp.ref is not None:
        blocked = "substitution" in (head.block or "")
        if not blocked:
            decls.extend(s for s in head.iter_substitutes() if not s.abstract)
    names = tuple(d.name for d in decls)
    return Particle("element", lo, hi, names=names, decls=tuple(decls))




class _Analysis:
    def __init__(self, root: Particle, owner: str, names: Names, global_elements=()):
        self.owner = owner
        self.root = root
        self.global_elements = global_elements
        self.names = names
        self.out = ContentModel()
        self.elements: list[Particle] = []
        self.wildcards: list[Particle] = []
        self._collect(root)
        seen: dict[str, int] = {}
        for p in self.elements:
            for n in p.names:
                seen[n] = seen.get(n, 0) + 1
        self.ambiguous = {n for n, c in seen.items() if c > 1}
        for w in self.wildcards:
            for n in seen:
                if w.wildcard.is_matching(n):
                    self.ambiguous.add(n)
        self._children(seen)
        # A child no declaration here follows: what a wildcard brings in without validating it
        # against a global declaration, or a name two particles share.
        self.out.open = bool(self.out.unfollowed) or any(
            w.wildcard.process_contents != "strict" for w in self.wildcards)
        self._emit(root, None)

    def _collect(self, p: Particle) -> None:
        if p.kind == "element":
            self.elements.append(p)
        elif p.kind == "any":
            self.wildcards.append(p)
        for c in p.children:
            self._collect(c)

    def _children(self, seen: dict[str, int]) -> None:
        pinned = self._pinned()
        for p in self.elements:
            for name, decl in zip(p.names, p.decls, strict=True):
                if name in self.ambiguous:
                    if id(p) in pinned and len(p.names) == 1:
                        self.out.children[name] = decl
                        self.out.positions[name] = pinned[id(p)]
                    elif name not in self.out.unfollowed:
                        self.out.unfollowed.append(name)
                    continue
                self.out.children[name] = decl
        # An undeclared name a lax or strict wildcard admits is validated against its global
        # declaration, wherever it appears here.
        skipping = [w.wildcard for w in self.wildcards if w.wildcard.process_contents == "skip"]
        for w in self.wildcards:
            if w.wildcard.process_contents == "skip":
                continue
            for g in self.global_elements:
                if g.name not in seen and w.wildcard.is_matching(g.name) \
                        and g.name not in self.out.children \
                        and not any(x.is_matching(g.name) for x in skipping):
                    self.out.admitted[g.name] = g

    def _pinned(self) -> dict[int, int]:
        """Element particles that always match the child at a known position (1-based)."""
        root = self.root
        if root.kind != "sequence" or (root.lo, root.hi) != (1, 1):
            return {}
        found = {}
        position = 1
        for p in root.children:
            if p.kind != "element" or p.lo != p.hi:
                break
            if p.lo == 1:
                found[id(p)] = position
            position += p.lo
        return found

    # -- words and XPath -----------------------------------------------------------------------
    def _label(self, names) -> str:
        labels = sorted({local(n) for n in names})
        if len(labels) == 1:
            return labels[0]
        return ", ".join(labels[:-1]) + " or " + labels[-1]

    def _union(self, names) -> str:
        return " | ".join(self.names.xpath(n) for n in names)

    def _count(self, p: Particle) -> str:
        return f"count({self._union(p.names)})"

    def _present(self, p: Particle) -> list[str]:
        """Names whose presence proves ``p`` was taken (its own, unambiguous names)."""
        names: list[str] = []
        for e in self._elements_in(p):
            names.extend(n for n in e.names if n not in self.ambiguous and n not in names)
        return names

    def _elements_in(self, p: Particle):
        if p.kind == "element":
            yield p
        for c in p.children:
            yield from self._elements_in(c)

    def _presence(self, names: list[str]) -> str:
        return " or ".join(self.names.xpath(n) for n in names)

    def _add(self, kind: str, test: str, message: str, subject, hint: str) -> None:
        self.out.checks.append(ContentCheck(kind, test, message, tuple(subject), hint))

    # -- the constraints ----------------------------------------------------------------------
    def _emit(self, p: Particle, guard: list[str] | None, unknown: bool = False) -> None:
        """Constraints of ``p``; ``guard`` names prove it was taken, ``unknown``: nothing does."""
        if p.kind == "any" or (p.kind == "element" and not p.names):
            return
        if p.kind == "element":
            self._element(p, guard, unknown)
            return
        if p.hi is None or p.hi > 1:
            self._repeated(p, guard, unknown)
            return
        inner_guard, inner_unknown = guard, unknown
        if p.lo == 0:
            present = self._present(p)
            inner_guard, inner_unknown = (present, False) if present else (None, True)
        if p.kind in ("sequence", "all"):
            for c in p.children:
                self._emit(c, inner_guard, inner_unknown)
        else:
            self._choice(p, inner_guard, inner_unknown)

    def _element(self, p: Particle, guard: list[str] | None, unknown: bool) -> None:
        label = self._label(p.names)
        count = self._count(p)
        ambiguous = any(n in self.ambiguous for n in p.names)
        lo = p.lo if not unknown else 0
        hi = None if ambiguous else p.hi
        if guard and lo <= 1:
            # Holding one of its own names already meets a lower bound of one.
            guard = [g for g in guard if g not in p.names]
            if not guard:
                lo = 0
        if guard and lo:
            cond = self._presence(guard)
            self._add("occurs", f"not({cond}) or {count} >= {lo}",
                      f"{self.owner} must contain {_at_least(lo)} {label} when it contains "
                      f"{self._label(guard)}", p.names, f"{label}-count")
            lo = 0
        if not lo and hi is None:
            return
        if lo and hi is not None and lo == hi:
            test, qty = f"{count} = {lo}", f"exactly {_word(lo)}"
        elif lo and hi is not None:
            test, qty = f"{count} >= {lo} and {count} <= {hi}", f"between {lo} and {hi}"
        elif lo:
            test = f"{count} >= {lo}" if lo > 1 else self._presence(list(p.names))
            qty = _at_least(lo)
        else:
            test, qty = f"{count} <= {hi}", f"at most {_word(hi)}"
        self._add("occurs", test, f"{self.owner} must contain {qty} {label}", p.names,
                  f"{label}-count")

    def _choice(self, p: Particle, guard: list[str] | None, unknown: bool) -> None:
        branches = [(c, self._present(c)) for c in p.children]
        known = [(c, names) for c, names in branches if names]
        labels = ["/".join(dict.fromkeys(local(n) for n in names)) for _, names in known]
        subject = [n for _, names in known for n in names]
        nullable = any(_nullable(c) for c in p.children) or len(known) < len(branches)
        need_one = not unknown and not nullable and bool(known)
        if guard and set(guard) <= set(subject):
            need_one = False  # present because one of its own children is
        if len(known) >= 2:
            taken = " + ".join(f"number(boolean({self._union(names)}))" for _, names in known)
            shown = ", ".join(labels)
            if need_one and not guard:
                self._add("choice", f"{taken} = 1",
                          f"{self.owner} must contain exactly one of: {shown}", subject,
                          "choice")
                need_one = False
            else:
                self._add("choice", f"{taken} <= 1",
                          f"{self.owner} must not contain more than one of: {shown}", subject,
                          "choice")
        if need_one:
            test = self._presence(subject)
            shown = " or ".join(labels)
            if guard:
                self._add("choice", f"not({self._presence(guard)}) or {test}",
                          f"{self.owner} must contain {shown} when it contains "
                          f"{self._label(guard)}", subject, "choice")
            else:
                self._add("choice", test, f"{self.owner} must contain {shown}", subject, "choice")
        for c, names in branches:
            if names:
                self._emit(c, names)
            else:
                self._emit(c, None, True)

    def _repeated(self, p: Particle, guard: list[str] | None, unknown: bool) -> None:
        for e in self._elements_in(p):
            if any(n in self.ambiguous for n in e.names):
                continue
            once_lo, once_hi = _range_in(p, e, once=True)
            hi = mul_bounds(p.hi, once_hi)
            lo = 0 if unknown else p.lo * once_lo
            label = self._label(e.names)
            count = self._count(e)
            if hi is not None:
                self._add("occurs", f"{count} <= {hi}",
                          f"{self.owner} must contain at most {_word(hi)} {label}", e.names,
                          f"{label}-count")
            if lo:
                if guard:
                    self._add("occurs", f"not({self._presence(guard)}) or {count} >= {lo}",
                              f"{self.owner} must contain {_at_least(lo)} {label} when it "
                              f"contains {self._label(guard)}", e.names, f"{label}-count")
                else:
                    self._add("occurs", f"{count} >= {lo}",
                              f"{self.owner} must contain {_at_least(lo)} {label}", e.names,
                              f"{label}-count")
            elif once_lo and p.lo == 0:
                present = self._present(p)
                if present and not set(e.names) >= set(present):
                    self._add("occurs", f"not({self._presence(present)}) or {count} >= {once_lo}",
                              f"{self.owner} must contain {_at_least(once_lo)} {label} when it "
                              f"contains {self._label(present)}", e.names, f"{label}-count")


def _range_in(p: Particle, target: Particle, *, once: bool = False) -> tuple[int, int | None]:
    """How many times ``target`` occurs within one (``once``) or all occurrences of ``p``."""
    if p is target:
        lo, hi = 1, 1
    elif p.kind in ("element", "any"):
        return 0, 0
    elif p.kind == "choice":
        ranges = [_range_in(c, target) for c in p.children]
        lo = min((r[0] for r in ranges), default=0)
        hi = 0
        for r in ranges:
            hi = None if hi is None or r[1] is None else max(hi, r[1])
    else:
        lo, hi = 0, 0
        for c in p.children:
            r = _range_in(c, target)
            lo += r[0]
            hi = add_bounds(hi, r[1])
    if once:
        return lo, hi
    return p.lo * lo, mul_bounds(p.hi, hi)


def _nullable(p: Particle) -> bool:
    if p.lo == 0:
        return True
    if p.kind in ("element",):
        return False
    if p.kind == "any":
        return False
    if p.kind == "choice":
        return any(_nullable(c) for c in p.children) or not p.children
    return all(_nullable(c) for c in p.children)


def _word(n: int) -> str:
    return _WORDS.get(n, str(n))


def _at_least(n: int) -> str:
    return "at least one" if n == 1 else f"at least {n}"


def analyse(group, owner: str, names: Names, global_elements=()) -> ContentModel:
    """The checks a complex type's content model (an xmlschema group) allows, as seen from
    an element labelled ``owner``; ``global_elements`` are those wildcards may bring in."""
    root = particle_of(group)
    if root is None:
        return ContentModel()
    return _Analysis(root, owner, names, global_elements).out


__all__ = ["ContentCheck", "ContentModel", "Particle", "analyse", "particle_of"]
