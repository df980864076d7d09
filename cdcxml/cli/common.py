"""Options and output handling shared by the commands.

Every command writes its report to standard output, or with ``-o FILE`` to that file, and then
standard output stays empty: the one-line summary goes to standard error. ``-q/--quiet`` drops
summaries and notes (findings and errors remain); ``-v/--verbose`` adds what was loaded.
"""

from __future__ import annotations

import sys

import click

from ..errors import InputError
from ..fsutil import write_atomic

_VERBOSITY = "cdcxml.verbosity"


def format_option(*choices: str, default: str = "text"):
    """``--format`` with the formats a command supports."""
    return click.option("--format", "fmt", type=click.Choice(choices), default=default,
                        show_default=True, help="Output format.")


OUTPUT_HELP = "Write the report to this file; the summary then goes to standard error."

output_option = click.option("--output", "-o", "output", type=click.Path(dir_okay=False),
                             help=OUTPUT_HELP)


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: int) -> None:
    if value:
        step = -1 if param.name == "quiet" else 1
        ctx.meta[_VERBOSITY] = ctx.meta.get(_VERBOSITY, 0) + step * value


# What -v/--verbose adds, for the commands where it adds something: those that load contracts.
VERBOSE_HELP = {
    "validate": "Also say which contracts were loaded, from where, and name each document that "
                "holds.",
    **dict.fromkeys(("compile", "lint", "verify", "batch", "contrast", "obligations", "impact"),
                    "Also say which contracts were loaded, from where."),
}


def verbosity_options(command: str) -> list[click.Option]:
    """``-q/--quiet`` for every command, and ``-v/--verbose`` for those where it adds something
    (added by the command group)."""
    options = [click.Option(["-q", "--quiet"], count=True, expose_value=False,
                            callback=_set_verbosity,
                            help="Only findings and errors: no summary, no notes.")]
    if command in VERBOSE_HELP:
        options.append(click.Option(["-v", "--verbose"], count=True, expose_value=False,
                                    callback=_set_verbosity, help=VERBOSE_HELP[command]))
    return options


def verbosity() -> int:
    """Below 0 with --quiet, above 0 with --verbose, 0 by default."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(_VERBOSITY, 0) if ctx is not None else 0


def note(message: str) -> None:
    """A summary or note on standard error, unless --quiet."""
    if verbosity() >= 0:
        click.echo(message, err=True)


def loaded(contracts) -> list:
    """Load contract sources (pinned by the working directory's cdcxml.toml / cdcxml.lock); with
    --verbose, one line on standard error per contract."""
    from .sources_opt import load_sources

    return load_sources(contracts)


def say_loaded(contracts) -> None:
    """With --verbose: ``cdcxml: loaded FILE: consumer C, provider P, version V`` per contract."""
    if verbosity() <= 0:
        return
    for c in contracts:
        about = [f"consumer {c.consumer}"]
        about += [f"provider {c.provider}"] if c.provider else []
        about += [f"version {c.version}"] if c.version else []
        click.echo(f"cdcxml: loaded {c.name}: {', '.join(about)}", err=True)


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


def cannot_write(err: OSError, output: str | None) -> InputError:
    """The one-line error for a report (or any output) that cannot be written."""
    if isinstance(err, InputError):
        return err
    reason = err.strerror or str(err)
    return InputError(f"cannot write the report: {reason}", path=output or "<stdout>")


def wrote(output: str | None, summary: str) -> None:
    """After a report written with -o: the summary on standard error (standard output stays empty)."""
    if output:
        note(summary)


interaction_option = click.option(
    "--interaction", metavar="ID",
    help="Check every document as the response to this interaction, under its phase, in each "
         "contract that has it (others choose as usual).")


def hints_for(contracts, interaction: str | None):
    """The phase-choice hints of ``--interaction``; an id no contract has is a usage error."""
    from ..interactions import NO_HINTS, Hints, known_interaction

    if interaction is None:
        return NO_HINTS
    if not known_interaction(contracts, interaction):
        raise click.UsageError(f"no contract has an interaction {interaction!r}")
    return Hints(interaction=interaction)


strict_option = click.option(
    "--strict", is_flag=True,
    help="Refuse what ISO Schematron forbids but other engines run (an xml prefix bound to another "
         "URI, prefixes bound only by xmlns, extends across patterns, a defaultPhase naming no "
         "phase); without it they run, with one warning line each.")


def echo_warnings(contracts) -> None:
    """One ``file:line: warning: ...`` line on standard error per leniency of each contract."""
    for contract in contracts:
        for warning in contract.warnings:
            click.echo(str(warning), err=True)
