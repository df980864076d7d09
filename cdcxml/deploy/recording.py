"""What ``verify`` does with records: mark pending contracts, then write one record per contract.

A contract version (by its content) is *pending* until it has first passed against the provider's
main line (a record made on the main branch). A pending contract's failures are reported, marked
pending, and do not fail the build; an interaction that could not be checked (an error) still
does. Once a passing record on the main line exists, the contract is required like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..contract import Contract
from ..errors import ConfigError
from ..sources.repository import run_git
from ..verify import ERROR, FAILED, PASSED, InteractionResult
from . import store
from .records import (
    InteractionVerdict,
    Verification,
    check_name,
    check_version,
    contract_sha256,
    read_verifications,
)

DEFAULT_MAIN_BRANCH = "main"


@dataclass(frozen=True, slots=True)
class Settings:
    """How a verify run records and judges pending contracts."""

    target: str | None  # the record store: a git repository or a folder
    record: bool = False
    provider: str | None = None
    provider_version: str | None = None
    provider_branch: str | None = None
    main_branch: str = DEFAULT_MAIN_BRANCH
    pending: bool = True  # False: every contract is required


@dataclass(frozen=True, slots=True)
class Subject:
    """What a record says about one contract, worked out before anything is sent."""

    provider: str
    consumer: str
    version: str
    contract: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Recording:
    """A verify run's recording plan: the contracts, which of them are pending, where records go."""

    settings: Settings
    subjects: dict[str, Subject]  # by contract name (InteractionResult.contract)
    pending: frozenset[str]  # contract names

    def mark(self, result: InteractionResult) -> InteractionResult:
        """The result, marked pending when its contract is."""
        if result.contract in self.pending:
            return replace(result, pending=True)
        return result

    def records(self, results: Sequence[InteractionResult], at: datetime | None = None
                ) -> list[Verification]:
        """One record per contract of the run."""
        stamp = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
        grouped: dict[str, list[InteractionResult]] = {}
        for r in results:
            grouped.setdefault(r.contract, []).append(r)
        out = []
        for name, mine in grouped.items():
            s = self.subjects[name]
            outcomes = {r.outcome for r in mine}
            result = FAILED if FAILED in outcomes else ERROR if ERROR in outcomes else PASSED
            out.append(Verification(
                provider=s.provider, provider_version=self.settings.provider_version,
                provider_branch=self.settings.provider_branch, consumer=s.consumer,
                contract_version=s.version, contract=s.contract, contract_sha256=s.sha256,
                result=result, pending=name in self.pending,
                interactions=tuple(InteractionVerdict(r.interaction, r.outcome, tuple(_problems(r)))
                                   for r in mine),
                cdcxml=__version__, at=stamp,
            ))
        return out

    def publish(self, results: Sequence[InteractionResult]) -> list[str]:
        """Write the run's records to the store; the paths written."""
        made = self.records(results)
        pv = self.settings.provider_version
        providers = ", ".join(sorted({r.provider for r in made}))
        return store.add(self.settings.target, lambda _root: made,
                         f"Record verification of {providers} {pv}")


def _problems(r: InteractionResult) -> list[str]:
    from ..report.text import problems

    return problems(r)


def build_passes(results: Iterable[InteractionResult]) -> bool:
    """Whether a run is green: every interaction held, or failed only as a pending contract's."""
    return all(r.valid or (r.pending and r.outcome == FAILED) for r in results)


def prepare(contracts: Sequence[Contract], settings: Settings, *,
            interactions_filtered: bool = False) -> Recording | None:
    """The recording plan of a verify run, checked before anything is sent (or None: no store)."""
    if settings.target is None:
        if settings.record:
            raise ConfigError("--record needs a record store: give --records GIT-URL|DIR (or pin "
                              "contracts from one git repository in [contracts])")
        return None
    if settings.record and interactions_filtered:
        raise ConfigError("--record verifies whole contracts: it cannot be used with "
                          "--interaction")
    if settings.record:
        if settings.provider_version is None:
            raise ConfigError("--record needs the provider version: give --provider-version")
        check_version("provider version", settings.provider_version)
    subjects = {}
    for c in contracts:
        if not c.interactions:
            continue
        provider = c.provider or settings.provider
        if provider is None:
            raise ConfigError(f"{c.name}: the contract names no provider, so no record can say "
                              "whom it was verified against")
        if c.version is None or c.path is None:
            raise ConfigError(f"{c.name}: the contract has no version; publish it (cdcxml "
                              "publish) to verify it with records")
        check_name("provider", provider)
        check_name("consumer", c.consumer)
        check_version("contract version", c.version)
        subjects[c.name] = Subject(provider, c.consumer, c.version, Path(c.path).name,
                                   contract_sha256(Path(c.path)))
    pending: frozenset[str] = frozenset()
    if settings.pending:
        with store.opened(settings.target) as opened:
            held = {(r.provider, r.consumer, r.contract_version, r.contract_sha256)
                    for r in read_verifications(opened.root)
                    if r.passed and r.provider_branch == settings.main_branch}
        pending = frozenset(name for name, s in subjects.items()
                            if (s.provider, s.consumer, s.version, s.sha256) not in held)
    return Recording(settings, subjects, pending)


# -- the provider's checkout ---------------------------------------------------------------------


def describe(checkout: Path) -> str:
    """``git describe --tags --always --dirty`` of the provider's checkout."""
    return run_git(["describe", "--tags", "--always", "--dirty"], cwd=checkout).stdout.strip()


def current_branch(checkout: Path) -> str | None:
    """The branch checked out in the provider's checkout (None when detached)."""
    done = run_git(["symbolic-ref", "-q", "--short", "HEAD"], cwd=checkout, check=False)
    return done.stdout.strip() or None
