"""Exact source lines of elements: the line where ``<name`` starts, in documents of any length.

libxml2 records the line where an element's start tag ends (a tag spread over several lines is
reported at its last line), and past line 65,534 it guesses from neighbouring text nodes (70,043
for an element on line 70,002). Where that can be wrong, the lines are counted from the document's
bytes: the n-th start tag in the bytes is the n-th element in document order. The scan runs only
for a document with findings that has a tag over several lines or that many lines.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence

from lxml import etree

LIBXML2_EXACT_LINES = 65534
# A start tag with a line break inside (a comment or CDATA that looks like one only costs a scan).
_MULTILINE_TAG = re.compile(rb"<[^!?/<>\s][^<>]*[\r\n]")
_MARKUP = re.compile(
    rb"<(?:!--.*?-->|!\[CDATA\[.*?\]\]>|\?.*?\?>|!(?:[^\[>]|\[.*?\])*>|/[^>]*>|([^\s/>!?][^\s/>]*))",
    re.DOTALL,
)


def needs_scan(data: bytes) -> bool:
    """Whether libxml2's line numbers may be wrong for some element of this document."""
    return data.count(b"\n") >= LIBXML2_EXACT_LINES or _MULTILINE_TAG.search(data) is not None


def _ascii_compatible(data: bytes) -> bytes:
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace").encode("utf-8")
    return data


def start_lines(data: bytes, root: etree._Element,
                elements: Sequence[etree._Element]) -> dict[etree._Element, int] | None:
    """The line where each element's start tag begins, or None when the bytes are not this tree's."""
    data = _ascii_compatible(data)
    wanted = dict.fromkeys(elements)
    if not wanted:
        return {}
    lone_cr = b"\r" in data
    starts = (m for m in _MARKUP.finditer(data) if m.group(1) is not None)
    line, pos, left = 1, 0, len(wanted)
    for el, m in zip(root.iter(etree.Element), starts, strict=False):
        if el not in wanted:
            continue
        name = m.group(1)
        if name.rsplit(b":", 1)[-1].decode("utf-8", "replace") != etree.QName(el).localname:
            return None  # the file changed, or an entity made elements the bytes do not show
        off = m.start()
        line += data.count(b"\n", pos, off)
        if lone_cr:
            line += data.count(b"\r", pos, off) - data.count(b"\r\n", pos, off)
        pos = off
        wanted[el] = line
        left -= 1
        if not left:
            break
    if left:
        return None
    return wanted  # type: ignore[return-value]
