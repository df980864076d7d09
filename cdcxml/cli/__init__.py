"""The ``cdcxml`` command line: a thin click layer over the library."""

from __future__ import annotations

import sys
import traceback

import click

from .. import __version__
from ..errors import CdcxmlError
from .common import verbosity_options


class _Group(click.Group):
    """Maps cdcxml errors to one line on stderr and their exit code; ``--debug`` shows the
    traceback instead of the line, and exits with the same code."""

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


def _register() -> None:
    from . import (
        batch_cmd,
        compile_cmd,
        contrast_cmd,
        deploy_cmd,
        impact_cmd,
        init_cmd,
        lint_cmd,
        matrix_cmd,
        obligations_cmd,
        package_cmd,
        publish_cmd,
        pull_cmd,
        validate_cmd,
        verify_cmd,
        xsd2sch_cmd,
    )

    for command in (init_cmd.command, validate_cmd.command, compile_cmd.command,
                    lint_cmd.command, verify_cmd.command, package_cmd.command,
                    publish_cmd.command, pull_cmd.command, batch_cmd.command,
                    contrast_cmd.command, obligations_cmd.command, impact_cmd.command,
                    xsd2sch_cmd.command, deploy_cmd.record_command, deploy_cmd.gate_command,
                    matrix_cmd.command):
        command.params.extend(verbosity_options())
        main.add_command(command)


_register()
