"""A contract: one Schematron file plus its ``cdc`` metadata (docs/contract-format.md)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml import etree

from . import xmlio
from .errors import ContractError
from .fsutil import within
from .results import ContractReport, Finding, Location
from .soap import body_version, envelope_version

CDC_NS = "urn:cdcxml:contract:1"
_PHASE_TAGS = ("{http://purl.oclc.org/dsdl/schematron}phase",
               "{http://www.ascc.net/xml/schematron}phase")
SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"


@dataclass(frozen=True, slots=True)
class Request:
    """What ``verify`` sends for an interaction."""

    method: str = "POST"
    path: str = "/"
    soap_action: str | None = None
    soap_version: str | None = None  # "1.1", "1.2" or None for plain XML
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    href: str | None = None


@dataclass(frozen=True, slots=True)
class ExpectedResponse:
    """What the consumer expects back, beyond its assertions.

    ``status`` is 200 unless the contract says otherwise; ``empty`` asks for no body at all (a
    one-way operation); ``fault`` asks for a SOAP fault (with ``faultcode``, that code), whatever
    the status.
    """

    status: int = 200
    content_type: str | None = None
    empty: bool = False
    fault: bool = False
    faultcode: str | None = None
    # The response's message element, as a Clark name ("{ns}local"): the SOAP Body's first child
    # or the document's root. Documents with this element answer the interaction.
    element: str | None = None


@dataclass(frozen=True, slots=True)
class State:
    """A provider state the interaction needs, with the parameters sent to set it up."""

    name: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Interaction:
    """One request the consumer makes and the phase of the contract its response must satisfy."""

    id: str
    request: Request
    response: ExpectedResponse = field(default_factory=ExpectedResponse)
    phase: str | None = None
    states: tuple[State, ...] = ()
    description: str | None = None
    line: int | None = None

    @property
    def state(self) -> str | None:
        """The provider states' names, for reports (None when the interaction needs none)."""
        return ", ".join(s.name for s in self.states) or None


@dataclass(frozen=True, slots=True)
class ContractInfo:
    """The metadata of a contract file."""

    consumer: str
    provider: str | None = None
    version: str | None = None
    title: str | None = None
    interactions: tuple[Interaction, ...] = ()
    # Every active pattern must match something (a file with cdc:contract, or --require-match).
    require_match: bool = False


