"""A consumer contract to start from, written from a WSDL: ``cdcxml init --wsdl``.

For each chosen operation the scaffold holds a ``cdc:interaction`` (method, path from the port's
address, SOAP version from the binding, SOAPAction, and a request whose Body element the WSDL's
schema accepts), a phase, and a pattern whose one rule fires on the operation's response element.
The pattern's comment lists the paths that element may hold, so the consumer writes the asserts it
needs and nothing else: the scaffold itself asserts nothing beyond "the response is there".
"""

from __future__ import annotations

import random
import re
from urllib.parse import urlparse

from lxml import etree
from xmlschema.validators import XsdAnyElement, XsdElement, XsdGroup

from .. import soap
from ..errors import WsdlError
from . import Operation, Wsdl

SCH_NS = "http://purl.oclc.org/dsdl/schematron"
CDC_NS = "urn:cdcxml:contract:1"
_MAX_DEPTH = 8
_MAX_PATHS = 200
# Placeholder values by XSD primitive type; each is checked against the type before use.
_PLACEHOLDERS = {
    "string": "string", "boolean": "false", "decimal": "0", "float": "0", "double": "0",
    "duration": "P0D", "dateTime": "2000-01-01T00:00:00", "time": "00:00:00", "date": "2000-01-01",
    "gYearMonth": "2000-01", "gYear": "2000", "gMonthDay": "--01-01", "gDay": "---01",
    "gMonth": "--01", "hexBinary": "00", "base64Binary": "AA==", "anyURI": "urn:example",
    "QName": "x", "NOTATION": "x",
}


def scaffold(wsdl: Wsdl, consumer: str, *, operations: list[str] | None = None,
             provider: str | None = None, soap_version: str | None = None,
             version: str = "0.1.0", faults: bool = False) -> bytes:
    """The text of a consumer contract for ``operations`` (all of them when not given).

    With ``faults``, each fault an operation declares gets an interaction of its own expecting that
    fault, and a pattern asserting its detail element (the request must then be changed into one
    the provider answers with that fault: the WSDL cannot say which).
    """
    chosen = _choose(wsdl, operations, soap_version)
    prefixes = _Prefixes(wsdl)
    out: list[str] = []
    body: list[str] = []
    patterns: list[str] = []
    ids: list[str] = []
    for op in chosen:
        body.append(_interaction(wsdl, op, prefixes))
        patterns.append(_pattern(wsdl, op, prefixes))
        ids.append(_id(op.name))
        for fault in op.faults if faults else ():
            fid = _id(f"{op.name}-{fault.name}")
            body.append(_fault_interaction(wsdl, op, fault, fid))
            patterns.append(_fault_pattern(op, fault, fid, prefixes))
            ids.append(fid)
    phases = [f'  <sch:phase id="{i}">\n    <sch:active pattern="{i}"/>\n  </sch:phase>'
              for i in ids]
    name = provider or _service_name(wsdl)
    out.append('<?xml version="1.0" encoding="utf-8"?>')
    out.append(f'<sch:schema xmlns:sch="{SCH_NS}" xmlns:cdc="{CDC_NS}" queryBinding="xslt">')
    out.append(f"  <sch:title>What {_attr(consumer)} needs from {_attr(name)}</sch:title>")
    out.append(f'  <cdc:contract consumer="{_attr(consumer)}" provider="{_attr(name)}" '
               f'version="{_attr(version)}"/>')
    for prefix, uri in prefixes.used():
        out.append(f'  <sch:ns prefix="{prefix}" uri="{_attr(uri)}"/>')
    out.extend(phases)
    out.extend(body)
    out.extend(patterns)
    out.append("</sch:schema>")
    return ("\n".join(out) + "\n").encode("utf-8")


def _choose(wsdl: Wsdl, names: list[str] | None, version: str | None) -> list[Operation]:
    versions = {op.soap_version for op in wsdl.operations}
    if version is None:
        version = soap.SOAP11 if soap.SOAP11 in versions else sorted(versions)[0]
    elif version not in versions:
        raise WsdlError(f"the WSDL has no SOAP {version} binding (it has "
                        f"{', '.join(sorted(versions))})", path=str(wsdl.path))
    ops = [op for op in wsdl.operations if op.soap_version == version]
    if not names:
        return _unique(ops)
    picked = []
    for n in names:
        found = [op for op in ops if op.name == n]
        if not found:
            raise WsdlError(f"no operation {n!r} in the SOAP {version} binding (it has "
                            f"{', '.join(dict.fromkeys(o.name for o in ops))})",
                            path=str(wsdl.path))
        picked.append(found[0])
    return _unique(picked)


def _unique(ops: list[Operation]) -> list[Operation]:
    seen: dict[str, Operation] = {}
    for op in ops:
        seen.setdefault(op.name, op)
    return list(seen.values())


