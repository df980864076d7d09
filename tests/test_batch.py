"""``cdcxml batch``: sources, ordering, formats, summary, fail-fast, errors."""

from __future__ import annotations

import json
import os
import threading
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from cdcxml.batch import ArchiveLimits, Spec, captures, check_all, count
from cdcxml.cli import main
from cdcxml.sources import load_contracts

from .batch_support import CAPTURES, CONTRACTS, DATA, XSD, har_entry, make_har, make_tar, make_zip

# What each captured document is, by file: the verdict the contracts must reach.
EXPECTED = {
    "001-ok.xml": "valid",
    "002-no-price.xml": "invalid",
    "003-malformed.xml": "error",
    "004-not-xml.xml": "error",
    "005-json-body.xml": "error",
    "006-extra-element.xml": "valid",
    "007-bad-price.xml": "invalid",
    "008-doctype.xml": "error",
    "009-empty.xml": "error",
    "010-envelope-ok.xml": "valid",
    "011-envelope-no-name.xml": "invalid",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["batch", *args])
    return result.exit_code, result.stdout, result.stderr


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def verdict(doc: dict) -> str:
    if doc["error"] is not None:
        return "error"
    return "valid" if doc["valid"] else "invalid"


def without_paths(docs: list[dict]) -> list[dict]:
    return [{k: v for k, v in d.items() if k != "path"} for d in docs]


