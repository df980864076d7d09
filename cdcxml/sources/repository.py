"""Contract sources beyond plain files: git repositories (``git+URL@REF``) and installed packages.

A git source is fetched shallowly, at one commit, into a cache folder; each commit gets its own
snapshot (``<cache>/git/<url-key>/<commit>/``) with git's metadata removed, so a snapshot never
changes once made. Installed contract packages are found through the ``cdcxml.contracts`` entry
point group; the entry point's value is a package holding a ``contracts`` folder (or an object
that names the folder).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from lxml import etree

from .. import xmlio
from ..contract import CDC_NS, load_contract
from ..errors import ContractError, InputError, RepositoryError
from ..fsutil import within
from .files import local_contracts

if TYPE_CHECKING:
    import importlib.metadata

CACHE_DIR_NAME = ".cdcxml-cache"
ENTRY_POINT_GROUP = "cdcxml.contracts"
GIT_PREFIX = "git+"
INSTALLED_PREFIX = "installed:"

_FULL_SHA = re.compile(r"[0-9a-fA-F]{40}")
_SHORT_SHA = re.compile(r"[0-9a-fA-F]{7,39}")
_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?[\w.-]+:(?!//)")
_TAG = re.compile(r"^(?P<consumer>[^/]+)/(?P<provider>[^/]+)/v[^/]+$")
_SCH_NAMESPACES = ("http://purl.oclc.org/dsdl/schematron", "http://www.ascc.net/xml/schematron")
_REFERENCING = tuple(
    f"{{{ns}}}{local}" for ns in _SCH_NAMESPACES for local in ("include", "extends")
)


# -- sources ------------------------------------------------------------------------------------


def is_git_source(source: str | Path) -> bool:
    """Whether a source names a git repository (``git+URL@REF``)."""
    return isinstance(source, str) and source.startswith(GIT_PREFIX)


def is_installed_source(source: str | Path) -> bool:
    """Whether a source names installed contract packages (``installed:`` or ``installed:NAME``)."""
    return isinstance(source, str) and source.startswith(INSTALLED_PREFIX)


def installed_source(provider: str | None = None) -> str:
    """The source string for every installed contract package, optionally for one provider."""
    return INSTALLED_PREFIX + (provider or "")


@dataclass(frozen=True, slots=True)
class GitSpec:
    """A parsed ``git+URL@REF#subdirectory=DIR`` source."""

    url: str
    ref: str | None = None
    subdirectory: str | None = None

    def __str__(self) -> str:
        text = GIT_PREFIX + self.url + (f"@{self.ref}" if self.ref else "")
        return text + (f"#subdirectory={self.subdirectory}" if self.subdirectory else "")


def parse_git_source(source: str, *, base: Path | None = None) -> GitSpec:
    """Parse a ``git+`` source; a local path in it is made absolute against ``base`` or the cwd."""
    if not is_git_source(source):
        raise RepositoryError(f"not a git source: {source!r} (expected git+URL@REF)")
    body, _, fragment = source[len(GIT_PREFIX):].partition("#")
    subdirectory = None
    if fragment:
        key, _, value = fragment.partition("=")
        if key != "subdirectory" or not value:
            raise RepositoryError(f"{source}: unknown fragment #{fragment} "
                                  "(expected #subdirectory=DIR)")
        subdirectory = value.strip("/")
    if "://" in body:
        scheme, rest = body.split("://", 1)
        slash = rest.find("/")
        start = len(scheme) + 3 + (slash if slash >= 0 else len(rest))
    else:
        match = _SCP_LIKE.match(body)
        start = match.end() if match else 0
    url, ref = body, None
    at = body.rfind("@", start)
    if at >= 0:
        url, ref = body[:at], body[at + 1:] or None
    if not url:
        raise RepositoryError(f"{source}: no repository URL")
    if "://" not in url and not _SCP_LIKE.match(url):
        url = ((base or Path.cwd()) / url).resolve().as_uri()
    return GitSpec(url, ref, subdirectory)


def source_key(source: str | Path, *, base: Path | None = None) -> str:
    """A form of a source that is the same however it was written (relative paths resolved)."""
    text = str(source)
    if is_git_source(text):
        return str(parse_git_source(text, base=base))
    if is_installed_source(text):
        return installed_source(_canonical(text[len(INSTALLED_PREFIX):]) or None)
    return str(((base or Path.cwd()) / text).resolve())


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# -- resolved sources ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResolvedSource:
    """A source resolved to contract files on disk, with what pins it."""

    source: str
    kind: str  # "path", "git" or "installed"
    root: Path
    contracts: tuple[Path, ...]
    commit: str | None = None
    ref: str | None = None
    package: str | None = None
    package_version: str | None = None

    def relative(self, path: Path) -> str:
        """A contract file's path relative to the source's root, as the lock records it."""
        return path.resolve().relative_to(self.root.resolve()).as_posix()


