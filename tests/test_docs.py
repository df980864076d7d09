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


def test_every_markdown_file_the_project_cites_is_in_the_repository():
    cited = subprocess.run(["git", "grep", "-h", "-o", "-E", r"[A-Za-z0-9_-]+\.md\b"], cwd=ROOT,
                           capture_output=True, text=True).stdout.split()
    have = subprocess.run(["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True,
                          text=True).stdout.split()
    assert cited and set(cited) <= {Path(f).name for f in have}


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
    """Each ```console block as (command, expected output lines) pairs; a line ending in a
    backslash goes on with the next one."""
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", text, re.S):
        steps: list[tuple[str, list[str]]] = []
        going_on = False
        for line in body.splitlines():
            if going_on:
                steps[-1] = (steps[-1][0] + "\n" + line, steps[-1][1])
            elif line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
            going_on = bool(steps) and line.endswith("\\") and not steps[-1][1]
        blocks.append(steps)
    return blocks


def _needs_the_provider(steps: list[tuple[str, list[str]]]) -> bool:
    """A block that starts the example provider or talks to it (verify, the pytest plugin)."""
    return any(word in command for command, _ in steps
               for word in ("provider/app.py", "provider/cdcxml.toml", "127.0.0.1"))


def _needs_the_network(command: str) -> bool:
    """pip asks the package index, even with ``--find-links``; it also changes the environment."""
    return command.split()[0].endswith("/pip")


def test_the_example_walkthrough_needs_no_activated_venv():
    for steps in _console_blocks(EXAMPLE_README.read_text(encoding="utf-8")):
        for command, _ in steps:
            first = command.split()[0]
            assert first not in ("cdcxml", "python", "pytest", "pip"), command


def test_the_example_walkthrough_skips_only_the_provider_and_pip():
    blocks = _console_blocks(EXAMPLE_README.read_text(encoding="utf-8"))
    commands = [c for steps in blocks if not _needs_the_provider(steps) for c, _ in steps]
    for needed in ("contrast", "obligations", "impact", "publish", "pull", "package"):
        assert any(f"cdcxml {needed} " in c or c.endswith(f"cdcxml\" {needed}") for c in commands), (
            needed)


def _same(shown: list[str], expected: list[str], scratch: str) -> bool:
    """Output as the walkthrough shows it: the scratch folder as ``$scratch``, the example's
    responses as ``.../responses``, commit ids and cache folder names as whatever they are."""
    def norm(line: str) -> str:
        line = line.replace(scratch, "$scratch")
        line = line.replace(str(ROOT / "examples" / "productsearch" / "responses"), ".../responses")
        return re.sub(r"[0-9a-f]{12,40}", "<hex>", line)
    return [norm(s) for s in shown] == [norm(e) for e in expected]


@pytest.mark.slow
def test_the_example_walkthrough_offline_steps_print_what_it_shows(tmp_path):
    """Every console block that needs neither the running provider nor the network, run in one
    shell as the walkthrough runs them (its folders and variables carry over), prints exactly
    what the walkthrough shows, exit codes included."""
    import os
    import sys

    from tests.helpers import GIT_IDENTITY

    venv_bin = Path(sys.executable).parent
    steps = [(command, expected)
             for block in _console_blocks(EXAMPLE_README.read_text(encoding="utf-8"))
             if not _needs_the_provider(block)
             for command, expected in block if not _needs_the_network(command)]
    out = tmp_path / "out"
    out.mkdir()
    script = ["set +e", "rc=0"]
    for n, (command, _) in enumerate(steps):
        line = re.sub(r"(\$repo/)?\.venv/bin/", f"{venv_bin}/", command)
        script.append(f"(exit $rc); {{ {line}\n}} >{out}/{n}.out 2>{out}/{n}.err; rc=$?")
    before = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                            text=True).stdout
    env = {**os.environ, **GIT_IDENTITY, "TMPDIR": str(tmp_path)}
    subprocess.run(["bash", "-c", "\n".join(script)], cwd=ROOT, env=env, check=True)
    scratch = next(str(p) for p in tmp_path.glob("tmp.*") if (p / "contracts.git").is_dir())
    for n, (command, expected) in enumerate(steps):
        shown = ((out / f"{n}.out").read_text() + (out / f"{n}.err").read_text()).splitlines()
        assert _same(shown, expected, scratch), (command, shown)
    after = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                           text=True).stdout
    assert after == before  # nothing written into the repository


def test_the_readme_command_table_lists_every_command_with_real_options_and_formats():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("| command | does |", 1)[1].split("\n\n", 1)[0]
    ctx = click.Context(main)
    listed = set()
    for row in table.splitlines()[2:]:
        usage = row.split("` | ", 1)[0].replace("\\|", "|")
        names = re.findall(r"`cdcxml ([\w-]+)|` / `([\w-]+)", usage)
        for name in (a or b for a, b in names):
            listed.add(name)
            command = main.get_command(ctx, name)
            assert command is not None, name
            params = command.get_params(click.Context(command, parent=ctx))
            opts = {o for p in params for o in p.opts}
            for option in re.findall(r"(?<![\w-])(--[\w-]+)", usage):
                assert option in opts, (name, option)
            formats = re.search(r"--format ([\w|]+)", usage)
            if formats:
                [fmt] = [p for p in params if p.name == "fmt"]
                assert set(formats.group(1).split("|")) == set(fmt.type.choices), name
    assert listed == set(main.list_commands(ctx))