class Contract:
    """A consumer's contract: Schematron assertions plus who it is for; compile once, run many."""

    def __init__(self, path: Path | None, source: bytes, info: ContractInfo,
                 params: Mapping[str, str] | None = None):
        self.path = path
        self.source = source
        self.info = info
        self.sha256 = hashlib.sha256(source).hexdigest()
        self._params = dict(params or {})
        self._compiled: dict[tuple[str | None, bool, bool], object] = {}
        self._held: dict[str | None, ContractReport] = {}  # the report of a document that holds
        self.strict = False  # refuse what ISO forbids instead of running it with a warning

    # -- metadata -------------------------------------------------------------------------------
    @property
    def consumer(self) -> str:
        """The consumer this contract speaks for."""
        return self.info.consumer

    @property
    def provider(self) -> str | None:
        """The provider whose messages this contract checks."""
        return self.info.provider

    @property
    def version(self) -> str | None:
        """The contract's version, as published."""
        return self.info.version

    @property
    def interactions(self) -> tuple[Interaction, ...]:
        """The requests ``verify`` sends for this contract."""
        return self.info.interactions

    @property
    def name(self) -> str:
        """How reports name the contract file."""
        return str(self.path) if self.path else f"<{self.consumer}>"

    def __repr__(self) -> str:
        provider = f" for {self.provider!r}" if self.provider else " (no provider named)"
        version = f" v{self.version}" if self.version else ""
        where = f" at {str(self.path)!r}" if self.path else ""
        return f"<Contract of {self.consumer!r}{provider}{version}{where}>"

    # -- running --------------------------------------------------------------------------------
    def compiled(self, phase: str | None = None, *, svrl: bool = False):
        """The compiled Schematron for ``phase`` (cached per contract and by content hash)."""
        key = (phase, svrl, self.strict)
        found = self._compiled.get(key)
        if found is None:
            from .schematron import compile_schematron  # the engine loads on first use

            found = compile_schematron(self.source, path=self.path, phase=phase, svrl=svrl,
                                       strict=self.strict)
            self._compiled[key] = found
        return found

    @property
    def warnings(self) -> tuple:
        """What compiling ran although ISO Schematron forbids it, for every phase compiled so far
        (each a :class:`~cdcxml.schematron.Leniency`, printed ``file:line: warning: ...``)."""
        return tuple(dict.fromkeys(w for c in self._compiled.values() for w in c.warnings))

    def check(self):
        """Compile now, so errors surface before any document is read: the default phase, or
        each declared phase when the schema has phases but no defaultPhase (then ``#ALL`` may
        rightly fail, a phase's variables being out of scope, and only matters when asked for)."""
        root = xmlio.parse_bytes(self.source, self.name).getroot()
        phases = [el.get("id") for el in root if el.tag in _PHASE_TAGS and el.get("id")]
        if not phases or root.get("defaultPhase"):
            self.compiled(None)
            return
        for phase in phases:
            self.compiled(phase)

    def requiring_match(self) -> Contract:
        """This contract with vacuity checked even if the file has no ``cdc:contract``."""
        if self.info.require_match:
            return self
        return Contract(self.path, self.source, replace(self.info, require_match=True),
                        self._params)

    def validate(self, doc, *, phase: str | None = None, require_match: bool | None = None,
                 envelope: bool = True, svrl: bool = False,
                 source: bytes | None = None) -> ContractReport:
        """Run the contract on a document (a path, bytes, or an lxml tree).

        With ``require_match`` (by default: when the file has ``cdc:contract``), an active
        pattern that matched no node is a finding of kind ``vacuous``: it checked nothing; and
        (unless ``envelope`` is False, as when verify checks the envelope against the request
        itself) a SOAP envelope of a version none of the contract's requests speaks is a finding
        of kind ``envelope``. With ``svrl`` the report also carries the run as an SVRL document
        (serialized), and the semantics stay plain Schematron's: no vacuity, no envelope check.
        For a tree, ``source`` is the bytes it was parsed from: they make every line exact.
        """
        tree = xmlio.load(doc)
        strict = (self.info.require_match if require_match is None else require_match) and not svrl
        outcome = self.compiled(phase, svrl=svrl).run(tree, silent=strict,
                                                      source=source or _source(doc))
        findings = outcome.findings
        if strict:
            findings = (*(envelope_findings(self.info, tree) if envelope else ()), *findings,
                        *vacuous_findings(outcome, tree))
        if not findings and not svrl:  # a document that holds: one report serves them all
            held = self._held.get(phase)
            if held is None:
                held = self._held[phase] = ContractReport(self.consumer, self.name, (), phase)
            return held
        document = etree.tostring(outcome.svrl()) if svrl else None
        return ContractReport(self.consumer, self.name, findings, phase, svrl=document)

    def run_svrl(self, doc, *, phase: str | None = None) -> etree._ElementTree:
        """Run the contract and return the full SVRL document."""
        tree = xmlio.load(doc)
        return self.compiled(phase, svrl=True).run(tree, source=_source(doc)).svrl()


def _source(doc) -> bytes | None:
    """A document's bytes when the caller gave them (a file is read again only if needed)."""
    if isinstance(doc, bytes | bytearray | memoryview):
        return bytes(doc)
    if isinstance(doc, str) and doc.lstrip().startswith("<"):
        return doc.encode("utf-8")
    return None


def envelope_findings(info: ContractInfo, tree: etree._ElementTree) -> tuple[Finding, ...]:
    """An ``envelope`` finding when the document is a SOAP envelope of a version the contract's
    requests do not speak (a SOAP 1.2 reply to a consumer that sends SOAP 1.1)."""
    spoken = {i.request.soap_version for i in info.interactions}
    if not spoken or None in spoken:
        return ()
    got = envelope_version(tree)
    if got is None or got in spoken:
        return ()
    expected = " or ".join(sorted(v for v in spoken if v))
    root = tree.getroot()
    return (Finding(
        kind="envelope", id="soap-version", pattern=None, context="/", test="",
        message=f"the document is a SOAP {got} envelope; the contract's requests are SOAP "
                f"{expected}", location=Location("/*[1]", root.sourceline)),)


def vacuous_findings(outcome, tree: etree._ElementTree) -> tuple[Finding, ...]:
    """A ``vacuous`` finding for each pattern that fired nothing, at the document root's line."""
    root = tree.getroot()
    where = Location("/*[1]", root.sourceline)
    out = []
    for index in outcome.silent or ():
        pattern = outcome.compiled.plan.patterns[index]
        label = pattern.id or pattern.name or f"#{index + 1}"
        contexts = [r.context for r in pattern.required_rules]
        which = (f"rule context {contexts[0]} found no node" if len(contexts) == 1
                 else f"rule contexts {', '.join(contexts)} found no node")
        out.append(Finding(
            kind="vacuous", id=pattern.id or pattern.name, pattern=pattern.id,
            context=" | ".join(contexts), test="",
            message=f"pattern {label} matched nothing ({which})", location=where))
    return tuple(out)


