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


def test_every_command_has_quiet_and_verbose():
    for name in main.list_commands(click.Context(main)):
        text = cli(name, "--help").output
        assert "-q, --quiet" in text and "-v, --verbose" in text, name


def test_quiet_drops_the_summary_and_verbose_names_the_contracts():
    quiet = cli("validate", "-q", "-c", str(CONTRACTS), str(V1))
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    loud = cli("validate", "-v", "-c", str(MARKETING), str(V1))
    assert loud.stdout == f"{V1}: ok\n1 document: 1 valid, 0 invalid, 0 could not be checked\n"
    assert "loaded <Contract of 'marketing' for 'product-search' v1.0.0" in loud.stderr


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
