"""Pinning contracts: ``cdcxml pull`` and the lock file ``cdcxml.lock`` it writes.

The provider's ``cdcxml.toml`` lists its sources in a ``[contracts]`` table::

    [contracts]
    provider = "product-search"
    sources = [
        "git+https://git.example.com/contracts.git@reseller-web/product-search/v1.2.0",
        "installed:product-search",
        "contracts/local",
    ]

``pull`` resolves every source (a tag to its commit, a package to its installed version), fetches
git sources into the cache and writes the lock, a JSON document::

    {
      "cdcxml-lock": 1,
      "provider": "product-search",
      "contracts": [
        {"source": "git+...@reseller-web/product-search/v1.2.0", "kind": "git",
         "consumer": "reseller-web", "provider": "product-search", "version": "1.2.0",
         "path": "product-search/reseller-web/reseller-web.sch",
         "commit": "<40 hex digits>", "ref": "reseller-web/product-search/v1.2.0",
         "files": {"product-search/reseller-web/reseller-web.sch": "<sha256>", ...}}
      ]
    }

``path`` and the keys of ``files`` are relative to the source's root: the repository for git, the
package's contract folder for installed packages (which also record ``package`` and
``package_version``), the folder itself for directories. Later loads of a locked source use the
locked commit and refuse a contract whose files no longer match; ``pull --update`` re-resolves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from .. import jsonio
from ..config import ContractsSettings, find_config, load_config
from ..contract import Contract, load_contract
from ..errors import ConfigError, InputError, JsonError, LockError, LockMismatchError
from ..fsutil import write_atomic
from .repository import (
    ResolvedSource,
    contract_file_set,
    file_sha256,
    is_git_source,
    is_installed_source,
    resolve,
    source_key,
)
from .repository import default_cache as _default_cache

LOCK_NAME = "cdcxml.lock"
LOCK_FORMAT = 1


@dataclass(frozen=True, slots=True)
class LockedContract:
    """One contract as the lock records it."""

    source: str
    kind: str
    consumer: str
    provider: str | None
    version: str | None
    path: str
    files: tuple[tuple[str, str], ...]
    commit: str | None = None
    ref: str | None = None
    package: str | None = None
    package_version: str | None = None

    def to_dict(self) -> dict:
        """The JSON object of this entry; absent values are left out."""
        out = {
            "source": self.source, "kind": self.kind, "consumer": self.consumer,
            "provider": self.provider, "version": self.version, "path": self.path,
            "commit": self.commit, "ref": self.ref, "package": self.package,
            "package_version": self.package_version, "files": dict(self.files),
        }
        return {k: v for k, v in out.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict, where: str) -> LockedContract:
        """Read an entry, checking its shape."""
        try:
            files = data["files"]
            if not isinstance(files, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in files.items()
            ):
                raise TypeError("files")
            fields = {k: data.get(k) for k in ("provider", "version", "commit", "ref", "package",
                                                "package_version")}
            for key in ("source", "kind", "consumer", "path"):
                if not isinstance(data[key], str):
                    raise TypeError(key)
            return cls(data["source"], data["kind"], data["consumer"], path=data["path"],
                       files=tuple(sorted(files.items())), **fields)
        except (KeyError, TypeError) as err:
            raise LockError(f"{where}: entry is missing or has a bad {err.args[0]!r}") from None

    def describe(self) -> str:
        """How messages name this contract."""
        version = f" {self.version}" if self.version else ""
        pin = f" at {self.commit[:12]}" if self.commit else ""
        if self.package:
            pin = f" ({self.package} {self.package_version})"
        return f"{self.consumer}{version} from {self.source}{pin}"


@dataclass(frozen=True, slots=True)
class Lock:
    """The contents of a lock file."""

    provider: str | None
    contracts: tuple[LockedContract, ...]

    def dumps(self) -> str:
        """The lock as JSON text, stable from one run to the next."""
        doc = {
            "cdcxml-lock": LOCK_FORMAT,
            "provider": self.provider,
            "contracts": [c.to_dict() for c in self.contracts],
        }
        return json.dumps(doc, indent=2, sort_keys=False) + "\n"

    def entries_for(self, key: str, base: Path) -> list[LockedContract]:
        """The entries recorded for a source (compared in resolved form, relative to ``base``)."""
        return [c for c in self.contracts if source_key(c.source, base=base) == key]


def read_lock(path: str | Path) -> Lock:
    """Read a lock file."""
    p = Path(path)
    name = str(p)
    try:
        data = jsonio.loads(p.read_bytes(), name=name)
    except FileNotFoundError as err:
        raise LockError("no such lock file (run 'cdcxml pull')", path=name) from err
    except OSError as err:
        raise LockError(err.strerror or str(err), path=name) from err
    except JsonError as err:
        raise LockError(f"not a cdcxml lock file: {err.message}", path=name,
                        line=err.line) from err
    if not isinstance(data, dict) or data.get("cdcxml-lock") != LOCK_FORMAT:
        raise LockError(f"not a cdcxml lock file of format {LOCK_FORMAT}", path=name)
    entries = data.get("contracts")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise LockError("'contracts' must be a list of objects", path=name)
    provider = data.get("provider")
    return Lock(provider if isinstance(provider, str) else None,
                tuple(LockedContract.from_dict(e, f"{name}: contracts[{i}]")
                      for i, e in enumerate(entries)))


def write_lock(path: str | Path, lock: Lock) -> bool:
    """Write the lock atomically; False when the file already says exactly this."""
    p = Path(path)
    text = lock.dumps()
    if p.is_file() and p.read_text(encoding="utf-8", errors="replace") == text:
        return False
    write_atomic(p, text)
    return True


# -- recording and checking ---------------------------------------------------------------------


def record(resolved: ResolvedSource) -> list[LockedContract]:
    """Lock entries for every contract of a resolved source: its files and their sha256."""
    entries = []
    for path in resolved.contracts:
        contract = load_contract(path)
        files = tuple(sorted((resolved.relative(f), file_sha256(f))
                             for f in contract_file_set(path, resolved.root)))
        entries.append(LockedContract(
            source=resolved.source, kind=resolved.kind, consumer=contract.consumer,
            provider=contract.provider, version=contract.version, path=resolved.relative(path),
            files=files, commit=resolved.commit, ref=resolved.ref, package=resolved.package,
            package_version=resolved.package_version,
        ))
    return entries


def check(resolved: list[ResolvedSource], entries: list[LockedContract], lock_name: str) -> None:
    """Refuse (LockMismatchError) unless the resolved contracts are exactly the locked ones."""
    # A git snapshot is fixed by its commit, so fetching it again restores it; anything else
    # changed at its source and needs pinning anew.
    git = any(r.kind == "git" for r in resolved)
    hint = "'cdcxml pull' fetches it again" if git else "'cdcxml pull --update' re-pins it"
    packages = {e.package for e in entries}
    for r in resolved:
        if r.kind == "installed" and r.package not in packages:
            raise LockMismatchError(f"installed package {r.package} {r.package_version} is not in "
                                    f"{lock_name} ('cdcxml pull --update' pins it)")
    for package in sorted(packages, key=lambda p: p or ""):
        mine = [e for e in entries if e.package == package]
        found = [r for r in resolved if r.package == package]
        if not found:
            raise LockMismatchError(f"contract {mine[0].describe()} is in {lock_name} but its "
                                    f"package is not installed")
        _check_one(found[0], mine, lock_name, hint)


def _check_one(r: ResolvedSource, entries: list[LockedContract], lock_name: str,
               hint: str) -> None:
    by_path = {e.path: e for e in entries}
    for path in r.contracts:
        rel = r.relative(path)
        entry = by_path.pop(rel, None)
        if entry is None:
            raise LockMismatchError(f"contract {rel} from {r.source} is not in {lock_name} "
                                    f"({hint})", path=str(path))
        if entry.package and entry.package_version != r.package_version:
            raise LockMismatchError(f"contract {entry.describe()} does not match {lock_name}: "
                                    f"{r.package} {r.package_version} is installed ({hint})")
        for rel_file, sha in entry.files:
            target = r.root / rel_file
            if not target.is_file():
                raise LockMismatchError(f"contract {entry.describe()} does not match {lock_name}: "
                                        f"this file is missing ({hint})", path=str(target))
            if file_sha256(target) != sha:
                raise LockMismatchError(f"contract {entry.describe()} does not match {lock_name}: "
                                        f"this file has changed since it was pinned ({hint})",
                                        path=str(target))
        now = {r.relative(f) for f in contract_file_set(path, r.root)}
        extra = sorted(now - {f for f, _ in entry.files})
        if extra:
            raise LockMismatchError(f"contract {entry.describe()} does not match {lock_name}: it "
                                    f"now also uses {extra[0]} ({hint})", path=str(path))
    if by_path:
        entry = by_path[min(by_path)]
        raise LockMismatchError(f"contract {entry.describe()} is in {lock_name} but no longer in "
                                f"its source ({hint})", path=entry.path)


def only_provider(resolved: ResolvedSource, provider: str | None) -> ResolvedSource:
    """The source with only the contracts for ``provider`` (and those that name no provider)."""
    if provider is None:
        return resolved
    keep = []
    for path in resolved.contracts:
        named = load_contract(path, compile=False).provider
        if named is None or named == provider:
            keep.append(path)
    return replace(resolved, contracts=tuple(keep))


# -- pull ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pinning:
    """Where a provider's pins live: its configuration, lock file and cache."""

    base: Path
    provider: str | None
    sources: tuple[str, ...]
    lock: Path
    cache: Path
    config: Path | None = None

    @classmethod
    def from_config(cls, config_path: str | Path | None, *,
                    cache: str | Path | None = None) -> Pinning:
        """Read the ``[contracts]`` table of ``config_path`` (None: there is no configuration)."""
        if config_path is None:
            raise ConfigError("no cdcxml.toml here; give --config FILE")
        path = Path(config_path)
        settings: ContractsSettings = load_config(path).contracts
        base = path.parent
        return cls(
            base=base,
            provider=settings.provider,
            sources=settings.sources,
            lock=Path(settings.lock) if settings.lock else base / LOCK_NAME,
            cache=Path(cache) if cache else (
                Path(settings.cache) if settings.cache else _default_cache(base)),
            config=path,
        )