def _interaction(wsdl: Wsdl, op: Operation, prefixes: _Prefixes) -> str:
    """The cdc:interaction of ``op``: its request, and the response element that answers it."""
    path = urlparse(op.address).path if op.address else "/"
    env_ns = soap.ENVELOPE_NS[op.soap_version]
    request = _request_element(wsdl, op)
    payload = etree.tostring(request, encoding="unicode", pretty_print=True) if request is not None \
        else ""
    payload = "\n".join("          " + line for line in payload.strip().splitlines())
    action = f' soap-action="{_attr(op.soap_action)}"' if op.soap_action else ""
    response = ('    <cdc:response status="202" body="empty"/>' if op.one_way
                else f'    <cdc:response status="200" element="{prefixes.name(op.output)}"/>')
    return (f'  <cdc:interaction id="{_id(op.name)}" phase="{_id(op.name)}">\n'
            f'    <cdc:description>{_text(op.name)} ({op.binding}, SOAP {op.soap_version})'
            f'</cdc:description>\n'
            f'    <cdc:request method="POST" path="{_attr(path or "/")}" soap="{op.soap_version}"'
            f'{action}>\n'
            f'      <soapenv:Envelope xmlns:soapenv="{env_ns}">\n'
            f'        <soapenv:Body>\n{payload}\n        </soapenv:Body>\n'
            f'      </soapenv:Envelope>\n'
            f'    </cdc:request>\n{response}\n  </cdc:interaction>')


def _fault_interaction(wsdl: Wsdl, op: Operation, fault, fid: str) -> str:
    text = _interaction(wsdl, op, _Prefixes(wsdl))
    text = text.replace(f'<cdc:interaction id="{_id(op.name)}" phase="{_id(op.name)}">',
                        f'<cdc:interaction id="{fid}" phase="{fid}">', 1)
    text = text.replace("<cdc:description>",
                        f"<!-- Change the request into one answered by the {_comment(fault.name)} "
                        f"fault. -->\n    <cdc:description>{_text(fault.name)} fault of ", 1)
    head, _, _ = text.rpartition("    <cdc:response")
    return head + '    <cdc:response status="500" fault="true"/>\n  </cdc:interaction>'


def _fault_pattern(op: Operation, fault, fid: str, prefixes: _Prefixes) -> str:
    env = prefixes.prefix(soap.ENVELOPE_NS[op.soap_version])
    test = f".//{prefixes.name(fault.element)}" if fault.element else f"{env}:Fault"
    return (f'  <sch:pattern id="{fid}">\n    <sch:rule context="{env}:Fault">\n'
            f'      <sch:assert id="{fid}-detail" test="{_attr(test)}">The fault is '
            f'{_text(fault.name)}</sch:assert>\n    </sch:rule>\n  </sch:pattern>')


def _pattern(wsdl: Wsdl, op: Operation, prefixes: _Prefixes) -> str:
    pid = _id(op.name)
    if op.output is None:
        return (f'  <sch:pattern id="{pid}" cdc:optional="true">\n'
                f'    <!-- {_comment(op.name)} is one-way: its response has no body to check. -->\n'
                f'  </sch:pattern>')
    root = prefixes.name(op.output)
    decl = wsdl.xsd.schema.maps.elements.get(op.output)
    lines = [f"/{root}"]
    if decl is not None:
        _paths(decl, f"/{root}", prefixes, lines, 0, set())
    listed = "\n".join(f"           {_comment(p)}" for p in lines[:_MAX_PATHS])
    more = f"\n           ... and {len(lines) - _MAX_PATHS} more" if len(lines) > _MAX_PATHS else ""
    faults = ""
    if op.faults:
        faults = ("\n         Declared faults (their detail element): " + ", ".join(
            f"{f.name} ({prefixes.name(f.element) if f.element else 'no detail'})"
            for f in op.faults))
    return (f'  <sch:pattern id="{pid}">\n'
            f'    <!-- The response of {_comment(op.name)} and the paths it may hold:\n{listed}{more}'
            f'{faults}\n'
            f'         Write an assert for each one this consumer reads, e.g.\n'
            f'         <sch:assert test="{_comment(_example(lines, root))}">...</sch:assert> -->\n'
            f'    <sch:rule context="{root}">\n    </sch:rule>\n  </sch:pattern>')


def _example(lines: list[str], root: str) -> str:
    for p in lines[1:]:
        if "@" not in p:
            return p[len(root) + 2:]
    return "true()"


def _paths(decl, prefix: str, names: _Prefixes, out: list[str], depth: int, stack: set) -> None:
    if depth >= _MAX_DEPTH or len(out) > _MAX_PATHS or id(decl.type) in stack:
        return
    t = decl.type
    for attr in getattr(decl, "attributes", {}).values():
        if getattr(attr, "name", None):
            out.append(f"{prefix}/@{names.name(attr.name)}")
    if not t.is_complex() or not isinstance(t.content, XsdGroup):
        return
    stack = stack | {id(t)}
    for child in _elements(t.content):
        path = f"{prefix}/{names.name(child.name)}"
        out.append(path)
        _paths(child, path, names, out, depth + 1, stack)


