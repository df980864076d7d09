"""``cdcxml impact``: what a proposed change (new schema or new responses) does to each consumer."""

from __future__ import annotations

import sys

import click

from .common import (
    echo_warnings,
    emit,
    format_option,
    hints_for,
    interaction_option,
    output_option,
    strict_option,
)
from .limits_opt import limit_options, say_stopped
from .sources_opt import contracts_option, load_sources


@click.command("impact")
@contracts_option
@click.option("--old-xsd", metavar="FILE", help="The schema today (with --new-xsd and --sample).")
@click.option("--new-xsd", metavar="FILE",
              help="The proposed schema: documents for it are derived from the samples.")
@click.option("--old-wsdl", metavar="FILE",
              help="The WSDL today (with --new-wsdl; --sample adds the element view).")
@click.option("--new-wsdl", metavar="FILE",
              help="The proposed WSDL: operations compared, and its types as --new-xsd.")
@click.option("--sample", "samples", multiple=True,
              metavar="DOC", help="With schemas: a response of today's version (repeatable).")
@click.option("--old", "old_docs", multiple=True, metavar="DOC", help="A response today (repeatable).")
@click.option("--new", "new_docs", multiple=True, metavar="DOC",
              help="The same response after the change (repeatable).")
@click.option("--xsd", "xsd_path", metavar="FILE",
              help="With --old/--new: the schema XSD-validating consumers hold.")
@click.option("--phase", help="Run only this phase of each contract.")
@interaction_option
@limit_options
@format_option("text", "json", "junit", "html")
@output_option
@strict_option
def command(contracts, old_xsd, new_xsd, old_wsdl, new_wsdl, samples, old_docs, new_docs, xsd_path,
            phase, interaction, budget, fmt, output, strict):
    """Which consumers a change breaks, by which assertion, and who breaks only through the XSD.

    Give --old-xsd, --new-xsd and --sample, or --old and --new documents, or --old-wsdl and
    --new-wsdl (operations removed, renamed or changed, with the consumers that call them; with
    --sample, also the element-level impact of the WSDLs' types). Exits 1 when a consumer breaks,
    a document cannot be parsed or checked, or a check ran over its limit.
    """
    # Imported here: the analysis pulls in xmlschema, which every other command can do without.
    from ..analysis import impact_of_documents, impact_of_schemas, load_samples
    from ..checking import compile_all
    from ..report import jsonout, junit, text
    from ..report.html import impact_html
    from ..xsd import load_xsd

    by_wsdl = bool(old_wsdl or new_wsdl)
    if by_wsdl:
        if not (old_wsdl and new_wsdl):
            raise click.UsageError("--old-wsdl and --new-wsdl go together")
        if old_xsd or new_xsd or old_docs or new_docs:
            raise click.UsageError("give --old-wsdl/--new-wsdl on their own (with --sample)")
        old_xsd, new_xsd = old_wsdl, new_wsdl
    by_schema = bool(old_xsd or new_xsd)
    if by_schema and (old_docs or new_docs or xsd_path):
        raise click.UsageError("give --old-xsd/--new-xsd or --old/--new, not both")
    if by_schema and not by_wsdl and not (old_xsd and new_xsd and samples):
        raise click.UsageError("--old-xsd and --new-xsd go together, with --sample documents")
    if not by_schema and not (old_docs and new_docs):
        raise click.UsageError("give --old-xsd, --new-xsd and --sample, or --old and --new")
    if samples and not by_schema:
        raise click.UsageError("--sample is used with --old-xsd and --new-xsd")
    loaded = compile_all(load_sources(contracts), phase, strict=strict)
    echo_warnings(loaded)
    hints = hints_for(loaded, interaction)
    if by_wsdl:
        result = _by_wsdl(loaded, old_wsdl, new_wsdl, samples, phase, hints, budget)
    elif by_schema:
        result = impact_of_schemas(loaded, load_samples(samples), load_xsd(old_xsd),
                                   load_xsd(new_xsd), phase=phase, hints=hints, budget=budget)
    else:
        result = impact_of_documents(loaded, load_samples(old_docs), load_samples(new_docs),
                                     xsd=load_xsd(xsd_path) if xsd_path else None, phase=phase,
                                     hints=hints, budget=budget)
    say_stopped(result.stopped)
    render = {"json": jsonout.impact_json, "junit": junit.impact_junit, "html": impact_html}
    emit(render.get(fmt, text.impact_text)(result), output)
    sys.exit(0 if result.holds and not result.stopped else 1)


def _by_wsdl(loaded, old_path, new_path, samples, phase, hints, budget):
    """Operation changes between two WSDLs; with samples, the element view of their types too."""
    from dataclasses import replace
    from pathlib import Path

    from ..analysis import impact_of_schemas, load_samples
    from ..analysis.results import Impact
    from ..wsdl import load_wsdl
    from ..wsdl.diff import diff

    old, new = load_wsdl(old_path), load_wsdl(new_path)
    if samples:
        result = impact_of_schemas(loaded, load_samples(samples), old.xsd, new.xsd, phase=phase,
                                   hints=hints, budget=budget)
    else:
        result = Impact(consumers=(), old=(), new=())
    return replace(result, operations=tuple(diff(old, new, loaded)),
                   wsdls=(Path(old_path).name, Path(new_path).name))
