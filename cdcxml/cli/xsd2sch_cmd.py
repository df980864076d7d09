"""``cdcxml xsd2sch``: turn an XSD into a Schematron contract of just what a consumer uses."""

from __future__ import annotations

from pathlib import Path

import click

from .. import xmlio
from ..errors import InputError
from ..xsd import ALLOW_MODES
from .common import emit


def _keep_lines(path: str) -> list[str]:
    """The XPaths of a ``--keep-from`` file: one per line, ``#`` starts a comment."""
    data = xmlio.read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError("is not UTF-8 text", path=path) from err
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


@click.command("xsd2sch")
@click.argument("xsd", type=click.Path(dir_okay=False))
@click.option("--element", "elements", multiple=True, metavar="NAME",
              help="Only this global element (repeatable); default: every global element.")
@click.option("--keep", "keep", multiple=True, metavar="XPATH",
              help="Keep only the assertions about this path (repeatable).")
@click.option("--keep-from", "keep_from", type=click.Path(dir_okay=False), metavar="FILE",
              help="Keep the paths listed in FILE, one XPath per line.")
@click.option("--sample", "samples", multiple=True, type=click.Path(dir_okay=False),
              metavar="DOC", help="Resolve kept XPaths against this sample document (repeatable).")
@click.option("--consumer", help="Consumer name for the cdc:contract stub.")
@click.option("--provider", help="Provider name for the cdc:contract stub (default: XSD name).")
@click.option("--imports", "allow", type=click.Choice(ALLOW_MODES), default="sandbox",
              show_default=True,
              help="Where imports may resolve: the XSD's folder (sandbox) or any local file.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the contract here.")
def command(xsd, elements, keep, keep_from, samples, consumer, provider, allow, output):
    """Convert XSD into an ISO Schematron contract (full, or only the --keep paths).

    Every document the XSD accepts passes the contract. What XPath 1.0 cannot check is listed
    on standard error and as comments in the contract.
    """
    from ..xsd2sch import convert

    inputs = [xsd, *samples, *([keep_from] if keep_from else [])]
    if output and any(_same_file(output, i) for i in inputs):
        raise click.UsageError(f"--output {output} would overwrite an input")
    paths = list(keep) + (_keep_lines(keep_from) if keep_from else [])
    if samples and not paths:
        raise click.UsageError("--sample needs --keep or --keep-from: it resolves kept XPaths")
    trees = [xmlio.parse_file(s) for s in samples]
    result = convert(xsd, elements=elements, keep_paths=paths, samples=trees,
                     consumer=consumer, provider=provider, allow=allow)
    emit(result.schematron, output)
    for note in result.unchecked:
        click.echo(f"cdcxml: not checked: {note}", err=True)
    if output:
        click.echo(f"cdcxml: wrote {output}: {result.assertions} assertions in {result.rules} "
                   f"rules", err=True)
