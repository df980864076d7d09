"""Every JSON input goes through one reader: JSON nested too deeply for the parser, or not JSON
at all, is a one-line error naming the file, never a traceback."""

from __future__ import annotations

import json

import pytest

from cdcxml import jsonio
from cdcxml.batch.run import read_jsonl
from cdcxml.errors import InputError, JsonError, LockError
from cdcxml.sources.lock import read_lock

from .helpers import cli

DEEP = b"[" * 400_000 + b"]" * 400_000


def test_the_reader_names_the_input_and_the_reason():
    assert jsonio.loads(b'{"a": [1]}', name="x.json") == {"a": [1]}
    with pytest.raises(JsonError) as deep:
        jsonio.loads(DEEP, name="deep.json")
    assert deep.value.brief == "deep.json: not JSON this reader accepts: nested too deeply"
    with pytest.raises(JsonError) as broken:
        jsonio.loads(b'{\n  "a": }', name="broken.json")
    assert broken.value.brief == "broken.json:2: not JSON: Expecting value (column 8)"
    with pytest.raises(JsonError) as binary:
        jsonio.loads(b"\xff\xfe", name="binary.json")
    assert binary.value.brief.startswith("binary.json: not JSON: not UTF-8")


def test_a_lock_file_nested_too_deeply_is_a_lock_error(tmp_path):
    lock = tmp_path / "cdcxml.lock"
    lock.write_bytes(DEEP)
    with pytest.raises(LockError) as err:
        read_lock(lock)
    assert err.value.brief == f"{lock}: not a cdcxml lock file: not JSON this reader accepts: " \
                              "nested too deeply"


def test_a_lock_file_nested_too_deeply_is_one_line_on_the_command_line(tmp_path, monkeypatch):
    (tmp_path / "cdcxml.toml").write_text('[contracts]\nsources = ["c.sch"]\n')
    (tmp_path / "cdcxml.lock").write_bytes(DEEP)
    monkeypatch.chdir(tmp_path)
    ran = cli("validate", "-c", "c.sch", "doc.xml")
    assert ran.exit_code == 2
    assert ran.stderr.splitlines() == [
        "cdcxml: cdcxml.lock: not a cdcxml lock file: not JSON this reader accepts: nested too deeply"]


def test_a_har_file_nested_too_deeply_is_a_document_that_could_not_be_checked(tmp_path):
    contract = tmp_path / "c.sch"
    contract.write_text('<schema xmlns="http://purl.oclc.org/dsdl/schematron">'
                        '<pattern><rule context="/*"><assert test="true()">x</assert></rule>'
                        '</pattern></schema>')
    har = tmp_path / "deep.har"
    har.write_bytes(b'{"log": ' + DEEP + b"}")
    ran = cli("batch", "-c", contract, "--format", "json", har)
    assert ran.exit_code == 1, ran.output
    [doc] = json.loads(ran.stdout)["documents"]
    assert doc["error"] == "not a HAR file: not JSON this reader accepts: nested too deeply"


def test_a_deployment_record_nested_too_deeply_is_one_line(tmp_path):
    store = tmp_path / "records"
    (store / "orders" / "shop" / "1.0.0").mkdir(parents=True)
    (store / "orders" / "shop" / "1.0.0" / "shop.sch").write_text(
        '<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" '
        'xmlns:cdc="urn:cdcxml:contract:1">'
        '<cdc:contract consumer="shop" provider="orders" version="1.0.0"/>'
        '<sch:pattern><sch:rule context="order"><sch:assert test="id">id</sch:assert>'
        "</sch:rule></sch:pattern></sch:schema>\n")
    (store / "deployments" / "prod" / "shop").mkdir(parents=True)
    (store / "deployments" / "prod" / "shop" / "000001.json").write_bytes(DEEP)
    ran = cli("can-i-deploy", "--consumer", "shop", "--version", "1.0.0", "--to", "prod",
              "--records", store)
    assert ran.exit_code == 2
    assert ran.stderr.splitlines() == [
        "cdcxml: deployments/prod/shop/000001.json: not a deployment record: not JSON this "
        "reader accepts: nested too deeply"]


def test_a_resumed_batch_report_nested_too_deeply_is_one_line(tmp_path):
    report = tmp_path / "report.jsonl"
    report.write_bytes(DEEP + b"\n")
    with pytest.raises(InputError) as err:
        read_jsonl(report)
    assert err.value.brief == (f"{report}:1: cannot resume: not a cdcxml jsonl report (not JSON "
                               "this reader accepts: nested too deeply)")
