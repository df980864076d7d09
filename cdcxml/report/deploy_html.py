"""The verification matrix as one self-contained HTML page, in the frame of every HTML report."""

from __future__ import annotations

from collections.abc import Sequence

from lxml.html import builder as E

from ..deploy.matrix import Matrix
from .html import _page

_CLASS = {"passed": "accept", "failed": "reject"}
_LEGEND = (
    ("accept", "passed", "the latest record on the published content passed"),
    ("reject", "failed", "the latest record failed: the provider answered wrongly"),
    ("error", "error", "the latest record could not check"),
    ("error", "unverified", "no record for this provider version and content"),
    ("plain", "(ENV)", "the environments this consumer version runs in"),
)


def matrix_html(matrices: Sequence[Matrix]) -> str:
    """Per provider: consumer contracts × provider versions, each cell the recorded verdict."""
    sections = []
    for m in matrices:
        head = E.TR(E.TH("consumer"), E.TH("version"), E.TH("contract"),
                    *(E.TH(v) for v in m.provider_versions))
        rows = []
        for r in m.rows:
            cells = []
            for c in r.cells:
                td = E.TD(c.verdict, E.CLASS(f"cell {_CLASS.get(c.verdict, 'error')}"))
                td.set("data-provider-version", c.provider_version)
                if c.detail:
                    td.set("title", c.detail)
                cells.append(td)
            where = f" ({', '.join(r.environments)})" if r.environments else ""
            row = E.TR(E.TD(r.contract.consumer), E.TD(r.contract.version + where),
                       E.TD(r.contract.contract, E.CLASS("doc")), *cells)
            row.set("data-consumer", r.contract.consumer)
            rows.append(row)
        deployed = ", ".join(f"{v} in {env}" for env, v in m.deployed) or "not recorded anywhere"
        table = E.TABLE(E.THEAD(head), E.TBODY(*rows))
        table.set("data-provider", m.provider)
        sections += [E.H2(m.provider), E.P(f"Deployed: {deployed}.", E.CLASS("meta")),
                     table if rows else E.P("no published contracts", E.CLASS("meta"))]
    return _page("Verification matrix", *sections, legend=_LEGEND)
