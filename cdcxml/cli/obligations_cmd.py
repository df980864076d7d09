"""``cdcxml obligations``: which consumer depends on which element and attribute."""

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


@click.command("obligations")
@contracts_option
@click.option("--sample", "samples", multiple=True, required=True,
              metavar="DOC", help="A response every consumer accepts: file or directory (repeatable).")
@click.option("--xsd", "xsd_path", metavar="FILE",
              help="Also list what this schema declares and no sample holds.")
@click.option("--phase", help="Run only this phase of each contract.")
@interaction_option
@limit_options
@format_option("text", "json", "html")
@output_option
@strict_option
def command(contracts, samples, xsd_path, phase, interaction, budget, fmt, output, strict):
    """Remove, empty and retype each path of the samples; show which consumers then fail.

    Exits 1 when a consumer rejects one of the samples themselves, a sample cannot be parsed, or a
    check ran over its limit.
    """
    # Imported here: the analysis pulls in xmlschema, which every other command can do without.
    from ..analysis import find_obligations, load_samples
    from ..checking import compile_all
    from ..report import jsonout, text
    from ..report.html import obligations_html
    from ..xsd import load_xsd

    loaded = compile_all(load_sources(contracts), phase, strict=strict)
    echo_warnings(loaded)
    hints = hints_for(loaded, interaction)
    xsd = load_xsd(xsd_path) if xsd_path else None
    result = find_obligations(loaded, load_samples(samples), phase=phase, xsd=xsd, hints=hints,
                              budget=budget)
    say_stopped(result.stopped)
    render = {"json": jsonout.obligations_json, "html": obligations_html}
    emit(render.get(fmt, text.obligations_text)(result), output)
    sys.exit(0 if result.holds and not result.stopped else 1)
