"""``cdcxml matrix``: every published consumer contract × every verified provider version.

Each cell is the verdict ``can-i-deploy`` would read for that pair (the latest record made on the
published content), so the matrix and the gate never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from .gate import PublishedContract, published_contracts, verdict, version_key
from .records import Deployment, check_name, read_deployments, read_verifications
from .store import Opened


@dataclass(frozen=True, slots=True)
class Cell:
    """One consumer contract against one provider version."""

    provider_version: str
    verdict: str
    detail: str


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One published consumer contract and its verdicts, one per provider version."""

    contract: PublishedContract
    cells: tuple[Cell, ...]
    environments: tuple[str, ...]  # where this consumer version runs now


@dataclass(frozen=True, slots=True)
class Matrix:
    """One provider's matrix."""

    provider: str
    provider_versions: tuple[str, ...]  # in the order they were first verified
    rows: tuple[MatrixRow, ...]
    deployed: tuple[tuple[str, str], ...]  # (environment, provider version running there)


def _now(deployments: list[Deployment], role: str) -> dict[tuple[str, str], str]:
    current: dict[tuple[str, str], str] = {}
    for d in deployments:
        if d.role == role:
            current[(d.environment, d.name)] = d.version
    return current


def build_matrix(store: Opened, provider: str) -> Matrix:
    """The matrix of one provider from the store's published contracts and records."""
    check_name("provider", provider)
    records = read_verifications(store.root, provider)
    versions = tuple(dict.fromkeys(r.provider_version for r in records))
    contracts = sorted(published_contracts(store, provider=provider),
                       key=lambda c: (c.consumer, version_key(c.version), c.contract))
    every = read_deployments(store.root)
    consumers, providers = _now(every, "consumer"), _now(every, "provider")
    rows = []
    for c in contracts:
        cells = tuple(Cell(v, *verdict(records, c, v)) for v in versions)
        envs = tuple(sorted(env for (env, name), v in consumers.items()
                            if name == c.consumer and v == c.version))
        rows.append(MatrixRow(c, cells, envs))
    deployed = tuple(sorted((env, v) for (env, name), v in providers.items() if name == provider))
    return Matrix(provider, versions, tuple(rows), deployed)


def providers(store: Opened) -> list[str]:
    """Every provider with a published contract in the store."""
    return sorted({c.provider for c in published_contracts(store)})
