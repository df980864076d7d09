"""A compiled contract as a standalone XSLT 1.0 stylesheet that writes SVRL.

cdcxml's own stylesheet writes a compact result (namespace ``urn:cdcxml:run``) and calls Python
extension functions for locations; this rewrites it for any XSLT 1.0 processor with EXSLT
``node-set`` (xsltproc, lxml, Saxon, .NET): locations are computed by a named template, each
finding becomes its SVRL element, and the single walk's output is grouped under the
``svrl:active-pattern`` it belongs to.
"""

from __future__ import annotations

import re

from lxml import etree

from ..errors import SchematronError
from .ns import RUN, SVRL, XSL
from .run import Compiled

X, R, S = f"{{{XSL}}}", f"{{{RUN}}}", f"{{{SVRL}}}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RAW = "cdcr-raw"
_EXTENSION_CALL = re.compile(r"cdcr:[\w.-]+\s*\(")


def _avt(value: str) -> str:
    return value.replace("{", "{{").replace("}", "}}")


def standalone_xslt(compiled: Compiled) -> bytes:
    """The stylesheet (UTF-8 bytes) for a contract compiled with ``svrl=True``."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(compiled.xslt_source, parser)
    plan = compiled.plan
    for el in list(root.iter(R + "*")):
        local = etree.QName(el).localname
        if local == "r":
            _fired_rule(el, plan)
        elif local == "f":
            _finding(el, plan)
    for el in list(root.iter(X + "value-of")):
        if el.get("select", "").startswith(("cdcr:enter(", "cdcr:uri(")):
            el.getparent().remove(el)
    _output(root, compiled)
    root.append(_location_template())
    excluded = set(root.get("exclude-result-prefixes", "").split()) | {"cdcr"}
    root.set("exclude-result-prefixes", " ".join(sorted(excluded)))
    for el in root.iter(X + "*"):
        for attr in ("select", "test", "match", "use"):
            if _EXTENSION_CALL.search(el.get(attr, "")):
                raise SchematronError(f"this contract cannot be written as a standalone stylesheet: "
                                      f"{el.get(attr)!r} needs cdcxml", path=compiled.schema.where.file)
    return etree.tostring(root.getroottree(), pretty_print=True, encoding="UTF-8",
                          xml_declaration=True)


def _group(el: etree._Element, p_index: int, new: etree._Element) -> None:
    """Put ``new`` where ``el`` was, inside a wrapper naming its pattern."""
    wrapper = etree.Element("cdcr-g", p=str(p_index))  # no namespace: none to copy along
    wrapper.append(new)
    wrapper.tail = el.tail
    el.getparent().replace(el, wrapper)


def _fired_rule(el: etree._Element, plan) -> None:
    p_index, rule = plan.rules[int(el.get("r"))]
    fired = etree.Element(S + "fired-rule", context=_avt(rule.context))
    for attr, value in (("id", rule.id), ("role", rule.role), ("flag", rule.flag)):
        if value:
            fired.set(attr, _avt(value))
    _group(el, p_index, fired)


def _finding(el: etree._Element, plan) -> None:
    ri, a = plan.assertions[int(el.get("a"))]
    p_index, rule = plan.rules[ri]
    tag = "failed-assert" if a.kind == "assert" else "successful-report"
    out = etree.Element(S + tag, test=_avt(a.test))
    for attr, value in (("id", a.id), ("role", a.role or rule.role), ("flag", a.flag or rule.flag),
                        (XML_LANG, a.text.lang)):
        if value:
            out.set(attr, _avt(value))
    for child in list(el):
        if child.tag == X + "attribute" and child.get("name") == "l":
            select = child[0].get("select")
            target = select[len("cdcr:locate("):-len(", /*)")]
            loc = etree.SubElement(out, X + "attribute", name="location")
            each = etree.SubElement(loc, X + "for-each", select=f"({target})[1]")
            etree.SubElement(each, X + "call-template", name="cdcr:location")
        elif child.tag == X + "attribute":  # the spelled-out steps: the template does it
            continue
        elif child.tag == R + "t":
            child.tag = S + "text"
            out.append(child)
        elif child.tag in (R + "d", R + "pr"):
            table = plan.diagnostics if child.tag == R + "d" else plan.properties
            item = table[int(child.get(R + "i"))]
            if child.tag == R + "d":
                ref = etree.SubElement(out, S + "diagnostic-reference", diagnostic=_avt(item.id))
            else:
                ref = etree.SubElement(out, S + "property-reference", property=_avt(item.id))
                for attr in ("role", "scheme"):
                    if getattr(item, attr):
                        ref.set(attr, _avt(getattr(item, attr)))
            text = etree.SubElement(ref, S + "text")
            text.text = child.text
            text.extend(list(child))
    _group(el, p_index, out)


def _output(root: etree._Element, compiled: Compiled) -> None:
    """The root template: the walk into a variable, then SVRL grouped by pattern."""
    start = next(t for t in root.iterchildren(X + "template") if t.get("match") == "/")
    raw_out = start.find(R + "out")  # renamed in place: moving it could lose namespaces
    raw_out.tag = X + "variable"
    raw_out.set("name", RAW)
    schema, plan = compiled.schema, compiled.plan
    out = etree.SubElement(start, S + "schematron-output")
    for attr, value in (("title", schema.title), ("phase", plan.phase),
                        ("schemaVersion", schema.schema_version)):
        if value:
            out.set(attr, _avt(value))
    for prefix, uri in schema.ns:
        etree.SubElement(out, S + "ns-prefix-in-attribute-values", prefix=_avt(prefix),
                         uri=_avt(uri))
    items = f"exsl:node-set(${RAW})"
    for i, pattern in enumerate(plan.patterns):
        active = etree.SubElement(out, S + "active-pattern")
        for attr in ("id", "name", "role"):
            if getattr(pattern, attr):
                active.set(attr, _avt(getattr(pattern, attr)))
        if pattern.documents:
            docs = etree.SubElement(active, X + "attribute", name="documents")
            etree.SubElement(docs, X + "value-of",
                             select=f"normalize-space({items}/cdcr:p[@p = '{i}']/@docs)")
        etree.SubElement(out, X + "copy-of", select=f"{items}/cdcr-g[@p = '{i}']/*")


def _location_template() -> etree._Element:
    """``cdcr:location``: an XPath 1.0 path to the context node, namespace-exact."""
    t = etree.Element(X + "template", name="cdcr:location")
    each = etree.SubElement(t, X + "for-each", select="ancestor-or-self::node()")
    choose = etree.SubElement(each, X + "choose")
    same = "[local-name() = local-name(current()) and namespace-uri() = namespace-uri(current())]"
    steps = (
        ("self::* and namespace-uri()",
         "concat('/*[local-name()=', \"'\", local-name(), \"'\", ' and namespace-uri()=', \"'\", "
         f"namespace-uri(), \"'\", '][', count(preceding-sibling::*{same}) + 1, ']')"),
        ("self::*", f"concat('/', local-name(), '[', count(preceding-sibling::*{same}) + 1, ']')"),
        ("self::text()", "concat('/text()[', count(preceding-sibling::text()) + 1, ']')"),
        ("self::comment()", "concat('/comment()[', count(preceding-sibling::comment()) + 1, ']')"),
        ("self::processing-instruction()",
         "concat('/processing-instruction(', \"'\", name(), \"'\", ')[', "
         "count(preceding-sibling::processing-instruction()[name() = name(current())]) + 1, ']')"),
        ("count(. | ../@*) = count(../@*) and namespace-uri()",
         "concat('/@*[local-name()=', \"'\", local-name(), \"'\", ' and namespace-uri()=', \"'\", "
         "namespace-uri(), \"'\", ']')"),
        ("count(. | ../@*) = count(../@*)", "concat('/@', local-name())"),
    )
    for test, value in steps:
        when = etree.SubElement(choose, X + "when", test=test)
        etree.SubElement(when, X + "value-of", select=value)
    root_only = etree.SubElement(t, X + "if", test="not(parent::node())")
    etree.SubElement(root_only, X + "text").text = "/"
    return t
