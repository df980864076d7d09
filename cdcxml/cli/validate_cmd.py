"""``cdcxml validate``: run contracts on documents."""

from __future__ import annotations

import sys

import click

from ..checking import check_documents, compile_all, contract_prefixes
from ..report import jsonout, junit, svrl, text
from ..results import Summary
from .common import (
    echo_warnings,
    emit,
    format_option,
    hints_for,
    interaction_option,
    loaded,
    note,
    output_option,
    strict_option,
    verbosity,
)
from .limits_opt import limit_options
from .sources_opt import contracts_option

# What ``batch`` reads and ``validate`` does not: archives and HTTP captures.
_BATCH_ONLY = (".zip", ".har", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tar.xz", ".jar")


@click.command("validate")
@contracts_option
@click.option("--phase", help="Run only this phase of each contract (#ALL, #DEFAULT or an id).")
@interaction_option
@click.option("--xsd", "xsd_path",
              metavar="FILE", help="Also validate each document (a SOAP body's payload) against this XSD.")
@limit_options
@click.option("--require-match", is_flag=True,
              help="Every active pattern must match something, also in plain Schematron files "
                   "(always so for files with cdc:contract; never in SVRL output).")
@format_option("text", "json", "junit", "svrl")
@output_option
@click.argument("documents", nargs=-1, required=True)
@strict_option
def command(contracts, phase, interaction, xsd_path, budget, require_match, fmt, output,
            documents, strict):
    """Run contracts (Schematron) on XML documents: files, directories or - for stdin.

    Archives (zip, tar) and HAR captures are read by 'cdcxml batch'.
    """
    if xsd_path and fmt == "svrl":
        raise click.UsageError("--xsd has no place in SVRL output; use --format text or json")
    if require_match and fmt == "svrl":
        raise click.UsageError("--require-match has no place in SVRL output, which is plain "
                               "Schematron; use --format text or json")
    for name in documents:
        if name.lower().endswith(_BATCH_ONLY):
            raise click.UsageError(f"{name} is an archive or HTTP capture: validate reads XML "
                                   f"documents; use 'cdcxml batch' for zip, tar and HAR files")
    as_svrl = fmt == "svrl"
    contracts = loaded(contracts)
    if require_match:
        contracts = [c.requiring_match() for c in contracts]
    # SVRL is the standard's own report: where it is asked for, the standard's errors are errors
    # (as with --strict); the lenient run of real-world schemas is --format text or json.
    contracts = compile_all(contracts, phase, svrl=as_svrl, strict=strict or as_svrl)
    echo_warnings(contracts)
    xsd = None
    if xsd_path:
        from ..xsd import load_xsd
        from ..xsd.payload import xsd_check

        xsd = xsd_check(load_xsd(xsd_path), prefixes=contract_prefixes(contracts))
    hints = hints_for(contracts, interaction)
    reports = list(check_documents(documents, contracts, phase=phase, xsd=xsd, svrl=as_svrl,
                                   hints=hints, budget=budget))
    summary = Summary()
    for r in reports:
        summary = summary.add(r)
    if as_svrl:
        # SVRL has no place for a document that could not be checked: that goes to stderr.
        for r in reports:
            if r.error is not None:
                click.echo(f"cdcxml: {r.path}: {r.error}", err=True)
        emit(svrl.render(reports), output)
    elif fmt == "text":
        # A report file is always whole; on the terminal --quiet drops the summary.
        emit(text.render(reports, summary=output is not None or verbosity() >= 0,
                         holding=verbosity() > 0), output)
    elif fmt == "json":
        emit(jsonout.render(reports), output)
    else:
        emit(junit.documents_junit(reports), output)
    if output:
        note(text.summary_line(summary))
    sys.exit(0 if all(r.valid for r in reports) else 1)
