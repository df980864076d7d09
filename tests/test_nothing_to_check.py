"""Nothing to check is an error, never a pass: contract sources that hold no contract and document
paths that are not there end the run with exit 2 and one line, in every command."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .helpers import cli as cdcxml
from .verify_support import EXAMPLE, FakeProvider, Reply

CONTRACTS = EXAMPLE / "contracts"
V1 = EXAMPLE / "responses" / "v1.xml"


def one_line(result, *words: str) -> str:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def empty_repo(tmp_path, monkeypatch) -> str:
    """A git repository whose only commit holds no contract, as a git+ source."""
    repo = tmp_path / "contracts"
    repo.mkdir()

    def git(*args):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (repo / "README.md").write_text("contracts will go here\n", encoding="utf-8")
    git("add", "README.md")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "start")
    monkeypatch.setenv("CDCXML_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return f"git+{repo.as_uri()}@main"


@pytest.fixture
def provider():
    p = FakeProvider().start()
    p.routes["/ProductSearch"] = Reply(200, (EXAMPLE / "responses/soap/v1.xml").read_bytes())
    yield p
    p.close()


def commands(source: list[str], provider_url: str) -> dict[str, list[str]]:
    return {
        "validate": ["validate", *source, V1],
        "batch": ["batch", *source, V1],
        "verify": ["verify", "--base-url", provider_url, *source],
        "contrast": ["contrast", *source, "--old", V1, "--new", V1],
        "lint": ["lint", *[s for s in source if s != "-c"]],
    }


@pytest.mark.parametrize("command", ["validate", "batch", "verify", "lint"])
def test_an_installed_source_with_no_package_is_exit_2(command, provider):
    argv = commands(["-c", "installed:nobody"], provider.url)[command]
    one_line(cdcxml(*argv), "installed:nobody", "no installed contract package",
             "provider 'nobody'")
    assert provider.calls == []


@pytest.mark.parametrize("command", ["validate", "verify"])
def test_installed_for_a_provider_with_none_is_exit_2(command, provider):
    argv = {"validate": ["validate", "--installed", "--provider", "nobody", V1],
            "verify": ["verify", "--base-url", provider.url, "--installed", "--provider",
                       "nobody"]}[command]
    one_line(cdcxml(*argv), "no installed contract package has contracts for provider 'nobody'")


@pytest.mark.parametrize("command", ["validate", "batch", "verify", "lint"])
def test_an_empty_directory_is_exit_2(command, tmp_path, provider):
    empty = tmp_path / "none"
    empty.mkdir()
    argv = commands(["-c", str(empty)], provider.url)[command]
    one_line(cdcxml(*argv), str(empty), "no contract files")


@pytest.mark.parametrize("command", ["validate", "batch", "verify"])
def test_a_git_ref_without_contracts_is_exit_2(command, empty_repo, provider):
    argv = commands(["-c", empty_repo], provider.url)[command]
    one_line(cdcxml(*argv), empty_repo, "no contracts in this source")


@pytest.mark.parametrize("command", ["validate", "batch"])
def test_a_document_path_that_does_not_exist_is_a_usage_error(command, tmp_path):
    missing = tmp_path / "missing.xml"
    result = cdcxml(command, "-c", CONTRACTS, V1, missing)
    one_line(result, str(missing), "no such file or directory")
    assert result.stdout == ""


def test_a_glob_that_matches_nothing_is_a_usage_error(tmp_path):
    one_line(cdcxml("batch", "-c", CONTRACTS, str(tmp_path / "*.nothing")),
             "no file matches this pattern")


@pytest.mark.parametrize("command", ["validate", "batch"])
def test_a_document_that_cannot_be_parsed_stays_a_per_document_error(command, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<Products><oops></Products>")
    result = cdcxml(command, "-c", CONTRACTS, V1, broken)
    assert result.exit_code == 1, result.output
    assert str(broken) in result.stdout
    assert "1 valid" in result.stdout or "valid: 1" in result.stdout or "1 document" not in (
        result.stdout)


def test_missing_documents_are_reported_before_any_is_checked(tmp_path):
    out = tmp_path / "report.json"
    result = cdcxml("validate", "-c", CONTRACTS, "--format", "json", "-o", out, V1,
                    tmp_path / "gone.xml")
    one_line(result, "gone.xml")
    assert not Path(out).exists()


@pytest.mark.parametrize("command", ["validate", "contrast", "batch"])
def test_an_empty_directory_of_documents_is_nothing_to_check(command, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    xsd = ["--xsd", EXAMPLE / "schemas" / "products-v3.xsd"] if command == "contrast" else []
    result = cdcxml(command, "-c", CONTRACTS, *xsd, empty)
    one_line(result, str(empty), "no documents")
    assert result.stdout == ""


NOT_XML = b"not xml at all"


@pytest.mark.parametrize("args", [
    lambda bad: ["impact", "-c", CONTRACTS, "--old", V1, "--new", bad],
    lambda bad: ["impact", "-c", CONTRACTS, "--old", bad, "--new", V1],
    lambda bad: ["impact", "-c", CONTRACTS, "--old-xsd", EXAMPLE / "schemas" / "products-v1.xsd",
                 "--new-xsd", EXAMPLE / "schemas" / "products-v3.xsd", "--sample", bad],
    lambda bad: ["obligations", "-c", CONTRACTS, "--sample", bad],
])
def test_a_sample_that_is_not_xml_is_a_failed_document_not_a_usage_error(args, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(NOT_XML)
    result = cdcxml(*args(bad))
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        f"cdcxml: {bad}:1: not well-formed: Start tag expected, '<' not found"]
    missing = cdcxml(*args(tmp_path / "missing.xml"))
    one_line(missing, "missing.xml", "no such file or directory")


@pytest.mark.parametrize("args", [
    ["validate", "-c", "missing.sch", V1],
    ["obligations", "-c", CONTRACTS, "--sample", "not-xml"],
])
def test_debug_shows_the_traceback_and_keeps_the_exit_code(args, tmp_path):
    if args[-1] == "not-xml":
        args = [*args[:-1], tmp_path / "bad.txt"]
        (tmp_path / "bad.txt").write_bytes(NOT_XML)
    plain = cdcxml(*args)
    debug = cdcxml("--debug", *args)
    assert plain.exit_code in (1, 2)
    assert debug.exit_code == plain.exit_code
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.rstrip().endswith(plain.stderr.strip().removeprefix("cdcxml: "))
