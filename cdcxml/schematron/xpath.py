"""Just enough XPath 1.0 lexing for static checks and rewriting.

Variable references, namespace prefixes, top-level unions and parameter substitution all need to know
what is inside a string literal and what is not; a regular expression over the raw text does not.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from lxml import etree

# U+00C0 to U+FFFF, spelled as a negated class: a plain range next to \w costs the regular
# expression compiler tens of milliseconds at every start, this one nothing.
_HIGH = r"[^\x00-\xbf\U00010000-\U0010FFFF]"
_NAME_CHAR = rf"(?:[\w.\-\u00B7]|{_HIGH})"
_NCNAME = rf"(?:[A-Za-z_]|{_HIGH}){_NAME_CHAR}*"
NCNAME = _NCNAME  # an XML name without a colon, as a regular expression
_TOKEN = re.compile(
    rf"""
    (?P<ws>\s+)
  | (?P<string>"[^"]*"|'[^']*')
  | (?P<number>\d+(?:\.\d*)?|\.\d+)
  | (?P<variable>\$(?:{_NCNAME}:)?{_NCNAME})
  | (?P<axis>{_NCNAME}\s*::)
  | (?P<name>(?:{_NCNAME}:)?(?:{_NCNAME}|\*)|\*)
  | (?P<op>//|::|\.\.|!=|<=|>=|[/()\[\]@,|+=<>.-])
  | (?P<other>.)
    """,
    re.VERBOSE,
)

XPATH_FUNCTIONS = frozenset(
    """last position count id local-name namespace-uri name string concat starts-with contains
    substring-before substring-after substring string-length normalize-space translate boolean
    not true false lang number sum floor ceiling round document key format-number current
    unparsed-entity-uri generate-id system-property element-available function-available""".split()  # noqa: SIM905
)
NODE_TYPES = frozenset({"node", "text", "comment", "processing-instruction"})


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical token: its kind, text and offset.

    Kinds: ``string``, ``number``, ``variable``, ``axis`` (name and ``::``), ``name`` (a name test,
    ``*`` included), ``function`` and ``nodetype`` (a name before ``(``), ``operator`` (``and``,
    ``or``, ``div``, ``mod`` and the multiply ``*``), ``op`` (every other symbol) and ``other``.
    """

    kind: str
    text: str
    start: int


OPERATOR_NAMES = frozenset({"and", "or", "div", "mod"})
# Symbols that are XPath operators (§3.7): after one of them, or after "@", "::", "(", "[" or ",",
# a "*" is a name test and a name is a name test or function; after anything else they are the
# multiply operator and an operator name.
_OPERATOR_SYMBOLS = frozenset({"/", "//", "|", "+", "-", "=", "!=", "<", "<=", ">", ">="})
_OPENERS = frozenset({"@", "(", "[", ","})


def _operand_expected(prev: Token | None) -> bool:
    """Whether a name or ``*`` after ``prev`` starts an operand (XPath 1.0 §3.7, first rule)."""
    return (prev is None or prev.kind in ("axis", "operator") or prev.text in _OPENERS
            or prev.text == "::" or prev.text in _OPERATOR_SYMBOLS)


def tokens(expr: str) -> Iterator[Token]:
    """Tokenise an XPath 1.0 expression (whitespace dropped), disambiguated as §3.7 says."""
    return iter(_tokens(expr))


@functools.lru_cache(maxsize=8192)
def _tokens(expr: str) -> tuple[Token, ...]:
    # Each expression is read by several checks (and extended rules repeat theirs): lex it once.
    raw = [m for m in _TOKEN.finditer(expr) if m.lastgroup != "ws"]
    out: list[Token] = []
    prev: Token | None = None
    for i, m in enumerate(raw):
        kind, text = m.lastgroup or "other", m.group()
        if kind == "name":
            if not _operand_expected(prev):
                if text == "*" or text in OPERATOR_NAMES:
                    kind = "operator"
            elif i + 1 < len(raw) and raw[i + 1].group() == "(":
                kind = "nodetype" if text in NODE_TYPES else "function"
        prev = Token(kind, text, m.start())
        out.append(prev)
    return tuple(out)


def variables(expr: str) -> list[str]:
    """Names of the variables an expression references, in order."""
    return [t.text[1:] for t in tokens(expr) if t.kind == "variable"]


def prefixes(expr: str) -> set[str]:
    """Namespace prefixes an expression uses in name tests, function names and variables."""
    found = set()
    for t in tokens(expr):
        if t.kind in ("name", "function") and ":" in t.text:
            found.add(t.text.split(":", 1)[0])
        elif t.kind == "variable" and ":" in t.text:
            found.add(t.text[1:].split(":", 1)[0])
    return found


def functions(expr: str) -> list[str]:
    """Names of the functions an expression calls, in order (node-type tests excluded)."""
    return [t.text for t in tokens(expr) if t.kind == "function"]


def rename_variables(expr: str, mapping: Mapping[str, str]) -> str:
    """Rewrite ``$old`` references to ``$new`` outside string literals."""
    if not mapping:
        return expr
    out, last = [], 0
    for t in tokens(expr):
        if t.kind == "variable" and t.text[1:] in mapping:
            out.append(expr[last : t.start])
            out.append("$" + mapping[t.text[1:]])
            last = t.start + len(t.text)
    out.append(expr[last:])
    return "".join(out)


def substitute_params(text: str, params: Mapping[str, str]) -> str:
    """Replace abstract-pattern parameters ``$name`` by their values, textually, longest name first.

    ISO Schematron defines parameter substitution as a macro expansion on the text, so string literals
    are not protected; a name only matches whole (``$a`` does not hit ``$ab``).
    """
    if not params or "$" not in text:
        return text
    names = sorted(params, key=len, reverse=True)
    pattern = re.compile(
        r"\$(" + "|".join(re.escape(n) for n in names) + r")(?!" + _NAME_CHAR + ")"
    )
    return pattern.sub(lambda m: params[m.group(1)], text)


def split_union(expr: str) -> list[str]:
    """Split a pattern at its top-level ``|`` operators."""
    parts, depth, last = [], 0, 0
    for t in tokens(expr):
        if t.text in "([":
            depth += 1
        elif t.text in ")]":
            depth -= 1
        elif t.text == "|" and depth == 0:
            parts.append(expr[last : t.start].strip())
            last = t.start + 1
    parts.append(expr[last:].strip())
    return parts


@functools.lru_cache(maxsize=8192)
def syntax_error(expr: str) -> str | None:
    """Why ``expr`` is not a valid XPath 1.0 expression, or None when it is."""
    if not expr.strip():
        return "is empty"
    try:
        etree.XPath(expr)
    except etree.XPathSyntaxError as err:
        return str(err).lower() or "invalid expression"
    return None


def pattern_to_expression(pattern: str) -> str | None:
    """An expression selecting, from the document root, every node the XSLT pattern matches, in
    time linear in the document; None when no such expression is known (see ``alternative_expression``).

    Alternatives become one scan of the descendant axis (a union of large node-sets is itself
    quadratic in libxml2); alternatives that cannot share it are joined by ``|``.
    """
    alts = split_union(pattern)
    if len(alts) == 1:
        return alternative_expression(alts[0])
    scans, others = [], []
    for alt in alts:
        found = _alternative(alt)
        if found is None:
            return None
        if isinstance(found, tuple) and found[0] == "descendant":
            scans.append(f"self::{found[1]}{found[2]}")
        else:
            others.append(_format(found))
    if scans:
        others.insert(0, f"/descendant::node()[{' or '.join(scans)}]")
    return " | ".join(others)


def forward_expression(pattern: str) -> str:
    """The pattern read as an expression from the root (``a//b`` as ``//a//b``): what it matches,
    but in time quadratic in the document for some shapes. Only for where nothing linear exists
    (``pattern_to_expression`` returned None) and the stylesheet needs a node-set anyway."""
    return " | ".join(alt if alt.startswith(("/", "key(", "id(", "$")) else "//" + alt
                      for alt in split_union(pattern))


# libxml2 evaluates a location step once per context node and merges (and sorts) the results in
# time quadratic in their number: "//*//x" or "(//a)//x" take seconds on 40,000 siblings, and so
# does a union of two large node-sets. One scan of the descendant axis from the root with a
# predicate that looks up the ancestors is linear; that is the shape produced here.
_POSITIONAL = frozenset({"position", "last"})
# Functions whose value is a boolean or a string, never a number.
_NON_NUMERIC_FUNCTIONS = frozenset({
    "not", "boolean", "true", "false", "contains", "starts-with", "lang", "element-available",
    "function-available", "string", "concat", "substring", "substring-before", "substring-after",
    "normalize-space", "translate", "local-name", "name", "namespace-uri",
})
_COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})


