"""``cdcxml validate``: run contracts on documents."""

from __future__ import annotations

import sys

import click

from ..checking import check_documents, compile_all
from ..report import jsonout, svrl, text
from ..results import Summary
from .common import emit, format_option, loaded, note, output_option, verbosity
from .limits_opt import limit_options
from .sources_opt import contracts_option

# What ``batch`` reads and ``validate`` does not: archives and HTTP captures.
_BATCH_ONLY = (".zip", ".har", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tar.xz", ".jar")


@click.command("validate")
@contracts_option
@click.option("--phase", help="Run only this phase of each contract (#ALL, #DEFAULT or an id).")
@click.option("--xsd", "xsd_path",
              help="Also validate each document (a SOAP body's payload) against this XSD.")
@limit_options
@format_option("text", "json", "junit", "svrl")
@output_option
@click.argument("documents", nargs=-1, required=True)
def command(contracts, phase, xsd_path, budget, fmt, output, documents):
    """Run contracts (Schematron) on XML documents: files, directories or - for stdin.

    Archives (zip, tar) and HAR captures are read by ``cdcxml batch``.
    """
    if xsd_path and fmt == "svrl":
        raise click.UsageError("--xsd has no place in SVRL output; use --format text or json")
    for name in documents:
        if name.lower().endswith(_BATCH_ONLY):
            raise click.UsageError(f"{name} is an archive or HTTP capture: validate reads XML "
                                   f"documents; use 'cdcxml batch' for zip, tar and HAR files")
    as_svrl = fmt == "svrl"
    contracts = compile_all(loaded(contracts), phase, svrl=as_svrl)
    xsd = None
    if xsd_path:
        from ..xsd import load_xsd
        from ..xsd.payload import xsd_check

        xsd = xsd_check(load_xsd(xsd_path))
    reports = list(check_documents(documents, contracts, phase=phase, xsd=xsd, svrl=as_svrl,
                                   budget=budget))
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
        lines = [line for r in reports for line in text.document_lines(r)]
        if verbosity() > 0:
            lines.extend(f"{r.path}: ok" for r in reports if r.valid)
        if output is not None or verbosity() >= 0:  # a report file is always whole
            lines.append(text.summary_line(summary))
        emit("".join(f"{line}\n" for line in lines), output)
    elif fmt == "json":
        emit(jsonout.render(reports), output)
    else:
        emit(_junit(reports), output)
    if output:
        note(text.summary_line(summary))
    sys.exit(0 if all(r.valid for r in reports) else 1)


def _junit(reports) -> str:
    """The batch JUnit report (a test suite per consumer, a test case per document)."""
    import io

    from ..batch import Tally
    from ..report.batch_out import JUnitWriter

    out, tally = io.StringIO(), Tally()
    writer = JUnitWriter(out)
    for r in reports:
        writer.document(r)
        tally.add(r)
    writer.finish(tally)
    return out.getvalue()