@dataclass(frozen=True, slots=True)
class PullResult:
    """What ``pull`` did."""

    lock_path: Path
    lock: Lock
    changed: bool


def pull(pinning: Pinning, *, update: bool = False) -> PullResult:
    """Resolve every source, fill the cache, write the lock; keep existing pins unless updating."""
    where = str(pinning.config) if pinning.config else "cdcxml.toml"
    if not pinning.sources:
        raise ConfigError("no contract sources: set sources in the [contracts] table", path=where)
    old = None
    if not update and pinning.lock.is_file():
        old = read_lock(pinning.lock)
        if old.provider != pinning.provider:
            old = None
    entries: list[LockedContract] = []
    for source in pinning.sources:
        locked = old.entries_for(source_key(source, base=pinning.base), pinning.base) if old else []
        if locked:
            resolved = _resolve_locked(source, locked, pinning, repair=True)
        else:
            resolved = [only_provider(r, pinning.provider)
                        for r in resolve(source, base=pinning.base, cache=pinning.cache,
                                         refresh=update)]
            if not any(r.contracts for r in resolved):
                whom = f" for provider {pinning.provider}" if pinning.provider else ""
                raise ConfigError(f"source {source} holds no contract{whom}", path=where)
        for r in resolved:
            entries.extend(record(r))
    lock = Lock(pinning.provider, tuple(sorted(entries, key=lambda e: (e.source, e.package or "",
                                                                        e.path))))
    changed = write_lock(pinning.lock, lock)
    return PullResult(pinning.lock, lock, changed)


