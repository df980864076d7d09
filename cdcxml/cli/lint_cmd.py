"""``cdcxml lint``: static checks on contracts."""

from __future__ import annotations

import sys

import click

from ..lint import lint
from ..xmlio import parse_file
from .sources_opt import load_sources


@click.command("lint")
@click.argument("contracts", nargs=-1, required=True)
@click.option("--sample", "samples", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A sample document: warn about rule contexts that match nothing in it.")
def command(contracts, samples):
    """Check contracts: compile errors, unused lets and diagnostics, shadowed and dead rules."""
    trees = [parse_file(s) for s in samples]
    count = 0
    for contract in load_sources(contracts):
        for problem in lint(contract, trees):
            click.echo(str(problem))
            count += 1
    if count:
        click.echo(f"{count} problem{'s' if count != 1 else ''}", err=True)
    sys.exit(1 if count else 0)
