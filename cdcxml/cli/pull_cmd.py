"""``cdcxml pull``: fetch the pinned contracts into the cache and write ``cdcxml.lock``."""

from __future__ import annotations

import click

from ..config import find_config
from ..sources.lock import Pinning, pull


@click.command("pull")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Configuration file with a [contracts] table (default: ./cdcxml.toml).")
@click.option("--update", is_flag=True,
              help="Resolve every source again instead of keeping the pins of the lock.")
@click.option("--cache", type=click.Path(file_okay=False),
              help="Where fetched contracts are kept (default: .cdcxml-cache beside the config).")
def command(config_path, update, cache) -> None:
    """Resolve the sources of [contracts] in cdcxml.toml, fill the cache, write cdcxml.lock."""
    config = config_path or find_config(".")
    result = pull(Pinning.from_config(config, cache=cache), update=update)
    for entry in result.lock.contracts:
        click.echo(f"{entry.consumer} {entry.version or '(no version)'}: {entry.path} "
                   f"from {entry.source}"
                   + (f" at {entry.commit[:12]}" if entry.commit else "")
                   + (f" ({entry.package} {entry.package_version})" if entry.package else ""))
    state = "wrote" if result.changed else "unchanged:"
    n = len(result.lock.contracts)
    click.echo(f"{state} {result.lock_path} ({n} contract{'s' if n != 1 else ''})")