@dataclass(frozen=True, slots=True)
class _Step:
    axis: str  # child | attribute
    test: str  # a name test or a node-type test, as written
    predicates: tuple[str, ...]
    node_type: str | None  # node, text, comment, processing-instruction, or None for a name test


def alternative_expression(alt: str) -> str | None:
    """A linear expression for one alternative of a pattern, or None.

    None when a step before the last has a predicate that may depend on its position (a number,
    ``position()``, ``last()``, a variable), since on the ancestor axis positions mean something
    else, or when the pattern uses what this translation does not read (other axes, ``key()``).
    Variables (XSLT 3.0's ``$v`` patterns), ``id()`` and ``key()`` alternatives are returned as
    written: they name their nodes themselves.
    """
    found = _alternative(alt)
    return None if found is None else _format(found)


def _format(found: str | tuple[str, str, str]) -> str:
    if isinstance(found, str):
        return found
    kind, test, filters = found
    return {"descendant": "/descendant::", "attribute": "/descendant-or-self::*/@",
            "child": "//"}[kind] + test + filters


def _alternative(alt: str) -> str | tuple[str, str, str] | None:
    """("descendant" | "attribute" | "child", last step's test, its filters), an expression to use
    as written, or None."""
    alt = alt.strip()
    if alt.startswith(("key(", "id(", "$")):
        return alt
    if alt == "/":
        return "/"
    parsed = _steps(alt)
    if parsed is None:
        return None
    absolute, steps, separators = parsed
    last = steps[-1]
    cond = _ancestry(steps[:-1], separators, absolute)
    if cond is False:
        return None
    tail = f"[{cond}]" if cond else ""
    if absolute and len(steps) == 1:
        tail = "[..][not(../..)]"  # a child of the root node
    preds = "".join(f"[{p}]" for p in last.predicates)
    if last.axis == "attribute":
        if not all(_position_free(p) for p in last.predicates):
            return None
        return "attribute", last.test, preds + tail
    if all(_position_free(p) for p in last.predicates):
        return "descendant", last.test, preds + tail
    if last.node_type is None and last.test != "*" and not last.test.endswith(":*"):
        # Positions count among the parent's children: keep the child step, which libxml2
        # evaluates in linear time for a name test.
        return "child", last.test, preds + tail
    return None