def load_contract(path: str | Path, *, compile: bool = True) -> Contract:
    """Load a contract (or plain Schematron) file and compile it.

    Compiling here means a contract the engine cannot run (an XSLT 2 query binding, a broken
    XPath, a missing include) is an error at load, not at the first document; the compiled form
    is cached, so nothing is compiled twice. ``compile=False`` only reads the file and its
    metadata (what ``publish`` and ``package`` need).
    """
    p = Path(path)
    source = xmlio.read_bytes(p)
    tree = xmlio.parse_bytes(source, str(p), base_url=p.resolve().as_uri())
    info = read_info(tree, default_consumer=p.stem, path=p)
    contract = Contract(p, source, info)
    if compile:
        contract.check()
    return contract


def contract_from_bytes(source: bytes, *, name: str = "contract", base: Path | None = None) -> Contract:
    """Build a contract from Schematron bytes; ``base`` is the folder its references resolve in."""
    base_url = (base / f"{name}.sch").resolve().as_uri() if base else None
    tree = xmlio.parse_bytes(source, name, base_url=base_url)
    info = read_info(tree, default_consumer=name, path=None)
    path = (base / f"{name}.sch") if base else None
    return Contract(path, source, info)


def _q(local: str) -> str:
    return f"{{{CDC_NS}}}{local}"


def read_info(tree: etree._ElementTree, *, default_consumer: str, path: Path | None) -> ContractInfo:
    """Read the ``cdc`` metadata of a Schematron tree."""
    root = tree.getroot()
    name = str(path) if path else default_consumer
    meta = root.find(_q("contract"))
    consumer, provider, version = default_consumer, None, None
    if meta is not None:
        consumer = meta.get("consumer") or default_consumer
        provider = meta.get("provider")
        version = meta.get("version")
    title = None
    for child in root:
        if isinstance(child.tag, str) and etree.QName(child).localname == "title":
            title = " ".join("".join(child.itertext()).split()) or None
            break
    interactions = []
    seen = set()
    for el in root.iter(_q("interaction")):
        inter = _read_interaction(el, path, name)
        if inter.id in seen:
            raise ContractError(f"interaction id {inter.id!r} is used twice", path=name,
                                line=el.sourceline)
        seen.add(inter.id)
        interactions.append(inter)
    return ContractInfo(consumer, provider, version, title, tuple(interactions),
                        require_match=meta is not None)


def _read_interaction(el: etree._Element, path: Path | None, name: str) -> Interaction:
    iid = el.get("id")
    if not iid:
        raise ContractError("cdc:interaction needs an id", path=name, line=el.sourceline)
    req_el = el.find(_q("request"))
    if req_el is None:
        raise ContractError(f"interaction {iid!r} has no cdc:request", path=name,
                            line=el.sourceline)
    headers = tuple(
        (h.get("name", ""), h.get("value", "")) for h in req_el.findall(_q("header"))
    )
    body = None
    href = req_el.get("href")
    inline = [c for c in req_el if isinstance(c.tag, str) and c.tag != _q("header")]
    if href and inline:
        raise ContractError(f"interaction {iid!r}: request has both href and an inline body",
                            path=name, line=req_el.sourceline)
    if href:
        body = _read_body_file(href, path, name, req_el.sourceline)
    elif inline:
        if len(inline) > 1:
            raise ContractError(f"interaction {iid!r}: inline request body must be one element",
                                path=name, line=req_el.sourceline)
        body = etree.tostring(_detached(inline[0]), encoding="utf-8", xml_declaration=True)
    soap = req_el.get("soap")
    if soap is None and inline:
        ns = etree.QName(inline[0]).namespace
        soap = {SOAP11_ENV: "1.1", SOAP12_ENV: "1.2"}.get(ns)
    elif soap is None and body:
        soap = body_version(body)
    if soap not in (None, "1.1", "1.2"):
        raise ContractError(f"interaction {iid!r}: soap must be 1.1 or 1.2, not {soap!r}",
                            path=name, line=req_el.sourceline)
    request = Request(
        method=(req_el.get("method") or "POST").upper(),
        path=req_el.get("path") or "/",
        soap_action=req_el.get("soap-action"),
        soap_version=soap,
        content_type=req_el.get("content-type"),
        headers=headers,
        body=body,
        href=href,
    )
    resp_el = el.find(_q("response"))
    response = ExpectedResponse() if resp_el is None else _read_response(resp_el, iid, name)
    desc = el.find(_q("description"))
    return Interaction(
        id=iid,
        request=request,
        response=response,
        phase=el.get("phase"),
        states=_read_states(el, iid, name),
        description=" ".join("".join(desc.itertext()).split()) if desc is not None else None,
        line=el.sourceline,
    )


