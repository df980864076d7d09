"""XPath expressions: the checker reads them as XPath 1.0 does (§3.7 lexical disambiguation), so it
accepts exactly what libxml2's XPath compiler accepts, and adds only its own stricter checks
(unknown functions, undeclared prefixes, undefined variables)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from cdcxml.errors import SchematronError
from cdcxml.schematron import parse_schematron, xpath
from cdcxml.schematron.check import Checker
from cdcxml.schematron.model import Where

from .engine_support import ids, write_contract

P_URI = "urn:test:p"
_SCHEMA = parse_schematron(
    b'<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">'
    b'<sch:ns prefix="p" uri="urn:test:p"/></sch:schema>')
_WHERE = Where("test.sch", 1)


def checker_accepts(expr: str) -> bool:
    """Whether the engine's checker takes ``expr`` as a rule's test (``$v`` defined, ``p`` bound)."""
    try:
        Checker(_SCHEMA, None, []).expr(expr, "assert test", _WHERE, (("p", P_URI),), {"v"})
    except SchematronError:
        return False
    return True


def libxml2_compiles(expr: str) -> bool:
    try:
        etree.XPath(expr, namespaces={"p": P_URI})
    except etree.XPathSyntaxError:
        return False
    return True


# -- the cases real schemas hit -------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    "2 * (@a + 1)", "(1+1) * 2", "@a*(2)", "count(x) * (3 - 1)", ". * (1)", "$v * (1)",
    "'2' * (1)", "text() * (1)", "p:a * (1)", "* * (1)", "x[1] * (2)", "a div (b)", "a mod(b)",
    "a and(b)", "a or (b)", "div * 2", "count(div) * 2", "child::* * 2", "@* * 2", "p:* * (2)",
])
def test_a_multiplication_before_a_parenthesis_is_not_a_function_call(expr):
    assert libxml2_compiles(expr)
    assert checker_accepts(expr), expr
    assert xpath.functions(expr) == [f for f in ("count",) if f"{f}(" in expr]


@pytest.mark.parametrize(("expr", "called"), [
    ("div(1)", "div"), ("foo(1)", "foo"), ("a = frob(1)", "frob"), ("1 + mod (2)", "mod"),
    ("x[and(1)]", "and"), ("(or(1))", "or"), ("1 * frob(2)", "frob"),
])
def test_a_name_before_a_parenthesis_where_an_operand_starts_is_a_call(expr, called):
    assert libxml2_compiles(expr)
    assert xpath.functions(expr) == [called]
    assert not checker_accepts(expr)


def test_the_stricter_checks_still_apply():
    assert not checker_accepts("q:a * 2")  # prefix q is declared nowhere
    assert not checker_accepts("$w * (1)")  # no variable w
    assert xpath.prefixes("p:f(1) * q:g(2) + $r:v") == {"p", "q", "r"}


def test_a_schema_multiplying_before_parentheses_compiles_and_runs(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="area">
        <sch:rule context="Floor">
          <sch:assert id="twice" test="@total = 2 * (@a + 1)">total is twice a plus one</sch:assert>
        </sch:rule>
      </sch:pattern>""")
    doc = b'<Building><Floor a="4" total="10"/><Floor a="4" total="9"/></Building>'
    assert ids(contract.validate(doc).findings) == ["twice"]


# -- the property ---------------------------------------------------------------------------------
# Every name here that can stand before "(" is a known function or a node type, so the checker's own
# rules (unknown functions, prefixes, variables) never apply: it must agree with libxml2 exactly.
# (Operator names are left to the grammar below: "div (" is a call of the unknown function div.)
_SOUP = st.sampled_from([
    "*", "*", "(", ")", "(", ")", "[", "]", "@", ",", "/", "//", "|", "+", " - ", "=", "!=", "<",
    ">=", ".", "..", "2", "1.5", "'s'", "$v", "p:b", "p:*", "count", "not", "true", "string",
    "concat", "position", "text", "node", "comment", "child::", "self::", "attribute::",
])


_NAME_CHAR = re.compile(r"[\w.\-]")


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_SOUP, min_size=1, max_size=9), st.lists(st.sampled_from(["", " "]), min_size=9,
                                                         max_size=9))
def test_the_checker_accepts_exactly_what_libxml2_compiles(parts, gaps):
    expr = ""
    for part, gap in zip(parts, gaps, strict=False):
        # Two parts that would fuse into one new name (and so an undeclared prefix or an unknown
        # function, which only the checker refuses) stay apart.
        if expr and _NAME_CHAR.match(expr[-1]) and _NAME_CHAR.match(part[0]):
            gap = " "
        expr += gap + part
    expr = expr.strip()
    assert checker_accepts(expr) == libxml2_compiles(expr), expr


# Expressions built from the grammar, with the functions they call known by construction.
_NAMES = st.sampled_from(["a", "p:b", "*", "p:*", "div", "mod", "and", "or", "count", "text",
                          "node", "x-y"])
_CALLABLE = st.sampled_from(["count", "not", "string", "concat", "p:f", "frob", "div", "and"])


def _step(abbreviated: bool = True):
    # XPath 1.0 gives "." and ".." no predicates.
    return st.one_of(
        _NAMES.map(lambda n: (n, [])),
        _NAMES.map(lambda n: ("@" + n, [])),
        _NAMES.map(lambda n: ("child::" + n, [])),
        st.sampled_from(["text()", "node()", *((".", "..") if abbreviated else ())]).map(
            lambda s: (s, [])),
    )


