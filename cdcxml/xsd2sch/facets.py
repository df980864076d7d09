"""Simple types and their facets as XPath 1.0 tests.

Every test here is a *necessary* condition of validity: a value the XSD accepts always passes it.
Where XPath 1.0 cannot say something exactly, the test says less (and a note says what is left
out) rather than risk rejecting a valid value. Two traps of libxml2's XPath shape the numeric tests:
``number()`` does not read a leading ``+``, and it does not round every decimal correctly
(``number('5.56')`` is 5.5600000000000005), so values with more digits than a double holds are not
compared by number, and integers are compared only as inclusive bounds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .regex import UnsupportedPattern, pattern_test
from .xpath import all_of, any_of, literal, number

XS = "http://www.w3.org/2001/XMLSchema"
DIGITS = "0123456789"

_FAMILIES = (
    "boolean", "dateTime", "date", "time", "hexBinary", "base64Binary", "double", "float",
    "integer", "decimal", "NCName", "Name", "NMTOKEN", "language", "anyURI", "QName", "NOTATION",
    "duration", "gYearMonth", "gYear", "gMonthDay", "gMonth", "gDay", "string",
)
_STRING_LIKE = {"string", "NCName", "Name", "NMTOKEN", "language", "anyURI"}
_NUMERIC = {"integer", "decimal", "double", "float"}
# ASCII characters that no XML name holds, whatever the XML version.
_NOT_NAME_CHARS = " !\"#$%&'()*+,/;<=>?@[\\]^`{|}~"
_ITEM_CHARS = {
    "gYear": DIGITS + "-:Z+",
    "gYearMonth": DIGITS + "-:Z+",
    "integer": DIGITS + "+-",
    "decimal": DIGITS + "+-.",
    "double": DIGITS + "+-.eEINFNa",
    "float": DIGITS + "+-.eEINFNa",
    "boolean": "truefals01",
    "date": DIGITS + "-:Z+",
    "dateTime": DIGITS + "-:TZ+.",
    "time": DIGITS + "-:Z+.",
    "hexBinary": DIGITS + "abcdefABCDEF",
}


@dataclass(frozen=True, slots=True)
class ValueCheck:
    """One test on a value, with the phrase that completes "<name> must ..."."""

    kind: str
    test: str
    text: str


@dataclass(slots=True)
class Value:
    """The value tests read: an element's text or an attribute, after a whitespace rule.

    Processed forms are bound once per rule with ``sch:let``; ``lets`` collects them.
    """

    raw: str
    name: str
    lets: dict[str, str] = field(default_factory=dict)

    def get(self, whitespace: str) -> str:
        """The expression for the value after ``whitespace`` (preserve, replace or collapse)."""
        if whitespace == "collapse":
            self.lets[self.name] = f"normalize-space({self.raw})"
            return f"${self.name}"
        if whitespace == "replace":
            var = f"{self.name}-replaced"
            self.lets[var] = f"translate({self.raw}, '\t\n\r', '   ')"
            return f"${var}"
        return f"string({self.raw})"


@dataclass(slots=True)
class Checks:
    """The tests for one simple type on one value, and notes on what they leave out."""

    checks: list[ValueCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- the type hierarchy ------------------------------------------------------------------------

def type_label(st) -> str:
    """How messages name a simple type: ``xs:int``, ``Quantity`` or "a restricted xs:string"."""
    name = getattr(st, "name", None)
    if name:
        ns, _, local = name[1:].partition("}") if name.startswith("{") else ("", "", name)
        return f"xs:{local}" if ns == XS else local
    base = getattr(st, "base_type", None)
    if base is not None and getattr(base, "name", None):
        return f"a restricted {type_label(base)}"
    return "an anonymous type"


def is_builtin(t) -> bool:
    """True for the XSD built-in types (and the meta-schema's own)."""
    name = getattr(t, "name", None)
    return bool(name) and name.startswith("{" + XS + "}")


def builtin_names(st) -> list[str]:
    """Local names of the XSD built-in types ``st`` derives from, nearest first."""
    names = []
    t = st
    while t is not None:
        if is_builtin(t):
            names.append(t.name.split("}")[1])
        t = getattr(t, "base_type", None)
    return names


def family(st) -> str:
    """The built-in family that fixes a type's lexical space: integer, decimal, date, string..."""
    names = set(builtin_names(st))
    for fam in _FAMILIES:
        if fam in names:
            return fam
    return "other"


def restriction_steps(st, stop):
    """The restriction steps from ``st`` up to (not including) ``stop(t)``, with their facets."""
    t = st
    while t is not None and not stop(t):
        yield t
        t = getattr(t, "base_type", None)


def facet_of(t, local: str):
    """The facet ``local`` (enumeration, pattern, ...) declared on restriction step ``t``."""
    return (getattr(t, "facets", None) or {}).get(f"{{{XS}}}{local}")


# -- entry point -------------------------------------------------------------------------------

def value_checks(st, value: Value, label: str) -> Checks:
    """The tests a value of simple type ``st`` must pass; ``label`` names it in notes."""
    out = Checks()
    if st.is_list():
        _list_checks(st, value, label, out)
    elif st.is_union():
        _union_checks(st, value, label, out)
    else:
        _atomic_checks(st, value, label, out)
    return out


def _atomic_checks(st, value: Value, label: str, out: Checks) -> None:
    fam = family(st)
    v = value.get(st.white_space or "preserve")
    tname = type_label(st)
    lexical, what = _lexical(fam, v)
    if lexical:
        out.checks.append(ValueCheck("type", lexical, f"be {what} ({_builtin_label(st)})"))
    elif fam in ("duration", "base64Binary", "QName", "NOTATION") or (
            fam == "other" and not _is_any_simple(st)):
        out.notes.append(f"{label}: the lexical form of {_builtin_label(st)} is not checked")
    steps = list(restriction_steps(st, lambda t: False))
    _enumeration(steps, fam, v, label, tname, out)
    _patterns(steps, v, label, out)
    _lengths(steps, fam, v, label, out)
    _ranges(steps, fam, v, label, out)
    _digits(steps, fam, v, out)


def _is_any_simple(st) -> bool:
    return set(builtin_names(st)) <= {"anySimpleType", "anyAtomicType"}


def _builtin_label(st) -> str:
    names = builtin_names(st)
    return f"xs:{names[0]}" if names else type_label(st)


# -- lexical forms -----------------------------------------------------------------------------

def _no_sign_after_first(x: str) -> str:
    return f"not(contains(substring({x}, 2), '+')) and not(contains(substring({x}, 2), '-'))"


def integer_lexical(x: str) -> str:
    """``x`` is an XSD integer literal: optional sign, one or more digits 0-9."""
    return all_of([
        f"contains('||+|-|', concat('|', translate({x}, '{DIGITS}', ''), '|'))",
        f"not(contains({x}, '|'))",
        _no_sign_after_first(x),
        f"translate({x}, '+-', '') != ''",
    ])


def decimal_lexical(x: str) -> str:
    """``x`` is an XSD decimal literal: optional sign, digits with at most one point."""
    return all_of([
        f"contains('||.|+|-|+.|-.|', concat('|', translate({x}, '{DIGITS}', ''), '|'))",
        f"not(contains({x}, '|'))",
        _no_sign_after_first(x),
        f"translate({x}, '+-.', '') != ''",
    ])


def double_lexical(x: str) -> str:
    """``x`` is an XSD double/float literal: a decimal with optional exponent, INF, -INF or NaN."""
    e = f"translate({x}, 'E', 'e')"
    mantissa = f"substring-before(concat({e}, 'e'), 'e')"
    exponent = f"substring-after({e}, 'e')"
    return any_of([
        f"{x} = 'INF'", f"{x} = '-INF'", f"{x} = 'NaN'",
        all_of([decimal_lexical(mantissa),
                any_of([f"not(contains({e}, 'e'))", integer_lexical(exponent)])]),
    ])


def _shape(x: str) -> str:
    return f"translate({x}, '{DIGITS}', '9999999999')"


def _timezone(t: str) -> str:
    return any_of([
        f"{t} = ''", f"{t} = 'Z'",
        all_of([
            any_of([f"{_shape(t)} = '+99:99'", f"{_shape(t)} = '-99:99'"]),
            any_of([f"number(substring({t}, 2, 2)) < 14", f"substring({t}, 2, 5) = '14:00'"]),
            f"number(substring({t}, 5, 2)) <= 59",
        ]),
    ])


def date_lexical(x: str, *, with_zone: bool = True) -> str:
    """``x`` is an XSD date (``-?YYYY-MM-DD`` with optional zone), day checked against month."""
    unsigned = f"substring({x}, 1 + number(starts-with({x}, '-')))"
    year = f"substring-before({unsigned}, '-')"
    rest = f"substring-after({unsigned}, '-')"
    month = f"number(substring({rest}, 1, 2))"
    day = f"number(substring({rest}, 4, 2))"
    y = f"number({year})"
    leap = f"({y} mod 4 = 0 and ({y} mod 100 != 0 or {y} mod 400 = 0))"
    tests = [
        f"string-length({year}) >= 4",
        f"translate({year}, '{DIGITS}', '') = ''",
        any_of([f"string-length({year}) = 4", f"substring({year}, 1, 1) != '0'"]),
        f"{year} != '0000'",
        (f"{_shape(f'substring({rest}, 1, 5)')} = '99-99'" if with_zone
         else f"{_shape(rest)} = '99-99'"),
        f"{month} >= 1", f"{month} <= 12", f"{day} >= 1", f"{day} <= 31",
        f"not({day} = 31 and ({month} = 4 or {month} = 6 or {month} = 9 or {month} = 11))",
        f"not({month} = 2 and {day} > 29)",
        # Leap years only where the year is a plain, exactly representable positive number.
        f"not({month} = 2 and {day} = 29 and not(starts-with({x}, '-')) and "
        f"string-length({year}) < 16 and not{leap})",
    ]
    if with_zone:
        tests.append(_timezone(f"substring({rest}, 6)"))
    return all_of(tests)


def time_lexical(x: str) -> str:
    """``x`` is an XSD time (``hh:mm:ss(.s+)?`` with optional zone; 24:00:00 allowed)."""
    rest = f"substring({x}, 9)"
    frac = f"substring-before(concat(translate({rest}, 'Z+-', '###'), '#'), '#')"
    zone = f"substring({rest}, string-length({frac}) + 1)"
    hours = f"substring({x}, 1, 2)"
    minutes = f"substring({x}, 4, 2)"
    seconds = f"substring({x}, 7, 2)"
    return all_of([
        f"{_shape(f'substring({x}, 1, 8)')} = '99:99:99'",
        any_of([f"{frac} = ''", all_of([
            f"starts-with({frac}, '.')", f"string-length({frac}) > 1",
            f"translate(substring({frac}, 2), '{DIGITS}', '') = ''"])]),
        any_of([f"number({hours}) <= 23", all_of([
            f"{hours} = '24'", f"{minutes} = '00'", f"{seconds} = '00'",
            f"translate(substring({frac}, 2), '0', '') = ''"])]),
        f"number({minutes}) <= 59",
        f"number({seconds}) <= 59",
        _timezone(zone),
    ])


def datetime_lexical(x: str) -> str:
    """``x`` is an XSD dateTime: a date without zone, ``T``, a time with optional zone."""
    return all_of([
        f"contains({x}, 'T')",
        date_lexical(f"substring-before({x}, 'T')", with_zone=False),
        time_lexical(f"substring-after({x}, 'T')"),
    ])


def _year(y: str) -> list[str]:
    return [f"string-length({y}) >= 4", f"translate({y}, '{DIGITS}', '') = ''",
            any_of([f"string-length({y}) = 4", f"substring({y}, 1, 1) != '0'"]),
            f"{y} != '0000'"]


def _month_ok(m: str) -> list[str]:
    return [f"{_shape(m)} = '99'", f"number({m}) >= 1", f"number({m}) <= 12"]


def gregorian_lexical(fam: str, x: str) -> str:
    """``x`` is an XSD gYear, gYearMonth, gMonthDay, gMonth or gDay (optional zone)."""
    if fam in ("gYear", "gYearMonth"):
        unsigned = f"substring({x}, 1 + number(starts-with({x}, '-')))"
        if fam == "gYear":
            year = f"substring-before(concat(translate({unsigned}, 'Z+-', '###'), '#'), '#')"
            return all_of([*_year(year),
                           _timezone(f"substring({unsigned}, string-length({year}) + 1)")])
        year = f"substring-before({unsigned}, '-')"
        rest = f"substring-after({unsigned}, '-')"
        return all_of([*_year(year), *_month_ok(f"substring({rest}, 1, 2)"),
                       _timezone(f"substring({rest}, 3)")])
    if fam == "gMonthDay":
        month, day = f"substring({x}, 3, 2)", f"number(substring({x}, 6, 2))"
        m = f"number({month})"
        return all_of([f"starts-with({x}, '--')", f"substring({x}, 5, 1) = '-'",
                       *_month_ok(month), f"{_shape(f'substring({x}, 6, 2)')} = '99'",
                       f"{day} >= 1", f"{day} <= 31",
                       f"not({day} = 31 and ({m} = 4 or {m} = 6 or {m} = 9 or {m} = 11))",
                       f"not({m} = 2 and {day} > 29)", _timezone(f"substring({x}, 8)")])
    if fam == "gMonth":
        return all_of([f"starts-with({x}, '--')", *_month_ok(f"substring({x}, 3, 2)"),
                       _timezone(f"substring({x}, 5)")])
    day = f"substring({x}, 4, 2)"
    return all_of([f"starts-with({x}, '---')", f"{_shape(day)} = '99'", f"number({day}) >= 1",
                   f"number({day}) <= 31", _timezone(f"substring({x}, 6)")])


def _lexical(fam: str, v: str) -> tuple[str | None, str]:
    if fam == "integer":
        return integer_lexical(v), "an integer"
    if fam == "decimal":
        return decimal_lexical(v), "a decimal number"
    if fam in ("double", "float"):
        return double_lexical(v), "a number"
    if fam == "boolean":
        return f"{v} = 'true' or {v} = 'false' or {v} = '1' or {v} = '0'", "true, false, 1 or 0"
    if fam == "date":
        return date_lexical(v), "a date (YYYY-MM-DD)"
    if fam == "dateTime":
        return datetime_lexical(v), "a date and time (YYYY-MM-DDThh:mm:ss)"
    if fam == "time":
        return time_lexical(v), "a time (hh:mm:ss)"
    if fam in ("gYear", "gYearMonth", "gMonthDay", "gMonth", "gDay"):
        shapes = {"gYear": "YYYY", "gYearMonth": "YYYY-MM", "gMonthDay": "--MM-DD",
                  "gMonth": "--MM", "gDay": "---DD"}
        return gregorian_lexical(fam, v), f"a {shapes[fam]} value"
    if fam == "hexBinary":
        return (f"string-length({v}) mod 2 = 0 and "
                f"translate({v}, '{DIGITS}abcdefABCDEF', '') = ''"), "hexadecimal octets"
    if fam in ("NCName", "Name"):
        tests = [f"{v} != ''", f"translate({v}, {literal(_NOT_NAME_CHARS)}, '') = {v}",
                 f"not(contains('{DIGITS}-.', substring({v}, 1, 1)))"]
        if fam == "NCName":
            tests.append(f"not(contains({v}, ':'))")
        return all_of(tests), "an XML name" if fam == "Name" else "an XML name without a colon"
    if fam == "NMTOKEN":
        return (f"{v} != '' and translate({v}, {literal(_NOT_NAME_CHARS)}, '') = {v}",
                "a name token")
    if fam == "language":
        first = f"substring-before(concat({v}, '-'), '-')"
        letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        return all_of([
            f"translate({v}, '{letters}{DIGITS}-', '') = ''",
            f"string-length({first}) >= 1", f"string-length({first}) <= 8",
            f"translate({first}, '{DIGITS}', '') = {first}",
            f"not(contains({v}, '--'))",
            f"substring({v}, string-length({v})) != '-'",
        ]), "a language tag"
    return None, ""


# -- facets ------------------------------------------------------------------------------------

def enumeration_values(steps) -> list[str] | None:
    """The lexical enumeration values of the nearest step that has any (None if none has)."""
    for t in steps:
        facet = facet_of(t, "enumeration")
        if facet is not None:
            return [e.get("value", "") for e in facet]
    return None


def _process(text: str, whitespace: str) -> str:
    if whitespace == "collapse":
        return " ".join(t for t in re.split("[ \t\n\r]+", text) if t)
    if whitespace == "replace":
        return text.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    return text


def _long(v: str, fam: str) -> str:
    """True for values number() may not read exactly: too many digits, or an exponent."""
    test = f"string-length(translate({v}, '+-.', '')) > 15"
    if fam in ("double", "float"):
        test = f"{test} or contains(translate({v}, 'E', 'e'), 'e')"
    return test


def _near(n: str, v: str, fam: str, value: Decimal, side: str) -> str:
    """For long values only: ``n`` is within a hair of ``value`` on ``side`` (<=, >= or =)."""
    slack = abs(value) * Decimal("1e-9")
    low, high = number(value - slack), number(value + slack)
    if side == "<=":
        near = f"{n} <= {high}"
    elif side == ">=":
        near = f"{n} >= {low}"
    else:
        near = f"{n} >= {low} and {n} <= {high}"
    return f"({_long(v, fam)}) and {near}"


def _num(v: str) -> str:
    return f"number(translate({v}, '+', ''))"


def _enumeration(steps, fam: str, v: str, label: str, tname: str, out: Checks) -> None:
    values = enumeration_values(steps)
    if values is None:
        return
    ws = steps[0].white_space or "preserve"
    shown = ", ".join(values)
    if fam in _STRING_LIKE:
        test = any_of([f"{v} = {literal(_process(x, ws))}" for x in values])
    elif fam == "hexBinary":
        upper = f"translate({v}, 'abcdef', 'ABCDEF')"
        test = any_of([f"{upper} = {literal(_process(x, ws).upper())}" for x in values])
    elif fam == "boolean":
        accepted = set()
        for x in values:
            word = _process(x, "collapse")
            accepted |= {"true", "1"} if word in ("true", "1") else {"false", "0"}
        test = any_of([f"{v} = '{w}'" for w in sorted(accepted)])
    elif fam in _NUMERIC:
        n = _num(v)
        nums = []
        for x in values:
            parsed = _decimal(_process(x, "collapse"))
            if parsed is None or not parsed.is_finite():
                out.notes.append(f"{label}: enumeration value {x!r} is not checked")
                return
            nums.append(f"{n} = {number(parsed)}")
            nums.append(_near(n, v, fam, parsed, "="))
        test = any_of([f"{n} != {n}", *nums])
    else:
        out.notes.append(f"{label}: the enumeration of {tname} is not checked")
        return
    out.checks.append(ValueCheck("enumeration", test, f"be one of {shown}"))


def _patterns(steps, v: str, label: str, out: Checks) -> None:
    for t in steps:
        if is_builtin(t):
            continue
        facet = facet_of(t, "pattern")
        if facet is None:
            continue
        regexps = list(facet.regexps)
        shown = " or ".join(regexps)
        try:
            result = pattern_test(regexps, v)
        except UnsupportedPattern as err:
            out.notes.append(f"{label}: pattern {shown} is not checked ({err})")
            continue
        if not result.exact:
            out.notes.append(f"{label}: pattern {shown} is checked only in part "
                             f"(length and allowed characters)")
        out.checks.append(ValueCheck("pattern", result.test, f"match the pattern {shown}"))


def length_bounds(steps) -> tuple[int | None, int | None]:
    """The tightest (min, max) length over the steps."""
    lo: int | None = None
    hi: int | None = None
    for t in steps:
        for local in ("length", "minLength"):
            f = facet_of(t, local)
            if f is not None:
                lo = f.value if lo is None else max(lo, f.value)
        for local in ("length", "maxLength"):
            f = facet_of(t, local)
            if f is not None:
                hi = f.value if hi is None else min(hi, f.value)
    return lo, hi


def _length_text(lo: int | None, hi: int | None, unit: str) -> str:
    if lo is not None and lo == hi:
        return f"be exactly {lo} {unit}"
    if lo is not None and hi is not None:
        return f"be {lo} to {hi} {unit}"
    if lo is not None:
        return f"be at least {lo} {unit}"
    return f"be at most {hi} {unit}"


def _length_test(size: str, lo: int | None, hi: int | None) -> str:
    if lo is not None and lo == hi:
        return f"{size} = {lo}"
    return all_of([f"{size} >= {lo}" if lo is not None else "",
                   f"{size} <= {hi}" if hi is not None else ""])


def _lengths(steps, fam: str, v: str, label: str, out: Checks) -> None:
    lo, hi = length_bounds(steps)
    if lo is None and hi is None:
        return
    if fam in _STRING_LIKE:
        size, unit = f"string-length({v})", "characters long"
    elif fam == "hexBinary":
        size, unit = f"string-length({v}) div 2", "octets long"
    else:
        out.notes.append(f"{label}: the length of {_builtin_label_from(steps)} is not checked")
        return
    out.checks.append(ValueCheck("length", _length_test(size, lo, hi), _length_text(lo, hi, unit)))


def _builtin_label_from(steps) -> str:
    return _builtin_label(steps[0]) if steps else "this type"


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value)) if not isinstance(value, float) else Decimal(repr(value))
    except (InvalidOperation, ValueError):
        return None


