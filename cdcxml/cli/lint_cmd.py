"""``cdcxml lint``: static checks on contracts."""

from __future__ import annotations

import sys

import click

from ..lint import lint
from ..xmlio import parse_file
from .common import note
from .sources_opt import CONTRACT_HELP, installed_option, load_sources


@click.command("lint")
@click.argument("positional", nargs=-1, metavar="[CONTRACT]...")
@click.option("-c", "--contract", "contracts", multiple=True, metavar="SOURCE", help=CONTRACT_HELP)
@installed_option("contracts")
@click.option("--sample", "samples", multiple=True, type=click.Path(dir_okay=False),
              metavar="DOC", help="A sample document: warn about rule contexts that match nothing in it.")
def command(positional, contracts, samples):
    """Check contracts: compile errors, unused lets and diagnostics, shadowed and dead rules."""
    contracts = (*positional, *contracts)
    if not contracts:
        raise click.UsageError("give at least one contract source, as an argument, with -c or "
                               "with --installed")
    trees = [parse_file(s) for s in samples]
    count = 0
    for contract in load_sources(contracts):
        for problem in lint(contract, trees):
            click.echo(str(problem))
            count += 1
    if count:
        note(f"{count} problem{'s' if count != 1 else ''}")
    sys.exit(1 if count else 0)
