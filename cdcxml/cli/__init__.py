"""The ``cdcxml`` command line: a thin click layer over the library.

Each command lives in its own module, imported only when that command runs: ``cdcxml --version``
or ``cdcxml validate`` does not pay for the imports of ``verify`` (HTTP), ``package`` (wheel
building) or ``xsd2sch`` (XSD reading). ``cdcxml --help`` lists every command from the table below,
whose one-line help each command module's own help must match (a test holds them together).
"""

from __future__ import annotations

import importlib
import sys
import traceback

import click

from .. import __version__
from ..errors import CdcxmlError
from .common import verbosity_options

# Command name -> (module in this package, its attribute, the one-line help --help lists).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("init_cmd", "command", "Write a consumer contract for the operations of a WSDL."),
    "validate": ("validate_cmd", "command", "Run contracts (Schematron) on XML documents: files, "
                                            "directories or - for stdin."),
    "compile": ("compile_cmd", "command", "Compile a contract to a standalone XSLT 1.0 stylesheet "
                                          "that writes SVRL."),
    "lint": ("lint_cmd", "command", "Check contracts: compile errors, unused lets and "
                                    "diagnostics, shadowed and dead rules."),
    "verify": ("verify_cmd", "command", "Call the provider with every consumer's interactions and "
                                        "check the responses."),
    "package": ("package_cmd", "command", "Build a wheel <consumer>-contracts-<provider> of the "
                                          "contracts, for any package index."),
    "publish": ("publish_cmd", "command", "Publish contracts at a version: a git commit and tag, "
                                          "or a copy in a folder."),
    "pull": ("pull_cmd", "command", "Resolve the sources of [contracts] in cdcxml.toml, fill the "
                                    "cache, write cdcxml.lock."),
    "batch": ("batch_cmd", "command", "Validate captured documents: files, directories, globs, "
                                      "zip/tar archives, HAR files."),
    "contrast": ("contrast_cmd", "command", "Targeted against full validation: the XSD's verdict "
                                            "beside every consumer's, per document."),
    "obligations": ("obligations_cmd", "command", "Remove, empty and retype each path of the "
                                                  "samples; show which consumers then fail."),
    "impact": ("impact_cmd", "command", "Which consumers a change breaks, by which assertion, and "
                                        "who breaks only through the XSD."),
    "xsd2sch": ("xsd2sch_cmd", "command", "Convert XSD into an ISO Schematron contract (full, or "
                                          "only the --keep paths)."),
    "record-deployment": ("deploy_cmd", "record_command", "Record that a consumer or provider "
                                                          "version now runs in an environment."),
    "can-i-deploy": ("deploy_cmd", "gate_command", "Exit 0 when every contract involved has a "
                                                   "green record for the versions involved."),
    "matrix": ("matrix_cmd", "command", "Show every consumer contract against every verified "
                                        "provider version."),
}
def load_command(name: str) -> click.Command:
    """The command ``name``, importing its module; every command takes -q/--quiet and -v/--verbose."""
    module, attribute, _ = COMMANDS[name]
    command = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    if not any(p.name == "quiet" for p in command.params):
        command.params.extend(verbosity_options(name))
    return command


class _Group(click.Group):
    """Commands loaded on use; cdcxml errors become one line on stderr and their exit code
    (``--debug`` shows the traceback instead of the line, with the same exit code)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        found = self.commands.get(name)
        if found is None and name in COMMANDS:
            found = load_command(name)
            self.add_command(found, name)
        return found

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            # A command not loaded is listed through a stand-in with the same help.
            command = self.commands.get(name) or click.Command(name, help=COMMANDS[name][2])
            if not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CdcxmlError as err:
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()  # the traceback instead of the line, with the same exit code
            else:
                click.echo(f"cdcxml: {err.brief}", err=True)
            sys.exit(err.exit_code)
        except KeyboardInterrupt:
            click.echo("cdcxml: interrupted", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cdcxml")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Consumer-driven contracts for XML services."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