def _ancestry(steps: list[_Step], separators: list[str], absolute: bool) -> str | bool:
    """A predicate on the last step's node: its parent/ancestors match ``steps`` (False: cannot)."""
    cond = ""
    for i, step in enumerate(steps):
        if step.axis != "child" or not all(_position_free(p) for p in step.predicates):
            return False
        own = "".join(f"[{p}]" for p in step.predicates)
        if i == 0 and absolute:
            own += "[..][not(../..)]"
        elif step.node_type == "node":
            own += "[..]"  # the root node is no child, so child::node() never matches it
        if cond:
            own += f"[{cond}]"
        axis = "parent" if separators[i] == "/" else "ancestor"
        cond = f"{axis}::{step.test}{own}"
    return cond


def _steps(alt: str) -> tuple[bool, list[_Step], list[str]] | None:
    """(absolute, steps, separator after each step but the last) of a path pattern, or None."""
    toks = list(tokens(alt))
    absolute = False
    if toks and toks[0].text == "/":
        absolute, toks = True, toks[1:]
    elif toks and toks[0].text == "//":
        toks = toks[1:]
    groups: list[list[Token]] = [[]]
    separators: list[str] = []
    depth = 0
    for t in toks:
        if t.text in ("(", "["):
            depth += 1
        elif t.text in (")", "]"):
            depth -= 1
        if depth == 0 and t.text in ("/", "//"):
            separators.append(t.text)
            groups.append([])
        else:
            groups[-1].append(t)
    steps = []
    for group in groups:
        step = _step(alt, group)
        if step is None:
            return None
        steps.append(step)
    return absolute, steps, separators


