"""WSDL 1.1 as data: the operations a SOAP service offers, and the schemas of its messages.

A WSDL is read by cdcxml's hardened loader (no DTD, no network), and so is every file it reaches:
``wsdl:import`` locations and the ``xsd:import``/``xsd:include`` of its ``wsdl:types`` resolve only
to files inside the WSDL's own folder (or, with ``allow="local"``, any local file). The schemas of
``wsdl:types`` are built as one schema of several namespaces by :func:`cdcxml.xsd.build_schema`.

Only the structure cdcxml needs is read: for each operation of each SOAP binding, its SOAP version,
SOAPAction, style, the elements of its input, output and faults, and the port's address.
Document/literal messages name their element; rpc/literal ones are wrapped in an element named after
the operation (``{namespace}Op`` and ``{namespace}OpResponse``), whose parts the schema cannot check.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .. import soap, xmlio
from ..errors import CdcxmlError, WsdlError
from ..fsutil import contained_path
from ..xsd import ALLOW_MODES, Xsd, build_schema

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
SOAP_BINDING_NS = {
    "http://schemas.xmlsoap.org/wsdl/soap/": soap.SOAP11,
    "http://schemas.xmlsoap.org/wsdl/soap12/": soap.SOAP12,
}
_MAX_FILES = 64


def _w(local: str) -> str:
    return f"{{{WSDL_NS}}}{local}"


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault an operation declares: its name and the element its detail carries."""

    name: str
    element: str | None


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of one SOAP binding."""

    name: str
    binding: str
    soap_version: str
    soap_action: str | None
    style: str  # "document" or "rpc"
    input: str | None  # Clark name of the request's Body element
    output: str | None  # Clark name of the response's Body element (None: one-way)
    faults: tuple[Fault, ...]
    address: str | None
    line: int | None

    @property
    def one_way(self) -> bool:
        return self.output is None


@dataclass(frozen=True, slots=True)
class Wsdl:
    """A read WSDL: its operations (per SOAP binding) and the schema of its types."""

    path: Path
    target_namespace: str | None
    operations: tuple[Operation, ...]
    xsd: Xsd
    prefixes: tuple[tuple[str, str], ...] = ()  # the WSDL's own prefix for each namespace
    service: str | None = None  # the name of its first wsdl:service

    def operation(self, name: str, soap_version: str | None = None) -> Operation | None:
        """The operation called ``name`` (of the binding of ``soap_version``, if given)."""
        for op in self.operations:
            if op.name == name and (soap_version is None or op.soap_version == soap_version):
                return op
        return None

    def names(self) -> list[str]:
        """Every operation name, once, in the WSDL's order."""
        return list(dict.fromkeys(op.name for op in self.operations))

    def fault_elements(self) -> frozenset[str]:
        """The elements any operation's faults carry in their detail."""
        return frozenset(f.element for op in self.operations for f in op.faults if f.element)


def load_wsdl(path: str | Path, *, allow: str = "sandbox") -> Wsdl:
    """Read a WSDL 1.1 file and the files it imports; raise :class:`WsdlError` in one line."""
    if allow not in ALLOW_MODES:
        raise ValueError(f"allow must be one of {ALLOW_MODES}, not {allow!r}")
    p = Path(path)
    reader = _Reader(p, allow)
    reader.read(p)
    root_name = str(p)
    if not reader.schemas:
        raise WsdlError("the WSDL has no schema in wsdl:types: its messages cannot be checked",
                        path=root_name)
    try:
        xsd = build_schema(reader.schemas, path=p, allow=allow)
    except CdcxmlError as err:
        raise WsdlError(err.message, path=err.path or root_name, line=err.line) from err
    operations = tuple(reader.operations())
    if not operations:
        raise WsdlError("the WSDL declares no SOAP binding with operations", path=root_name)
    wsdl = Wsdl(p, reader.target_namespace, operations, xsd, tuple(reader.prefixes.items()),
                reader.service)
    faults = dataclasses.replace(xsd, fault_elements=wsdl.fault_elements())
    return dataclasses.replace(wsdl, xsd=faults)


