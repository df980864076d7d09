"""XSD ``pattern`` facets as XPath 1.0 tests.

XPath 1.0 has no regular expressions, but many XSD patterns are a short run of character classes
with fixed or bounded counts (``[A-Z]{3}-\\d{4}``, ``\\d{5}(-\\d{4})?``). Those are translated
exactly: optional and alternative groups are expanded into alternatives, and each alternative is
checked by length and, position by position, by the characters allowed there. A pattern with more
than one variable-length part is checked in part (its fixed ends exactly, the middle by length and
allowed characters), which never rejects a value the pattern accepts. Character classes come from
elementpath, the regex engine xmlschema itself uses, so ``\\d`` means every Unicode digit here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from elementpath.regex import CharacterClass, RegexError

from .occurs import add as add_bounds
from .occurs import mul as mul_bounds
from .xpath import all_of, any_of, literal

_MAX_SET = 2500  # characters written into one translate() literal
_MAX_ALTERNATIVES = 48
_MAX_PIECES = 256  # pieces one alternative may be spelled out into: (a{1000}){1000} is blurred
_META = set(".\\?*+{}()|[]")
_SINGLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


class UnsupportedPattern(ValueError):
    """The pattern uses a construct this translator does not read."""


@dataclass(frozen=True, slots=True)
class CharSet:
    """Characters allowed at one position: ``in`` these, ``not-in`` these, or ``any``."""

    mode: str
    chars: str = ""
    exact: bool = True

    def union(self, other: CharSet) -> CharSet:
        """Characters allowed by either set."""
        exact = self.exact and other.exact
        if self.mode == "any" or other.mode == "any":
            return CharSet("any", "", exact)
        if self.mode == "in" and other.mode == "in":
            return _from_codepoints(set(map(ord, self.chars)) | set(map(ord, other.chars)),
                                    negative=False, exact=exact)
        if self.mode == "not-in" and other.mode == "not-in":
            return CharSet("not-in", "".join(sorted(set(self.chars) & set(other.chars))), exact)
        neg, pos = (self, other) if self.mode == "not-in" else (other, self)
        return CharSet("not-in", "".join(c for c in neg.chars if c not in pos.chars), exact)


ANY_BUT_NEWLINE = CharSet("not-in", "\n\r")


@dataclass(frozen=True, slots=True)
class Piece:
    """A character class repeated between ``lo`` and ``hi`` times (``hi`` None: unbounded)."""

    chars: CharSet
    lo: int
    hi: int | None


@dataclass(frozen=True, slots=True)
class _Group:
    alternatives: tuple[tuple[object, ...], ...]
    lo: int
    hi: int | None


@dataclass(frozen=True, slots=True)
class PatternTest:
    """The XPath test for a pattern facet, and whether it is exact or only necessary."""

    test: str
    exact: bool


def _xml_char(cp: int) -> bool:
    return cp in (0x9, 0xA, 0xD) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD or (
        0x10000 <= cp <= 0x10FFFF
    )


def _from_codepoints(cps, *, negative: bool, exact: bool = True) -> CharSet:
    chars = "".join(chr(c) for c in sorted(cps) if _xml_char(c))
    return CharSet("not-in" if negative else "in", chars, exact)


def _from_class(cc: CharacterClass) -> CharSet:
    if not cc.negative:
        if len(cc.positive) > _MAX_SET * 4:
            return CharSet("any", "", False)
        cps = [c for c in cc.positive if _xml_char(c)]
        return _from_codepoints(cps, negative=False) if len(cps) <= _MAX_SET else CharSet(
            "any", "", False)
    excluded = cc.negative
    if len(excluded) > _MAX_SET * 4:
        return CharSet("any", "", False)
    cps = [c for c in excluded if c not in cc.positive and _xml_char(c)]
    return _from_codepoints(cps, negative=True) if len(cps) <= _MAX_SET else CharSet(
        "any", "", False)


class _Parser:
    def __init__(self, pattern: str):
        self.p = pattern
        self.i = 0

    def parse(self) -> tuple[tuple[object, ...], ...]:
        alts = self._alternatives()
        if self.i != len(self.p):
            raise UnsupportedPattern(f"unexpected {self.p[self.i]!r} at {self.i}")
        return alts

    def _alternatives(self):
        alts = [self._branch()]
        while self.i < len(self.p) and self.p[self.i] == "|":
            self.i += 1
            alts.append(self._branch())
        return tuple(alts)

    def _branch(self):
        items = []
        while self.i < len(self.p) and self.p[self.i] not in "|)":
            atom = self._atom()
            lo, hi = self._quantifier()
            if isinstance(atom, CharSet):
                items.append(Piece(atom, lo, hi))
            else:
                items.append(_Group(atom, lo, hi))
        return tuple(items)

    def _atom(self):
        ch = self.p[self.i]
        if ch == "(":
            self.i += 1
            alts = self._alternatives()
            if self.i >= len(self.p) or self.p[self.i] != ")":
                raise UnsupportedPattern("unclosed group")
            self.i += 1
            return alts
        if ch == "[":
            try:
                cc = self._class()
            except (IndexError, RegexError) as err:
                raise UnsupportedPattern(f"character class: {err}") from err
            return _from_class(cc)
        if ch == ".":
            self.i += 1
            return ANY_BUT_NEWLINE
        if ch == "\\":
            return self._escape()
        if ch in _META:
            raise UnsupportedPattern(f"unexpected {ch!r}")
        self.i += 1
        return CharSet("in", ch) if _xml_char(ord(ch)) else CharSet("in", "")

    def _escape(self) -> CharSet:
        nxt = self.p[self.i + 1] if self.i + 1 < len(self.p) else ""
        if nxt in ("p", "P"):
            end = self.p.find("}", self.i)
            if end < 0:
                raise UnsupportedPattern("bad \\p escape")
            text = self.p[self.i : end + 1]
            self.i = end + 1
        elif nxt:
            text = self.p[self.i : self.i + 2]
            self.i += 2
        else:
            raise UnsupportedPattern("trailing backslash")
        if nxt in _SINGLE_ESCAPES:
            return CharSet("in", _SINGLE_ESCAPES[nxt])
        if nxt in "\\|.-^?*+{}()[]":
            return CharSet("in", nxt)
        try:
            return _from_class(CharacterClass(text))
        except (RegexError, KeyError, ValueError) as err:
            raise UnsupportedPattern(f"escape {text}: {err}") from err

    def _class(self) -> CharacterClass:
        # Mirrors elementpath's own reading of [...], [^...] and subtraction -[...].
        self.i += 1
        negative = self.p[self.i] == "^"
        if negative:
            self.i += 1
        start = self.i
        while True:
            ch = self.p[self.i]
            if ch == "\\":
                self.i += 2
            elif ch == "]" or self.p[self.i : self.i + 2] == "-[":
                cc = CharacterClass(self.p[start : self.i])
                if negative:
                    cc.complement()
                break
            elif ch == "[":
                raise UnsupportedPattern("'[' inside a character class")
            else:
                self.i += 1
        if self.p[self.i] != "]":
            self.i += 1
            cc -= self._class()
            self.i += 1
        else:
            self.i += 1
        return cc

    def _quantifier(self) -> tuple[int, int | None]:
        if self.i >= len(self.p):
            return 1, 1
        ch = self.p[self.i]
        if ch == "?":
            self.i += 1
            return 0, 1
        if ch == "*":
            self.i += 1
            return 0, None
        if ch == "+":
            self.i += 1
            return 1, None
        if ch == "{":
            end = self.p.find("}", self.i)
            if end < 0:
                raise UnsupportedPattern("unclosed quantifier")
            body = self.p[self.i + 1 : end]
            self.i = end + 1
            try:
                if "," in body:
                    lo_text, hi_text = body.split(",", 1)
                    lo = int(lo_text)
                    hi = int(hi_text) if hi_text.strip() else None
                else:
                    lo = hi = int(body)
            except ValueError as err:
                raise UnsupportedPattern(f"bad quantifier {{{body}}}") from err
            if hi is not None and hi < lo:
                raise UnsupportedPattern(f"bad quantifier {{{body}}}")
            return lo, hi
        return 1, 1




def _span(alt: tuple[Piece, ...]) -> tuple[int, int | None, CharSet | None]:
    lo, hi, chars = 0, 0, None
    for piece in alt:
        lo += piece.lo
        hi = add_bounds(hi, piece.hi)
        chars = piece.chars if chars is None else chars.union(piece.chars)
    return lo, hi, chars


def _blur(alts: list[tuple[Piece, ...]], lo: int, hi: int | None) -> Piece:
    """One piece allowing what all ``alts``, repeated ``lo..hi`` times, allow (and more)."""
    spans = [_span(a) for a in alts]
    chars = None
    for _, _, c in spans:
        if c is not None:
            chars = c if chars is None else chars.union(c)
    min_len = min(s[0] for s in spans)
    max_len = 0
    for s in spans:
        max_len = None if max_len is None or s[1] is None else max(max_len, s[1])
    chars = chars or CharSet("in", "")
    return Piece(CharSet(chars.mode, chars.chars, False), min_len * lo, mul_bounds(max_len, hi))


def _expand(alternatives) -> list[tuple[Piece, ...]]:
    out: list[tuple[Piece, ...]] = []
    for branch in alternatives:
        options: list[list[tuple[Piece, ...]]] = []
        for item in branch:
            if isinstance(item, Piece):
                options.append([(item,)])
                continue
            inner = _expand(item.alternatives)
            if (item.lo, item.hi) == (1, 1):
                options.append(inner)
            elif (item.lo, item.hi) == (0, 1):
                options.append([(), *inner])
            elif (item.lo == item.hi and len(inner) ** item.lo <= _MAX_ALTERNATIVES
                  and item.lo * max(map(len, inner), default=0) <= _MAX_PIECES):
                options.append([sum(combo, ()) for combo in product(inner, repeat=item.lo)])
            elif all(len(a) == 1 and a[0].lo == a[0].hi == 1 for a in inner):
                chars = inner[0][0].chars
                for a in inner[1:]:
                    chars = chars.union(a[0].chars)
                options.append([(Piece(chars, item.lo, item.hi),)])
            else:
                options.append([(_blur(inner, item.lo, item.hi),)])
        count = 1
        for opt in options:
            count *= len(opt)
        if count > _MAX_ALTERNATIVES:
            flat = [p for opt in options for alt in opt for p in alt]
            whole = _blur([tuple(flat)], 1, 1) if flat else Piece(CharSet("in", ""), 0, 0)
            lo = sum(min(_span(a)[0] for a in opt) for opt in options)
            hi: int | None = 0
            for opt in options:
                top = 0
                for a in opt:
                    h = _span(a)[1]
                    top = None if top is None or h is None else max(top, h)
                hi = add_bounds(hi, top)
            out.append((Piece(CharSet(whole.chars.mode, whole.chars.chars, False), lo, hi),))
            continue
        for combo in product(*options):
            out.append(sum(combo, ()))
    return out


def _merge(alt: tuple[Piece, ...]) -> list[Piece]:
    merged: list[Piece] = []
    for piece in alt:
        if piece.hi == 0:
            continue
        if merged and merged[-1].chars == piece.chars:
            last = merged.pop()
            piece = Piece(piece.chars, last.lo + piece.lo, add_bounds(last.hi, piece.hi))
        merged.append(piece)
    return merged


def _in_set(expr: str, chars: CharSet) -> str | None:
    if chars.mode == "any":
        return None
    if chars.mode == "in":
        if len(chars.chars) == 0:
            return f"{expr} = ''"
        return f"translate({expr}, {literal(chars.chars)}, '') = ''"
    if not chars.chars:
        return None
    return (f"string-length(translate({expr}, {literal(chars.chars)}, '')) = "
            f"string-length({expr})")


def _unroll(alt: tuple[Piece, ...]) -> list[tuple[Piece, ...]]:
    """Alternatives with every bounded variable-length piece at each of its lengths, if few."""
    pieces = _merge(alt)
    if sum(1 for p in pieces if p.lo != p.hi) < 2:
        return [tuple(pieces)]
    choices = []
    total = 1
    for p in pieces:
        if p.lo != p.hi and p.hi is not None:
            choices.append([Piece(p.chars, n, n) for n in range(p.lo, p.hi + 1)])
            total *= p.hi - p.lo + 1
        else:
            choices.append([p])
    if total > _MAX_ALTERNATIVES:
        return [tuple(pieces)]
    return [tuple(combo) for combo in product(*choices)]


def _allows(chars: CharSet, ch: str) -> bool:
    if chars.mode == "any":
        return True
    return (ch in chars.chars) == (chars.mode == "in")


def _alternative_test(value: str, alt: tuple[Piece, ...]) -> tuple[str, bool]:
    pieces = _merge(alt)
    variable = [i for i, p in enumerate(pieces) if p.lo != p.hi]
    if len(variable) > 1:
        split = _split(value, pieces, variable)
        if split is not None:
            return split
    exact = all(p.chars.exact for p in pieces)
    length = f"string-length({value})"
    tests: list[str] = []
    lo = sum(p.lo for p in pieces)
    hi: int | None = 0
    for p in pieces:
        hi = add_bounds(hi, p.hi)
    if not variable:
        tests.append(f"{length} = {lo}")
        head, middle, tail = pieces, [], []
    else:
        tests.append(f"{length} >= {lo}" if lo else "")
        if hi is not None:
            tests.append(f"{length} <= {hi}")
        first, last = variable[0], variable[-1]
        head, middle, tail = pieces[:first], pieces[first : last + 1], pieces[last + 1 :]
        if len(variable) > 1:
            exact = False
    tests.extend(_run_tests(value, head, lambda offset: str(offset), 1))
    pos = sum(p.lo for p in head) + 1
    if middle:
        tail_len = sum(p.lo for p in tail)
        fixed = pos - 1 + tail_len
        mid = f"substring({value}, {pos}, {length} - {fixed})" if fixed else (
            f"substring({value}, {pos})" if pos > 1 else value)
        chars = middle[0].chars
        for p in middle[1:]:
            chars = chars.union(p.chars)
        tests.append(_in_set(mid, chars) or "")
        tests.extend(_run_tests(
            value, tail,
            lambda offset, n=tail_len: f"{length} - {n - offset}" if n - offset else length,
            1))
    return all_of(tests), exact


def _split(value: str, pieces: list[Piece], variable: list[int]) -> tuple[str, bool] | None:
    """Cut at a literal character nothing before it allows: its first occurrence is the cut."""
    for k in range(variable[0] + 1, len(pieces)):
        piece = pieces[k]
        if not (piece.chars.mode == "in" and len(piece.chars.chars) == 1 and piece.lo >= 1
                and piece.chars.exact):
            continue
        ch = piece.chars.chars
        if any(_allows(p.chars, ch) or not p.chars.exact for p in pieces[:k]):
            continue
        rest = ([Piece(piece.chars, piece.lo - 1, add_bounds(piece.hi, -1))] if piece.lo > 1 or (
            piece.hi or 2) > 1 else []) + pieces[k + 1 :]
        rest = [p for p in rest if p.hi != 0]
        left_test, left_exact = _alternative_test(
            f"substring-before({value}, {literal(ch)})", tuple(pieces[:k]))
        right_test, right_exact = _alternative_test(
            f"substring-after({value}, {literal(ch)})", tuple(rest))
        return all_of([f"contains({value}, {literal(ch)})", left_test, right_test]), (
            left_exact and right_exact)
    return None


def _run_tests(value: str, pieces: list[Piece], where, start: int) -> list[str]:
    """Tests for fixed-length pieces laid out from ``start``; ``where(offset)`` writes a position."""
    tests = []
    offset = start
    literal_run = ""
    run_start = offset
    for piece in pieces:
        single = piece.chars.mode == "in" and len(piece.chars.chars) == 1 and piece.chars.exact
        if single:
            if not literal_run:
                run_start = offset
            literal_run += piece.chars.chars * piece.lo
            offset += piece.lo
            continue
        if literal_run:
            tests.append(_literal_test(value, where(run_start), literal_run))
            literal_run = ""
        if piece.lo:
            tests.append(_in_set(f"substring({value}, {where(offset)}, {piece.lo})", piece.chars)
                         or "")
        offset += piece.lo
    if literal_run:
        tests.append(_literal_test(value, where(run_start), literal_run))
    return tests


def _literal_test(value: str, pos: str, text: str) -> str:
    if pos == "1":
        return f"starts-with({value}, {literal(text)})"
    return f"substring({value}, {pos}, {len(text)}) = {literal(text)}"


def pattern_test(regexps: list[str], value: str) -> PatternTest:
    """The test that ``value`` matches one of ``regexps`` (raises UnsupportedPattern)."""
    tests = []
    exact = True
    for regexp in regexps:
        alternatives = [u for alt in _expand(_Parser(regexp).parse()) for u in _unroll(alt)]
        for alt in alternatives:
            test, alt_exact = _alternative_test(value, alt)
            exact = exact and alt_exact
            tests.append(test)
    return PatternTest(any_of(tests), exact)

