"""``cdcxml impact``: what a proposed change (new schema or new responses) does to each consumer."""

from __future__ import annotations

import sys

import click

from .common import emit, format_option, output_option
from .limits_opt import limit_options, say_stopped
from .sources_opt import contracts_option, load_sources


@click.command("impact")
@contracts_option
@click.option("--old-xsd", help="The schema today (with --new-xsd and --sample).")
@click.option("--new-xsd", help="The proposed schema: documents for it are derived from the samples.")
@click.option("--sample", "samples", multiple=True,
              help="With schemas: a response of today's version (repeatable).")
@click.option("--old", "old_docs", multiple=True, help="A response today (repeatable).")
@click.option("--new", "new_docs", multiple=True, help="The same response after the change (repeatable).")
@click.option("--xsd", "xsd_path", help="With --old/--new: the schema XSD-validating consumers hold.")
@click.option("--phase", help="Run only this phase of each contract.")
@limit_options
@format_option("text", "json", "junit", "html")
@output_option
def command(contracts, old_xsd, new_xsd, samples, old_docs, new_docs, xsd_path, phase, budget, fmt,
            output):
    """Which consumers a change breaks, by which assertion, and who breaks only through the XSD.

    Give --old-xsd, --new-xsd and --sample, or --old and --new documents. Exits 1 when a consumer
    breaks, a new document cannot be checked, or a check ran over its limit.
    """
    # Imported here: the analysis pulls in xmlschema, which every other command can do without.
    from ..analysis import impact_of_documents, impact_of_schemas, load_samples
    from ..checking import compile_all
    from ..report import analysis as out
    from ..report.html import impact_html
    from ..xsd import load_xsd

    by_schema = bool(old_xsd or new_xsd)
    if by_schema and (old_docs or new_docs or xsd_path):
        raise click.UsageError("give --old-xsd/--new-xsd or --old/--new, not both")
    if by_schema and not (old_xsd and new_xsd and samples):
        raise click.UsageError("--old-xsd and --new-xsd go together, with --sample documents")
    if not by_schema and not (old_docs and new_docs):
        raise click.UsageError("give --old-xsd, --new-xsd and --sample, or --old and --new")
    if samples and not by_schema:
        raise click.UsageError("--sample is used with --old-xsd and --new-xsd")
    loaded = compile_all(load_sources(contracts), phase)
    if by_schema:
        result = impact_of_schemas(loaded, load_samples(samples), load_xsd(old_xsd),
                                   load_xsd(new_xsd), phase=phase, budget=budget)
    else:
        result = impact_of_documents(loaded, load_samples(old_docs), load_samples(new_docs),
                                     xsd=load_xsd(xsd_path) if xsd_path else None, phase=phase,
                                     budget=budget)
    say_stopped(result.stopped)
    render = {"json": out.impact_json, "junit": out.impact_junit, "html": impact_html}
    emit(render.get(fmt, out.impact_text)(result), output)
    sys.exit(0 if result.holds and not result.stopped else 1)
