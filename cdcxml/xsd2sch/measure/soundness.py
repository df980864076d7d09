"""How sound and how complete a generated contract is, measured against its XSD.

Valid documents come from the instance generator; invalid ones are *mutants* of them, one kind of
change at a time (a required element removed, a value pushed past its bound...). A document counts
as valid when both xmlschema and libxml2 accept it, and as invalid when both reject it; where the two
validators disagree the document is left out. Soundness: no valid document may fail the contract.
Completeness: the share of invalid mutants, per kind, that the contract flags. Sibling order and
unexpected extra elements are changes the contract deliberately ignores; they are measured and
shown apart.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from lxml import etree
from xmlschema.validators import XsdElement

from ... import xmlio
from ...errors import UnsafeXMLError
from ...fsutil import within
from ...xsd import Xsd
from ..facets import (
    enumeration_values,
    facet_of,
    family,
    is_builtin,
    length_bounds,
    range_bounds,
    restriction_steps,
)
from ..names import XSI
from .instances import GenerationError, Generator, Instance

NOT_CHECKED_BY_DESIGN = ("order", "unexpected element")


@dataclass(slots=True)
class KindStats:
    """Counts for one kind of change."""

    invalid: int = 0
    flagged: int = 0
    valid: int = 0
    false_alarms: int = 0
    disputed: int = 0


@dataclass(slots=True)
class Soundness:
    """Everything one measurement found."""

    schema: str
    documents: int = 0
    false_alarms: list[str] = field(default_factory=list)
    kinds: dict[str, KindStats] = field(default_factory=dict)
    disputed: int = 0

    def kind(self, name: str) -> KindStats:
        """The counters of one kind (created on first use)."""
        return self.kinds.setdefault(name, KindStats())

    @property
    def covered(self) -> tuple[int, int]:
        """(flagged, invalid) over the kinds of change the contract is meant to catch."""
        flagged = sum(k.flagged for n, k in self.kinds.items() if n not in NOT_CHECKED_BY_DESIGN)
        invalid = sum(k.invalid for n, k in self.kinds.items() if n not in NOT_CHECKED_BY_DESIGN)
        return flagged, invalid


@dataclass(frozen=True, slots=True)
class Mutant:
    """A changed copy of a valid document and the kind of change."""

    kind: str
    tree: etree._ElementTree
    detail: str
    node: tuple[int, ...] = ()


class SecondOpinion:
    """libxml2's verdict on documents, with schema files read only from the schema's folder."""

    def __init__(self, path: Path):
        folder = path.resolve().parent

        class _Local(etree.Resolver):
            def resolve(self, url, pubid, context):
                target = Path(url.removeprefix("file://")).resolve()
                if not within(target, folder):
                    # Never None: libxml2 would then read the file itself.
                    raise UnsafeXMLError(f"schema reference to {target} refused: outside the "
                                         "schema's folder")
                data = xmlio.read_bytes(target)
                xmlio.parse_bytes(data, str(target))
                return self.resolve_string(data, context, base_url=target.as_uri())

        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        parser.resolvers.add(_Local())
        data = xmlio.read_bytes(path)
        xmlio.parse_bytes(data, str(path))
        tree = etree.fromstring(data, parser, base_url=path.resolve().as_uri()).getroottree()
        self.schema = etree.XMLSchema(tree)

    def valid(self, tree: etree._ElementTree) -> bool:
        """True when libxml2 accepts the document."""
        return bool(self.schema.validate(tree))


class Mutator:
    """Makes mutants of generated documents."""

    def __init__(self, generator: Generator, xsd: Xsd, rnd: random.Random):
        self.gen = generator
        self.xsd = xsd
        self.rnd = rnd

    def mutants(self, inst: Instance) -> list[Mutant]:
        """One mutant of each kind that applies to ``inst``."""
        out = []
        for make in (self._remove, self._duplicate, self._add_child, self._remove_attribute,
                     self._element_value, self._attribute_value, self._nil, self._xsi_type,
                     self._text, self._order, self._unexpected):
            try:
                mutant = make(inst)
            except GenerationError:
                mutant = None
            if mutant is not None:
                out.append(mutant)
        return out

    # -- helpers --------------------------------------------------------------------------------
    def _copy(self, inst: Instance) -> etree._ElementTree:
        return copy.deepcopy(inst.tree)

    @staticmethod
    def _at(tree: etree._ElementTree, where: tuple[int, ...]) -> etree._Element:
        el = tree.getroot()
        for i in where:
            el = [c for c in el if isinstance(c.tag, str)][i]
        return el

    def _pick(self, inst: Instance, want: Callable[[tuple, object, object], bool]):
        options = [(w, d, t) for w, (d, t) in inst.info.items() if want(w, d, t)]
        return self.rnd.choice(options) if options else None

    # -- kinds of change ------------------------------------------------------------------------
    def _remove(self, inst):
        pick = self._pick(inst, lambda w, d, t: len(w) > 0)
        if pick is None:
            return None
        tree = self._copy(inst)
        el = self._at(tree, pick[0])
        _detach(el)
        return Mutant("missing element", tree, f"removed {el.tag}", pick[0])

    def _duplicate(self, inst):
        pick = self._pick(inst, lambda w, d, t: len(w) > 0)
        if pick is None:
            return None
        tree = self._copy(inst)
        el = self._at(tree, pick[0])
        twin = copy.deepcopy(el)
        twin.tail = el.tail
        el.addnext(twin)
        return Mutant("too many", tree, f"duplicated {el.tag}", pick[0])

    def _add_child(self, inst):
        def has_children(w, d, t):
            return t.is_complex() and not t.has_simple_content() and t.content is not None \
                and any(isinstance(e, XsdElement) for e in t.content.iter_elements())
        pick = self._pick(inst, has_children)
        if pick is None:
            return None
        where, _, t = pick
        decls = []
        for e in t.content.iter_elements():
            if not isinstance(e, XsdElement):
                continue
            head = e.ref if getattr(e, "ref", None) is not None else e
            if not head.abstract:
                decls.append(head)
            decls.extend(s for s in head.iter_substitutes() if not s.abstract)
        decl = self.rnd.choice(decls)
        child = self.gen.element(decl, 1, {}, ())
        base = self._copy(inst)
        parent = self._at(base, where)
        slots = len([c for c in parent if isinstance(c.tag, str)]) + 1
        chosen = None
        for slot in range(slots):
            tree = copy.deepcopy(base)
            p = self._at(tree, where)
            _insert(p, slot, copy.deepcopy(child))
            chosen = tree
            if self.xsd.schema.is_valid(tree):
                break
        return Mutant("added child", chosen, f"added {decl.name} to {parent.tag}", where)

    def _remove_attribute(self, inst):
        tree = self._copy(inst)
        options = [(el, name) for el in tree.iter() if isinstance(el.tag, str)
                   for name in el.attrib if not name.startswith(f"{{{XSI}}}")]
        if not options:
            return None
        el, name = self.rnd.choice(options)
        del el.attrib[name]
        return Mutant("missing attribute", tree, f"removed @{name} of {el.tag}")

    def _element_value(self, inst):
        def simple(w, d, t):
            return t.is_simple() or t.has_simple_content()
        pick = self._pick(inst, simple)
        if pick is None:
            return None
        where, _, t = pick
        st = t if t.is_simple() else t.content
        tree = self._copy(inst)
        el = self._at(tree, where)
        if el.get(f"{{{XSI}}}nil") is not None:
            return None
        el.text = self._near_miss(st, (el.text or "").strip())
        return Mutant("value", tree, f"{el.tag} = {el.text!r}", where)

    def _attribute_value(self, inst):
        options = []
        for where, (_, t) in inst.info.items():
            if not t.is_complex():
                continue
            for name, attr in t.attributes.items():
                if name is not None and attr.use != "prohibited":
                    options.append((where, name, attr))
        if not options:
            return None
        where, name, attr = self.rnd.choice(options)
        tree = self._copy(inst)
        el = self._at(tree, where)
        el.set(name, self._near_miss(attr.type, (el.get(name) or "").strip()))
        return Mutant("value", tree, f"@{name} = {el.get(name)!r}", where)

    def _nil(self, inst):
        pick = self._pick(inst, lambda w, d, t: True)
        tree = self._copy(inst)
        el = self._at(tree, pick[0])
        el.set(f"{{{XSI}}}nil", "true")
        if self.rnd.random() < 0.5:
            for c in list(el):
                el.remove(c)
            el.text = None
        return Mutant("xsi:nil", tree, f"xsi:nil on {el.tag}", pick[0])

    def _xsi_type(self, inst):
        pick = self._pick(inst, lambda w, d, t: True)
        names = [t.name for t in self.xsd.schema.maps.types.values() if getattr(t, "name", None)
                 and (not is_builtin(t) or t.name.endswith(("}string", "}int", "}anyType")))]
        name = self.rnd.choice(names)
        tree = self._copy(inst)
        el = self._at(tree, pick[0])
        ns, _, local = name[1:].partition("}")
        prefix = next((p for p, u in tree.getroot().nsmap.items() if u == ns and p), None)
        if prefix is None:
            return None
        el.set(f"{{{XSI}}}type", f"{prefix}:{local}")
        return Mutant("xsi:type", tree, f"xsi:type {name} on {el.tag}", pick[0])

    def _text(self, inst):
        def element_only(w, d, t):
            return t.is_complex() and not t.has_simple_content() and not t.mixed
        pick = self._pick(inst, element_only)
        if pick is None:
            return None
        tree = self._copy(inst)
        el = self._at(tree, pick[0])
        el.text = (el.text or "") + "stray text"
        return Mutant("text", tree, f"text in {el.tag}", pick[0])

    def _order(self, inst):
        tree = self._copy(inst)
        pairs = []
        for el in tree.iter():
            kids = [c for c in el if isinstance(c.tag, str)]
            pairs.extend((a, b) for a, b in zip(kids, kids[1:], strict=False) if a.tag != b.tag)
        if not pairs:
            return None
        a, b = self.rnd.choice(pairs)
        a.addprevious(b)
        return Mutant("order", tree, f"swapped {a.tag} and {b.tag}")

    def _unexpected(self, inst):
        pick = self._pick(inst, lambda w, d, t: t.is_complex() and not t.has_simple_content())
        if pick is None:
            return None
        tree = self._copy(inst)
        el = self._at(tree, pick[0])
        ns = el.tag[1:].partition("}")[0] if el.tag.startswith("{") else ""
        extra = etree.SubElement(el, f"{{{ns}}}Unexpected" if ns else "Unexpected")
        extra.text = "x"
        return Mutant("unexpected element", tree, f"Unexpected in {el.tag}", pick[0])

    # -- values a validator must refuse --------------------------------------------------------
    def _near_miss(self, st, valid: str) -> str:
        candidates = ["", "abc"]
        fam = family(st)
        if st.is_list():
            candidates += [valid + " " + (valid.split() or ["x"])[0], valid + " !x"]
        elif st.is_union():
            candidates += ["zzz", "-5", valid + "x"]
        else:
            steps = list(restriction_steps(st, lambda t: False))
            candidates += self._numeric_misses(steps, fam, valid)
            candidates += self._string_misses(steps, fam, valid)
        return self.rnd.choice([c for c in candidates if c != valid] or ["abc"])

    def _numeric_misses(self, steps, fam: str, valid: str) -> list[str]:
        out = []
        if fam in ("integer", "decimal", "double", "float"):
            lows, highs = range_bounds(steps)
            step = Decimal(1) if fam == "integer" else Decimal("0.01")
            for value, _ in highs:
                out += [_plain(value + step), _plain(value)]
            for value, _ in lows:
                out += [_plain(value - step), _plain(value)]
            out += ["1.5" if fam == "integer" else "1e3", "+-1", "1.2.3"]
            fraction = facet_of(steps[0], "fractionDigits") if steps else None
            if fraction is not None and fam == "decimal":
                out.append("1." + "1" * (fraction.value + 1))
            total = next((facet_of(t, "totalDigits") for t in steps if facet_of(t, "totalDigits")),
                         None)
            if total is not None:
                out.append("1" * (total.value + 1))
        elif fam == "boolean":
            out += ["yes", "TRUE", "2"]
        elif fam == "date":
            out += ["2021-02-29", "2020-13-01", "2020-1-01", "2020-04-31", "2020-01-01+15:00",
                    "0000-01-01"]
        elif fam == "dateTime":
            out += ["2020-01-01", "2020-01-01T25:00:00", "2020-01-01T12:60:00",
                    "2020-02-30T00:00:00", "2020-01-01T24:00:01"]
        elif fam == "time":
            out += ["25:00:00", "12:00", "24:00:01", "12:00:00."]
        elif fam == "hexBinary":
            out += ["ABC", "GG", valid + "0A", valid[:-2]]
        return out

    def _string_misses(self, steps, fam: str, valid: str) -> list[str]:
        out = []
        lo, hi = length_bounds(steps)
        if hi is not None:
            out.append((valid or "x") + "x" * (hi + 1 - len(valid or "x")))
        if lo:
            out.append(valid[: lo - 1] if len(valid) >= lo else "x" * (lo - 1))
        if enumeration_values(steps):
            out += [valid.upper() if valid.upper() != valid else valid.lower(), valid + "x", "zzz"]
        if any(facet_of(t, "pattern") is not None for t in steps if not is_builtin(t)) and valid:
            i = self.rnd.randrange(len(valid))
            out += [valid[:i] + self.rnd.choice("#aZ9 ") + valid[i + 1:],
                    valid[:i] + valid[i + 1:], valid[:i] + "7" + valid[i:]]
        if fam in ("NCName", "Name", "NMTOKEN"):
            out += ["1abc", "a b", "a:b" if fam == "NCName" else "a b"]
        if fam == "language":
            out += ["toolonglanguage", "en--gb", "-en"]
        return out


def _plain(value: Decimal) -> str:
    return format(value, "f")


def _detach(el: etree._Element) -> None:
    parent = el.getparent()
    previous = el.getprevious()
    if el.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _insert(parent: etree._Element, slot: int, child: etree._Element) -> None:
    kids = [c for c in parent if isinstance(c.tag, str)]
    if slot < len(kids):
        kids[slot].addprevious(child)
    else:
        parent.append(child)


def classify(xsd: Xsd, tree: etree._ElementTree) -> str:
    """Which facet or rule xmlschema's first error on a value mutant is about."""
    for err in xsd.schema.iter_errors(tree):
        validator = err.validator
        name = type(validator).__name__
        owner = getattr(validator, "parent", None)
        if "Enumeration" in name:
            return "enumeration"
        if "Pattern" in name:
            return "lexical" if owner is not None and is_builtin(owner) else "pattern"
        if "Length" in name:
            return "length"
        if "Inclusive" in name or "Exclusive" in name:
            return "range"
        if "Digits" in name:
            return "digits"
        if name in ("XsdList",) or (hasattr(validator, "is_list") and validator.is_list()):
            return "list"
        if hasattr(validator, "is_union") and validator.is_union():
            return "union"
        if "fixed" in (err.reason or ""):
            return "fixed"
        if "Attribute" in name or "Element" in name or "Group" in name:
            return "structure"
        return "lexical"
    return "lexical"