def _step(alt: str, toks: list[Token]) -> _Step | None:
    if not toks:
        return None
    axis = "child"
    if toks[0].text == "@":
        axis, toks = "attribute", toks[1:]
    elif toks[0].kind == "axis":
        axis = toks[0].text[:-2].strip()
        toks = toks[1:]
        if axis not in ("child", "attribute"):
            return None
    if not toks:
        return None
    head = toks[0]
    if head.kind == "name":
        node_type, end = None, 1
    elif head.kind == "nodetype":
        node_type, depth, end = head.text, 0, None
        for j, t in enumerate(toks[1:], start=1):
            depth += {"(": 1, ")": -1}.get(t.text, 0)
            if depth == 0:
                end = j + 1
                break
        if end is None:
            return None
    else:
        return None
    rest = toks[end:]
    test_end = rest[0].start if rest else toks[end - 1].start + len(toks[end - 1].text)
    test = alt[head.start:test_end].strip()
    predicates: list[str] = []
    depth, opened = 0, 0
    for t in rest:
        if t.text == "[":
            if depth == 0:
                opened = t.start + 1
            depth += 1
        elif t.text == "]":
            depth -= 1
            if depth == 0:
                predicates.append(alt[opened:t.start].strip())
        elif depth == 0:
            return None
    if depth:
        return None
    return _Step(axis, test, tuple(predicates), node_type)


def _position_free(pred: str) -> bool:
    """True when a predicate certainly yields no number (so it never tests the position)."""
    toks = list(tokens(pred))
    if not toks or any(t.kind == "variable" or (t.kind == "function" and t.text in _POSITIONAL)
                       for t in toks):
        return False
    depth, top = 0, []
    for t in toks:
        if t.text in ("(", "["):
            depth += 1
        elif t.text in (")", "]"):
            depth -= 1
        elif depth == 0:
            top.append(t)
    if any(t.text in _COMPARISONS or t.text in ("and", "or") and t.kind == "operator"
           for t in top):
        return True
    if toks[0].kind == "function" and toks[0].text in _NON_NUMERIC_FUNCTIONS and len(top) == 1:
        return True  # one call of a boolean or string function: "not(...)"
    # A location path (a node-set: true when not empty).
    return all(t.kind in ("name", "axis", "nodetype") or t.text in ("/", "//", "@", ".", "..", "|")
               for t in top) and not any(t.kind == "function" for t in top)


@dataclass(frozen=True, slots=True)
class StepTest:
    """What the last step of one pattern alternative can match: node kind and (Clark) name."""

    kind: str  # root, element, attribute, text, comment, pi, any
    name: str | None = None  # Clark name, "{uri}*" or None for any name


def final_steps(pattern: str, resolve: Callable[[str], str | None]) -> list[StepTest]:
    """Classify each alternative of a pattern by what its last step can match.

    ``resolve`` maps a prefix to its namespace URI. Anything this cannot read is "any", which is
    always safe: it only costs a dispatch.
    """
    out = []
    for alt in split_union(pattern):
        out.append(_final_step(alt, resolve))
    return out


def _final_step(alt: str, resolve: Callable[[str], str | None]) -> StepTest:
    toks = list(tokens(alt))
    if not toks:
        return StepTest("any")
    if len(toks) == 1 and toks[0].text == "/":
        return StepTest("root")
    # Find the last step at depth 0: after the last top-level "/" or "//".
    depth, start = 0, 0
    for i, t in enumerate(toks):
        if t.text in "([":
            depth += 1
        elif t.text in ")]":
            depth -= 1
        elif t.text in ("/", "//") and depth == 0:
            start = i + 1
    step = toks[start:]
    # Drop predicates.
    depth, core = 0, []
    for t in step:
        if t.text == "[":
            depth += 1
        elif t.text == "]":
            depth -= 1
        elif depth == 0:
            core.append(t)
    if not core:
        return StepTest("any")
    axis = "child"
    if core[0].kind == "axis":
        axis = core[0].text.split(":")[0].strip()
        core = core[1:]
    elif core[0].text == "@":
        axis = "attribute"
        core = core[1:]
    if not core:
        return StepTest("any")
    head = core[0]
    if head.kind in ("function", "nodetype"):
        fn = head.text
        if fn in ("text",):
            return StepTest("text") if axis == "child" else StepTest("any")
        if fn == "comment":
            return StepTest("comment") if axis == "child" else StepTest("any")
        if fn == "processing-instruction":
            return StepTest("pi") if axis == "child" else StepTest("any")
        if fn == "node":
            return StepTest("attribute") if axis == "attribute" else StepTest("any")
        return StepTest("any")
    if head.kind != "name" or len(core) != 1:
        return StepTest("any")
    kind = {"child": "element", "attribute": "attribute"}.get(axis)
    if kind is None:
        return StepTest("any")
    name = head.text
    if name == "*":
        return StepTest(kind, None)
    if ":" in name:
        prefix, local = name.split(":", 1)
        uri = resolve(prefix)
        if uri is None:
            return StepTest("any")
    else:
        uri, local = "", name
    return StepTest(kind, f"{{{uri}}}{local}")
