"""Publishing a consumer's contract at a version: to a git repository (commit and tag) or a folder.

Git: the files go under ``<provider>/<consumer>/`` and the commit is tagged
``<consumer>/<provider>/v<version>``. Folder: the files are copied to
``<dir>/<provider>/<consumer>/<version>/``. A published version is never moved or overwritten
unless asked to (``force``).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .. import xmlio
from ..contract import CDC_NS, load_contract
from ..errors import ContractError, PublishError, RepositoryError
from ..fsutil import unsafe_component, write_atomic
from .files import local_contracts
from .repository import contract_file_set, contracts_only, run_git

_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_VERSION = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._+-]*[A-Za-z0-9])?$")
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")


@dataclass(frozen=True, slots=True)
class Bundle:
    """One consumer's contracts for one provider at one version: the files to publish."""

    consumer: str
    provider: str
    version: str
    files: tuple[tuple[str, bytes], ...]  # (path relative to the bundle, content)
    contracts: tuple[str, ...]  # which of those paths are contract files

    @property
    def tag(self) -> str:
        """The git tag this bundle is published under."""
        return f"{self.consumer}/{self.provider}/v{self.version}"


@dataclass(frozen=True, slots=True)
class Published:
    """Where a bundle went."""

    consumer: str
    provider: str
    version: str
    location: str  # a folder, or the tag in a repository
    commit: str | None = None


def versions_agree(declared: str, wanted: str) -> bool:
    """Whether a contract's declared version is the version being published (PEP 440-aware)."""
    if declared == wanted:
        return True
    from packaging.version import InvalidVersion, Version

    try:
        return Version(declared) == Version(wanted)
    except InvalidVersion:
        return False


def bundles(sources: Iterable[str | Path], version: str) -> list[Bundle]:
    """Collect the contracts of ``sources`` into one bundle per consumer and provider.

    Each contract's version must agree with ``version``; where a contract has none, the copy in
    the bundle gets it (the user's file is never changed).
    """
    if not _VERSION.match(version) or ".." in version:
        raise PublishError(f"version {version!r} is not a usable version (e.g. 1.2.0)")
    groups: dict[tuple[str, str], dict[str, bytes]] = {}
    contracts: dict[tuple[str, str], list[str]] = {}
    for source in sources:
        path = Path(source)
        root = path if path.is_dir() else path.parent
        for file in contracts_only(local_contracts(path), root):
            contract = load_contract(file)
            meta = _contract_element(file)
            name = str(file)
            if contract.provider is None or meta is None:
                raise ContractError("names no provider: add <cdc:contract consumer=\"...\" "
                                    "provider=\"...\"/> to publish it", path=name)
            line = meta.sourceline
            for role, value in (("consumer", contract.consumer), ("provider", contract.provider)):
                if not _NAME.match(value) or ".." in value:
                    raise ContractError(f"{role} name {value!r} cannot be published: use letters, "
                                        "digits, '-', '_' and '.'", path=name, line=line)
            if contract.version is not None and not versions_agree(contract.version, version):
                raise ContractError(f"contract version {contract.version} does not match the "
                                    f"version being published, {version}", path=name, line=line)
            key = (contract.consumer, contract.provider)
            files = groups.setdefault(key, {})
            for member in contract_file_set(file, root):
                rel = member.resolve().relative_to(root.resolve()).as_posix()
                data = xmlio.read_bytes(member)
                if member == file and contract.version is None:
                    data = _with_version(data, name, version)
                if files.get(rel, data) != data:
                    raise PublishError(f"{rel}: two different files would be published "
                                       f"under this name for {contract.consumer}")
                files[rel] = data
            contracts.setdefault(key, []).append(file.resolve().relative_to(root.resolve())
                                                 .as_posix())
    return [
        Bundle(consumer, provider, version, tuple(sorted(files.items())),
               tuple(sorted(contracts[(consumer, provider)])))
        for (consumer, provider), files in sorted(groups.items())
    ]


