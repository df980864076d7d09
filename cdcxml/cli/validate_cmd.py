"""``cdcxml validate``: run contracts on documents."""

from __future__ import annotations

import sys

import click

from .. import guard
from ..errors import CdcxmlError, InputError, RunError
from ..report import jsonout, svrl, text
from ..sources import load_contracts
from ..validate import document_paths
from ..xmlio import parse_file
from .common import echo_warnings, emit, format_option, output_option, strict_contracts, strict_option
from .sources_opt import contracts_option


@click.command("validate")
@contracts_option
@click.option("--phase", help="Run only this phase of each contract (#ALL, #DEFAULT or an id).")
@click.option("--xsd", "xsd_path",
              help="Also validate each document (a SOAP body's payload) against this XSD.")
@click.option("--time-limit", type=click.FloatRange(min=0), default=60, show_default=True,
              metavar="SECONDS", help="Stop a document's check after this long (0: no limit).")
@click.option("--memory-limit", type=click.IntRange(min=0), default=4096, show_default=True,
              metavar="MB", help="Stop a document's check beyond this much memory (0: no limit).")
@format_option("text", "json", "svrl")
@output_option
@strict_option
@click.argument("documents", nargs=-1, required=True)
def command(contracts, phase, xsd_path, time_limit, memory_limit, fmt, output, strict, documents):
    """Run contracts (Schematron) on XML documents: files, directories or - for stdin."""
    if xsd_path and fmt == "svrl":
        raise click.UsageError("--xsd has no place in SVRL output; use --format text or json")
    loaded = strict_contracts(load_contracts(contracts), strict)
    for c in loaded:
        c.compiled(phase, svrl=fmt == "svrl")
    echo_warnings(loaded)
    if fmt == "svrl":
        items, ok = [], True
        for name in document_paths(documents):
            try:
                tree = parse_file(name)
            except CdcxmlError as err:  # a document that cannot be read: reported, the run goes on
                click.echo(f"cdcxml: {err}", err=True)
                ok = False
                continue
            for c in loaded:
                try:
                    outcome = c.compiled(phase, svrl=True).run(tree)
                except RunError as err:
                    click.echo(f"cdcxml: {name}: {c.consumer}: {err.message}", err=True)
                    ok = False
                    continue
                # informational reports do not break a contract, as in the other formats
                ok = ok and all(f.informational for f in outcome.findings)
                items.append((name, c.consumer, outcome.svrl()))
        _write(svrl.render(items), output)
        sys.exit(0 if ok else 1)
    xsd = None
    if xsd_path:
        from ..soapbody import xsd_check
        from ..xsd import load_xsd

        xsd = xsd_check(load_xsd(xsd_path))
    budget = guard.Budget(time_limit or None, memory_limit * guard.MB or None)
    if not guard.available():
        budget = guard.Budget()
    reports = list(guard.validate(documents, loaded, phase=phase, xsd=xsd, budget=budget))
    _write(jsonout.render(reports) if fmt == "json" else text.render(reports), output)
    sys.exit(0 if all(r.valid for r in reports) else 1)


def _write(data: str | bytes, output: str | None) -> None:
    try:
        emit(data, output)
    except OSError as err:
        raise InputError(f"cannot write the report: {err.strerror or err}", path=output) from err
