"""Namespace prefixes for the generated Schematron, and names as XPath and as words."""

from __future__ import annotations

import re

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML = "http://www.w3.org/XML/1998/namespace"
_RESERVED = {"xml", "xmlns", "sch", "cdc", "xsi", "xsl", "svrl", "iso"}
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def split(name: str) -> tuple[str, str]:
    """``{ns}local`` → (ns, local); a name without namespace → ('', name)."""
    if name.startswith("{"):
        ns, _, local = name[1:].partition("}")
        return ns, local
    return "", name


def local(name: str) -> str:
    """The local part of a Clark name."""
    return split(name)[1]


class Names:
    """Gives every namespace a prefix (the schema's own where it has one) and writes names."""

    def __init__(self, preferred: list[tuple[str, str]]):
        self._prefix: dict[str, str] = {XSI: "xsi", XML: "xml"}
        self._preferred = preferred
        self.used: dict[str, str] = {}

    def prefix(self, uri: str, *, use: bool = True) -> str:
        """The prefix for ``uri`` (made up from the URI if the schemas declare none); ``use``
        marks it as one the output must declare."""
        if uri in self._prefix:
            found = self._prefix[uri]
        else:
            taken = set(self._prefix.values())
            found = None
            for prefix, ns in self._preferred:
                if ns == uri and prefix and _NCNAME.match(prefix) and prefix not in _RESERVED \
                        and prefix not in taken:
                    found = prefix
                    break
            if found is None:
                found = _invent(uri, taken)
            self._prefix[uri] = found
        if use:
            self.used[found] = uri
        return found

    def xpath(self, name: str) -> str:
        """The name as an XPath name test: ``p:Product`` or ``Product`` (no namespace)."""
        ns, loc = split(name)
        return f"{self.prefix(ns)}:{loc}" if ns else loc

    def attribute(self, name: str) -> str:
        """The attribute step for a Clark name: ``@currency`` or ``@p:code``."""
        return "@" + self.xpath(name)

    def declarations(self) -> list[tuple[str, str]]:
        """Every (prefix, uri) the written XPath uses, in a stable order (``xml`` is built in)."""
        return sorted((p, u) for p, u in self.used.items() if u != XML)


def _invent(uri: str, taken: set[str]) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", uri) if w and w[0].isalpha()]
    skip = {"http", "https", "urn", "www", "com", "org", "net", "xml", "schema", "schemas",
            "ns", "xsd"}
    meaningful = [w for w in words if w.lower() not in skip]
    base = (meaningful[-1] if meaningful else "ns")[0].lower()
    candidate = base if base not in _RESERVED else "ns"
    n = 1
    while candidate in taken or candidate in _RESERVED:
        n += 1
        candidate = f"{base}{n}"
    return candidate