def range_bounds(steps) -> tuple[list[tuple[Decimal, bool]], list[tuple[Decimal, bool]]]:
    """Every lower and upper bound of the steps, as (value, inclusive)."""
    lows, highs = [], []
    for t in steps:
        for local, inclusive, into in (("minInclusive", True, lows), ("minExclusive", False, lows),
                                       ("maxInclusive", True, highs),
                                       ("maxExclusive", False, highs)):
            f = facet_of(t, local)
            if f is None:
                continue
            value = f.value
            if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
                continue
            dec = _decimal(value)
            if dec is not None and dec.is_finite():
                into.append((dec, inclusive))
    return lows, highs


def _tightest(bounds, lower: bool) -> tuple[Decimal, bool] | None:
    best = None
    for value, inclusive in bounds:
        if best is None:
            best = (value, inclusive)
            continue
        if (value > best[0]) if lower else (value < best[0]):
            best = (value, inclusive)
        elif value == best[0] and not inclusive:
            best = (value, False)
    return best


def _ranges(steps, fam: str, v: str, label: str, out: Checks) -> None:
    if fam not in _NUMERIC:
        if any(facet_of(t, x) is not None for t in steps if not is_builtin(t)
               for x in ("minInclusive", "minExclusive", "maxInclusive", "maxExclusive")):
            out.notes.append(f"{label}: the range of {_builtin_label(steps[0])} is not checked")
        return
    lows, highs = range_bounds(steps)
    low, high = _tightest(lows, True), _tightest(highs, False)
    if low is None and high is None:
        return
    n = _num(v)
    if fam == "integer":
        # Integers compare exactly as inclusive bounds, whatever number() does past 2**53.
        lo = hi = None
        if low is not None:
            lo = math.ceil(low[0]) if low[1] else math.floor(low[0]) + 1
        if high is not None:
            hi = math.floor(high[0]) if high[1] else math.ceil(high[0]) - 1
        parts = [f"{n} >= {lo}" if lo is not None else "", f"{n} <= {hi}" if hi is not None else ""]
        test = any_of([f"{n} != {n}", all_of(parts)])
        out.checks.append(ValueCheck("range", test, _range_text(lo, hi, True, True)))
        return
    parts = []
    for bound, is_low in ((low, True), (high, False)):
        if bound is None:
            continue
        value, inclusive = bound
        if len(value.normalize().as_tuple().digits) > 15:
            out.notes.append(f"{label}: the bound {value} has too many digits to be checked")
            continue
        op = (">=" if inclusive else ">") if is_low else ("<=" if inclusive else "<")
        compare = f"{n} {op} {number(value)}"
        near = _near(n, v, fam, value, ">=" if is_low else "<=")
        special = "'-INF'" if is_low else "'INF'"
        if fam in ("double", "float"):
            parts.append(all_of([f"{v} != {special}", any_of([f"{n} != {n}", compare, near])]))
        else:
            parts.append(any_of([f"{n} != {n}", compare, near]))
    if not parts:
        return
    out.checks.append(ValueCheck("range", all_of(parts), _range_text(
        None if low is None else low[0], None if high is None else high[0],
        low is None or low[1], high is None or high[1])))


