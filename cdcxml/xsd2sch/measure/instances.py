"""Random documents shaped by an XSD: the valid instances soundness is measured on.

The generator follows the schema's own components: occurrences, choices, ``xs:all`` in any order,
substitution groups, ``xsi:type`` with derived types, ``xsi:nil``, wildcards (including names that
clash with declared siblings), and values of every simple type in the lexical forms a validator
must accept (signs, leading and trailing zeros, exponents, time zones, collapsed whitespace).
Every simple value is checked with xmlschema before use; whole documents are judged by the
caller's validators, so a document that still comes out invalid is simply not counted as valid.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree
from xmlschema.validators import XsdAnyElement, XsdElement, XsdGroup

from ..facets import (
    XS,
    enumeration_values,
    facet_of,
    family,
    is_builtin,
    length_bounds,
    range_bounds,
    restriction_steps,
)
from ..names import XSI

try:  # Python 3.11+ keeps the regex parser here
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

from elementpath.regex import translate_pattern

_TEXT = "abcXYZ019 -_.,;:!?&<>'\"éßΩ中٣"
_NAME_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_éÅ"
_NAME_REST = _NAME_START + "0123456789-."
_LANGUAGES = ["en", "en-GB", "fr", "de-CH-1901", "x-klingon", "zh-Hant-TW", "i-default"]


class GenerationError(ValueError):
    """The generator could not make a value or element the schema accepts."""


@dataclass(slots=True)
class Instance:
    """A generated document, and for each element (by child-index path) its declaration and type."""

    tree: etree._ElementTree
    info: dict[tuple[int, ...], tuple] = field(default_factory=dict)


def _xml_char(ch: str) -> bool:
    cp = ord(ch)
    return cp in (0x9, 0xA, 0xD) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD or (
        0x10000 <= cp <= 0x10FFFF)


class Generator:
    """Makes random documents for one schema."""

    def __init__(self, schema, rnd: random.Random, *, max_depth: int = 5):
        self.schema = schema
        self.rnd = rnd
        self.max_depth = max_depth
        self._ids = 0
        self._types = [t for t in schema.maps.types.values()
                       if t.is_complex() and getattr(t, "name", None) and not is_builtin(t)]
        self._regex_cache: dict[str, object] = {}
        self.nsmap: dict[str, str] = {}

    # -- documents -----------------------------------------------------------------------------
    def roots(self) -> list:
        """The global elements a document may start with."""
        return [e for e in self.schema.elements.values() if not e.abstract]

    def document(self, root=None) -> Instance:
        """A random document rooted at ``root`` (a global element; random if None)."""
        decl = root or self.rnd.choice(self.roots())
        self._ids = 0
        self.nsmap = {"xsi": XSI, "xs": XS}
        for i, ns in enumerate(sorted(self._namespaces())):
            self.nsmap[f"n{i}"] = ns
        info: dict[tuple[int, ...], tuple] = {}
        el = self.element(decl, 0, info, ())
        return Instance(etree.ElementTree(el), info)

    def _namespaces(self) -> set[str]:
        found = set()
        for s in self.schema.maps.iter_schemas():
            if s.target_namespace and not s.target_namespace.startswith("http://www.w3.org/"):
                found.add(s.target_namespace)
        return found

    def _prefix(self, ns: str) -> str:
        for p, u in self.nsmap.items():
            if u == ns:
                return p
        p = f"n{len(self.nsmap)}"
        self.nsmap[p] = ns
        return p

    # -- elements ------------------------------------------------------------------------------
    def element(self, decl, depth: int, info: dict, where: tuple[int, ...]) -> etree._Element:
        """A random element for declaration ``decl``."""
        if depth > self.max_depth + 8:
            raise GenerationError(f"{decl.name}: content nests too deeply to generate")
        el = etree.Element(decl.name, nsmap=self.nsmap if depth == 0 else None)
        t = decl.type
        derived = self._derived(decl)
        if derived and self.rnd.random() < 0.4:
            t = self.rnd.choice(derived)
            el.set(f"{{{XSI}}}type", self._qname(t.name))
        elif getattr(t, "name", None) and t.is_complex() and self.rnd.random() < 0.05:
            el.set(f"{{{XSI}}}type", self._qname(t.name))
        info[where] = (decl, t)
        if t.is_complex():
            self._attributes(el, t)
        if decl.nillable and self.rnd.random() < 0.2:
            el.set(f"{{{XSI}}}nil", self.rnd.choice(["true", "1", " true "]))
            return el
        if t.is_simple():
            el.text = self._element_value(decl, t)
        elif t.has_simple_content():
            el.text = self._element_value(decl, t.content)
        elif t.content is not None and not t.is_empty() and not _any_type(t):
            children = self.particle(t.content, depth, info, where)
            for child in children:
                el.append(child)
            self._spaces(el, t.mixed)
        return el

    def _qname(self, name: str) -> str:
        ns, _, loc = name[1:].partition("}") if name.startswith("{") else ("", "", name)
        if not ns:
            return loc
        return f"{self._prefix(ns)}:{loc}"

    def _derived(self, decl) -> list:
        t = decl.type
        if t.is_simple() or not getattr(t, "name", None) or _any_type(t):
            return []
        blocked = set((decl.block or "").split()) | set((t.block or "").split())
        out = []
        for d in self._types:
            if d is t or d.abstract or not d.is_derived(t):
                continue
            methods = set()
            x = d
            while x is not None and x is not t:
                if getattr(x, "derivation", None):
                    methods.add(x.derivation)
                x = x.base_type
            if not blocked & methods:
                out.append(d)
        return out

    def _attributes(self, el: etree._Element, t) -> None:
        for name, attr in t.attributes.items():
            if name is None or attr.use == "prohibited":
                continue
            if attr.use != "required" and self.rnd.random() < 0.5:
                continue
            el.set(name, attr.fixed if attr.fixed is not None else self.value(attr.type))

    def _element_value(self, decl, st) -> str:
        if decl.fixed is not None:
            return "" if self.rnd.random() < 0.3 else decl.fixed
        if decl.default is not None and self.rnd.random() < 0.2:
            return ""
        return self.value(st)

    def _spaces(self, el: etree._Element, mixed: bool) -> None:
        def filler():
            if mixed and self.rnd.random() < 0.5:
                return self.rnd.choice(["some ", " text", "x & y", "\n  mixed "])
            return self.rnd.choice([None, "\n  ", " ", "\t"])
        el.text = filler()
        for child in el:
            child.tail = filler()

    def particle(self, p, depth: int, info: dict, where: tuple[int, ...],
                 out: list | None = None) -> list[etree._Element]:
        """Random elements for particle ``p``, appended to ``out``."""
        out = [] if out is None else out
        lo, hi = p.min_occurs, p.max_occurs
        if hi == 0:
            return out
        top = lo + 2 if hi is None else min(hi, lo + 2)
        n = lo if depth >= self.max_depth else self.rnd.randint(lo, top)
        for _ in range(n):
            if isinstance(p, XsdGroup):
                children = list(p)
                if not children:
                    continue
                if p.model == "choice":
                    self.particle(self.rnd.choice(children), depth, info, where, out)
                elif p.model == "all":
                    self.rnd.shuffle(children)
                    for c in children:
                        self.particle(c, depth, info, where, out)
                else:
                    for c in children:
                        self.particle(c, depth, info, where, out)
            elif isinstance(p, XsdAnyElement):
                el = self._wildcard(p, depth, info, where + (len(out),))
                if el is not None:
                    out.append(el)
            elif isinstance(p, XsdElement):
                head = p.ref if p.ref is not None else p
                options = [] if head.abstract else [head]
                if p.ref is not None and "substitution" not in (head.block or ""):
                    options.extend(s for s in head.iter_substitutes() if not s.abstract)
                if not options:
                    raise GenerationError(f"{head.name}: no element may stand for it")
                decl = self.rnd.choice(options)
                out.append(self.element(decl, depth + 1, info, where + (len(out),)))
        return out

    def _wildcard(self, w, depth: int, info: dict, where: tuple[int, ...]):
        top = w.parent
        while isinstance(getattr(top, "parent", None), XsdGroup):
            top = top.parent
        parent_names = [e.name for e in top.iter_elements()] if top is not None else []
        choices = []
        globals_ = [e for e in self.schema.maps.elements.values()
                    if not e.abstract and w.is_matching(e.name)
                    and not e.name.startswith("{http://www.w3.org/")]
        if globals_:
            choices.append("global")
        if w.process_contents in ("lax", "skip"):
            choices.append("foreign")
            clash = [n for n in parent_names if w.is_matching(n)
                     and n not in self.schema.maps.elements]
            if clash:
                choices.append("clash")
        if not choices:
            return None
        kind = self.rnd.choice(choices)
        if kind == "global":
            return self.element(self.rnd.choice(globals_), depth + 1, info, where)
        if kind == "clash":
            el = etree.Element(self.rnd.choice(clash))
            el.text = self._text(0, 12)
            return el
        for ns in ("urn:example:elsewhere", "", *sorted(self._namespaces())):
            name = f"{{{ns}}}Extension" if ns else "Extension"
            if w.is_matching(name) and name not in self.schema.maps.elements:
                el = etree.Element(name)
                el.set("note", self._text(0, 8))
                el.text = self._text(0, 12)
                return el
        return None

    # -- values --------------------------------------------------------------------------------
    def value(self, st) -> str:
        """A random lexical value of simple type ``st`` that xmlschema accepts."""
        last = None
        for _ in range(60):
            text = self._raw_value(st)
            last = text
            try:
                ok = st.is_valid(text)
            except Exception:  # noqa: BLE001 - a validator crash means "not this one"
                ok = False
            if ok:
                return self._decorate(st, text)
        raise GenerationError(f"cannot generate a value of {st!r} (last try {last!r})")

    def _decorate(self, st, text: str) -> str:
        # Collapsed types must accept surrounding whitespace: a validator strips it first.
        ws = getattr(st, "white_space", None) or "preserve"
        if ws == "collapse" and self.rnd.random() < 0.25:
            pad = self.rnd.choice([" ", "\n", "\t", "  \n "])
            return pad + text + self.rnd.choice(["", " ", "\n"])
        return text

    def _raw_value(self, st) -> str:
        if st.is_list():
            return self._list_value(st)
        if st.is_union():
            steps = list(restriction_steps(st, lambda t: hasattr(t, "member_types")))
            values = enumeration_values(steps)
            if values:
                return self.rnd.choice(values)
            t = st
            while t is not None and not hasattr(t, "member_types"):
                t = t.base_type
            return self.value(self.rnd.choice(list(t.member_types)))
        steps = list(restriction_steps(st, lambda t: False))
        values = enumeration_values(steps)
        if values:
            return self.rnd.choice(values)
        for t in steps:
            if is_builtin(t):
                continue
            facet = facet_of(t, "pattern")
            if facet is not None:
                return self._from_regex(self.rnd.choice(list(facet.regexps)))
        return self._atomic(st, steps)

    def _list_value(self, st) -> str:
        steps = list(restriction_steps(st, lambda t: hasattr(t, "item_type")))
        values = enumeration_values(steps)
        if values:
            return self.rnd.choice(values)
        t = st
        while t is not None and not hasattr(t, "item_type"):
            t = t.base_type
        lo, hi = length_bounds(steps)
        lo = lo or 0
        hi = hi if hi is not None else lo + 4
        n = self.rnd.randint(lo, min(hi, lo + 4))
        sep = self.rnd.choice([" ", "  ", "\n", " \t "])
        return sep.join(self.value(t.item_type).strip() for _ in range(n))

    def _atomic(self, st, steps) -> str:
        fam = family(st)
        names = [t.name.split("}")[1] for t in steps if is_builtin(t)]
        lo_len, hi_len = length_bounds(steps)
        if fam == "integer":
            return self._integer(steps)
        if fam == "decimal":
            return self._decimal(steps)
        if fam in ("double", "float"):
            return self._double(steps)
        if fam == "boolean":
            return self.rnd.choice(["true", "false", "1", "0"])
        if fam == "date":
            return self._date() + self._zone()
        if fam == "time":
            return self._time() + self._zone()
        if fam == "dateTime":
            return f"{self._date()}T{self._time()}{self._zone()}"
        if fam == "hexBinary":
            n = self.rnd.randint(lo_len or 0, hi_len if hi_len is not None else (lo_len or 0) + 4)
            text = "".join(f"{self.rnd.randrange(256):02X}" for _ in range(n))
            return text.lower() if self.rnd.random() < 0.3 else text
        if fam in ("NCName", "Name", "NMTOKEN"):
            self._ids += 1
            start = self.rnd.choice(_NAME_START)
            rest = "".join(self.rnd.choice(_NAME_REST) for _ in range(self.rnd.randint(0, 6)))
            if "ID" in names:
                rest += f"_{self._ids}"
            text = start + rest
            if fam == "NMTOKEN" and self.rnd.random() < 0.3:
                text = "9" + text
            return text
        if fam == "language":
            return self.rnd.choice(_LANGUAGES)
        if fam == "anyURI":
            return self.rnd.choice(["http://example.com/a", "urn:x:y", "rel/path", ""])
        if fam == "gYear":
            return str(self.rnd.randint(1000, 2999))
        if fam == "gYearMonth":
            return f"{self.rnd.randint(1000, 2999)}-{self.rnd.randint(1, 12):02d}"
        if fam == "duration":
            return self.rnd.choice(["P1Y", "PT5M", "P1DT2H", "-P3D"])
        if fam in ("string", "other"):
            return self._text(lo_len or 0, hi_len if hi_len is not None else (lo_len or 0) + 12)
        raise GenerationError(f"values of {fam} are not generated")

    def _text(self, lo: int, hi: int) -> str:
        n = self.rnd.randint(lo, max(lo, min(hi, lo + 16)))
        return "".join(self.rnd.choice(_TEXT) for _ in range(n))

    def _int_bounds(self, steps) -> tuple[int, int]:
        lows, highs = range_bounds(steps)
        lo = max((math.ceil(v) if incl else math.floor(v) + 1 for v, incl in lows), default=None)
        hi = min((math.floor(v) if incl else math.ceil(v) - 1 for v, incl in highs), default=None)
        total = _facet_min(steps, "totalDigits")
        if total is not None:
            lo = max(lo if lo is not None else -(10**total), -(10**total) + 1)
            hi = min(hi if hi is not None else 10**total, 10**total - 1)
        if lo is None:
            lo = (hi if hi is not None else 0) - 10**6
        if hi is None:
            hi = lo + 2 * 10**6
        return lo, hi

    def _integer(self, steps) -> str:
        lo, hi = self._int_bounds(steps)
        pick = self.rnd.random()
        if pick < 0.15:
            n = lo
        elif pick < 0.3:
            n = hi
        else:
            n = self.rnd.randint(max(lo, -1000), min(hi, 1000)) if max(lo, -1000) <= min(
                hi, 1000) else self.rnd.randint(lo, hi)
        text = str(abs(n))
        if self.rnd.random() < 0.15:
            text = "0" * self.rnd.randint(1, 3) + text
        sign = "-" if n < 0 else ("+" if self.rnd.random() < 0.15 else "")
        return sign + text

    def _decimal(self, steps) -> str:
        fraction = _facet_min(steps, "fractionDigits", skip_builtin=True)
        digits = fraction if fraction is not None else self.rnd.randint(0, 4)
        scale = 10**digits
        lows, highs = range_bounds(steps)
        lo = max((v for v, _ in lows), default=Decimal(-10000))
        hi = min((v for v, _ in highs), default=Decimal(10000))
        k_lo, k_hi = int((lo * scale).to_integral_value("ROUND_CEILING")), int(
            (hi * scale).to_integral_value("ROUND_FLOOR"))
        if k_lo > k_hi:
            raise GenerationError("empty decimal range")
        pick = self.rnd.random()
        k = k_lo if pick < 0.1 else k_hi if pick < 0.2 else self.rnd.randint(k_lo, k_hi)
        value = Decimal(k) / scale
        text = format(value, "f")
        if self.rnd.random() < 0.2 and "." in text:
            text += "0" * self.rnd.randint(1, 2)
        if self.rnd.random() < 0.1 and text.startswith("0."):
            text = text[1:]
        if self.rnd.random() < 0.1 and not text.startswith("-"):
            text = "+" + text
        if self.rnd.random() < 0.1:
            text = text.replace("-", "-0", 1) if text.startswith("-") else "0" + text.lstrip("+")
        return text

    def _double(self, steps) -> str:
        lows, highs = range_bounds(steps)
        lo = float(max((v for v, _ in lows), default=Decimal(-1e6)))
        hi = float(min((v for v, _ in highs), default=Decimal(1e6)))
        pick = self.rnd.random()
        if pick < 0.08:
            return self.rnd.choice(["INF", "-INF", "NaN"])
        x = self.rnd.uniform(lo, hi)
        if pick < 0.3:
            mantissa, exponent = f"{x:.4e}".split("e")
            return f"{mantissa}{self.rnd.choice('eE')}{int(exponent)}"
        if pick < 0.4:
            return str(int(x)) if lo <= int(x) <= hi else repr(x)
        return f"{x:.{self.rnd.randint(0, 6)}f}"

    def _date(self) -> str:
        pick = self.rnd.random()
        year = (self.rnd.randint(1900, 2100) if pick < 0.85 else
                self.rnd.choice([1, 4, 400, 1600, 10000, 12345]))
        month = self.rnd.randint(1, 12)
        days = [31, 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28, 31,
                30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        day = self.rnd.choice([1, days, self.rnd.randint(1, days)])
        return f"{year:04d}-{month:02d}-{day:02d}"

    def _time(self) -> str:
        if self.rnd.random() < 0.05:
            return "24:00:00"
        text = (f"{self.rnd.randint(0, 23):02d}:{self.rnd.randint(0, 59):02d}:"
                f"{self.rnd.randint(0, 59):02d}")
        if self.rnd.random() < 0.3:
            text += "." + str(self.rnd.randint(0, 999999))
        return text

    def _zone(self) -> str:
        pick = self.rnd.random()
        if pick < 0.5:
            return ""
        if pick < 0.7:
            return "Z"
        if pick < 0.75:
            return "+14:00"
        return f"{self.rnd.choice('+-')}{self.rnd.randint(0, 13):02d}:{self.rnd.randint(0, 59):02d}"

    # -- regular expressions -------------------------------------------------------------------
    def _from_regex(self, pattern: str) -> str:
        parsed = self._regex_cache.get(pattern)
        if parsed is None:
            python = translate_pattern(pattern, back_references=False, lazy_quantifiers=False,
                                       anchors=False)
            parsed = sre_parse.parse(python)
            self._regex_cache[pattern] = parsed
        return self._walk(parsed)

    def _walk(self, nodes) -> str:
        out = []
        for op, av in nodes:
            if op == sre_constants.LITERAL:
                out.append(chr(av))
            elif op == sre_constants.NOT_LITERAL:
                out.append(self._char(lambda c, av=av: ord(c) != av))
            elif op == sre_constants.ANY:
                out.append(self._char(lambda c: c not in "\r\n"))
            elif op == sre_constants.IN:
                out.append(self._from_set(av))
            elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
                lo, hi, sub = av
                hi = lo + 4 if hi == sre_constants.MAXREPEAT else min(hi, lo + 4)
                out.extend(self._walk(sub) for _ in range(self.rnd.randint(lo, hi)))
            elif op == sre_constants.SUBPATTERN:
                out.append(self._walk(av[-1]))
            elif op == sre_constants.BRANCH:
                out.append(self._walk(self.rnd.choice(av[1])))
            elif op in (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
                continue  # anchors: the whole value is generated anyway
            elif op == sre_constants.CATEGORY:
                out.append(self._category(av))
            else:
                raise GenerationError(f"regex construct {op} is not generated")
        return "".join(out)

    def _from_set(self, items) -> str:
        negate = any(op == sre_constants.NEGATE for op, _ in items)
        pool = []
        for op, av in items:
            if op == sre_constants.LITERAL:
                pool.append((av, av))
            elif op == sre_constants.RANGE:
                pool.append(av)
        if not negate and pool:
            for _ in range(20):
                a, b = self.rnd.choice(pool)
                ch = chr(self.rnd.randint(a, b) if self.rnd.random() < 0.3 else self.rnd.randint(
                    a, min(b, a + 40)))
                if _xml_char(ch):
                    return ch
        members = re.compile("[" + ("^" if negate else "") + _set_source(items) + "]")
        return self._char(lambda c: members.fullmatch(c) is not None)

    def _category(self, av) -> str:
        source = {sre_constants.CATEGORY_DIGIT: r"\d", sre_constants.CATEGORY_SPACE: r"\s",
                  sre_constants.CATEGORY_WORD: r"\w"}.get(av, ".")
        rx = re.compile(source)
        return self._char(lambda c: rx.fullmatch(c) is not None)

    def _char(self, ok) -> str:
        for _ in range(500):
            ch = self.rnd.choice(_TEXT + "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@/")
            if ok(ch):
                return ch
        for cp in range(0x20, 0x3000):
            if ok(chr(cp)) and _xml_char(chr(cp)):
                return chr(cp)
        raise GenerationError("no character fits")


def _set_source(items) -> str:
    parts = []
    for op, av in items:
        if op == sre_constants.LITERAL:
            parts.append(re.escape(chr(av)))
        elif op == sre_constants.RANGE:
            parts.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op == sre_constants.CATEGORY:
            parts.append({sre_constants.CATEGORY_DIGIT: r"\d", sre_constants.CATEGORY_SPACE: r"\s",
                          sre_constants.CATEGORY_WORD: r"\w",
                          sre_constants.CATEGORY_NOT_DIGIT: r"\D",
                          sre_constants.CATEGORY_NOT_SPACE: r"\S",
                          sre_constants.CATEGORY_NOT_WORD: r"\W"}.get(av, ""))
    return "".join(parts)


def _facet_min(steps, local: str, *, skip_builtin: bool = False) -> int | None:
    found = None
    for t in steps:
        if skip_builtin and is_builtin(t):
            continue
        f = facet_of(t, local)
        if f is not None:
            found = f.value if found is None else min(found, f.value)
    return found


def _any_type(t) -> bool:
    return getattr(t, "name", None) == f"{{{XS}}}anyType"
