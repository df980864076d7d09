"""Namespace URIs the engine reads and writes."""

SCH = "http://purl.oclc.org/dsdl/schematron"
SCH15 = "http://www.ascc.net/xml/schematron"
XSL = "http://www.w3.org/1999/XSL/Transform"
SVRL = "http://purl.oclc.org/dsdl/svrl"
XML = "http://www.w3.org/XML/1998/namespace"
EXSL = "http://exslt.org/common"
RUN = "urn:cdcxml:run"  # our own bookkeeping attributes in the raw output
SRC = "urn:cdcxml:source"  # where an included element came from

XSLT1_BINDINGS = frozenset({"", "xslt", "xslt1", "xslt1.0", "exslt", "xpath", "xpath1"})
UNSUPPORTED_BINDINGS = frozenset({"xslt2", "xslt3", "xpath2", "xpath3", "xpath31", "xquery"})


def sch(local: str) -> str:
    """Clark name in the ISO Schematron namespace."""
    return f"{{{SCH}}}{local}"
