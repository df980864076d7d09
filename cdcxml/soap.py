"""SOAP 1.1 and 1.2: request headers, envelope versions, Body payloads and faults as data."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from . import xmlio
from .errors import CdcxmlError

SOAP11 = "1.1"
SOAP12 = "1.2"
SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
ENVELOPE_NS = {SOAP11: SOAP11_ENV, SOAP12: SOAP12_ENV}
_VERSION_OF = {ns: version for version, ns in ENVELOPE_NS.items()}
MEDIA_TYPES = {SOAP11: "text/xml", SOAP12: "application/soap+xml"}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True, slots=True)
class Fault:
    """A SOAP fault: its code (faultcode / Code/Value), reason (faultstring / Reason/Text)."""

    version: str
    code: str
    reason: str
    subcodes: tuple[str, ...] = ()
    actor: str | None = None  # faultactor (1.1) or Role (1.2)
    node: str | None = None
    detail: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        codes = "/".join((self.code, *self.subcodes))
        return f"SOAP {self.version} fault {codes}: {self.reason}" if self.reason else (
            f"SOAP {self.version} fault {codes}")


def request_headers(version: str, action: str | None) -> dict[str, str]:
    """The Content-Type (and SOAPAction) a SOAP request of ``version`` is sent with."""
    if version == SOAP11:
        # SOAP 1.1 §6.1.1: the header is present and its value a quoted URI; "" means "no intent".
        return {"Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": f'"{unquote_action(action)}"'}
    if version == SOAP12:
        content_type = "application/soap+xml; charset=utf-8"
        if action:
            content_type += f'; action="{unquote_action(action)}"'
        return {"Content-Type": content_type}
    raise ValueError(f"unknown SOAP version {version!r}")


def unquote_action(value: str | None) -> str:
    """A SOAPAction as compared: spaces trimmed and one pair of surrounding quotes removed."""
    value = (value or "").strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def envelope_version(doc: etree._ElementTree | etree._Element) -> str | None:
    """``"1.1"`` or ``"1.2"`` when the document is a SOAP envelope, else None."""
    root = doc.getroot() if isinstance(doc, etree._ElementTree) else doc
    if not isinstance(root.tag, str) or etree.QName(root).localname != "Envelope":
        return None
    return _VERSION_OF.get(etree.QName(root).namespace)


def body_version(data: bytes | None) -> str | None:
    """The SOAP version of a request body, read through the hardened parser; None if not SOAP."""
    if not data:
        return None
    try:
        return envelope_version(xmlio.parse_bytes(data, "request body"))
    except CdcxmlError:
        return None


def body(doc: etree._ElementTree | etree._Element) -> etree._Element | None:
    """The envelope's Body element, or None when the document is not a SOAP envelope."""
    root = doc.getroot() if isinstance(doc, etree._ElementTree) else doc
    version = envelope_version(root)
    if version is None:
        return None
    return root.find(f"{{{ENVELOPE_NS[version]}}}Body")


def payload(doc: etree._ElementTree | etree._Element) -> etree._Element | None:
    """The first element inside the Body: the message the envelope carries."""
    found = body(doc)
    if found is None:
        return None
    return next((c for c in found if isinstance(c.tag, str)), None)


def find_fault(doc: etree._ElementTree | etree._Element) -> Fault | None:
    """The fault in a SOAP envelope's Body, as data; None when there is none."""
    root = doc.getroot() if isinstance(doc, etree._ElementTree) else doc
    version = envelope_version(root)
    if version is None:
        return None
    ns = ENVELOPE_NS[version]
    fault = root.find(f"{{{ns}}}Body/{{{ns}}}Fault")
    if fault is None:
        return None
    if version == SOAP11:
        # SOAP 1.1 fault children are unqualified; some toolkits qualify them anyway.
        def child(name: str) -> etree._Element | None:
            found = fault.find(name)
            return found if found is not None else fault.find(f"{{{ns}}}{name}")

        return Fault(
            version=version,
            code=_text(child("faultcode")),
            reason=_text(child("faultstring")),
            actor=_text(child("faultactor")) or None,
            detail=_detail(child("detail")),
            line=fault.sourceline,
        )
    code_el = fault.find(f"{{{ns}}}Code")
    code = _text(code_el.find(f"{{{ns}}}Value")) if code_el is not None else ""
    subcodes = []
    sub = code_el.find(f"{{{ns}}}Subcode") if code_el is not None else None
    while sub is not None:
        subcodes.append(_text(sub.find(f"{{{ns}}}Value")))
        sub = sub.find(f"{{{ns}}}Subcode")
    return Fault(
        version=version,
        code=code,
        reason=_reason_text(fault.find(f"{{{ns}}}Reason"), ns),
        subcodes=tuple(subcodes),
        actor=_text(fault.find(f"{{{ns}}}Role")) or None,
        node=_text(fault.find(f"{{{ns}}}Node")) or None,
        detail=_detail(fault.find(f"{{{ns}}}Detail")),
        line=fault.sourceline,
    )


def _reason_text(reason: etree._Element | None, ns: str) -> str:
    if reason is None:
        return ""
    texts = reason.findall(f"{{{ns}}}Text")
    # Prefer English where the provider gives several languages, else the first.
    for t in texts:
        if (t.get(_XML_LANG) or "").lower().startswith("en"):
            return _text(t)
    return _text(texts[0]) if texts else ""


def _text(el: etree._Element | None) -> str:
    if el is None:
        return ""
    return " ".join("".join(el.itertext()).split())


def _detail(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    return _text(el) or None


def parse_response(data: bytes, name: str) -> etree._ElementTree:
    """Parse a response body with the hardened loader (DOCTYPE and entity tricks refused)."""
    return xmlio.parse_bytes(data, name)