def _range_text(lo, hi, lo_incl: bool, hi_incl: bool) -> str:
    def show(x):
        return number(x) if x is not None else ""
    if lo is not None and hi is not None and lo_incl and hi_incl:
        return f"be between {show(lo)} and {show(hi)}"
    pieces = []
    if lo is not None:
        pieces.append(f"{'at least' if lo_incl else 'more than'} {show(lo)}")
    if hi is not None:
        pieces.append(f"{'at most' if hi_incl else 'less than'} {show(hi)}")
    return "be " + " and ".join(pieces)


def _digits(steps, fam: str, v: str, out: Checks) -> None:
    if fam not in ("decimal", "integer"):
        return
    total = fraction = None
    for t in steps:
        f = facet_of(t, "totalDigits")
        if f is not None:
            total = f.value if total is None else min(total, f.value)
        f = facet_of(t, "fractionDigits")
        if f is not None and not is_builtin(t):
            fraction = f.value if fraction is None else min(fraction, f.value)
    frac = f"substring-after({v}, '.')"
    if fraction is not None and fam == "decimal":
        # Trailing zeros do not count: only digits after position ``fraction`` must all be 0.
        test = f"translate(substring({frac}, {fraction + 1}), '0', '') = ''"
        out.checks.append(ValueCheck(
            "digits", test, f"have at most {fraction} digits after the decimal point"))
    if total is not None:
        # i × 10^-n with |i| < 10^total and n <= total: the integer part's significant digits
        # and every fraction digit up to the last non-zero one count.
        unsigned = f"translate({v}, '+-', '')"
        whole = f"substring-before(concat({unsigned}, '.'), '.')"
        first_whole = f"substring(translate({whole}, '0', ''), 1, 1)"
        significant = (f"number(translate({whole}, '0', '') != '') * (string-length({whole}) - "
                       f"string-length(substring-before({whole}, {first_whole})))")
        test = all_of([f"{significant} <= {total}",
                       f"translate(substring({frac}, {total} - {significant} + 1), '0', '') = ''"])
        out.checks.append(ValueCheck("digits", test, f"have at most {total} digits in all"))


