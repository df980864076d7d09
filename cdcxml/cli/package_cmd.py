"""``cdcxml package``: build a consumer's contracts into a standard wheel."""

from __future__ import annotations

import click


@click.command("package")
@click.argument("sources", nargs=-1, required=True, metavar="CONTRACT_OR_DIR...")
@click.option("--version", "version", required=True, metavar="V",
              help="The version to publish (PEP 440); must agree with the contracts' own.")
@click.option("-o", "--output", "dist", default="dist", show_default=True,
              type=click.Path(file_okay=False), help="Folder the wheels are written to.")
def command(sources, version, dist) -> None:
    """Build a wheel <consumer>-contracts-<provider> of the contracts, for any package index."""
    from ..sources.package import package  # build and hatchling load only for this command

    for wheel in package(sources, version, dist):
        click.echo(str(wheel))