@pytest.fixture(scope="module")
def containers(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("containers")
    return {
        "dir": CAPTURES,
        "zip": make_zip(tmp / "captures.zip"),
        "tar": make_tar(tmp / "captures.tar.gz"),
        "har": make_har(tmp / "captures.har"),
    }


def test_directory_verdicts_are_the_documents_own():
    code, out, _ = run("-c", str(CONTRACTS), "--format", "jsonl", "-j", "1", str(CAPTURES))
    docs = jsonl(out)
    assert code == 1
    assert {Path(d["path"]).name: verdict(d) for d in docs} == EXPECTED
    assert not any(d["path"].endswith("notes.txt") for d in docs)
    by_name = {Path(d["path"]).name: d for d in docs}
    no_price = by_name["002-no-price.xml"]["contracts"]
    assert {c["consumer"] for c in no_price} == {"marketing", "reseller-web"}
    failure = next(c for c in no_price if c["consumer"] == "marketing")["failures"][0]
    assert (failure["id"], failure["line"]) == ("has-price", 10)
    assert "Opening and ending tag mismatch" in by_name["003-malformed.xml"]["error"]
    assert "DOCTYPE" in by_name["008-doctype.xml"]["error"]
    assert "empty" in by_name["009-empty.xml"]["error"]


@pytest.mark.parametrize("kind", ["zip", "tar", "har"])
def test_archives_and_har_give_the_directory_results(containers, kind):
    _, out_dir, _ = run("-c", str(CONTRACTS), "--format", "jsonl", "-j", "1", str(CAPTURES))
    code, out, err = run("-c", str(CONTRACTS), "--format", "jsonl", "-j", "1",
                         str(containers[kind]))
    assert code == 1, err
    docs = jsonl(out)
    if kind == "har":  # a HAR entry's error also names the exchange it was the response to
        assert all(d["error"].startswith("response to http://provider.test/") for d in docs
                   if d["error"])
        for d in docs:
            if d["error"]:
                d["error"] = d["error"].split(": ", 1)[1]
    assert without_paths(docs) == without_paths(jsonl(out_dir))
    mark = "#" if kind == "har" else "!"
    assert all(d["path"].startswith(f"{containers[kind]}{mark}") for d in docs)


def test_member_and_entry_names(containers):
    zip_names = [c.name for c in captures([containers["zip"]])]
    assert zip_names[0] == f"{containers['zip']}!001-ok.xml"
    assert zip_names[-1] == f"{containers['zip']}!soap/011-envelope-no-name.xml"
    har_names = [c.name for c in captures([containers["har"]])]
    # Entry 0 is a JSON call, skipped: the first XML response is entry 1.
    assert har_names[0] == f"{containers['har']}#1"
    assert len(har_names) == len(EXPECTED)


def test_har_entries_without_a_body_or_with_bad_base64_are_reported(tmp_path):
    entries = [
        har_entry("http://p.test/a", (CAPTURES / "001-ok.xml").read_bytes(), "text/xml"),
        har_entry("http://p.test/logo", b"\x89PNG", "image/png"),
        har_entry("http://p.test/b", b"", "application/xml"),
        har_entry("http://p.test/c", b"", "application/vnd.example+xml"),
    ]
    del entries[2]["response"]["content"]["text"]
    entries[3]["response"]["content"].update(text="**not base64**", encoding="base64")
    har = tmp_path / "proxy.har"
    har.write_text(json.dumps({"log": {"entries": entries}}), encoding="utf-8")
    code, out, _ = run("-c", str(CONTRACTS), "--format", "jsonl", "-j", "1", str(har))
    docs = jsonl(out)
    assert code == 1
    assert [d["path"] for d in docs] == [f"{har}#0", f"{har}#2", f"{har}#3"]
    assert [verdict(d) for d in docs] == ["valid", "error", "error"]
    assert docs[1]["error"] == "response to http://p.test/b: body was not recorded in the HAR file"
    assert docs[2]["error"] == "response to http://p.test/c: body is not valid base64"


def test_a_doctype_in_a_har_entry_names_the_entry_and_its_url(tmp_path):
    entries = [har_entry("http://p.test/ok", (CAPTURES / "001-ok.xml").read_bytes(), "text/xml"),
               har_entry("http://p.test/evil?q=1", b'<?xml version="1.0"?>\n'
                         b'<!DOCTYPE a [<!ENTITY x "y">]>\n<a>&x;</a>', "text/xml")]
    har = tmp_path / "session.har"
    har.write_text(json.dumps({"log": {"entries": entries}}), encoding="utf-8")
    code, out, _ = run("-c", str(CONTRACTS), "-j", "1", str(har))
    assert code == 1
    error = next(line for line in out.splitlines() if "DOCTYPE" in line)
    assert error.startswith(f"{har}#1: error: response to http://p.test/evil?q=1: line 2: "
                            "DOCTYPE not allowed"), error


def test_a_har_entry_finding_stays_parseable_as_file_line(containers):
    """``session.har#N:LINE: consumer: ...``: the name has no colon, so file:line splits cleanly."""
    code, out, _ = run("-c", str(CONTRACTS), "-j", "1", str(containers["har"]))
    assert code == 1
    finding = next(line for line in out.splitlines() if "has-price" in line)
    name, line, rest = finding.split(":", 2)
    assert name.startswith(f"{containers['har']}#") and name.rsplit("#", 1)[1].isdigit()
    assert line == "10" and rest.startswith(" marketing: ")


def test_broken_containers_are_entries_and_the_run_goes_on(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    (tmp_path / "broken.tar.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    (tmp_path / "broken.har").write_text("{not json", encoding="utf-8")
    (tmp_path / "gone.xml").symlink_to(tmp_path / "nowhere.xml")
    ok = tmp_path / "ok.xml"
    ok.write_bytes((CAPTURES / "001-ok.xml").read_bytes())
    code, out, _ = run("-c", str(CONTRACTS), "--format", "jsonl", "-j", "1", str(tmp_path))
    docs = {Path(d["path"]).name: d for d in jsonl(out)}
    assert code == 1
    assert "not a readable zip archive" in docs["broken.zip"]["error"]
    assert "tar" in docs["broken.tar.gz"]["error"]
    assert "not a HAR file" in docs["broken.har"]["error"]
    assert docs["gone.xml"]["error"] == "no such file or directory"
    assert docs["ok.xml"]["valid"] is True
    # Named paths that are not there, or patterns that match nothing, are usage errors.
    for missing in ("missing.xml", "*.nothing"):
        code, out, err = run("-c", str(CONTRACTS), str(tmp_path), str(tmp_path / missing))
        assert (code, out) == (2, "")
        assert err.startswith(f"cdcxml: {tmp_path / missing}: no ")


@pytest.mark.parametrize(("given", "message"), [
    ("missing.xml", "missing.xml: no such file or directory"),
    ("*.nothing", "*.nothing: no file matches this pattern"),
])
def test_a_path_given_that_names_nothing_is_a_usage_error(tmp_path, given, message):
    # Nothing to check is never a pass: a path or pattern on the command line that names no file
    # stops the run before anything is checked (a broken file found inside a folder does not).
    ok = tmp_path / "ok.xml"
    ok.write_bytes((CAPTURES / "001-ok.xml").read_bytes())
    code, out, err = run("-c", str(CONTRACTS), "--format", "jsonl", "-j", "1", str(ok),
                         str(tmp_path / given))
    assert code == 2 and out == ""
    assert err.strip() == f"cdcxml: {tmp_path / given}: {message.split(': ', 1)[1]}"


def test_globs_expand_in_order():
    pattern = str(CAPTURES / "**" / "01*.xml")
    names = [Path(c.name).name for c in captures([pattern])]
    assert names == ["010-envelope-ok.xml", "011-envelope-no-name.xml"]


def test_archive_limits_make_entries_not_crashes(tmp_path):
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(5):
            zf.writestr(f"doc{i}.xml", b"<a/>")
        zf.writestr("x" * 40 + ".xml", b"<a/>")
        zf.writestr("big.xml", b"<a>" + b" " * 500 + b"</a>")
    found = list(captures([archive], limits=ArchiveLimits(max_members=100, max_name=30,
                                                           max_member_bytes=100)))
    errors = {c.name.rsplit("!", 1)[1]: c.error for c in found if c.error}
    assert errors == {
        "x" * 30: "member name longer than 30 characters",
        "big.xml": "member is larger than the limit of 100 bytes",
    }
    capped = list(captures([archive], limits=ArchiveLimits(max_members=3)))
    assert [c.error for c in capped[:3]] == [None, None, None]
    assert capped[3].name == str(archive)
    assert capped[3].error == "more than 3 members (limit max_members); the rest were not read"
    assert len(capped) == 4


def test_zip_member_that_lies_about_its_size_is_cut(tmp_path):
    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.xml", b"<a>" + b"0" * 100_000 + b"</a>")
    raw = bytearray(archive.read_bytes())
    # Patch the central directory's uncompressed size down to 10 bytes.
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24:central + 28] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(raw))
    [capture] = captures([archive], limits=ArchiveLimits(max_member_bytes=1000))
    assert capture.data is None
    assert capture.error is not None


def test_count_matches_the_run(containers):
    for path in containers.values():
        assert count([path]) == len(EXPECTED)


def test_jobs_two_gives_the_output_of_jobs_one(containers):
    paths = [str(p) for p in containers.values()]
    for fmt in ("jsonl", "text", "json"):
        one = run("-c", str(CONTRACTS), "--xsd", str(XSD), "--format", fmt, "-j", "1", *paths)
        two = run("-c", str(CONTRACTS), "--xsd", str(XSD), "--format", fmt, "-j", "2", *paths)
        assert one[0] == two[0] == 1
        assert one[1] == two[1]


def test_library_run_streams_reports_in_input_order():
    spec = Spec.of(load_contracts([CONTRACTS]))
    names = [Path(d.path).name for d in check_all([CAPTURES], spec, jobs=2)]
    assert names == list(EXPECTED)


def test_xsd_sees_the_soap_payload_and_the_summary_contrasts():
    code, out, _ = run("-c", str(CONTRACTS), "--xsd", str(XSD), "--format", "json", "-j", "1",
                       str(CAPTURES))
    report = json.loads(out)
    assert code == 1
    docs = {Path(d["path"]).name: d for d in report["documents"]}
    assert docs["010-envelope-ok.xml"]["xsd"] == {"valid": True, "errors": []}
    xsd_error = docs["011-envelope-no-name.xml"]["xsd"]["errors"][0]
    # The offending element, as lined in the envelope: Price, standing where Name should be.
    assert (xsd_error["line"], xsd_error["location"]) == (
        7, "/soap:Envelope[1]/soap:Body[1]/p:Products[1]/p:Product[1]/p:Price[1]")
    assert docs["006-extra-element.xml"]["xsd"]["valid"] is False
    assert report["summary"] == {"documents": 11, "valid": 2, "invalid": 4, "errors": 5}
    assert report["batch"]["xsd_vs_contracts"] == {
        "both-accept": 2, "xsd-only": 1, "consumers-only": 0, "both-reject": 3,
        "soap-fault": 0}
    assert report["interrupted"] is False
    consumers = {c["consumer"]: c for c in report["batch"]["consumers"]}
    marketing = consumers["marketing"]
    assert (marketing["documents"], marketing["rejected"]) == (6, 3)
    tops = {t["assertion"]: t["documents"] for t in marketing["top_failures"]}
    assert tops == {"has-price": 1, "price-is-number": 1, "has-name": 1}
    assert len(report["batch"]["unreadable"]) == 5


def test_text_report_ends_with_the_summary():
    code, out, _ = run("-c", str(CONTRACTS), "-j", "1", str(CAPTURES))
    lines = out.splitlines()
    assert code == 1
    assert any(line.endswith("002-no-price.xml:10: marketing: Must contain Price node [has-price]")
               for line in lines)
    assert "marketing: 3 of 6 documents rejected" in lines
    assert lines[-1] == "11 documents: 3 valid, 3 invalid, 5 could not be checked"


def test_jsonl_prints_the_summary_to_stderr():
    code, out, err = run("-c", str(CONTRACTS), "--format", "jsonl", "-j", "1", str(CAPTURES))
    assert code == 1
    assert len(out.splitlines()) == 11
    assert "reseller-web: 2 of 6 documents rejected" in err.splitlines()


def test_junit_report(tmp_path):
    target = tmp_path / "report.xml"
    code, out, _ = run("-c", str(CONTRACTS), "--xsd", str(XSD), "--format", "junit", "-o",
                       str(target), "-j", "1", str(CAPTURES))
    assert code == 1
    assert out == ""
    root = etree.parse(str(target)).getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"could not be checked", "xsd", "marketing", "reseller-web"}
    assert (suites["marketing"].get("tests"), suites["marketing"].get("failures")) == ("6", "3")
    assert suites["could not be checked"].get("errors") == "5"
    failure = suites["marketing"].find("testcase/failure")
    assert "Must contain Price node" in failure.get("message")
    assert root.get("tests") == str(sum(int(s.get("tests")) for s in suites.values()))


def test_html_report(tmp_path):
    target = tmp_path / "report.html"
    code, _, _ = run("-c", str(CONTRACTS), "--xsd", str(XSD), "--format", "html", "-o",
                     str(target), "-j", "1", str(CAPTURES))
    page = target.read_text(encoding="utf-8")
    assert code == 1
    assert "11 documents: 2 valid" in page
    assert "XSD rejects, every consumer accepts" in page
    assert "002-no-price.xml" in page and "001-ok.xml" not in page
    tree = etree.fromstring(page.encode(), etree.HTMLParser())
    assert len(tree.findall(".//h2")) == 3


def test_fail_fast_stops_at_the_first_document_that_does_not_hold():
    code, out, _ = run("-c", str(CONTRACTS), "--format", "jsonl", "--fail-fast", "-j", "2",
                       str(CAPTURES))
    docs = jsonl(out)
    assert code == 1
    assert [Path(d["path"]).name for d in docs] == ["001-ok.xml", "002-no-price.xml"]


def test_everything_valid_exits_zero():
    code, out, _ = run("-c", str(CONTRACTS), str(CAPTURES / "001-ok.xml"),
                       str(CAPTURES / "soap" / "010-envelope-ok.xml"))
    assert code == 0
    assert out.splitlines()[-1] == "2 documents: 2 valid, 0 invalid, 0 could not be checked"


def test_a_broken_contract_stops_before_any_document(tmp_path):
    bad = tmp_path / "bad.sch"
    bad.write_text('<schema xmlns="http://purl.oclc.org/dsdl/schematron"><pattern><rule '
                   'context="a["><assert test="b">x</assert></rule></pattern></schema>')
    code, out, err = run("-c", str(bad), str(CAPTURES))
    assert code == 2
    assert out == ""
    assert err.startswith(f"cdcxml: {bad}")
    assert len(err.splitlines()) == 1


def test_resume_needs_a_jsonl_file():
    code, _, err = run("-c", str(CONTRACTS), "--resume", str(CAPTURES))
    assert code == 2
    assert "--resume" in err


def test_resume_skips_what_the_file_holds_and_drops_a_cut_line(tmp_path):
    target = tmp_path / "run.jsonl"
    _, full, _ = run("-c", str(CONTRACTS), "--format", "jsonl", "-j", "1", str(CAPTURES))
    lines = full.splitlines(keepends=True)
    target.write_text("".join(lines[:4]) + lines[4][:30], encoding="utf-8")
    code, out, err = run("-c", str(CONTRACTS), "--format", "jsonl", "-o", str(target), "--resume",
                         "-j", "2", str(CAPTURES))
    assert code == 1
    assert out == ""
    assert target.read_text(encoding="utf-8") == full
    # The summary covers the whole run, the lines read back included.
    assert "marketing: 3 of 6 documents rejected" in err.splitlines()


def test_resume_refuses_a_file_that_is_not_a_report(tmp_path):
    target = tmp_path / "run.jsonl"
    target.write_text("hello\n", encoding="utf-8")
    code, _, err = run("-c", str(CONTRACTS), "--format", "jsonl", "-o", str(target), "--resume",
                       str(CAPTURES))
    assert code == 2
    assert f"{target}:1: cannot resume" in err
    assert target.read_text(encoding="utf-8") == "hello\n"


def test_output_file_is_written_whole(tmp_path):
    target = tmp_path / "report.json"
    code, _, _ = run("-c", str(CONTRACTS), "--format", "json", "-o", str(target), str(CAPTURES))
    assert code == 1
    assert json.loads(target.read_text(encoding="utf-8"))["summary"]["documents"] == 11
    assert os.listdir(tmp_path) == ["report.json"]


def test_data_folder_holds_what_the_tests_expect():
    assert sorted(p.name for p in CAPTURES.rglob("*.xml")) == sorted(EXPECTED)
    assert DATA.is_dir()


def test_output_to_a_pipe_is_written_in_place(tmp_path):
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    code, _, _ = run("-c", str(CONTRACTS), "--format", "json", "-o", str(fifo), "-j", "1",
                     str(CAPTURES))
    reader.join(timeout=30)
    assert code == 1
    assert fifo.is_fifo()
    assert json.loads(received[0])["summary"]["documents"] == 11


def test_standard_input_is_one_document_read_by_the_parent():
    data = (CAPTURES / "002-no-price.xml").read_bytes()
    result = CliRunner().invoke(main, ["batch", "-c", str(CONTRACTS), "--format", "jsonl", "-j",
                                       "2", "-", str(CAPTURES / "001-ok.xml")], input=data)
    docs = jsonl(result.stdout)
    assert result.exit_code == 1
    assert [(d["path"], verdict(d)) for d in docs] == [
        ("-", "invalid"), (str(CAPTURES / "001-ok.xml"), "valid")]


def test_an_unexpected_failure_on_one_document_is_its_entry(monkeypatch):
    from cdcxml import checking

    real = checking.check_document

    def flaky(tree, name, *args, **kwargs):
        if name.endswith("006-extra-element.xml"):
            raise ValueError("something odd\nsecond line")
        return real(tree, name, *args, **kwargs)

    monkeypatch.setattr(checking, "check_document", flaky)
    spec = Spec.of(load_contracts([CONTRACTS]))
    reports = {Path(d.path).name: d for d in check_all([CAPTURES], spec, jobs=1)}
    assert reports["006-extra-element.xml"].error == "could not be checked: ValueError: something odd"
    assert reports["007-bad-price.xml"].error is None
    assert len(reports) == len(EXPECTED)