# -- lists and unions --------------------------------------------------------------------------

def _list_type(st):
    t = st
    while t is not None and not hasattr(t, "item_type"):
        t = getattr(t, "base_type", None)
    return t


def _list_checks(st, value: Value, label: str, out: Checks) -> None:
    v = value.get("collapse")
    steps = list(restriction_steps(st, lambda t: hasattr(t, "item_type")))
    items = f"(string-length({v}) - string-length(translate({v}, ' ', '')) + number({v} != ''))"
    lo, hi = length_bounds(steps)
    if lo is not None or hi is not None:
        out.checks.append(ValueCheck("length", _length_test(items, lo, hi),
                                     _length_text(lo, hi, "items")))
    listed = _list_type(st)
    item = listed.item_type if listed is not None else None
    values = enumeration_values(steps)
    item_family = family(item) if item is not None else "other"
    if values is not None:
        if item_family in _STRING_LIKE:
            test = any_of([f"{v} = {literal(_process(x, 'collapse'))}" for x in values])
            out.checks.append(ValueCheck("enumeration", test, f"be one of {', '.join(values)}"))
        else:
            out.notes.append(f"{label}: the enumeration of {type_label(st)} is not checked")
    _patterns(steps, v, label, out)
    if item is None:
        return
    chars = _item_chars(item)
    if chars is None and item_family in ("NCName", "Name", "NMTOKEN"):
        banned = _NOT_NAME_CHARS.replace(" ", "") + (":" if item_family == "NCName" else "")
        out.checks.append(ValueCheck(
            "list", f"translate({v}, {literal(banned)}, '') = {v}",
            f"be a list of {type_label(item)} values"))
        out.notes.append(f"{label}: each item of the list is checked only for its characters")
    elif chars:
        out.checks.append(ValueCheck(
            "list", f"translate({v}, {literal(chars + ' ')}, '') = ''",
            f"be a list of {type_label(item)} values"))
        out.notes.append(f"{label}: each item of the list is checked only for its characters")
    else:
        out.notes.append(f"{label}: the items of the list are not checked")


