"""The reference under docs/ covers what the code has, and the README's commands are the real ones."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import click
import pytest
from lxml import etree

from cdcxml.cli import main
from cdcxml.config import _VERIFY_KEYS

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
XS = "{http://www.w3.org/2001/XMLSchema}"


def doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_the_readme_names_the_article_on_its_first_screen():
    first = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:12])
    assert "Consumer-Driven Contracts: A Service Evolution Pattern" in first
    assert "Ian Robinson" in first
    assert "https://martinfowler.com/articles/consumerDrivenContracts.html" in first


def test_the_readme_test_command_is_the_script_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "```sh\nscripts/test\n```" in readme
    assert "exec scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    script = (ROOT / "scripts" / "test").read_text(encoding="utf-8")
    assert "apt-get install" in script and "chromium" in script
    assert "pip install -q -e '.[dev]'" in script and "pytest" in script
    done = subprocess.run(["bash", "-n", str(ROOT / "scripts" / "test")], capture_output=True)
    assert done.returncode == 0, done.stderr


def test_nothing_cites_a_design_file_the_repository_does_not_have():
    done = subprocess.run(["git", "grep", "-n", "-E", r"DESIGN(\.md)? §"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.stdout == ""


def test_every_cdc_element_and_attribute_is_in_the_contract_format():
    text = doc("contract-format.md")
    schema = etree.parse(str(ROOT / "schemas" / "cdc-contract.xsd"))
    for element in schema.getroot().iterchildren(f"{XS}element"):
        name = element.get("name")
        assert f"## cdc:{name}" in text, name
        section = text.split(f"## cdc:{name}", 1)[1].split("\n## ", 1)[0]
        for attr in element.iter(f"{XS}attribute"):
            attr_name = attr.get("name")
            assert f"`{attr_name}`" in section or f"`{attr_name}=" in section, (name, attr_name)


def test_every_command_and_option_is_in_the_cli_reference():
    text = doc("cli.md")
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert f"\n## {name}\n" in text, name
        section = text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        for param in command.get_params(click.Context(command, parent=ctx)):
            if isinstance(param, click.Option) and not param.hidden and "--help" not in param.opts:
                if param.name in ("quiet", "verbose"):
                    assert f"-{param.name[0]}/--{param.name}" in text
                    continue
                assert any(o in section for o in param.opts), (name, param.opts)


def test_every_configuration_key_is_in_the_config_reference():
    text = doc("config.md")
    for key in [*_VERIFY_KEYS, "provider", "sources", "cache", "lock", "verify", "ca-bundle",
                "cert", "key"]:
        assert f"`{key}`" in text, key
    for table in ("[contracts]", "[verify]", "[verify.tls]"):
        assert f"## {table}" in text


def test_the_docs_index_links_every_reference_file():
    index = doc("README.md")
    for f in DOCS.glob("*.md"):
        if f.name != "README.md":
            assert f"]({f.name})" in index, f.name
    for cited in re.findall(r"docs/([\w-]+\.md)", (ROOT / "cdcxml").joinpath(
            "report", "jsonout.py").read_text(encoding="utf-8")):
        assert (DOCS / cited).is_file()


EXAMPLE_README = ROOT / "examples" / "productsearch" / "README.md"


def _console_blocks(text: str) -> list[list[tuple[str, list[str]]]]:
    """Each ```console block as (command, expected output lines) pairs."""
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", text, re.S):
        steps: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
        blocks.append(steps)
    return blocks


def test_the_example_walkthrough_needs_no_activated_venv():
    for steps in _console_blocks(EXAMPLE_README.read_text(encoding="utf-8")):
        for command, _ in steps:
            first = command.split()[0]
            assert first not in ("cdcxml", "python", "pytest", "pip"), command


@pytest.mark.slow
def test_the_example_walkthrough_offline_steps_print_what_it_shows(tmp_path):
    import sys

    text = EXAMPLE_README.read_text(encoding="utf-8").split("## Verifying the provider")[0]
    venv_bin = Path(sys.executable).parent
    before = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                            text=True).stdout
    for steps in _console_blocks(text):
        for command, expected in steps:
            if command == "echo $?":
                continue
            line = command.replace(".venv/bin/", f"{venv_bin}/")
            done = subprocess.run(["bash", "-c", line], cwd=ROOT, capture_output=True, text=True)
            shown = (done.stdout + done.stderr).splitlines()
            assert shown == expected, command
    after = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                           text=True).stdout
    assert after == before  # nothing written into the repository