def _read_response(el: etree._Element, iid: str, name: str) -> ExpectedResponse:
    def fail(message: str) -> ContractError:
        return ContractError(f"interaction {iid!r}: {message}", path=name, line=el.sourceline)

    status = el.get("status")
    try:
        code = int(status) if status else 200
    except ValueError:
        raise fail(f"status {status!r} is not a number") from None
    body = el.get("body")
    if body not in (None, "empty"):
        raise fail(f"response body may only be \"empty\", not {body!r}")
    fault = el.get("fault", "false").strip()
    if fault not in ("true", "false", "1", "0"):
        raise fail(f"fault must be true or false, not {fault!r}")
    faultcode = el.get("faultcode")
    if faultcode is not None and fault not in ("true", "1"):
        raise fail("faultcode needs fault=\"true\"")
    if body == "empty" and fault in ("true", "1"):
        raise fail("a response cannot be both empty and a fault")
    return ExpectedResponse(code, el.get("content-type"), empty=body == "empty",
                            fault=fault in ("true", "1"), faultcode=faultcode,
                            element=_element_name(el, iid, name))


def _read_states(el: etree._Element, iid: str, name: str) -> tuple[State, ...]:
    states = []
    if el.get("state"):
        states.append(State(el.get("state")))
    for st in el.findall(_q("state")):
        if not st.get("name"):
            raise ContractError(f"interaction {iid!r}: cdc:state needs a name", path=name,
                                line=st.sourceline)
        params = []
        for p in st.findall(_q("param")):
            if not p.get("name"):
                raise ContractError(f"interaction {iid!r}: cdc:param needs a name", path=name,
                                    line=p.sourceline)
            params.append((p.get("name"), "".join(p.itertext())))
        states.append(State(st.get("name"), tuple(params)))
    return tuple(states)


def _element_name(resp_el: etree._Element, iid: str, name: str) -> str | None:
    """``element="p:Name"`` as a Clark name: the prefix in scope, else one bound by ``sch:ns``."""
    value = (resp_el.get("element") or "").strip()
    if not value:
        return None
    if value.startswith("{"):
        return value
    prefix, _, local = value.rpartition(":")
    if not prefix:
        return local  # an unprefixed name is in no namespace, as in the contract's XPath
    uri = resp_el.nsmap.get(prefix)
    if uri is None:
        root = resp_el.getroottree().getroot()
        uri = next((el.get("uri") for el in root
                    if isinstance(el.tag, str) and etree.QName(el).localname == "ns"
                    and el.get("prefix") == prefix), None)
    if uri is None:
        raise ContractError(f"interaction {iid!r}: response element {value!r} uses the undeclared "
                            f"prefix {prefix!r}", path=name, line=resp_el.sourceline)
    return f"{{{uri}}}{local}"


# Namespaces of the contract itself: an inline body does not carry them unless it uses them.
_MACHINERY_NS = frozenset({
    CDC_NS, "http://purl.oclc.org/dsdl/schematron", "http://www.ascc.net/xml/schematron",
    "http://www.w3.org/1999/XSL/Transform", "http://purl.oclc.org/dsdl/svrl",
})


def _detached(el: etree._Element) -> etree._Element:
    """The inline body on its own, with every namespace in scope that is not the contract's.

    A prefix may be used only inside a value (``xsi:type="t:Stay"``), so declarations stay even
    when no element or attribute name uses them.
    """
    copy = etree.fromstring(etree.tostring(el))
    keep = [p for p, uri in el.nsmap.items() if p and uri not in _MACHINERY_NS]
    etree.cleanup_namespaces(copy, keep_ns_prefixes=keep)
    return copy


def _read_body_file(href: str, path: Path | None, name: str, line: int | None) -> bytes:
    if path is None:
        raise ContractError(f"request href {href!r} needs a contract file to resolve against",
                            path=name, line=line)
    base = path.resolve().parent
    target = (base / href).resolve()
    if not within(target, base):
        raise ContractError(f"request href {href!r} points outside the contract's folder",
                            path=name, line=line)
    try:
        return target.read_bytes()
    except OSError as err:
        raise ContractError(f"request href {href!r} cannot be read: {err.strerror}",
                            path=name, line=line) from err
