"""Just enough XPath 1.0 lexing for static checks and rewriting.

Variable references, namespace prefixes, top-level unions and parameter substitution all need to know
what is inside a string literal and what is not; a regular expression over the raw text does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from lxml import etree

# U+00C0 to U+FFFF, spelled as a negated class: a plain range next to \w costs the regular
# expression compiler tens of milliseconds at every start, this one nothing.
_HIGH = r"[^\x00-\xbf\U00010000-\U0010FFFF]"
_NAME_CHAR = rf"(?:[\w.\-\u00B7]|{_HIGH})"
_NCNAME = rf"(?:[A-Za-z_]|{_HIGH}){_NAME_CHAR}*"
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
    """One lexical token: its kind, text and offset."""

    kind: str
    text: str
    start: int


def tokens(expr: str) -> Iterator[Token]:
    """Tokenise an XPath 1.0 expression (whitespace dropped)."""
    for m in _TOKEN.finditer(expr):
        kind = m.lastgroup or "other"
        if kind != "ws":
            yield Token(kind, m.group(), m.start())


def variables(expr: str) -> list[str]:
    """Names of the variables an expression references, in order."""
    return [t.text[1:] for t in tokens(expr) if t.kind == "variable"]


def prefixes(expr: str) -> set[str]:
    """Namespace prefixes an expression uses in name tests and function names."""
    found = set()
    for t in tokens(expr):
        if t.kind == "name" and ":" in t.text:
            found.add(t.text.split(":", 1)[0])
        elif t.kind == "variable" and ":" in t.text:
            found.add(t.text[1:].split(":", 1)[0])
    return found


OPERATOR_NAMES = frozenset({"and", "or", "div", "mod"})
# After these tokens a name is a name test or function; after anything else, an operator (XPath 3.7).
_NAME_CONTEXT = frozenset({"@", "::", "(", "[", ",", "/", "//", "|", "+", "-", "=", "!=", "<", "<=",
                           ">", ">="})


def functions(expr: str) -> list[str]:
    """Names of the functions an expression calls (node-type tests and operators excluded)."""
    toks = list(tokens(expr))
    out = []
    for i, t in enumerate(toks[:-1]):
        if t.kind != "name" or toks[i + 1].text != "(" or t.text in NODE_TYPES:
            continue
        prev = toks[i - 1] if i else None
        is_operator = (t.text in OPERATOR_NAMES and prev is not None
                       and prev.text not in _NAME_CONTEXT and prev.kind != "axis"
                       and not (prev.kind == "name" and prev.text in OPERATOR_NAMES))
        if not is_operator:
            out.append(t.text)
    return out


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


def syntax_error(expr: str) -> str | None:
    """Why ``expr`` is not a valid XPath 1.0 expression, or None when it is."""
    if not expr.strip():
        return "is empty"
    try:
        etree.XPath(expr)
    except etree.XPathSyntaxError as err:
        return str(err).lower() or "invalid expression"
    return None


def pattern_to_expression(pattern: str) -> str:
    """An expression selecting, from the document root, every node the XSLT pattern matches."""
    alts = []
    for alt in split_union(pattern):
        # A variable (XSLT 3.0's ``$v`` pattern) already names nodes from the root.
        if alt.startswith(("/", "key(", "id(", "$")):
            alts.append(alt)
        else:
            alts.append("//" + alt)
    return " | ".join(alts)


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
    if head.kind == "name" and len(core) > 1 and core[1].text == "(":
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
