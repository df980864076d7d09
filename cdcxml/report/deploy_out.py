"""Text and JSON renderings of ``can-i-deploy`` answers and the verification matrix."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..deploy.gate import Gate
from ..deploy.matrix import Matrix
from .jsonout import FORMAT_VERSION


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*head).rstrip(), *(fmt.format(*map(str, r)).rstrip() for r in rows)]


def gate_text(gate: Gate, yes: bool) -> str:
    """The answer, then a table: one row per contract, what vouches for it or what is missing."""
    lines = [f"{gate.question}? {'yes' if yes else 'no'}"]
    if not gate.rows:
        lines.append(f"nothing to check: {gate.nothing_to_check}")
        return "\n".join(lines) + "\n"
    rows = [(r.consumer, r.consumer_version, r.contract or "-", r.provider,
             r.provider_version or "-", r.verdict.upper() if not r.ok else r.verdict, r.detail)
            for r in gate.rows]
    lines += _table(("consumer", "version", "contract", "provider", "provider version", "verdict",
                     "detail"), rows)
    bad = sum(1 for r in gate.rows if not r.ok)
    lines.append(f"{len(gate.rows)} contract(s): {len(gate.rows) - bad} verified, {bad} missing "
                 "or red")
    return "\n".join(lines) + "\n"


def gate_json(gate: Gate, yes: bool) -> str:
    """The answer as JSON."""
    doc = {
        "cdcxml": FORMAT_VERSION, "question": gate.question, "environment": gate.environment,
        "deploy": yes, "nothing_to_check": gate.nothing_to_check,
        "rows": [{"consumer": r.consumer, "consumer_version": r.consumer_version,
                  "contract": r.contract, "provider": r.provider,
                  "provider_version": r.provider_version, "verdict": r.verdict, "ok": r.ok,
                  "detail": r.detail} for r in gate.rows],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def matrix_text(matrices: Sequence[Matrix]) -> str:
    """One table per provider: consumer contracts down, provider versions across."""
    out = []
    for m in matrices:
        out.append(f"{m.provider}: {len(m.rows)} consumer contract(s) x "
                   f"{len(m.provider_versions)} provider version(s)")
        if m.deployed:
            out.append("deployed: " + ", ".join(f"{v} in {env}" for env, v in m.deployed))
        head = ("consumer", "version", "contract", *m.provider_versions)
        rows = [(r.contract.consumer, r.contract.version
                 + (f" [{', '.join(r.environments)}]" if r.environments else ""),
                 r.contract.contract, *(c.verdict for c in r.cells)) for r in m.rows]
        out += _table(head, rows) if rows else ["no published contracts"]
        out.append("")
    return "\n".join(out)


def matrix_json(matrices: Sequence[Matrix]) -> str:
    """The matrices as JSON."""
    doc = {"cdcxml": FORMAT_VERSION, "providers": [{
        "provider": m.provider, "provider_versions": list(m.provider_versions),
        "deployed": [{"environment": env, "version": v} for env, v in m.deployed],
        "contracts": [{
            "consumer": r.contract.consumer, "version": r.contract.version,
            "contract": r.contract.contract, "sha256": r.contract.sha256,
            "environments": list(r.environments),
            "verdicts": {c.provider_version: {"verdict": c.verdict, "detail": c.detail}
                         for c in r.cells},
        } for r in m.rows],
    } for m in matrices]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
