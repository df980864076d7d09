"""How a provider is verified: one frozen value, read from ``cdcxml.toml``, the command line or the
pytest plugin alike, and handed whole to :func:`cdcxml.verify.verify` and the HTTP fetcher.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from urllib.parse import urlsplit

from ..errors import ConfigError

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
FORMATS = ("text", "json", "junit")


@dataclass(frozen=True, slots=True)
class VerifySettings:
    """Every setting of a verification run, with its default."""

    base_url: str | None = None
    contracts: tuple[str, ...] = ()
    consumers: tuple[str, ...] = ()
    interactions: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()  # sent with every request; they win over contracts'
    timeout: float = DEFAULT_TIMEOUT  # seconds one exchange may take, start to last byte
    retries: int = 0  # after a connection error, never after a response
    state_url: str | None = None  # where provider states are set up and torn down
    max_body_bytes: int = DEFAULT_MAX_BYTES
    follow_redirects: bool = False
    tls_verify: bool | str = True  # False, True or the path of a CA bundle
    tls_cert: str | tuple[str, str] | None = None  # client certificate (and key)
    wsdl: str | None = None  # the provider's WSDL: each request is checked against it first
    format: str = "text"
    output: str | None = None

    def over(self, **given) -> VerifySettings:
        """These settings with ``given`` laid over them.

        A value of None or ``()`` is "not given" and keeps the setting; headers are merged by
        name (case-insensitively), the given ones winning.
        """
        known = {f.name for f in fields(self)}
        unknown = sorted(set(given) - known)
        if unknown:
            raise TypeError(f"unknown verify setting {unknown[0]!r}")
        changes = {k: v for k, v in given.items() if v is not None and v != ()}
        if "headers" in changes:
            changes["headers"] = merge_headers(self.headers, changes["headers"])
        for key in ("contracts", "consumers", "interactions"):
            if key in changes:
                changes[key] = tuple(changes[key])
        return replace(self, **changes)

    def checked(self) -> VerifySettings:
        """These settings, or a ConfigError naming the first that cannot work."""
        if not self.base_url:
            raise ConfigError("no base URL: give --base-url or set base-url in [verify]")
        check_url(self.base_url, "base URL")
        if self.state_url is not None:
            check_url(self.state_url, "state URL")
        if self.timeout <= 0:
            raise ConfigError(f"timeout must be more than 0 seconds, not {self.timeout:g}")
        if self.retries < 0:
            raise ConfigError(f"retries must be 0 or more, not {self.retries}")
        if self.max_body_bytes < 1:
            raise ConfigError(f"max-body-bytes must be 1 or more, not {self.max_body_bytes}")
        if self.format not in FORMATS:
            raise ConfigError(f"format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        return self


def merge_headers(base, given) -> tuple[tuple[str, str], ...]:
    """``base`` headers with ``given`` laid over them by name, case-insensitively."""
    headers: dict[str, str] = dict(base.items() if hasattr(base, "items") else base)
    for name, value in given.items() if hasattr(given, "items") else given:
        for existing in [k for k in headers if k.lower() == name.lower()]:
            del headers[existing]
        headers[name] = value
    return tuple(headers.items())


def tls_given(*, insecure: bool = False, ca_bundle: str | None = None, cert: str | None = None,
              key: str | None = None) -> dict:
    """The TLS settings command-line flags ask for (only those they set; --insecure wins)."""
    out: dict = {}
    if insecure:
        out["tls_verify"] = False
    elif ca_bundle:
        out["tls_verify"] = ca_bundle
    if key and not cert:
        raise ConfigError("--key needs --cert")
    if cert:
        out["tls_cert"] = (cert, key) if key else cert
    return out


def check_url(url: str, what: str) -> None:
    """A ConfigError unless ``url`` is an absolute http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{what} must be an http:// or https:// URL, not {url!r}")
