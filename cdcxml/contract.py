"""A contract: one Schematron file plus its ``cdc`` metadata (DESIGN.md §4)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from . import xmlio
from .errors import ContractError
from .fsutil import within
from .results import ContractReport

CDC_NS = "urn:cdcxml:contract:1"
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
    """What the consumer expects back, beyond its assertions."""

    status: int | None = 200
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class Interaction:
    """One request the consumer makes and the phase of the contract its response must satisfy."""

    id: str
    request: Request
    response: ExpectedResponse = field(default_factory=ExpectedResponse)
    phase: str | None = None
    state: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ContractInfo:
    """The metadata of a contract file."""

    consumer: str
    provider: str | None = None
    version: str | None = None
    title: str | None = None
    interactions: tuple[Interaction, ...] = ()


class Contract:
    """A consumer's contract: Schematron assertions plus who it is for; compile once, run many."""

    def __init__(self, path: Path | None, source: bytes, info: ContractInfo,
                 params: Mapping[str, str] | None = None):
        self.path = path
        self.source = source
        self.info = info
        self.sha256 = hashlib.sha256(source).hexdigest()
        self._params = dict(params or {})
        self._compiled: dict[tuple[str | None, bool], object] = {}
        self._held: dict[str | None, ContractReport] = {}  # the report of a document that holds

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
        return f"<Contract {self.consumer!r} for {self.provider!r} v{self.version}>"

    # -- running --------------------------------------------------------------------------------
    def compiled(self, phase: str | None = None, *, svrl: bool = False):
        """The compiled Schematron for ``phase`` (cached per contract and by content hash)."""
        key = (phase, svrl)
        found = self._compiled.get(key)
        if found is None:
            from .schematron import compile_schematron  # the engine loads on first use

            found = compile_schematron(self.source, path=self.path, phase=phase, svrl=svrl)
            self._compiled[key] = found
        return found

    def check(self):
        """Compile every phase now, so errors surface before any document is read."""
        self.compiled(None)

    def validate(self, doc, *, phase: str | None = None, svrl: bool = False) -> ContractReport:
        """Run the contract on a document (a path, bytes, or an lxml tree).

        With ``svrl`` the report also carries the run as an SVRL document (serialized).
        """
        tree = xmlio.load(doc)
        compiled = self.compiled(phase, svrl=svrl)
        outcome = compiled.run(tree)
        if outcome is compiled.settled:  # no finding: one report serves every such document
            held = self._held.get(phase)
            if held is None:
                held = self._held[phase] = ContractReport(self.consumer, self.name, (), phase)
            return held
        document = etree.tostring(outcome.svrl()) if svrl else None
        return ContractReport(self.consumer, self.name, outcome.findings, phase, svrl=document)

    def run_svrl(self, doc, *, phase: str | None = None) -> etree._ElementTree:
        """Run the contract and return the full SVRL document."""
        tree = xmlio.load(doc)
        return self.compiled(phase, svrl=True).run(tree).svrl()


def load_contract(path: str | Path) -> Contract:
    """Load a contract (or plain Schematron) file."""
    p = Path(path)
    source = xmlio.read_bytes(p)
    tree = xmlio.parse_bytes(source, str(p), base_url=p.resolve().as_uri())
    info = read_info(tree, default_consumer=p.stem, path=p)
    return Contract(p, source, info)


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
    return ContractInfo(consumer, provider, version, title, tuple(interactions))


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
    response = ExpectedResponse()
    if resp_el is not None:
        status = resp_el.get("status")
        try:
            code = int(status) if status else None
        except ValueError:
            raise ContractError(f"interaction {iid!r}: status {status!r} is not a number",
                                path=name, line=resp_el.sourceline) from None
        response = ExpectedResponse(code, resp_el.get("content-type"))
    desc = el.find(_q("description"))
    return Interaction(
        id=iid,
        request=request,
        response=response,
        phase=el.get("phase"),
        state=el.get("state"),
        description=" ".join("".join(desc.itertext()).split()) if desc is not None else None,
    )


def _detached(el: etree._Element) -> etree._Element:
    copy = etree.fromstring(etree.tostring(el))
    etree.cleanup_namespaces(copy)
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
