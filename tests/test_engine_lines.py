"""Lines: a finding on an element gives the line where its start tag ``<name`` begins, in documents
of any length (libxml2 gives the line where the tag ends, and guesses past line 65,534)."""

from __future__ import annotations

from .engine_support import write_contract

BODY = """
  <sch:pattern id="p">
    <sch:rule context="item">
      <sch:assert id="ok" test="@ok = 'yes'">item is ok</sch:assert>
    </sch:rule>
  </sch:pattern>"""


def _lines(tmp_path, doc: bytes, *, as_file: bool = False):
    contract = write_contract(tmp_path, BODY)
    if as_file:
        path = tmp_path / "doc.xml"
        path.write_bytes(doc)
        return [f.location.line for f in contract.validate(path).findings]
    return [f.location.line for f in contract.validate(doc).findings]


def test_a_start_tag_over_several_lines_is_reported_where_it_starts(tmp_path):
    doc = (b'<list>\n'
           b'  <item ok="yes"/>\n'
           b'  <item\n'            # line 3
           b'     id="2"\n'
           b'     ok="no"/>\n'
           b'  <item id="3" ok="no"\n'  # line 6
           b'  >text</item>\n'
           b'</list>\n')
    assert _lines(tmp_path, doc) == [3, 6]
    assert _lines(tmp_path, doc, as_file=True) == [3, 6]


def test_lines_past_65534_are_exact(tmp_path):
    rows = ["<list>"] + ['<item ok="yes"/>'] * 70_000 + ['<item ok="no"/>', "<item", ' ok="no"/>',
                                                         "</list>"]
    doc = "\n".join(rows).encode()
    # rows[70001] is on line 70,002 and the tag that starts on line 70,003 ends on 70,004.
    assert _lines(tmp_path, doc) == [70_002, 70_003]
    assert _lines(tmp_path, doc, as_file=True) == [70_002, 70_003]


def test_attribute_and_text_findings_take_their_element_s_line(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="p">
        <sch:rule context="item/@ok"><sch:assert id="a" test=". = 'yes'">ok</sch:assert></sch:rule>
        <sch:rule context="item/text()"><sch:assert id="t" test="false()">text</sch:assert></sch:rule>
      </sch:pattern>""")
    doc = b'<list>\n<item\n ok="no">x</item>\n</list>'
    assert [(f.id, f.location.line) for f in contract.validate(doc).findings] == [("a", 2), ("t", 2)]


def test_crlf_and_carriage_returns_count_as_line_breaks(tmp_path):
    doc = b'<list>\r\n<item\r\n ok="no"/>\r<item ok="no"/></list>'
    assert _lines(tmp_path, doc) == [2, 4]
