"""Verification and deployment records: what they hold, where each one sits, how it is checked.

A record is a small JSON file that is written once and never changed. Its ``digest`` is the
sha256 of the rest of its content (canonical JSON), and its path is made from that content, so a
record edited afterwards, or moved to claim something else, is refused when read.

Verification (one per consumer contract, provider version and run)::

    verifications/<provider>/<consumer>/<contract-version>/<provider-version>/<time>-<digest12>.json

Deployment (one per ``record-deployment``; the highest number is what runs there now)::

    deployments/<environment>/<name>/<number, six digits>.json
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import jsonio
from ..errors import JsonError, RecordError, TamperedRecordError
from ..sources.publish import _NAME, _VERSION
from ..sources.repository import contract_file_set, file_sha256

RECORD_FORMAT = 1
VERIFICATIONS = "verifications"
DEPLOYMENTS = "deployments"
MAX_RECORD_BYTES = 1 << 20
PASSED, FAILED, ERROR = "passed", "failed", "error"
ROLES = ("consumer", "provider")


def check_name(role: str, value: str) -> str:
    """A consumer, provider or environment name usable in a record's path, or a RecordError."""
    if not isinstance(value, str) or not _NAME.match(value) or ".." in value:
        raise RecordError(f"{role} name {value!r} cannot be recorded: use letters, digits, "
                          "'-', '_' and '.'")
    return value


def check_version(role: str, value: str) -> str:
    """A version usable in a record's path, or a RecordError."""
    if not isinstance(value, str) or not _VERSION.match(value) or ".." in value:
        raise RecordError(f"{role} {value!r} cannot be recorded: use letters, digits, "
                          "'.', '_', '+' and '-' (e.g. 1.2.0)")
    return value


