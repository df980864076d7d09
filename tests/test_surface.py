"""The user's surface: one feel across commands, the Python entry points, messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from lxml import etree

import cdcxml
from cdcxml.cli import main
from cdcxml.errors import SchematronError

from .helpers import cli

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "productsearch"
CONTRACTS = EXAMPLE / "contracts"
MARKETING = CONTRACTS / "marketing.sch"
BROKEN = EXAMPLE / "responses" / "broken-no-price.xml"
V1 = EXAMPLE / "responses" / "v1.xml"


def test_contract_commands_take_dash_c_and_name_every_source_kind_in_their_help():
    for command in ("validate", "lint", "verify", "batch", "contrast", "obligations", "impact"):
        text = " ".join(cli(command, "--help").output.split())
        assert "-c, --contract SOURCE" in text, command
        for kind in ("git+URL@REF", "installed:PROVIDER", "--installed"):
            assert kind in text, (command, kind)
    assert "-c, --contract FILE" in cli("compile", "--help").output


def test_every_command_has_quiet_and_those_that_load_contracts_verbose():
    from cdcxml.cli.common import VERBOSE_HELP

    for name in main.list_commands(click.Context(main)):
        text = cli(name, "--help").output
        assert "-q, --quiet" in text, name
        assert ("-v, --verbose" in text) == (name in VERBOSE_HELP), name


def test_quiet_drops_the_summary_and_verbose_names_the_contracts():
    quiet = cli("validate", "-q", "-c", str(CONTRACTS), str(V1))
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    loud = cli("validate", "-v", "-c", str(MARKETING), str(V1))
    assert loud.stdout == f"{V1}: ok\n1 document: 1 valid, 0 invalid, 0 could not be checked\n"
    assert loud.stderr == (f"cdcxml: loaded {MARKETING}: consumer marketing, provider "
                           "product-search, version 1.0.0\n")


@pytest.mark.parametrize("command", [
    ["validate", "-c", str(CONTRACTS), str(BROKEN)],
    ["validate", "--format", "json", "-c", str(CONTRACTS), str(BROKEN)],
    ["batch", "-j", "1", "-c", str(CONTRACTS), str(BROKEN)],
])
def test_with_o_the_report_goes_to_the_file_and_the_summary_to_stderr(tmp_path, command):
    out = tmp_path / "report"
    result = cli(*command, "-o", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "1 document: 0 valid, 1 invalid, 0 could not be checked\n"
    assert out.stat().st_size > 0


@pytest.mark.parametrize(("command", "target", "message"), [
    (["batch", "-c", str(CONTRACTS), str(V1)], "/nonexistent/dir/out",
     "cdcxml: /nonexistent/dir/out: cannot write the report: No such file or directory"),
    (["batch", "-c", str(CONTRACTS), str(V1)], "README.md/x",
     "cdcxml: README.md/x: cannot write the report: Not a directory"),
    (["validate", "-c", str(CONTRACTS), str(V1)], "README.md/x",
     "cdcxml: README.md/x: cannot write the report: Not a directory"),
    (["package", str(MARKETING), "--version", "1.0.0"], "README.md/dist",
     "cdcxml: README.md/dist: cannot create the output folder: Not a directory"),
    (["package", str(MARKETING), "--version", "1.0.0"], "/proc/nope",
     "cdcxml: /proc/nope: cannot create the output folder: No such file or directory"),
])
def test_outputs_that_cannot_be_written_are_one_line_errors(monkeypatch, command, target, message):
    monkeypatch.chdir(ROOT)
    result = cli(*command, "-o", target)
    assert result.exit_code == 2
    assert result.stderr == message + "\n"


def test_validate_writes_junit(tmp_path):
    result = cli("validate", "--format", "junit", "-c", str(CONTRACTS), str(BROKEN))
    assert result.exit_code == 1
    suites = etree.fromstring(result.stdout.encode()).findall("testsuite")
    assert [(s.get("name"), s.get("failures")) for s in suites] == [
        ("marketing", "1"), ("reseller-web", "1")]


@pytest.mark.parametrize("name", ["captures.zip", "session.har", "dump.tar.gz"])
def test_validate_points_archives_and_har_to_batch(tmp_path, name):
    (tmp_path / name).write_bytes(b"PK")
    result = cli("validate", "-c", str(CONTRACTS), str(tmp_path / name))
    assert result.exit_code == 2
    assert "use 'cdcxml batch'" in result.stderr


def test_jobs_0_is_documented():
    assert "0 (the default) uses every core" in " ".join(cli("batch", "--help").output.split())


def test_the_progress_bar_redraws_at_most_ten_times_a_second(monkeypatch):
    from cdcxml.cli import batch_cmd

    class Terminal:
        writes = 0

        def isatty(self):
            return True

        def write(self, text):
            Terminal.writes += 1

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setattr(batch_cmd, "count", lambda paths, limits: 60_000)
    now = [0.0]
    progress = batch_cmd._Progress([], skip_total=0, limits=batch_cmd.DEFAULT_ARCHIVE_LIMITS,
                                   clock=lambda: now[0])
    for _ in range(60_000):  # 60,000 documents in 6 seconds
        now[0] += 0.0001
        progress.step()
    progress.close()
    assert Terminal.writes < 6 * 10 * 4  # a few writes per redraw, about 60 redraws


def test_a_non_schematron_root_is_named_without_none(tmp_path):
    bad = tmp_path / "notaschema.sch"
    bad.write_text("<notaschema/>", encoding="utf-8")
    with pytest.raises(SchematronError) as err:
        cdcxml.load_contract(bad)
    assert "{None}" not in str(err.value)
    assert "root element notaschema is not a Schematron schema" in str(err.value)


def test_load_contract_compiles_so_errors_come_at_load(tmp_path):
    xslt2 = tmp_path / "xslt2.sch"
    xslt2.write_text('<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">'
                     '<pattern><rule context="a"><assert test="b">b</assert></rule></pattern>'
                     "</schema>", encoding="utf-8")
    broken = tmp_path / "broken.sch"
    broken.write_text('<schema xmlns="http://purl.oclc.org/dsdl/schematron">'
                      '<pattern><rule context="a"><assert test="b[">b</assert></rule></pattern>'
                      "</schema>", encoding="utf-8")
    for path in (xslt2, broken):
        with pytest.raises(SchematronError):
            cdcxml.load_contract(path)


def test_a_contract_repr_says_who_it_is_for():
    assert repr(cdcxml.load_contract(MARKETING)) == (
        f"<Contract of 'marketing' for 'product-search' v1.0.0 at {str(MARKETING)!r}>")


def test_validate_takes_what_contract_validate_takes_and_contracts_as_paths():
    contract = cdcxml.load_contract(MARKETING)
    data = BROKEN.read_bytes()
    for doc in (BROKEN, str(BROKEN), data, etree.parse(str(BROKEN)),
                etree.parse(str(BROKEN)).getroot()):
        for contracts in (contract, MARKETING, str(MARKETING), [str(CONTRACTS)]):
            reports = list(cdcxml.validate(doc, contracts))
            assert len(reports) == 1
            ids = [f.id for c in reports[0].contracts for f in c.failures]
            assert "has-price" in ids, (type(doc), contracts)
            assert ids == [f.id for f in contract.validate(doc).failures] or len(ids) == 2


def test_build_and_hatchling_load_only_for_package():
    code = ("import sys, cdcxml, cdcxml.cli; "
            "print(sorted(m for m in ('build', 'hatchling', 'pyproject_hooks') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_pull_says_1_contract(tmp_path, monkeypatch):
    (tmp_path / "cdcxml.toml").write_text(
        f'[contracts]\nsources = ["{MARKETING}"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = cli("pull")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].endswith("(1 contract)")


@pytest.mark.parametrize("args", [
    ["validate", "-c", "gone.sch", "doc.xml"],
    ["validate", "-c", "c.sch", "gone.xml"],
    ["lint", "c.sch", "--sample", "gone.xml"],
    ["contrast", "-c", "c.sch", "--xsd", "s.xsd", "gone.xml"],
])
def test_a_missing_file_is_always_worded_the_same(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.sch").write_text(
        '<schema xmlns="http://purl.oclc.org/dsdl/schematron"><pattern><rule context="/*">'
        '<assert test="true()">x</assert></rule></pattern></schema>')
    (tmp_path / "doc.xml").write_bytes(V1.read_bytes())
    (tmp_path / "s.xsd").write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>')
    result = cli(*args)
    assert result.exit_code == 2
    gone = next(a for a in args if a.startswith("gone"))
    assert result.stderr.splitlines() == [f"cdcxml: {gone}: no such file or directory"]


def test_verbose_is_offered_only_where_it_says_something():
    from cdcxml.cli.common import VERBOSE_HELP

    xsd = EXAMPLE / "schemas" / "products-v1.xsd"
    for args in (["compile"], ["lint"], ["batch", V1], ["contrast", "--xsd", xsd, V1],
                 ["obligations", "--sample", V1], ["impact", "--old", V1, "--new", V1],
                 ["verify", "--base-url", "http://127.0.0.1:9", "--timeout", "1"]):
        assert args[0] in VERBOSE_HELP
        loud = cli(args[0], "-v", "-c", MARKETING, *args[1:])
        assert f"cdcxml: loaded {MARKETING}: consumer marketing" in loud.stderr, args
    assert "Write the stylesheet" in cli("compile", "--help").stdout
    assert "``" not in cli("validate", "--help").stdout
    lint = cli("lint")
    assert "as an argument, with -c or with --installed" in lint.stderr
