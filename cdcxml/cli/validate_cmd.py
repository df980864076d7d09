"""``cdcxml validate``: run contracts on documents."""

from __future__ import annotations

import sys

import click

from ..checking import check_documents, compile_all
from ..report import jsonout, svrl, text
from .common import emit, format_option, output_option
from .limits_opt import limit_options
from .sources_opt import contracts_option, load_sources


@click.command("validate")
@contracts_option
@click.option("--phase", help="Run only this phase of each contract (#ALL, #DEFAULT or an id).")
@click.option("--xsd", "xsd_path",
              help="Also validate each document (a SOAP body's payload) against this XSD.")
@limit_options
@click.option("--require-match", is_flag=True,
              help="Every active pattern must match something, also in plain Schematron files "
                   "(always so for files with cdc:contract; never in SVRL output).")
@format_option("text", "json", "svrl")
@output_option
@click.argument("documents", nargs=-1, required=True)
def command(contracts, phase, xsd_path, budget, require_match, fmt, output, documents):
    """Run contracts (Schematron) on XML documents: files, directories or - for stdin."""
    if xsd_path and fmt == "svrl":
        raise click.UsageError("--xsd has no place in SVRL output; use --format text or json")
    if require_match and fmt == "svrl":
        raise click.UsageError("--require-match has no place in SVRL output, which is plain "
                               "Schematron; use --format text or json")
    as_svrl = fmt == "svrl"
    loaded = load_sources(contracts)
    if require_match:
        loaded = [c.requiring_match() for c in loaded]
    loaded = compile_all(loaded, phase, svrl=as_svrl)
    xsd = None
    if xsd_path:
        from ..xsd import load_xsd
        from ..xsd.payload import xsd_check

        xsd = xsd_check(load_xsd(xsd_path))
    reports = list(check_documents(documents, loaded, phase=phase, xsd=xsd, svrl=as_svrl,
                                   budget=budget))
    if as_svrl:
        # SVRL has no place for a document that could not be checked: that goes to stderr.
        for r in reports:
            if r.error is not None:
                click.echo(f"cdcxml: {r.path}: {r.error}", err=True)
        emit(svrl.render(reports), output)
    else:
        emit(jsonout.render(reports) if fmt == "json" else text.render(reports), output)
    sys.exit(0 if all(r.valid for r in reports) else 1)
