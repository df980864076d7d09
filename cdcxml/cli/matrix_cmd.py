"""``cdcxml matrix``: consumer contracts × provider versions with their recorded verdicts."""

from __future__ import annotations

import click

from ..deploy.matrix import build_matrix, providers
from ..deploy.store import opened
from ..report.html import matrix_html
from ..report.jsonout import matrix_json
from ..report.text import matrix_text
from .common import emit, format_option, output_option


@click.command("matrix")
@click.option("--records", "target", required=True, metavar="GIT-URL|DIR",
              help="The record store: the contracts' git repository, or a folder.")
@click.option("--provider", "names", multiple=True, metavar="NAME",
              help="Only this provider (repeatable; default: every provider with contracts).")
@format_option("text", "json", "html")
@output_option
def command(target, names, fmt, output) -> None:
    """Show every consumer contract against every verified provider version."""
    with opened(target) as store:
        matrices = [build_matrix(store, p) for p in (names or providers(store))]
    render = {"text": matrix_text, "json": matrix_json, "html": matrix_html}[fmt]
    emit(render(matrices), output)
