"""Reports, one module per format: text, JSON, JUnit XML, HTML, SVRL."""

from __future__ import annotations

import re

# Characters XML 1.0 cannot carry; a response body or a captured document may contain them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(value: str) -> str:
    """``value`` with the characters XML 1.0 (and so an XML or HTML report) cannot carry replaced."""
    return _NOT_XML.sub("\ufffd", value)
