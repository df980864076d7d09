"""Reading ``cdcxml.toml``: one table per command, every key checked, paths relative to the file.

Each table is read by a small function from the raw TOML table to a frozen settings value; a new
table is a new reader in ``_TABLES``. Bad configuration is a :class:`ConfigError` naming the file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .verify.settings import FORMATS, VerifySettings

CONFIG_NAME = "cdcxml.toml"


@dataclass(frozen=True, slots=True)
class ContractsSettings:
    """The ``[contracts]`` table: the provider's name and the contract sources it pins.

    ``sources`` stay as written (relative ones are relative to the file) because the lock file
    records them that way; ``cache`` and ``lock`` are made absolute.
    """

    provider: str | None = None
    sources: tuple[str, ...] = ()
    cache: str | None = None
    lock: str | None = None


@dataclass(frozen=True, slots=True)
class Config:
    """A parsed ``cdcxml.toml`` (or the empty configuration when there is none)."""

    path: Path | None = None
    verify: VerifySettings = field(default_factory=VerifySettings)
    contracts: ContractsSettings = field(default_factory=ContractsSettings)
    raw: Mapping[str, Any] = field(default_factory=dict)


def find_config(start: str | Path = ".") -> Path | None:
    """The ``cdcxml.toml`` in ``start``, if there is one."""
    candidate = Path(start) / CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_config(path: str | Path | None) -> Config:
    """Read a configuration file; None gives the empty configuration."""
    if path is None:
        return Config()
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8")
    except FileNotFoundError as err:
        raise ConfigError("no such configuration file", path=str(p)) from err
    except UnicodeDecodeError as err:
        raise ConfigError("configuration is not UTF-8", path=str(p)) from err
    except OSError as err:
        raise ConfigError(err.strerror or str(err), path=str(p)) from err
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        match = re.search(r"\s*\(at line (\d+), column \d+\)$", message)
        line = int(match.group(1)) if match else None
        message = message[: match.start()] if match else message
        raise ConfigError(f"not valid TOML: {message}", path=str(p), line=line) from err
    reader = _Reader(p, p.parent)
    values = {name: read(reader, raw.get(name, {})) for name, read in _TABLES.items()}
    return Config(path=p, raw=raw, **values)


class _Reader:
    """Type checks with messages that name the file and key."""

    def __init__(self, file: Path, base: Path):
        self.file = file
        self.base = base

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{where}: {message}", path=str(self.file))

    def table(self, name: str, value: Any, known: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"[{name}]", "must be a table")
        unknown = sorted(set(value) - known)
        if unknown:
            raise self.fail(f"[{name}]", f"unknown key {unknown[0]!r} (known: "
                            f"{', '.join(sorted(known))})")
        return value

    def string(self, where: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "must be a non-empty string")
        return value

    def strings(self, where: str, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(where, "must be a list of strings")
        return tuple(value)

    def path(self, where: str, value: Any) -> str:
        return str(self.base / self.string(where, value))

    def source(self, where: str, value: Any) -> str:
        """A contract source: a path (made relative to the file) or a git+/installed: source."""
        text = self.string(where, value)
        if text.startswith(("git+", "installed:")):
            return text
        return str(self.base / text)

    def number(self, where: str, value: Any, *, minimum: float, integer: bool = False):
        ok_type = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, ok_type) or value < minimum:
            kind = "a whole number" if integer else "a number"
            raise self.fail(where, f"must be {kind} of at least {minimum:g}, not {value!r}")
        return value

    def boolean(self, where: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"must be true or false, not {value!r}")
        return value


def parse_header(text: str) -> tuple[str, str]:
    """Split ``'Name: value'`` into a header pair; raises ConfigError when it is not one."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip() or any(c in name for c in " \t\r\n"):
        raise ConfigError(f"header must look like 'Name: value', not {text!r}")
    if "\n" in value or "\r" in value:
        raise ConfigError(f"header {name.strip()!r} has a line break in its value")
    return name.strip(), value.strip()


