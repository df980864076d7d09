"""Hostile and broken documents given to ``cdcxml validate``: each is refused with its own line,
reads nothing, connects nowhere, stays within time and memory, and the run goes on."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from .conftest import (
    BILLION_LAUGHS,
    BYPASS_WORDS,
    BYPASSES,
    SECRET,
    gzip_bomb,
    rule,
    run_cli,
    schema,
)


def validate(work: Path, *docs, contract: str = "holds.sch", **kw):
    return run_cli("validate", "-c", work / contract, *docs, cwd=work, **kw)


def refused(ran, name: str, *words: str) -> str:
    """The report line of a document that could not be checked; the run itself exits 1."""
    assert ran.code == 1, (ran.code, ran.stdout, ran.stderr)
    assert ran.stderr == "", ran.stderr
    lines = [line for line in ran.stdout.splitlines() if line.startswith(f"{name}: error: ")]
    assert len(lines) == 1, ran.stdout
    for word in words:
        assert word in lines[0], lines[0]
    assert SECRET not in ran.stdout
    return lines[0]


def write(work: Path, name: str, data: bytes | str) -> str:
    path = work / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return name


# -- entities, DTDs, XInclude ------------------------------------------------------------------------

def test_billion_laughs_is_refused_at_once(work):
    ran = validate(work, write(work, "lol.xml", BILLION_LAUGHS))
    refused(ran, "lol.xml", "line 2", "DOCTYPE not allowed")
    assert ran.seconds < 10


def test_external_entity_to_a_file_reads_nothing(work, secret):
    doc = f'<!DOCTYPE order [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n<order><id>&x;</id></order>'
    refused(validate(work, write(work, "xxe.xml", doc)), "xxe.xml", "DOCTYPE not allowed")


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE order [<!ENTITY x SYSTEM "{url}/entity">]>\n<order><id>&x;</id></order>',
    '<!DOCTYPE order [<!ENTITY % p SYSTEM "{url}/param"> %p;]>\n<order><id>1</id></order>',
    '<!DOCTYPE order [<!ENTITY % a "<!ENTITY &#37; b SYSTEM \'{url}/nested\'>"> %a; %b;]>'
    '\n<order/>',
    '<!DOCTYPE order SYSTEM "{url}/external.dtd" [<!ENTITY x "1">]>\n<order><id>&x;</id></order>',
], ids=["entity", "parameter-entity", "nested-parameter-entity", "external-dtd-and-subset"])
def test_network_entities_connect_nowhere(work, listener, doctype):
    doc = '<?xml version="1.0"?>\n' + doctype.replace("{url}", listener.url)
    refused(validate(work, write(work, "net.xml", doc)), "net.xml", "line 2", "DOCTYPE not allowed")
    listener.close()
    assert listener.connections == []


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE order SYSTEM "{url}/external.dtd">',
    '<!DOCTYPE order PUBLIC "-//X//Y" "{url}/public.dtd">',
], ids=["external-dtd", "public-dtd"])
def test_a_dtd_named_by_a_doctype_is_never_loaded(work, listener, doctype):
    doc = '<?xml version="1.0"?>\n' + doctype.replace("{url}", listener.url) + "\n<order><id>1</id></order>"
    ran = validate(work, write(work, "net.xml", doc))
    assert ran.code == 0, ran.stdout
    listener.close()
    assert listener.connections == []


# -- DOCTYPEs the refusal must see however the document is written --------------------------------

@pytest.mark.parametrize("shape", list(BYPASSES))
def test_a_doctype_is_refused_past_any_comment_and_in_any_encoding(work, shape):
    ran = validate(work, write(work, "shape.xml", BYPASSES[shape]))
    refused(ran, "shape.xml", *BYPASS_WORDS[shape])


# -- DOCTYPEs of real documents (JATS, DITA): accepted, their DTD never read -----------------------

JATS = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Publishing DTD v1.2 20190208//EN"'
        b' "JATS-journalpublishing1.dtd">\n'
        b'<article><front><article-meta><title-group><article-title>On &#945;-decay&#160;&amp; more'
        b"</article-title></title-group></article-meta></front></article>\n")
DITA = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- a topic -->\n'
        b"<!DOCTYPE topic PUBLIC '-//OASIS//DTD DITA Topic//EN' 'topic.dtd'>\n"
        b'<topic id="t"><title>T</title><body><p>x</p></body></topic>\n')


@pytest.mark.parametrize(("data", "context", "test"), [
    (JATS, "article", "contains(string(.), '\u03b1-decay\u00a0&amp; more')"),
    (DITA, "topic", "@id = 't' and title = 'T'"),
    (b"<!DOCTYPE order>\n<order><id>1</id></order>", "order", "id = 1"),
    (codecs.BOM_UTF16_LE + '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE order SYSTEM '
     '"order.dtd">\n<order><id>é</id></order>'.encode("utf-16-le"), "order", "id = 'é'"),
], ids=["jats", "dita", "bare", "utf-16"])
def test_a_doctype_without_internal_subset_is_accepted(work, secret, data, context, test):
    # The DTD it names exists beside it and would define entities: it is never read.
    (work / "JATS-journalpublishing1.dtd").write_text(f'<!ENTITY id "{SECRET}">')
    write(work, "real.sch", schema(rule(test, "holds", kind="assert", context=context)))
    ran = validate(work, write(work, "real.xml", data), contract="real.sch")
    assert ran.code == 0, ran.stdout


def test_an_entity_the_unread_dtd_would_define_is_one_error_with_its_line(work):
    doc = JATS.replace(b"<front>", b"<front>\n\n<p>a&nbsp;b</p>")
    line = refused(validate(work, write(work, "nbsp.xml", doc)), "nbsp.xml", "&nbsp;",
                   "not defined", "never loaded")
    assert line.startswith("nbsp.xml: error: line 5: "), line


def test_xinclude_is_not_processed(work, secret, listener):
    doc = (f'<order xmlns:xi="http://www.w3.org/2001/XInclude"><id>1</id>'
           f'<xi:include href="{secret.as_uri()}" parse="text"/>'
           f'<xi:include href="{listener.url}/inc.xml"/></order>')
    checks = schema('<sch:ns prefix="xi" uri="http://www.w3.org/2001/XInclude"/>'
                    + rule(f"contains(string(/), '{SECRET}') or count(//xi:include) != 2",
                           "included something"))
    write(work, "xi.sch", checks)
    ran = validate(work, write(work, "xi.xml", doc), contract="xi.sch")
    assert ran.code == 0, ran.stdout
    listener.close()
    assert listener.connections == []


# -- sizes and counts ----------------------------------------------------------------------------------

def test_deep_nesting_is_refused_and_the_limit_can_be_lifted(work):
    deep = write(work, "deep.xml", "<order>" + "<a>" * 300 + "</a>" * 300 + "<id>1</id></order>")
    refused(validate(work, deep), "deep.xml", "nested deeper than the safety limit of 256")
    assert validate(work, deep, env={"CDCXML_LIMITS": "huge=1"}).code == 0
    deeper = write(work, "deeper.xml", "<a>" * 100_000 + "</a>" * 100_000)
    refused(validate(work, deeper, env={"CDCXML_LIMITS": "huge=1"}), "deeper.xml",
            "nested deeper than the safety limit of 2048")


def test_huge_text_is_refused(work):
    name = write(work, "text.xml", b"<order><id>" + b"1" * (11 * 1024 * 1024) + b"</id></order>")
    refused(validate(work, name), "text.xml", "longer than the safety limit of 10 MB")


def test_huge_attribute_is_refused(work):
    name = write(work, "attr.xml", b'<order a="' + b"x" * (11 * 1024 * 1024) + b'"><id/></order>')
    refused(validate(work, name), "attr.xml", "longer than the safety limit of 10 MB")


def test_many_attributes_are_refused_and_the_limit_can_be_raised(work):
    attrs = " ".join(f'a{i}=">"' for i in range(20_000))
    name = write(work, "attrs.xml", f"<order {attrs}><id>1</id></order>")
    refused(validate(work, name), "attrs.xml", "more than 10000 attributes", "max_attributes")
    ran = validate(work, name, env={"CDCXML_LIMITS": "max_attributes=30000"})
    assert ran.code == 0, ran.stdout


def test_many_namespace_declarations_are_refused(work):
    decls = " ".join(f'xmlns:n{i}="urn:n{i}"' for i in range(5_000))
    name = write(work, "ns.xml", f"<order {decls}><id>1</id></order>")
    refused(validate(work, name), "ns.xml", "more than 1000 namespace declarations")


def test_element_count_limit(work):
    name = write(work, "many.xml", "<order><id>1</id>" + "<x/>" * 5000 + "</order>")
    refused(validate(work, name, env={"CDCXML_LIMITS": "max_elements=1000"}), "many.xml",
            "more than 1000 elements")
    assert validate(work, name).code == 0


def test_size_limit(work):
    name = write(work, "big.xml", "<order><id>1</id>" + " " * 5000 + "</order>")
    refused(validate(work, name, env={"CDCXML_LIMITS": "max_bytes=1000"}), "big.xml",
            "larger than the limit of 1000 bytes")


def test_a_bad_limits_setting_is_one_error_line(work):
    ran = validate(work, "doc.xml", env={"CDCXML_LIMITS": "max_elephants=3"})
    assert ran.code == 2 and len(ran.lines) == 1, ran.stderr
    assert "CDCXML_LIMITS" in ran.lines[0] and "max_elephants" in ran.lines[0]


# -- compression ---------------------------------------------------------------------------------------

def test_gzip_is_never_decompressed(work):
    # 1 GB of XML in 1 MB: libxml2 would inflate it if it opened the file itself.
    payload = gzip_bomb(1024 * 1024 * 1024)
    for name in ("bomb.xml.gz", "bomb.xml"):
        write(work, name, payload)
        refused(validate(work, name, memory_mb=1024), name, "not well-formed")


# -- encodings -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "words"), [
    (b'<?xml version="1.0" encoding="UTF-7"?>\n<order>+ADw-id+AD4-1+ADw-/id+AD4-</order>',
     ("encoding 'utf-7' is not allowed",)),
    (b'<?xml version="1.0" encoding="EBCDIC-US"?>\n<order/>', ("encoding 'ebcdic-us' is not allowed",)),
    (codecs.BOM_UTF8 + b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<order><id>\xc3\xa9</id></order>',
     ("UTF-8 byte order mark contradicts", "iso-8859-1")),
    (codecs.BOM_UTF16_LE + '<?xml version="1.0" encoding="UTF-8"?><order><id>1</id></order>'
     .encode("utf-16-le"), ("UTF-16 byte order mark contradicts", "utf-8")),
    (b'<?xml version="1.0" encoding="UTF-8"?>\n<order><id>\xff\xfe</id></order>',
     ("not well-formed",)),
    (b"<order><id>1</id>", ("not well-formed",)),
    (b"\x00\x01\x02binary\xff", ("not well-formed",)),
    (b"  \n\t ", ("document is empty",)),
], ids=["utf-7", "ebcdic", "utf8-bom-vs-latin1", "utf16-bom-vs-utf8", "bad-utf8", "unclosed",
        "binary", "empty"])
def test_malformed_and_misencoded_bytes(work, data, words):
    refused(validate(work, write(work, "bad.xml", data)), "bad.xml", *words)


@pytest.mark.parametrize("data", [
    codecs.BOM_UTF8 + b'<?xml version="1.0" encoding="UTF-8"?>\n<order><id>\xc3\xa9</id></order>',
    codecs.BOM_UTF8 + b"<order><id>1</id></order>",
    codecs.BOM_UTF16_LE + '<?xml version="1.0" encoding="UTF-16"?><order><id>é</id></order>'
    .encode("utf-16-le"),
    codecs.BOM_UTF16_BE + "<order><id>é</id></order>".encode("utf-16-be"),
    b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<order><id>\xe9</id></order>',
], ids=["utf8-bom-and-declaration", "utf8-bom", "utf16le-bom", "utf16be-bom", "latin1"])
def test_benign_encodings_and_byte_order_marks_hold(work, data):
    ran = validate(work, write(work, "fine.xml", data))
    assert ran.code == 0, ran.stdout


# -- the parser's own pre-checks cannot be made slow ----------------------------------------------------

@pytest.mark.parametrize("data", [
    b"<!-- -->" * 200_000 + b"<order/",
    b"<?pi ?>" * 200_000 + b"<!DOCTYPE",
    b" " * 5_000_000 + b"x",
    b"<!--" + b"<?" * 1_000_000,
], ids=["comments", "processing-instructions", "white-space", "unclosed-comment"])
def test_prolog_scanning_is_linear(work, data):
    ran = validate(work, write(work, "prolog.xml", data))
    refused(ran, "prolog.xml")
    assert ran.seconds < 15


# -- the run goes on -----------------------------------------------------------------------------------

def test_each_bad_document_is_one_entry_and_the_good_one_is_still_checked(work, secret):
    bad = [write(work, "a-lol.xml", BILLION_LAUGHS),
           write(work, "b-utf7.xml", b'<?xml version="1.0" encoding="UTF-7"?><order/>'),
           write(work, "c-deep.xml", "<a>" * 1000 + "</a>" * 1000),
           write(work, "d-empty.xml", b"")]
    ran = validate(work, *bad, "doc.xml", "--format", "json")
    assert ran.code == 1
    import json

    report = json.loads(ran.stdout)
    by_path = {d["path"]: d for d in report["documents"]}
    assert by_path["doc.xml"]["valid"] is True and by_path["doc.xml"]["error"] is None
    for name in bad:
        assert by_path[name]["error"], name
    assert report["summary"] == {"documents": 5, "valid": 1, "invalid": 0, "errors": 4}
    # A path that is not there is no document to report on: the run is a usage error.
    missing = validate(work, *bad, "doc.xml", "missing.xml", "--format", "json")
    assert (missing.code, missing.stdout) == (2, "")
    assert missing.stderr == "cdcxml: missing.xml: no such file or directory\n"


def test_standard_input_is_refused_the_same_way(work):
    ran = validate(work, "-", stdin=BILLION_LAUGHS)
    refused(ran, "-", "DOCTYPE not allowed")
