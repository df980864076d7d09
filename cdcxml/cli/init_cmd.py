"""``cdcxml init --wsdl``: a consumer contract to start from, one interaction per operation."""

from __future__ import annotations

from pathlib import Path

import click

from ..xsd import ALLOW_MODES
from .common import emit, note


@click.command("init")
@click.option("--wsdl", "wsdl_path", required=True, type=click.Path(dir_okay=False),
              help="The provider's WSDL 1.1.")
@click.option("--consumer", required=True, help="Who the contract is for.")
@click.option("--operation", "operations", multiple=True, metavar="OP",
              help="Only this operation (repeatable); default: every operation.")
@click.option("--provider", help="Provider name (default: the WSDL's service name).")
@click.option("--soap", "soap_version", type=click.Choice(["1.1", "1.2"]),
              help="Which SOAP binding to call (default: 1.1 where the WSDL has it).")
@click.option("--faults", is_flag=True,
              help="Also an interaction and a pattern for each fault an operation declares.")
@click.option("--imports", "allow", type=click.Choice(ALLOW_MODES), default="sandbox",
              show_default=True,
              help="Where imports may resolve: the WSDL's folder (sandbox) or any local file.")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write the contract here (an existing file is never overwritten).")
def command(wsdl_path, consumer, operations, provider, soap_version, faults, allow, output):
    """Write a consumer contract for the operations of a WSDL.

    Each operation gets an interaction (path, SOAP version, SOAPAction and a request the WSDL's
    schema accepts), a phase, and a pattern that fires on its response element, with the paths
    that element may hold listed in a comment: write the asserts the consumer needs there.
    """
    from ..wsdl import load_wsdl
    from ..wsdl.scaffold import scaffold

    if output and Path(output).exists():
        raise click.UsageError(f"--output {output} exists: init never overwrites a file")
    wsdl = load_wsdl(wsdl_path, allow=allow)
    text = scaffold(wsdl, consumer, operations=list(operations) or None, provider=provider,
                    soap_version=soap_version, faults=faults)
    emit(text, output)
    if output:
        note(f"cdcxml: wrote {output}: fill in the asserts of each pattern")
