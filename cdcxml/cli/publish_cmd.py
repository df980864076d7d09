"""``cdcxml publish``: publish a consumer's contracts at a version to a git repository or folder."""

from __future__ import annotations

import click

from ..sources.publish import publish


@click.command("publish")
@click.argument("sources", nargs=-1, required=True, metavar="CONTRACT_OR_DIR...")
@click.option("--version", "version", required=True, metavar="V",
              help="The version to publish; must agree with the contracts' own.")
@click.option("--to", "target", required=True, metavar="GIT-URL|DIR",
              help="A git repository (any URL git accepts, or a bare repository) or a folder.")
@click.option("--force", is_flag=True,
              help="Replace a version already published (moves its git tag).")
def command(sources, version, target, force) -> None:
    """Publish contracts at a version: a git commit and tag, or a copy in a folder."""
    for done in publish(sources, version, target, force=force):
        commit = f" (commit {done.commit[:12]})" if done.commit else ""
        click.echo(f"published {done.consumer} {done.version} for {done.provider}: "
                   f"{done.location}{commit}")