def resolve(source: str | Path, *, base: Path | None = None, cache: Path | None = None,
            commit: str | None = None, refresh: bool = False) -> list[ResolvedSource]:
    """Resolve one source to the contract files it names (fetching a git source if needed)."""

    text = str(source)
    if is_git_source(text):
        spec = parse_git_source(text, base=base)
        return [resolve_git(spec, source=text, cache=cache or default_cache(base),
                            commit=commit, refresh=refresh)]
    if is_installed_source(text):
        return resolve_installed(text[len(INSTALLED_PREFIX):] or None, source=text)
    path = (base / text) if base and not Path(text).is_absolute() else Path(text)
    root = path if path.is_dir() else path.parent
    files = contracts_only(local_contracts(path), root)
    return [ResolvedSource(text, "path", root, tuple(files))]


def default_cache(base: Path | None = None) -> Path:
    """Where fetched contracts are kept: ``$CDCXML_CACHE``, or ``.cdcxml-cache`` in ``base``."""
    env = os.environ.get("CDCXML_CACHE")
    if env:
        return Path(env)
    return (base or Path.cwd()) / CACHE_DIR_NAME


# -- git ----------------------------------------------------------------------------------------


def run_git(args: list[str], *, cwd: Path | None = None, check: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the ``git`` program; a failure becomes a RepositoryError with git's own message."""
    full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})}
    try:
        done = subprocess.run(["git", *args], cwd=cwd, env=full_env, capture_output=True,
                              text=True, check=False)
    except FileNotFoundError as err:
        raise RepositoryError("the git program is not installed or not on PATH") from err
    if check and done.returncode != 0:
        lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
        fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
        detail = (fatal or lines or [f"exit status {done.returncode}"])[0]
        detail = detail.removeprefix("fatal: ").removeprefix("error: ")
        raise RepositoryError(f"git {args[0]} failed: {detail}")
    return done


def resolve_ref(url: str, ref: str | None) -> str:
    """The commit a tag, branch or commit id names in a remote repository."""
    if ref and _FULL_SHA.fullmatch(ref):
        return ref.lower()
    listing: dict[str, str] = {}
    # "--": a URL or ref from a config or lock file is never read as an option of git.
    for line in run_git(["ls-remote", "--", url]).stdout.splitlines():
        sha, _, name = line.partition("\t")
        listing[name.strip()] = sha.strip()
    if ref is None:
        candidates = ["HEAD"]
    else:
        candidates = [f"refs/tags/{ref}^{{}}", f"refs/tags/{ref}", f"refs/heads/{ref}"]
        if ref.startswith("refs/"):
            candidates = [f"{ref}^{{}}", ref]
    for name in candidates:
        if name in listing:
            return listing[name]
    if ref is None:
        raise RepositoryError(f"{url}: the repository is empty")
    if _SHORT_SHA.fullmatch(ref):
        raise RepositoryError(f"{url}: {ref!r} is no tag or branch; give a commit id in full "
                              "(40 hex digits)")
    raise RepositoryError(f"{url}: no tag or branch named {ref!r}")


def fetch_commit(url: str, commit: str, cache: Path, *, ref: str | None = None,
                 refresh: bool = False) -> Path:
    """A snapshot of the repository at ``commit`` in the cache, fetched shallowly if missing."""
    if not _FULL_SHA.fullmatch(commit):
        # It names a folder and is handed to git: only a commit id may be either.
        raise RepositoryError(f"{url}: the pinned commit {commit[:60]!r} is not a commit id "
                              "(40 hex digits)")
    folder = cache / "git" / hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    target = folder / commit
    if target.is_dir() and not refresh:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    _mark_cache(cache)
    tmp = Path(tempfile.mkdtemp(prefix=".fetch-", dir=folder))
    try:
        run_git(["init", "-q"], cwd=tmp)
        fetched = run_git(["fetch", "-q", "--depth", "1", "--", url, commit], cwd=tmp,
                          check=False)
        if fetched.returncode != 0:
            if not ref:
                raise RepositoryError(f"{url}: commit {commit} cannot be fetched")
            # Some servers refuse to serve a commit by id; fetch the ref and compare instead.
            run_git(["fetch", "-q", "--depth", "1", "--", url, ref], cwd=tmp)
        got = run_git(["rev-parse", "FETCH_HEAD^{commit}"], cwd=tmp).stdout.strip()
        if got != commit:
            raise RepositoryError(f"{url}: {ref or commit} is now commit {got[:12]}, "
                                  f"not the pinned {commit[:12]}")
        # A symlink in someone else's repository could point anywhere on this machine: it is
        # checked out as a plain file holding the link's text.
        run_git(["-c", "advice.detachedHead=false", "-c", "core.symlinks=false", "checkout", "-q",
                 "FETCH_HEAD"], cwd=tmp)
        shutil.rmtree(tmp / ".git")
        if target.exists():
            stale = Path(tempfile.mkdtemp(prefix=".stale-", dir=folder))
            os.replace(target, stale / commit)
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:
            # Another run fetched the same commit meanwhile: its snapshot is as good as ours.
            if not target.is_dir():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _mark_cache(cache: Path) -> None:
    # The cache usually sits in the provider's working tree; keep it out of its commits.
    ignore = cache / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Made by cdcxml: fetched contracts, safe to delete.\n*\n",
                          encoding="utf-8")