def _elements(group: XsdGroup):
    for item in group:
        if isinstance(item, XsdGroup):
            yield from _elements(item)
        elif isinstance(item, XsdElement) and not isinstance(item, XsdAnyElement):
            yield item


def _request_element(wsdl: Wsdl, op: Operation) -> etree._Element | None:
    if op.input is None:
        return None
    decl = wsdl.xsd.schema.maps.elements.get(op.input)
    if decl is None:  # rpc/literal: a wrapper named after the operation
        return etree.Element(op.input, nsmap={"tns": etree.QName(op.input).namespace})
    ns = etree.QName(op.input).namespace
    el = _Instance(wsdl).element(decl, 0, {None: ns} if ns else {})
    if not wsdl.xsd.schema.is_valid(el):
        raise WsdlError(f"cannot write a request for {op.name}: no instance of "
                        f"{etree.QName(op.input).localname} that the schema accepts was found",
                        path=str(wsdl.path), line=op.line)
    return el


class _Instance:
    """The smallest instance of an element: one of each child element, placeholder values."""

    def __init__(self, wsdl: Wsdl):
        self.wsdl = wsdl
        self.rnd = random.Random(0)

    def element(self, decl, depth: int, nsmap: dict) -> etree._Element:
        el = etree.Element(decl.name, nsmap=nsmap or None)
        t = decl.type
        for attr in getattr(decl, "attributes", {}).values():
            if getattr(attr, "use", None) == "required" and attr.name:
                el.set(attr.name, self.value(attr.type))
        if t.is_simple():
            el.text = self.value(t)
        elif t.has_simple_content():
            el.text = self.value(t.content)
        elif isinstance(t.content, XsdGroup) and depth < _MAX_DEPTH:
            self.group(el, t.content, depth)
        return el

    def group(self, el: etree._Element, group: XsdGroup, depth: int) -> None:
        items = list(group)
        if group.model == "choice" and items:
            items = items[:1]
        for item in items:
            if isinstance(item, XsdGroup):
                self.group(el, item, depth)
            elif isinstance(item, XsdElement) and not isinstance(item, XsdAnyElement):
                if item.min_occurs == 0 and (depth > 0 and item.type.is_complex()):
                    continue  # optional structure below the top: left out
                if item.abstract:
                    continue
                for _ in range(max(item.min_occurs, 1)):
                    el.append(self.element(item, depth + 1, {}))

    def value(self, st) -> str:
        enum = getattr(st, "enumeration", None)
        if enum:
            return str(enum[0])
        primitive = getattr(st, "primitive_type", None)
        local = etree.QName(primitive.name).localname if primitive is not None and getattr(
            primitive, "name", None) else "string"
        candidate = _PLACEHOLDERS.get(local, "string")
        if _accepts(st, candidate):
            return candidate
        from ..xsd2sch.measure.instances import Generator

        gen = Generator(self.wsdl.xsd.schema, self.rnd)
        for _ in range(20):
            try:
                text = gen.value(st)
            except ValueError:
                continue
            if _accepts(st, text):
                return text
        return candidate


def _accepts(st, text: str) -> bool:
    try:
        return bool(st.is_valid(text))
    except Exception:  # noqa: BLE001 - xmlschema raises many kinds for a value it cannot take
        return False


_KNOWN = {soap.SOAP11_ENV: "soap", soap.SOAP12_ENV: "soap12"}


class _Prefixes:
    """One prefix per namespace, the WSDL's own where it has one."""

    def __init__(self, wsdl: Wsdl):
        self.own = dict(wsdl.prefixes)
        self.taken: dict[str, str] = {}

    def prefix(self, ns: str) -> str:
        if ns not in self.taken:
            want = self.own.get(ns) or _KNOWN.get(ns) or "ns"
            if not re.fullmatch(r"[A-Za-z_][\w.-]*", want) or want in ("sch", "cdc", "xml"):
                want = "ns"
            name, n = want, 1
            while name in self.taken.values():
                n += 1
                name = f"{want}{n}"
            self.taken[ns] = name
        return self.taken[ns]

    def name(self, clark: str) -> str:
        q = etree.QName(clark)
        return f"{self.prefix(q.namespace)}:{q.localname}" if q.namespace else q.localname

    def used(self) -> list[tuple[str, str]]:
        return [(p, ns) for ns, p in self.taken.items()]


def _service_name(wsdl: Wsdl) -> str:
    """The service's name in the project's style: ``ProductSearch`` -> ``product-search``."""
    name = wsdl.service or wsdl.path.stem
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-").lower() or "provider"


def _id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def _text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _comment(text: str) -> str:
    return text.replace("--", "- -")