def _expressions():
    atoms = st.one_of(
        st.sampled_from(["1", "2.5", "'div'", '"*"', "$v"]).map(lambda s: (s, [])),
        _step(),
    )

    def extend(inner):
        pairs = st.tuples(inner, inner)
        return st.one_of(
            st.tuples(pairs, st.sampled_from(["*", " div ", " mod ", "+", " - ", "=", "<", " and ",
                                              " or ", "|"]),
                      st.sampled_from(["", " "])).map(
                lambda t: (f"{t[0][0][0]}{t[2]}{t[1]}{t[2]}{t[0][1][0]}", t[0][0][1] + t[0][1][1])),
            inner.map(lambda e: (f"({e[0]})", e[1])),
            st.tuples(_step(False), inner).map(lambda t: (f"{t[0][0]}[{t[1][0]}]", t[0][1] + t[1][1])),
            st.tuples(_step(), _step()).map(lambda t: (f"{t[0][0]}/{t[1][0]}", [])),
            st.tuples(_step(), _step()).map(lambda t: (f"{t[0][0]}//{t[1][0]}", [])),
            st.tuples(_CALLABLE, st.lists(inner, max_size=2)).map(
                lambda t: (f"{t[0]}({', '.join(a[0] for a in t[1])})",
                           [t[0]] + [c for a in t[1] for c in a[1]])),
        )

    return st.recursive(atoms, extend, max_leaves=8)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_expressions())
def test_the_functions_found_are_the_functions_called(built):
    expr, calls = built
    assert libxml2_compiles(expr), expr
    assert xpath.functions(expr) == calls, expr
    unknown = [c for c in calls if ":" not in c and c not in xpath.XPATH_FUNCTIONS]
    assert checker_accepts(expr) == (not unknown), expr


# -- rule contexts as expressions ------------------------------------------------------------------
# The pre-check, the pattern scans and lint look for a context's nodes with one expression. It
# must select what the pattern matches, and in linear time: never "//*//x", "(//a)//x" or a union
# of large node-sets, which libxml2 merges and sorts in quadratic time.
_DOC = etree.fromstring(
    b'<r xmlns:p="urn:test:p"><a x="1"><b><a><b x="2">t</b><c/></a></b><p:d/><!--c--></a>'
    b'<b><c x="3"><a/>u</c><?pi v?></b><a><b/><b x="4"/></a></r>')
_PSTEP = st.sampled_from(["a", "b", "c", "*", "p:d", "p:*", "node()", "a[@x]", "*[b]",
                          "b[not(@x)]", "a[b/c]", "b[@x = '2']", "c[1]", "b[last()]", "a[2]"])
_LAST = st.one_of(_PSTEP, st.sampled_from(["@x", "@*", "text()", "comment()",
                                           "processing-instruction()", "text()[normalize-space()]",
                                           "b[1]", "*[1]"]))


@st.composite
def _patterns(draw):
    alts = []
    for _ in range(draw(st.integers(1, 2))):
        lead = draw(st.sampled_from(["", "", "/", "//"]))
        steps = draw(st.lists(_PSTEP, max_size=3)) + [draw(_LAST)]
        seps = [draw(st.sampled_from(["/", "//"])) for _ in steps[1:]]
        alts.append(lead + steps[0] + "".join(s + t for s, t in zip(seps, steps[1:], strict=True)))
    return " | ".join(alts)


def _matched(pattern: str) -> set:
    """The nodes an XSLT pattern matches: every node, tried as in the pattern's definition."""
    forward = " | ".join(a if a.startswith("/") else "//" + a for a in xpath.split_union(pattern))
    found = etree.XPath(forward, namespaces={"p": P_URI})(_DOC)
    return {_key(n) for n in found}


def _key(node) -> tuple:
    if isinstance(node, str):  # an attribute value
        return ("@", _key(node.getparent()), node.attrname)
    return ("n", node.getroottree().getpath(node) if hasattr(node, "getroottree") else node)


@settings(max_examples=400, deadline=None)
@given(_patterns())
def test_a_context_becomes_an_expression_selecting_what_it_matches(pattern):
    expr = xpath.pattern_to_expression(pattern)
    if expr is None:
        assert any(xpath.alternative_expression(a) is None for a in xpath.split_union(pattern))
        return
    assert "//*//" not in expr and ")//" not in expr
    found = {_key(n) for n in etree.XPath(expr, namespaces={"p": P_URI})(_DOC)}
    assert found == _matched(pattern), (pattern, expr)


@pytest.mark.parametrize(("pattern", "expected"), [
    ("*//p:Product", "/descendant::p:Product[ancestor::*]"),
    ("p:Product", "/descendant::p:Product"),
    ("a/b//c", "/descendant::c[ancestor::b[parent::a]]"),
    ("/a//b", "/descendant::b[ancestor::a[..][not(../..)]]"),
    ("a | b", "/descendant::node()[self::a or self::b]"),
    ("a[1]//b", None),  # a position on the ancestor axis means something else
])
def test_contexts_translate_to_one_scan_of_the_descendant_axis(pattern, expected):
    assert xpath.pattern_to_expression(pattern) == expected