def contract_sha256(contract: Path) -> str:
    """The content hash of a contract: its file and every file it references, by sha256.

    The same sha256 per file as ``cdcxml.lock`` pins, each named relative to the contract's
    folder, so a published contract hashes alike wherever it has been fetched to.
    """
    folder = contract.parent.resolve()
    lines = sorted(f"{Path(os.path.relpath(f.resolve(), folder)).as_posix()}\t{file_sha256(f)}\n"
                   for f in contract_file_set(contract, contract.parent))
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def _digest(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _text(body: dict) -> str:
    return json.dumps({**body, "digest": _digest(body)}, indent=2, sort_keys=True,
                      ensure_ascii=False) + "\n"


def _stamp(at: str) -> str:
    return at.replace("-", "").replace(":", "").replace("+0000", "Z")


@dataclass(frozen=True, slots=True)
class InteractionVerdict:
    """How one interaction of a contract fared."""

    id: str
    outcome: str  # passed, failed or error
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Verification:
    """One consumer contract verified against one provider version."""

    provider: str
    provider_version: str
    provider_branch: str | None
    consumer: str
    contract_version: str
    contract: str  # the contract's file name
    contract_sha256: str
    result: str  # passed, failed or error
    pending: bool
    interactions: tuple[InteractionVerdict, ...]
    cdcxml: str
    at: str  # ISO 8601, UTC, microseconds

    @property
    def passed(self) -> bool:
        """True when every interaction of the contract held."""
        return self.result == PASSED

    def body(self) -> dict:
        """The record's content, without its digest."""
        return {
            "cdcxml-verification": RECORD_FORMAT,
            "provider": self.provider, "provider_version": self.provider_version,
            "provider_branch": self.provider_branch, "consumer": self.consumer,
            "contract_version": self.contract_version, "contract": self.contract,
            "contract_sha256": self.contract_sha256, "result": self.result,
            "pending": self.pending,
            "interactions": [{"id": i.id, "outcome": i.outcome, "problems": list(i.problems)}
                             for i in self.interactions],
            "cdcxml": self.cdcxml, "at": self.at,
        }

    @property
    def digest(self) -> str:
        """The sha256 of the record's content."""
        return _digest(self.body())

    @property
    def path(self) -> str:
        """Where the record sits in a record store (POSIX, relative)."""
        return (f"{VERIFICATIONS}/{self.provider}/{self.consumer}/{self.contract_version}/"
                f"{self.provider_version}/{_stamp(self.at)}-{self.digest[:12]}.json")

    def dumps(self) -> str:
        """The record file's text."""
        return _text(self.body())

    @classmethod
    def from_dict(cls, data: dict) -> Verification:
        """Read a record's content (a RecordError names what is wrong)."""
        try:
            interactions = tuple(
                InteractionVerdict(_str(i, "id"), _choice(i, "outcome", (PASSED, FAILED, ERROR)),
                                   tuple(_strs(i, "problems")))
                for i in _list(data, "interactions"))
            branch = data.get("provider_branch")
            if branch is not None and not isinstance(branch, str):
                raise TypeError("provider_branch")
            if not isinstance(data.get("pending"), bool):
                raise TypeError("pending")
            return cls(
                provider=check_name("provider", _str(data, "provider")),
                provider_version=check_version("provider version", _str(data, "provider_version")),
                provider_branch=branch, consumer=check_name("consumer", _str(data, "consumer")),
                contract_version=check_version("contract version", _str(data, "contract_version")),
                contract=_str(data, "contract"), contract_sha256=_str(data, "contract_sha256"),
                result=_choice(data, "result", (PASSED, FAILED, ERROR)), pending=data["pending"],
                interactions=interactions, cdcxml=_str(data, "cdcxml"), at=_str(data, "at"),
            )
        except (KeyError, TypeError) as err:
            raise RecordError(f"verification record is missing or has a bad "
                              f"{err.args[0]!r}") from None


@dataclass(frozen=True, slots=True)
class Deployment:
    """A consumer or provider version recorded as deployed to an environment."""

    environment: str
    role: str  # consumer or provider
    name: str
    version: str
    number: int  # 1, 2, ...: the highest is what runs there now
    cdcxml: str
    at: str

    def body(self) -> dict:
        """The record's content, without its digest."""
        return {"cdcxml-deployment": RECORD_FORMAT, "environment": self.environment,
                "role": self.role, "name": self.name, "version": self.version,
                "number": self.number, "cdcxml": self.cdcxml, "at": self.at}

    @property
    def path(self) -> str:
        """Where the record sits in a record store (POSIX, relative)."""
        return f"{DEPLOYMENTS}/{self.environment}/{self.role}/{self.name}/{self.number:06d}.json"

    def dumps(self) -> str:
        """The record file's text."""
        return _text(self.body())

    @classmethod
    def from_dict(cls, data: dict) -> Deployment:
        """Read a record's content (a RecordError names what is wrong)."""
        try:
            number = data["number"]
            if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                raise TypeError("number")
            return cls(environment=check_name("environment", _str(data, "environment")),
                       role=_choice(data, "role", ROLES), name=check_name("name", _str(data, "name")),
                       version=check_version("version", _str(data, "version")), number=number,
                       cdcxml=_str(data, "cdcxml"), at=_str(data, "at"))
        except (KeyError, TypeError) as err:
            raise RecordError(f"deployment record is missing or has a bad "
                              f"{err.args[0]!r}") from None


def _str(data: dict, key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise TypeError(key)
    return value


def _strs(data: dict, key: str) -> list[str]:
    value = _list(data, key)
    if not all(isinstance(v, str) for v in value):
        raise TypeError(key)
    return value


def _list(data: dict, key: str) -> list:
    value = data[key]
    if not isinstance(value, list) or (value and key == "interactions"
                                       and not all(isinstance(v, dict) for v in value)):
        raise TypeError(key)
    return value


def _choice(data: dict, key: str, choices: tuple[str, ...]) -> str:
    value = _str(data, key)
    if value not in choices:
        raise TypeError(key)
    return value


# -- reading a store ----------------------------------------------------------------------------


def _files(root: Path, rel: str) -> Iterator[tuple[str, Path]]:
    """The record files under ``root/rel``, by POSIX path; links are never followed."""
    top = root / rel
    if not top.is_dir() or top.is_symlink():
        return
    for folder, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not (Path(folder) / d).is_symlink())
        for name in sorted(names):
            path = Path(folder) / name
            if name.endswith(".json") and stat.S_ISREG(path.lstat().st_mode):
                yield path.relative_to(root).as_posix(), path


def _load(rel: str, path: Path, kind: str) -> dict:
    try:
        if path.lstat().st_size > MAX_RECORD_BYTES:
            raise RecordError(f"record is larger than {MAX_RECORD_BYTES} bytes", path=rel)
        data = jsonio.loads(path.read_bytes(), name=rel)
    except JsonError as err:
        raise RecordError(f"not a {kind} record: {err.message}", path=rel,
                          line=err.line) from None
    except OSError as err:
        raise RecordError(err.strerror or str(err), path=rel) from None
    if not isinstance(data, dict) or data.get(f"cdcxml-{kind}") != RECORD_FORMAT:
        raise RecordError(f"not a cdcxml {kind} record of format {RECORD_FORMAT}", path=rel)
    return data


def _checked(rel: str, data: dict, record) -> None:
    body = {k: v for k, v in data.items() if k != "digest"}
    if data.get("digest") != _digest(body):
        raise TamperedRecordError("record changed after it was written (hash mismatch: its "
                                  "digest does not match its content); refused", path=rel)
    if record.path != rel:
        raise TamperedRecordError(f"record does not belong here (its content says "
                                  f"{record.path}); refused", path=rel)


def read_verifications(root: Path, provider: str | None = None) -> list[Verification]:
    """Every verification record in the store at ``root`` (for one provider), oldest first.

    A record that was changed or moved raises TamperedRecordError; one that cannot be read, a
    RecordError naming its path.
    """
    rel = VERIFICATIONS + (f"/{check_name('provider', provider)}" if provider else "")
    return sorted(_read(root, rel, Verification, "verification"), key=lambda r: (r.at, r.path))


def read_deployments(root: Path, environment: str | None = None) -> list[Deployment]:
    """Every deployment record in the store (for one environment), in order of recording."""
    rel = DEPLOYMENTS + (f"/{check_name('environment', environment)}" if environment else "")
    return sorted(_read(root, rel, Deployment, "deployment"),
                  key=lambda d: (d.environment, d.role, d.name, d.number))


def _read(root: Path, rel: str, kind, what: str) -> list:
    """Every record of ``kind`` under ``rel``, each read, checked against its digest and place."""
    found = []
    for name, path in _files(root, rel):
        data = _load(name, path, what)
        try:
            record = kind.from_dict(data)
        except RecordError as err:
            raise RecordError(err.message, path=name) from None
        _checked(name, data, record)
        found.append(record)
    return found


def deployed(records: list[Deployment], environment: str, role: str) -> dict[str, Deployment]:
    """What runs in ``environment`` now in ``role`` (a service can be a consumer of one provider
    and a provider of others: each role is its own line of deployments)."""
    now: dict[str, Deployment] = {}
    for d in records:
        if d.environment == environment and d.role == role:
            now[d.name] = d
    return now