_VERIFY_KEYS = {
    "base-url", "contracts", "consumers", "interactions", "headers", "timeout", "retries",
    "state-url", "max-body-bytes", "follow-redirects", "tls", "format", "output",
    "wsdl",
}


def _read_verify(r: _Reader, value: Any) -> VerifySettings:
    t = r.table("verify", value, _VERIFY_KEYS)
    get: dict[str, Callable[[str, Any], Any]] = {
        "base-url": r.string,
        "contracts": lambda w, v: tuple(r.source(w, x) for x in r.strings(w, v)),
        "consumers": r.strings,
        "interactions": r.strings,
        "state-url": r.string,
        "follow-redirects": r.boolean,
        "output": r.path,
        "wsdl": r.path,
    }
    out: dict[str, Any] = {}
    for key, read in get.items():
        if key in t:
            out[key.replace("-", "_")] = read(f"[verify] {key}", t[key])
    if "timeout" in t:
        out["timeout"] = float(r.number("[verify] timeout", t["timeout"], minimum=0.001))
    if "retries" in t:
        out["retries"] = r.number("[verify] retries", t["retries"], minimum=0, integer=True)
    if "max-body-bytes" in t:
        out["max_body_bytes"] = r.number("[verify] max-body-bytes", t["max-body-bytes"],
                                         minimum=1, integer=True)
    if "format" in t:
        fmt = r.string("[verify] format", t["format"])
        if fmt not in FORMATS:
            raise r.fail("[verify] format", f"must be one of {', '.join(FORMATS)}, not {fmt!r}")
        out["format"] = fmt
    if "headers" in t:
        out["headers"] = _read_headers(r, t["headers"])
    if "tls" in t:
        out.update(_read_tls(r, t["tls"]))
    return VerifySettings().over(**out)


def _read_headers(r: _Reader, value: Any) -> tuple[tuple[str, str], ...]:
    where = "[verify] headers"
    if isinstance(value, dict):
        return tuple((r.string(f"{where}.{k}", k), r.string(f"{where}.{k}", v))
                     for k, v in value.items())
    try:
        return tuple(parse_header(h) for h in r.strings(where, value))
    except ConfigError as err:
        raise r.fail(where, err.message) from err


def _read_tls(r: _Reader, value: Any) -> dict[str, Any]:
    t = r.table("verify.tls", value, {"verify", "ca-bundle", "cert", "key"})
    out: dict[str, Any] = {}
    if "verify" in t and "ca-bundle" in t:
        raise r.fail("[verify.tls]", "set either verify or ca-bundle, not both")
    if "verify" in t:
        out["tls_verify"] = r.boolean("[verify.tls] verify", t["verify"])
    if "ca-bundle" in t:
        out["tls_verify"] = r.path("[verify.tls] ca-bundle", t["ca-bundle"])
    if "key" in t and "cert" not in t:
        raise r.fail("[verify.tls] key", "needs cert as well")
    if "cert" in t:
        cert = r.path("[verify.tls] cert", t["cert"])
        out["tls_cert"] = (cert, r.path("[verify.tls] key", t["key"])) if "key" in t else cert
    return out


def _read_contracts(r: _Reader, value: Any) -> ContractsSettings:
    t = r.table("contracts", value, {"provider", "sources", "cache", "lock"})
    out: dict[str, Any] = {}
    if "provider" in t:
        out["provider"] = r.string("[contracts] provider", t["provider"])
    if "sources" in t:
        out["sources"] = r.strings("[contracts] sources", t["sources"])
    for key in ("cache", "lock"):
        if key in t:
            out[key] = r.path(f"[contracts] {key}", t[key])
    return ContractsSettings(**out)


_TABLES: dict[str, Callable[[_Reader, Any], Any]] = {
    "verify": _read_verify,
    "contracts": _read_contracts,
}
