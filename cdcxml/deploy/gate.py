"""``can-i-deploy``: may this version go out, given the records and what runs where?

A provider version may deploy to an environment when every consumer contract that runs there
(each deployed name that publishes contracts for the provider, at its deployed version) has a
green record against that provider version, made on the content the contract was published with.
A consumer version may deploy when each provider it has a contract for runs in the environment at
a version with a green record for that contract. Anything else is a row that says what is missing
or red.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..sources.files import local_contracts
from ..sources.repository import contracts_only, fetch_commit
from .records import (
    ERROR,
    FAILED,
    PASSED,
    Deployment,
    Verification,
    check_name,
    check_version,
    contract_sha256,
    deployed,
    read_deployments,
    read_verifications,
)
from .store import Opened

UNVERIFIED, UNPUBLISHED, UNDEPLOYED = "unverified", "unpublished", "undeployed"
VERDICTS = (PASSED, FAILED, ERROR, UNVERIFIED, UNPUBLISHED, UNDEPLOYED)
_TAG = re.compile(r"^(?P<consumer>[^/]+)/(?P<provider>[^/]+)/v(?P<version>[^/]+)$")


@dataclass(frozen=True, slots=True)
class PublishedContract:
    """One contract file as published: who for whom, at which version, with which content."""

    consumer: str
    provider: str
    version: str
    contract: str  # file name in the published folder
    sha256: str


def published_contracts(store: Opened, *, provider: str | None = None,
                        consumer: str | None = None,
                        version: str | None = None) -> list[PublishedContract]:
    """The contracts published in the store (git tags, or ``<provider>/<consumer>/<version>/``)."""
    found = []
    for c, p, v, folder in _bundles(store, provider, consumer, version):
        for path in contracts_only(local_contracts(folder), folder):
            found.append(PublishedContract(c, p, v, path.relative_to(folder).as_posix(),
                                           contract_sha256(path)))
    return found


def _bundles(store: Opened, provider, consumer, version):
    if store.git:
        for tag in store.tags(f"{consumer or '*'}/{provider or '*'}/v{version or '*'}"):
            m = _TAG.match(tag)
            if not m:
                continue
            snapshot = fetch_commit(store.root.resolve().as_uri(), store.commit_of(tag),
                                    store.scratch, ref=f"refs/tags/{tag}")
            folder = snapshot / m["provider"] / m["consumer"]
            if folder.is_dir() and not folder.is_symlink():
                yield m["consumer"], m["provider"], m["version"], folder
        return
    root = store.root
    for p in _dirs(root, provider):
        if p.name in ("verifications", "deployments"):
            continue
        for c in _dirs(p, consumer):
            for v in _dirs(c, version):
                yield c.name, p.name, v.name, v


def _dirs(folder: Path, only: str | None) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(d for d in folder.iterdir()
                  if d.is_dir() and not d.is_symlink() and (only is None or d.name == only))


def version_key(version: str):
    """Sort key: PEP 440 order where the versions allow it, text order otherwise."""
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version), version)
    except InvalidVersion:
        return (0, version, version)


@dataclass(frozen=True, slots=True)
class Row:
    """One consumer contract against one provider version, and whether it holds."""

    consumer: str
    consumer_version: str
    provider: str
    provider_version: str | None
    contract: str | None
    verdict: str  # one of VERDICTS
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when a green record vouches for this pair."""
        return self.verdict == PASSED


@dataclass(frozen=True, slots=True)
class Gate:
    """The answer to one can-i-deploy question."""

    question: str
    environment: str | None
    rows: tuple[Row, ...]
    nothing_to_check: str | None = None  # why no row was needed, when none was

    @property
    def ok(self) -> bool:
        """Yes only when every row holds (no rows: only when nothing needed checking, and said)."""
        if not self.rows:
            return False
        return all(r.ok for r in self.rows)