def _contract_element(path: Path) -> etree._Element | None:
    tree = xmlio.parse_file(path)
    return tree.getroot().find(f"{{{CDC_NS}}}contract")


def _with_version(data: bytes, name: str, version: str) -> bytes:
    tree = xmlio.parse_bytes(data, name)
    meta = tree.getroot().find(f"{{{CDC_NS}}}contract")
    encoding = tree.docinfo.encoding or "UTF-8"
    # Insert the attribute into the text itself so the copy reads like the author's file.
    text = data.decode(encoding)
    lines = text.splitlines(keepends=True)
    end = sum(len(line) for line in lines[: meta.sourceline or len(lines)])
    tag = f"<{meta.prefix}:contract" if meta.prefix else "<contract"
    starts = [m.end() for m in re.finditer(re.escape(tag) + r"(?=[\s/>])", text[:end])]
    if starts:
        at = _tag_end(text, starts[-1])
        gap = "" if text[at - 1].isspace() else " "
        edited = f'{text[:at]}{gap}version="{version}"{text[at:]}'.encode(encoding)
        check = xmlio.parse_bytes(edited, name).getroot().find(f"{{{CDC_NS}}}contract")
        if check is not None and check.get("version") == version:
            return edited
    meta.set("version", version)
    return etree.tostring(tree, xml_declaration=True, encoding=encoding) + b"\n"


def _tag_end(text: str, start: int) -> int:
    """Where the attributes of the start tag beginning before ``start`` end (before / or >)."""
    quote = None
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == ">":
            return i - 1 if text[i - 1] == "/" else i
    return start


# -- targets ------------------------------------------------------------------------------------


def is_git_target(target: str) -> bool:
    """Whether ``--to`` names a git repository rather than a plain folder."""
    if target.startswith("git+") or "://" in target or _SCP_LIKE.match(target):
        return True
    path = Path(target)
    return target.endswith(".git") or (path / "HEAD").is_file() and (path / "objects").is_dir()


def publish(sources: Iterable[str | Path], version: str, to: str, *,
            force: bool = False) -> list[Published]:
    """Publish the contracts of ``sources`` at ``version`` to a git repository or a folder."""
    found = bundles(sources, version)
    if not is_git_target(to):
        try:
            return publish_to_dir(found, Path(to), force=force)
        except OSError as err:
            raise PublishError(f"cannot write there: {err.strerror or err}",
                               path=err.filename or to) from err
    return publish_to_git(found, git_url(to), force=force, name=to)


def git_url(target: str) -> str:
    """The URL git is given for a ``--to`` target: a local path becomes a file:// URL."""
    url = target.removeprefix("git+")
    if "://" not in url and not _SCP_LIKE.match(url):
        url = Path(url).resolve().as_uri()
    return url


def publish_to_dir(found: list[Bundle], root: Path, *, force: bool = False) -> list[Published]:
    """Copy each bundle to ``<root>/<provider>/<consumer>/<version>/``."""
    for bundle in found:
        _refuse_unsafe(root, Path(bundle.provider, bundle.consumer, bundle.version), str(root))
    if not force:
        for bundle in found:
            dest = root / bundle.provider / bundle.consumer / bundle.version
            if dest.exists():
                raise PublishError(f"{bundle.consumer} {bundle.version} for {bundle.provider} is "
                                   "already published (use --force to replace it)", path=str(dest))
    done = []
    for bundle in found:
        dest = root / bundle.provider / bundle.consumer / bundle.version
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{bundle.version}.", dir=dest.parent))
        try:
            _write_files(tmp, bundle)
            if dest.exists():
                stale = Path(tempfile.mkdtemp(prefix=f".{bundle.version}.old-", dir=dest.parent))
                os.replace(dest, stale / "old")
                shutil.rmtree(stale, ignore_errors=True)
            os.replace(tmp, dest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        done.append(Published(bundle.consumer, bundle.provider, bundle.version, str(dest)))
    return done


def _write_files(folder: Path, bundle: Bundle) -> None:
    for rel, data in bundle.files:
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data)


