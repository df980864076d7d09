"""``cdcxml contrast``: each consumer's verdict beside the provider XSD's, document by document."""

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


@click.command("contrast")
@click.option("--xsd", "xsd_path", required=True, metavar="FILE", help="The provider's XML Schema.")
@contracts_option
@click.option("--phase", help="Run only this phase of each contract.")
@interaction_option
@limit_options
@format_option("text", "json", "junit", "html")
@output_option
@click.argument("documents", nargs=-1, required=True)
@strict_option
def command(xsd_path, contracts, phase, interaction, budget, fmt, output, documents, strict):
    """Targeted against full validation: the XSD's verdict beside every consumer's, per document.

    Exits 1 when a consumer rejects a document or a document cannot be read; what the XSD alone
    rejects is reported, not failed on.
    """
    # Imported here: the analysis pulls in xmlschema, which every other command can do without.
    from ..analysis import contrast
    from ..checking import compile_all
    from ..report import jsonout, junit, text
    from ..report.html import contrast_html
    from ..xsd import load_xsd

    loaded = compile_all(load_sources(contracts), phase, strict=strict)
    echo_warnings(loaded)
    hints = hints_for(loaded, interaction)
    result = contrast(documents, loaded, load_xsd(xsd_path), phase=phase, hints=hints, budget=budget)
    say_stopped(result.stopped)
    render = {"json": jsonout.contrast_json, "junit": junit.contrast_junit, "html": contrast_html}
    emit(render.get(fmt, text.contrast_text)(result), output)
    sys.exit(0 if result.holds else 1)