def resolve_git(spec: GitSpec, *, source: str, cache: Path, commit: str | None = None,
                refresh: bool = False) -> ResolvedSource:
    """Fetch a git source into the cache and list its contract files."""

    commit = commit or resolve_ref(spec.url, spec.ref)
    snapshot = fetch_commit(spec.url, commit, cache, ref=spec.ref, refresh=refresh)
    folder = snapshot
    if spec.subdirectory:
        folder = snapshot / spec.subdirectory
        if not within(folder, snapshot) or not folder.is_dir():
            raise RepositoryError(f"{source}: no folder {spec.subdirectory!r} at {commit[:12]}")
    elif spec.ref and (tag := _TAG.match(spec.ref)):
        # A publish tag names one consumer's contracts: read only their folder.
        own = snapshot / tag["provider"] / tag["consumer"]
        if own.is_dir():
            folder = own
    try:
        files = contracts_only(local_contracts(folder), snapshot)
    except InputError as err:
        # Named by the source, not by the cache folder it was checked out to.
        raise RepositoryError(f"{source}: no contracts in this source at {commit[:12]}") from err
    return ResolvedSource(source, "git", snapshot, tuple(files), commit=commit, ref=spec.ref)


# -- installed packages -------------------------------------------------------------------------


def resolve_installed(provider: str | None = None, *,
                      source: str | None = None) -> list[ResolvedSource]:
    """Every installed contract package (entry point group ``cdcxml.contracts``) for a provider."""
    import importlib.metadata  # only here: it costs every command's start

    text = source or installed_source(provider)
    found = []
    for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP),
                     key=lambda e: (e.dist.name if e.dist else "", e.name)):
        folder = _entry_point_folder(ep)
        files = contracts_only(local_contracts(folder), folder)
        if provider is not None:
            files = [f for f in files
                     if _canonical(load_contract(f, compile=False).provider or "") == _canonical(provider)]
            if not files:
                continue
        dist = ep.dist
        found.append(ResolvedSource(
            text, "installed", folder, tuple(files),
            package=_canonical(dist.name) if dist else ep.name,
            package_version=dist.version if dist else None,
        ))
    return found


def _entry_point_folder(ep: importlib.metadata.EntryPoint) -> Path:
    import importlib.resources

    owner = ep.dist.name if ep.dist else ep.value
    try:
        if ep.attr:
            folder = Path(os.fspath(ep.load()))
        else:
            files = importlib.resources.files(ep.module)
            inner = files / "contracts"
            folder = Path(os.fspath(inner if inner.is_dir() else files))
    except (ImportError, AttributeError, TypeError) as err:
        raise RepositoryError(f"installed contract package {owner}: entry point "
                              f"{ep.name} = {ep.value} cannot be loaded ({err})") from err
    if not folder.is_dir():
        raise RepositoryError(f"installed contract package {owner}: {folder} is not a folder")
    return folder


# -- the files a contract is made of ------------------------------------------------------------


def contract_file_set(contract: Path, root: Path | None = None) -> list[Path]:
    """The contract file and every local file it references (request bodies, includes)."""
    root = (root or contract.parent).resolve()
    result: list[Path] = []
    pending = [contract]
    seen: set[Path] = set()
    while pending:
        current = pending.pop(0)
        key = current.resolve()
        if key in seen:
            continue
        seen.add(key)
        result.append(current)
        if current is contract or current.suffix in (".sch", ".schematron"):
            pending.extend(_references(current, root))
    return result


def contracts_only(files: list[Path], root: Path) -> list[Path]:
    """The files that are contracts: those no other file of the list includes."""
    included: set[Path] = set()
    for f in files:
        included.update(p.resolve() for p in contract_file_set(f, root)[1:])
    return [f for f in files if f.resolve() not in included]


def _references(path: Path, root: Path) -> list[Path]:
    tree = xmlio.parse_bytes(xmlio.read_bytes(path), str(path))
    found = []
    for el in tree.getroot().iter(f"{{{CDC_NS}}}request", *_REFERENCING):
        href = el.get("href")
        if not href:
            continue
        href = unquote(href.partition("#")[0])
        if not href or urlsplit(href).scheme:
            continue
        target = (path.parent / href).resolve()
        if not within(target, root):
            raise ContractError(f"{href!r} points outside the contract's folder",
                                path=str(path), line=el.sourceline)
        if not target.is_file():
            raise ContractError(f"{etree.QName(el).localname} href {href!r}: no such file",
                                path=str(path), line=el.sourceline)
        found.append(path.parent / href)
    return found


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()