def _resolve_locked(source: str, locked: list[LockedContract], pinning: Pinning, *,
                    repair: bool = False) -> list[ResolvedSource]:
    commit = locked[0].commit if is_git_source(source) else None

    def resolved_at(refresh: bool) -> list[ResolvedSource]:
        found = resolve(source, base=pinning.base, cache=pinning.cache, commit=commit,
                        refresh=refresh)
        return [only_provider(r, pinning.provider) for r in found]

    resolved = resolved_at(False)
    try:
        check(resolved, locked, pinning.lock.name)
    except LockMismatchError:
        if not (repair and commit):
            raise
        resolved = resolved_at(True)
        check(resolved, locked, pinning.lock.name)
    return resolved


# -- loading pinned sources ---------------------------------------------------------------------


def resolve_sources(sources: Iterable[str | Path], *, pinning: Pinning | None = None,
                    provider: str | None = None) -> list[ResolvedSource]:
    """Resolve sources; with a ``pinning`` whose lock records a source, it is taken at its pin and
    checked against the lock. Without one, git sources are fetched into the default cache."""
    lock = read_lock(pinning.lock) if pinning is not None and pinning.lock.is_file() else None
    cache = pinning.cache if pinning is not None else None
    found = []
    for source in sources:
        text = str(source)
        locked = lock.entries_for(source_key(text), pinning.base) if lock else []
        if locked:
            commit = locked[0].commit if is_git_source(text) else None
            resolved = [only_provider(r, lock.provider)
                        for r in resolve(text, cache=cache, commit=commit)]
            check(resolved, locked, pinning.lock.name)
        else:
            resolved = resolve(text, cache=cache)
            if provider is not None:
                resolved = [only_provider(r, provider) for r in resolved]
        if not any(r.contracts for r in resolved):
            # Nothing to check is never a pass: a source that names no contract is an error.
            raise InputError(_nothing_in(text), path=text)
        found.extend(resolved)
    return found


def _nothing_in(source: str) -> str:
    if is_installed_source(source):
        name = source.partition(":")[2]
        return ("no installed contract package" + (f" has contracts for provider {name!r}"
                                                   if name else ""))
    return "no contracts in this source"


def discover(folder: Path) -> Pinning | None:
    """The pins of a project in ``folder``: its cdcxml.toml's [contracts], or its cdcxml.lock."""
    config = find_config(folder)
    if config is not None:
        pinning = Pinning.from_config(config)
        if pinning.lock.is_file() or pinning.sources:
            return pinning
    lock = folder / LOCK_NAME
    if lock.is_file():
        return Pinning(folder, None, (), lock, _default_cache(folder))
    return None


def pinned_contracts(config_path: str | Path | None) -> list[Contract]:
    """The contracts of every source in ``[contracts]``, as pinned by the lock (``pull`` first)."""
    pinning = Pinning.from_config(config_path)
    if not pinning.lock.is_file():
        raise LockError("no lock file yet: run 'cdcxml pull'", path=str(pinning.lock))
    lock = read_lock(pinning.lock)
    contracts = []
    for source in pinning.sources:
        locked = lock.entries_for(source_key(source, base=pinning.base), pinning.base)
        if not locked:
            raise LockError(f"source {source} is not in the lock yet: run 'cdcxml pull'",
                            path=str(pinning.lock))
        for r in _resolve_locked(source, locked, pinning):
            contracts.extend(load_contract(p) for p in r.contracts)
    return contracts
