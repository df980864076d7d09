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


def cannot_write(err: OSError, output: str | None) -> InputError:
    """The error for a report that could not be written (to ``output``, or standard output)."""
    return InputError(f"cannot write the report: {err.strerror or err}", path=output or "<stdout>")


def emit(data: str | bytes, output: str | None) -> None:
    """Write a report to ``output`` atomically, or to standard output."""
    if output:
        try:
            write_atomic(output, data)
        except OSError as err:
            raise cannot_write(err, output) from err
        return
    if isinstance(data, bytes):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        click.echo(data, nl=False)
