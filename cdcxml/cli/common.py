"""Options and output handling shared by the commands."""

from __future__ import annotations

import sys

import click

from ..errors import InputError
from ..fsutil import write_atomic


def format_option(*choices: str, default: str = "text"):
    """``--format`` with the formats a command supports."""
    return click.option("--format", "fmt", type=click.Choice(choices), default=default,
                        show_default=True, help="Output format.")


output_option = click.option("--output", "-o", "output", type=click.Path(dir_okay=False),
                             help="Write the report to this file instead of standard output.")


def emit(data: str | bytes, output: str | None) -> None:
    """Write a report to ``output`` atomically, or to standard output."""
    if output:
        try:
            write_atomic(output, data)
        except OSError as err:
            raise InputError(f"cannot write the report: {err.strerror or err}", path=output) from err
        return
    if isinstance(data, bytes):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        click.echo(data, nl=False)


strict_option = click.option(
    "--strict", is_flag=True,
    help="Refuse what ISO Schematron forbids but other engines run (an xml prefix bound to another "
         "URI, prefixes bound only by xmlns, extends across patterns, a defaultPhase naming no "
         "phase); without it they run, with one warning line each.")


def strict_contracts(contracts, strict: bool):
    """Set each contract to compile strictly (or not); returns them."""
    for contract in contracts:
        contract.strict = strict
    return contracts


def echo_warnings(contracts) -> None:
    """One ``file:line: warning: ...`` line on standard error per leniency of each contract."""
    for contract in contracts:
        for warning in contract.warnings:
            click.echo(str(warning), err=True)