class _Reader:
    """Collects the definitions of a WSDL and its imports, keyed by qualified name."""

    def __init__(self, path: Path, allow: str):
        self.folder = path.resolve().parent
        self.allow = allow
        self.seen: set[Path] = set()
        self.stack: list[Path] = []
        self.schemas: list[tuple[bytes, Path]] = []  # each with the folder it resolves against
        self.messages: dict[str, etree._Element] = {}
        self.port_types: dict[str, etree._Element] = {}
        self.bindings: dict[str, etree._Element] = {}
        self.ports: list[tuple[etree._Element, str]] = []
        self.target_namespace: str | None = None
        self.prefixes: dict[str, str] = {}  # namespace -> prefix
        self.service: str | None = None

    def read(self, path: Path, importer: tuple[str, int | None] | None = None,
             shown: Path | None = None) -> None:
        resolved = path.resolve()
        if resolved in self.stack:
            where, line = importer or (str(path), None)
            raise WsdlError(f"wsdl:import cycle: {path.name} imports itself through "
                            f"{' -> '.join(p.name for p in self.stack)}", path=where, line=line)
        if resolved in self.seen:
            return  # imported twice along different paths: read once
        if len(self.seen) >= _MAX_FILES:
            raise WsdlError(f"more than {_MAX_FILES} WSDL files imported", path=str(path))
        self.seen.add(resolved)
        tree = xmlio.parse_file(path)
        tree.docinfo.URL = str(shown or path)  # the file's name as the user sees it, for errors
        root = tree.getroot()
        if root.tag != _w("definitions"):
            where, line = importer or (str(path), None)
            raise WsdlError(f"not a WSDL 1.1 document (root element {_pretty(root.tag)})",
                            path=where if importer else str(path), line=line)
        tns = root.get("targetNamespace")
        for prefix, uri in root.nsmap.items():
            if prefix and uri not in self.prefixes:
                self.prefixes[uri] = prefix
        if self.target_namespace is None:
            self.target_namespace = tns
        self.stack.append(resolved)
        for imp in root.findall(_w("import")):
            self._import(imp, path)
        self.stack.pop()
        for types in root.findall(_w("types")):
            for schema in types.findall(f"{{{XSD_NS}}}schema"):
                # tostring keeps the namespace declarations in scope from wsdl:definitions.
                self.schemas.append((etree.tostring(schema), resolved.parent))
        for kind, table in (("message", self.messages), ("portType", self.port_types),
                            ("binding", self.bindings)):
            for el in root.findall(_w(kind)):
                table[f"{{{tns or ''}}}{el.get('name')}"] = el
        for service in root.findall(_w("service")):
            self.service = self.service or service.get("name")
            for port in service.findall(_w("port")):
                self.ports.append((port, str(path)))

    def _import(self, imp: etree._Element, path: Path) -> None:
        location = imp.get("location")
        if not location:
            raise WsdlError("wsdl:import without a location", path=str(path), line=imp.sourceline)
        if "://" in location or location.startswith("//"):
            raise WsdlError(f"wsdl:import of {location!r} refused: only local files are read",
                            path=str(path), line=imp.sourceline)
        shown = path.parent / location
        target = shown
        if self.allow == "sandbox":
            target = contained_path(target, self.folder, what="wsdl:import", path=str(path),
                                    line=imp.sourceline, error=WsdlError)
        if not target.is_file():
            raise WsdlError(f"wsdl:import of {location!r}: no such file", path=str(path),
                            line=imp.sourceline)
        self.read(target, importer=(str(path), imp.sourceline), shown=shown)

    def operations(self):
        addresses: dict[str, str | None] = {}
        for port, _where in self.ports:
            binding = self.qname(port, port.get("binding"), "binding")
            self.ref(self.bindings, port, "binding", "binding")
            addr = next((c.get("location") for c in port
                         if isinstance(c.tag, str) and c.tag.endswith("}address")), None)
            addresses.setdefault(binding, addr)
        for bname, binding in self.bindings.items():
            soap_binding = next((c for c in binding if isinstance(c.tag, str)
                                 and etree.QName(c).localname == "binding"
                                 and etree.QName(c).namespace in SOAP_BINDING_NS), None)
            if soap_binding is None:
                continue  # an HTTP or other binding: not SOAP
            version = SOAP_BINDING_NS[etree.QName(soap_binding).namespace]
            default_style = soap_binding.get("style", "document")
            port_type = self.ref(self.port_types, binding, "type", "portType")
            for op in binding.findall(_w("operation")):
                yield self._operation(op, bname, version, default_style, port_type,
                                      addresses.get(bname))

    def _operation(self, op, bname, version, default_style, port_type, address) -> Operation:
        name = op.get("name")
        soap_op = next((c for c in op if isinstance(c.tag, str)
                        and etree.QName(c).localname == "operation"), None)
        action = soap_op.get("soapAction") if soap_op is not None else None
        style = (soap_op.get("style") if soap_op is not None else None) or default_style
        abstract = next((o for o in port_type.findall(_w("operation"))
                         if o.get("name") == name), None)
        if abstract is None:
            raise self.fail(op, f"binding operation {name!r} is not an operation of portType "
                                f"{port_type.get('name')!r}")
        inp = self._body_element(abstract.find(_w("input")), op.find(_w("input")), style, name)
        out = None
        out_el = abstract.find(_w("output"))
        if out_el is not None:
            out = self._body_element(out_el, op.find(_w("output")), style, name + "Response")
        faults: list[Fault] = []
        for f in abstract.findall(_w("fault")):
            msg = self.ref(self.messages, f, "message", "message")
            parts = msg.findall(_w("part"))
            element = (self.qname(parts[0], parts[0].get("element"), "element")
                       if parts and parts[0].get("element") else None)
            faults.append(Fault(f.get("name") or "", element))
        return Operation(name=name, binding=_pretty(bname), soap_version=version,
                         soap_action=action or None, style=style, input=inp, output=out,
                         faults=tuple(faults), address=address, line=op.sourceline)

    def _body_element(self, abstract_io, binding_io, style: str, rpc_name: str) -> str | None:
        if abstract_io is None:
            return None
        if style == "rpc":
            body = None
            if binding_io is not None:
                body = next((c for c in binding_io if isinstance(c.tag, str)
                             and etree.QName(c).localname == "body"), None)
            ns = body.get("namespace") if body is not None else None
            return f"{{{ns or self.target_namespace or ''}}}{rpc_name}"
        msg = self.ref(self.messages, abstract_io, "message", "message")
        for part in msg.findall(_w("part")):
            if part.get("element"):
                return self.qname(part, part.get("element"), "element")
        raise self.fail(msg, f"message {msg.get('name')!r} has no part naming an element: a "
                             "document/literal message must")

    def fail(self, el: etree._Element, message: str) -> WsdlError:
        """A WsdlError about ``el``, naming its file and line."""
        return WsdlError(message, path=el.getroottree().docinfo.URL, line=el.sourceline)

    def qname(self, el: etree._Element, value: str | None, attr: str) -> str:
        """The Clark name of a QName attribute value, resolved in ``el``'s scope, or an error."""
        if not value:
            raise self.fail(el, f"{etree.QName(el).localname} needs a {attr}")
        prefix, _, local = value.rpartition(":")
        ns = el.nsmap.get(prefix or None)
        if prefix and ns is None:
            raise self.fail(el, f"{attr}={value!r} uses the undeclared prefix {prefix!r}")
        return f"{{{ns}}}{local}" if ns else local

    def ref(self, table: dict, el: etree._Element, attr: str, kind: str) -> etree._Element:
        """The definition ``el``'s ``attr`` names in ``table``; a name that resolves to nothing
        is an error, never a silently missing message or operation."""
        value = el.get(attr)
        found = table.get(self.qname(el, value, attr))
        if found is None:
            raise self.fail(el, f"{attr}={value!r} names no {kind} the WSDL defines")
        return found


def _pretty(clark: str) -> str:
    return etree.QName(clark).localname if clark.startswith("{") else clark


__all__ = ["Fault", "Operation", "Wsdl", "WsdlError", "load_wsdl"]