def verdict(records: list[Verification], contract: PublishedContract,
            provider_version: str) -> tuple[str, str]:
    """The latest record's result for a contract against a provider version, and a detail."""
    same = [r for r in records if r.provider == contract.provider
            and r.provider_version == provider_version and r.consumer == contract.consumer
            and r.contract_version == contract.version]
    matching = [r for r in same if r.contract_sha256 == contract.sha256]
    if not matching:
        if same:
            return UNVERIFIED, ("records exist for other content of this contract version "
                                "(was it published again?); none for the published content")
        return UNVERIFIED, "no verification record"
    latest = matching[-1]
    if latest.passed:
        return PASSED, f"verified {latest.at}"
    broken = [i for i in latest.interactions if i.outcome != PASSED]
    what = "; ".join(f"{i.id}: {i.problems[0] if i.problems else i.outcome}" for i in broken)
    return latest.result, what or latest.result


def _rows_for(records, contracts: list[PublishedContract], provider_version: str) -> list[Row]:
    rows = []
    for c in contracts:
        v, detail = verdict(records, c, provider_version)
        rows.append(Row(c.consumer, c.version, c.provider, provider_version, c.contract, v, detail))
    return rows


def provider_gate(store: Opened, provider: str, version: str,
                  environment: str | None = None) -> Gate:
    """Can provider ``version`` deploy (to ``environment``: else against every latest contract)?"""
    check_name("provider", provider)
    check_version("provider version", version)
    everything = published_contracts(store, provider=provider)
    by_consumer: dict[str, list[PublishedContract]] = {}
    for c in everything:
        by_consumer.setdefault(c.consumer, []).append(c)
    records = read_verifications(store.root, provider)
    rows: list[Row] = []
    question = f"can {provider} {version} deploy" + (f" to {environment}" if environment else "")
    if environment is None:
        for _consumer, mine in sorted(by_consumer.items()):
            latest = max((c.version for c in mine), key=version_key)
            rows += _rows_for(records, [c for c in mine if c.version == latest], version)
        why = None if rows else f"no consumer has published a contract for {provider}"
        return Gate(question, None, tuple(rows), why)
    running = deployed(read_deployments(store.root, environment), environment, "consumer")
    for name, d in sorted(running.items()):
        mine = by_consumer.get(name)
        if not mine:
            continue  # not a consumer of this provider
        at_version = [c for c in mine if c.version == d.version]
        if not at_version:
            rows.append(Row(name, d.version, provider, version, None, UNPUBLISHED,
                            f"{name} {d.version} runs in {environment} but published no "
                            f"contract for {provider} at that version"))
            continue
        rows += _rows_for(records, at_version, version)
    why = None if rows else f"no consumer of {provider} is recorded as deployed to {environment}"
    return Gate(question, environment, tuple(rows), why)


def consumer_gate(store: Opened, consumer: str, version: str, environment: str) -> Gate:
    """Can consumer ``version`` deploy to ``environment``, given the provider versions there?"""
    check_name("consumer", consumer)
    check_version("consumer version", version)
    check_name("environment", environment)
    question = f"can {consumer} {version} deploy to {environment}"
    mine = published_contracts(store, consumer=consumer, version=version)
    if not mine:
        return Gate(question, environment, (), f"{consumer} has published no contract at "
                                                f"version {version}")
    running: dict[str, Deployment] = deployed(read_deployments(store.root, environment),
                                              environment, "provider")
    rows: list[Row] = []
    for provider in sorted({c.provider for c in mine}):
        theirs = [c for c in mine if c.provider == provider]
        there = running.get(provider)
        if there is None:
            rows += [Row(consumer, version, provider, None, c.contract, UNDEPLOYED,
                         f"{provider} is not recorded as deployed to {environment}")
                     for c in theirs]
            continue
        rows += _rows_for(read_verifications(store.root, provider), theirs, there.version)
    return Gate(question, environment, tuple(rows))