def publish_to_git(found: list[Bundle], url: str, *, force: bool = False,
                   name: str | None = None) -> list[Published]:
    """Commit each bundle under ``<provider>/<consumer>/`` in the repository and tag it; push.

    ``name`` is how messages call the repository (default: its URL).
    """
    name = name or url
    with tempfile.TemporaryDirectory(prefix="cdcxml-publish-") as tmp:
        work = Path(tmp) / "contracts"
        # A symbolic link in a shared repository could point anywhere on this machine: it is
        # checked out as a plain file, and nothing is deleted or written through such a path.
        clone_untrusted(url, work)
        for bundle in found:
            _refuse_unsafe(work, Path(bundle.provider, bundle.consumer), name, git=True)
        for bundle in found:
            exists = run_git(["rev-parse", "-q", "--verify", f"refs/tags/{bundle.tag}"],
                             cwd=work, check=False).returncode == 0
            if exists and not force:
                raise PublishError(f"{bundle.consumer} {bundle.version} for {bundle.provider} is "
                                   f"already published: tag {bundle.tag} exists in {name} "
                                   "(use --force to move it)")
        identity = _identity(work)
        done = []
        for bundle in found:
            folder = work / bundle.provider / bundle.consumer
            if folder.exists():
                shutil.rmtree(folder)
            _write_files(folder, bundle)
            message = (f"Publish {bundle.consumer}'s contract for {bundle.provider}, "
                       f"v{bundle.version}")
            run_git(["add", "-A", "--", f"{bundle.provider}/{bundle.consumer}"], cwd=work)
            run_git([*identity, "commit", "-q", "--allow-empty", "-m", message], cwd=work)
            run_git([*identity, "tag", "-a", *(["-f"] if force else []), bundle.tag, "-m", message],
                    cwd=work)
            commit = run_git(["rev-parse", "HEAD"], cwd=work).stdout.strip()
            done.append(Published(bundle.consumer, bundle.provider, bundle.version,
                                  f"{name} tag {bundle.tag}", commit))
        branch = run_git(["symbolic-ref", "--short", "HEAD"], cwd=work).stdout.strip()
        refs = [f"{'+' if force else ''}refs/tags/{b.tag}" for b in found]
        try:
            run_git(["push", "-q", "--atomic", "origin", f"HEAD:refs/heads/{branch}", *refs],
                    cwd=work)
        except RepositoryError as err:
            raise PublishError(f"{name}: {err.message} (if someone published meanwhile, "
                               "run the command again)") from err
    return done


def _refuse_unsafe(root: Path, rel: Path, name: str, *, git: bool = False) -> None:
    """Refuse to publish where deleting or writing ``root/rel`` would go through a link or a file.

    Checked for every bundle before anything is changed, so a refused publish touches nothing.
    """
    found = unsafe_component(root, rel)
    if found is None:
        return
    part, what = found
    if git and is_link_in_index(root, part):
        what = "a symbolic link"
    raise PublishError(f"{name}: {part} is {what}; contracts are published only through real "
                       "folders, so nothing was published")


def clone_untrusted(url: str, work: Path) -> None:
    """Clone a shared repository with symbolic links off: a link is checked out as a plain file."""
    run_git(["-c", "core.symlinks=false", "clone", "-q", "--config", "core.symlinks=false",
             "--", url, str(work)])


def is_link_in_index(work: Path, part: str) -> bool:
    # Checked out with core.symlinks=false, a link is a plain file; git's index still knows it.
    listed = run_git(["ls-files", "-s", "--", part], cwd=work, check=False).stdout
    return any(line.startswith("120000 ") for line in listed.splitlines())


def _identity(work: Path) -> list[str]:
    # A CI machine often has no git identity; commits then name the tool instead of failing.
    configured = run_git(["config", "user.email"], cwd=work, check=False).stdout.strip()
    if configured:
        return []
    return ["-c", "user.name=cdcxml", "-c", "user.email=cdcxml@localhost"]
