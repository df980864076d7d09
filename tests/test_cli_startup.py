"""The command line loads a command's module only when that command runs."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from cdcxml.cli import COMMANDS, load_command, main

HEAVY = ("xmlschema", "requests", "build", "hatchling", "cdcxml.verify", "cdcxml.xsd",
         "cdcxml.schematron", "cdcxml.cli.validate_cmd")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_every_command_help_matches_the_table():
    for name, (_, _, short) in COMMANDS.items():
        command = load_command(name)
        assert command.name == name
        assert command.get_short_help_str(1000) == short, name


def test_help_lists_every_command_with_its_line():
    result = CliRunner().invoke(main, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    listed = {line.split()[0]: line.split(None, 1)[1] for line in
              result.output.split("Commands:\n", 1)[1].splitlines() if line.strip()}
    assert set(listed) == set(COMMANDS)
    for name in COMMANDS:
        limit = 200 - 6 - max(map(len, COMMANDS))
        assert listed[name] == load_command(name).get_short_help_str(limit)


def test_version_and_help_import_no_command_module():
    for args in (["--version"], ["--help"]):
        loaded = _modules_after(f"from cdcxml.cli import main\ntry:\n main({args!r})\n"
                                "except SystemExit:\n pass")
        assert not {m for m in loaded if m.startswith(HEAVY)}, args
        assert not any(m.endswith("_cmd") for m in loaded), args


def test_a_command_loads_only_its_own_module():
    loaded = _modules_after("from cdcxml.cli import main\ntry:\n main(['compile', '--help'])\n"
                            "except SystemExit:\n pass")
    assert "cdcxml.cli.compile_cmd" in loaded
    assert not {m for m in loaded if m.endswith("_cmd") and m != "cdcxml.cli.compile_cmd"}


def test_package_names_load_on_use():
    loaded = _modules_after("import cdcxml")
    assert "cdcxml.verify" not in loaded and "requests" not in loaded
    loaded = _modules_after("from cdcxml import verify, load_contract, Finding\n"
                            "assert callable(verify) and callable(load_contract)")
    assert "cdcxml.verify" in loaded


def test_validate_loads_no_http_client():
    root = __import__("pathlib").Path(__file__).resolve().parent.parent / "examples" / "productsearch"
    loaded = _modules_after(
        "from cdcxml.cli import main\ntry:\n"
        f" main(['validate', '-c', {str(root / 'contracts' / 'marketing.sch')!r}, "
        f"{str(root / 'responses' / 'v1.xml')!r}])\nexcept SystemExit as exit:\n"
        " assert exit.code == 0, exit.code")
    assert "cdcxml.cli.validate_cmd" in loaded
    assert not {m for m in loaded if m.startswith(("requests", "urllib3", "xmlschema"))}