def measure(xsd: Xsd, contract, *, documents: int = 100, seed: int = 0,
            second: SecondOpinion | None = None, mutants: bool = True) -> Soundness:
    """Generate ``documents`` valid documents and their mutants, and run ``contract`` on all."""
    rnd = random.Random(seed)
    gen = Generator(xsd.schema, rnd)
    mutator = Mutator(gen, xsd, rnd)
    second = second or SecondOpinion(xsd.path)
    result = Soundness(xsd.path.name)

    def verdict(tree) -> bool | None:
        try:
            a = xsd.schema.is_valid(tree)
        except Exception:  # noqa: BLE001 - a validator that breaks has no verdict
            return None
        b = second.valid(tree)
        return a if a == b else None

    made = 0
    while result.documents < documents and made < documents * 3:
        made += 1
        inst = gen.document()
        if verdict(inst.tree) is not True:
            continue
        result.documents += 1
        report = contract.validate(inst.tree)
        if not report.valid:
            result.false_alarms.append(f"{report.failures[0].id}: {report.failures[0].message}")
        if not mutants:
            continue
        for m in mutator.mutants(inst):
            ok = verdict(m.tree)
            kind = m.kind
            if kind == "value":
                kind = f"value: {classify(xsd, m.tree)}" if ok is False else "value: still valid"
            stats = result.kind(kind)
            if ok is None:
                stats.disputed += 1
                result.disputed += 1
                continue
            flagged = not contract.validate(m.tree).valid
            if ok:
                stats.valid += 1
                if flagged:
                    stats.false_alarms += 1
                    result.false_alarms.append(f"{kind} mutant ({m.detail})")
            else:
                stats.invalid += 1
                stats.flagged += int(flagged)
    return result