def _item_chars(item) -> str | None:
    if item.is_list():
        return None
    if item.is_union():
        sets = [_item_chars(m) for m in _members(item)]
        return None if any(c is None for c in sets) else "".join(sorted(set("".join(sets))))
    values = enumeration_values(list(restriction_steps(item, lambda t: False)))
    if values is not None:
        return "".join(sorted(set("".join(values)) - {" "}))
    return _ITEM_CHARS.get(family(item))


def _members(st):
    t = st
    while t is not None and not hasattr(t, "member_types"):
        t = getattr(t, "base_type", None)
    return list(t.member_types) if t is not None else []


def _union_checks(st, value: Value, label: str, out: Checks) -> None:
    alternatives = []
    shown = []
    for member in _members(st):
        sub = value_checks(member, value, label)
        out.notes.extend(n for n in sub.notes if n not in out.notes)
        shown.append(type_label(member))
        if not sub.checks:
            alternatives = []
            break
        alternatives.append(all_of([c.test for c in sub.checks]))
    else:
        if alternatives:
            out.checks.append(ValueCheck("union", any_of(alternatives),
                                         f"be a value of {' or '.join(shown)}"))
    steps = list(restriction_steps(st, lambda t: hasattr(t, "member_types")))
    v = value.get("collapse")
    _patterns(steps, v, label, out)
    values = enumeration_values(steps)
    if values is not None:
        if all(family(m) in _STRING_LIKE for m in _members(st)):
            test = any_of([f"{v} = {literal(_process(x, 'collapse'))}" for x in values])
            out.checks.append(ValueCheck("enumeration", test, f"be one of {', '.join(values)}"))
        else:
            out.notes.append(f"{label}: the enumeration of {type_label(st)} is not checked")


# -- fixed values ------------------------------------------------------------------------------

def fixed_test(st, fixed: str, value: Value) -> str | None:
    """The test that a value equals the fixed value ``fixed`` (None where it cannot be said)."""
    if st.is_list() or st.is_union():
        return None
    fam = family(st)
    v = value.get(st.white_space or "preserve")
    if fam in _STRING_LIKE:
        return f"{v} = {literal(_process(fixed, st.white_space or 'preserve'))}"
    if fam in _NUMERIC:
        parsed = _decimal(fixed.strip())
        if parsed is None or not parsed.is_finite():
            return None
        n = _num(v)
        return any_of([f"{n} = {number(parsed)}", _near(n, v, fam, parsed, "=")])
    if fam == "boolean":
        word = fixed.strip()
        accepted = ("true", "1") if word in ("true", "1") else ("false", "0")
        return f"{v} = '{accepted[0]}' or {v} = '{accepted[1]}'"
    return None
