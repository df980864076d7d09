"""``cdcxml validate``: run contracts on documents."""

from __future__ import annotations

import sys

import click

from ..checking import document_paths
from ..errors import CdcxmlError, RunError
from ..limits import guard
from ..report import jsonout, svrl, text
from ..results import Summary
from ..xmlio import parse_file
from .common import emit, format_option, loaded, note, output_option, verbosity
from .sources_opt import contracts_option

# What ``batch`` reads and ``validate`` does not: archives and HTTP captures.
_BATCH_ONLY = (".zip", ".har", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tar.xz", ".jar")


@click.command("validate")
@contracts_option
@click.option("--phase", help="Run only this phase of each contract (#ALL, #DEFAULT or an id).")
@click.option("--xsd", "xsd_path",
              help="Also validate each document (a SOAP body's payload) against this XSD.")
@click.option("--time-limit", type=click.FloatRange(min=0), default=60, show_default=True,
              metavar="SECONDS", help="Stop a document's check after this long (0: no limit).")
@click.option("--memory-limit", type=click.IntRange(min=0), default=4096, show_default=True,
              metavar="MB", help="Stop a document's check beyond this much memory (0: no limit).")
@format_option("text", "json", "junit", "svrl")
@output_option
@click.argument("documents", nargs=-1, required=True)
def command(contracts, phase, xsd_path, time_limit, memory_limit, fmt, output, documents):
    """Run contracts (Schematron) on XML documents: files, directories or - for stdin.

    Archives (zip, tar) and HAR captures are read by ``cdcxml batch``.
    """
    if xsd_path and fmt == "svrl":
        raise click.UsageError("--xsd has no place in SVRL output; use --format text or json")
    for name in documents:
        if name.lower().endswith(_BATCH_ONLY):
            raise click.UsageError(f"{name} is an archive or HTTP capture: validate reads XML "
                                   f"documents; use 'cdcxml batch' for zip, tar and HAR files")
    contracts = loaded(contracts)
    for c in contracts:
        c.compiled(phase, svrl=fmt == "svrl")
    if fmt == "svrl":
        items, ok = [], True
        for name in document_paths(documents):
            try:
                tree = parse_file(name)
            except CdcxmlError as err:  # a document that cannot be read: reported, the run goes on
                click.echo(f"cdcxml: {err}", err=True)
                ok = False
                continue
            for c in contracts:
                try:
                    outcome = c.compiled(phase, svrl=True).run(tree)
                except RunError as err:
                    click.echo(f"cdcxml: {name}: {c.consumer}: {err.message}", err=True)
                    ok = False
                    continue
                # informational reports do not break a contract, as in the other formats
                ok = ok and all(f.informational for f in outcome.findings)
                items.append((name, c.consumer, outcome.svrl()))
        emit(svrl.render(items), output)
        sys.exit(0 if ok else 1)
    xsd = None
    if xsd_path:
        from ..xsd import load_xsd
        from ..xsd.payload import xsd_check

        xsd = xsd_check(load_xsd(xsd_path))
    budget = guard.Budget(time_limit or None, memory_limit * guard.MB or None)
    if not guard.available():
        budget = guard.Budget()
    reports = list(guard.validate(documents, contracts, phase=phase, xsd=xsd, budget=budget))
    summary = Summary()
    for r in reports:
        summary = summary.add(r)
    if fmt == "text":
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
