"""Contract packages: one standard wheel per consumer and provider, built by hatchling.

The wheel ``<consumer>-contracts-<provider>`` holds the contract files (and the files they
reference) in ``<import_name>/contracts/`` and declares an entry point in the group
``cdcxml.contracts`` whose value is that package, so an installed contract is found without
knowing its name. Any package index, or a folder used with ``pip install --find-links``, serves it.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ..errors import PackageError
from ..fsutil import write_atomic
from .publish import Bundle, bundles
from .repository import ENTRY_POINT_GROUP

BUILD_BACKEND = "hatchling.build"


def distribution_name(consumer: str, provider: str) -> str:
    """The normalised package name of a consumer's contracts for a provider."""
    return re.sub(r"[-_.]+", "-", f"{consumer}-contracts-{provider}").lower()


def import_name(consumer: str, provider: str) -> str:
    """The Python package (folder) name inside the wheel."""
    name = distribution_name(consumer, provider).replace("-", "_")
    return name if name[0].isalpha() else f"contracts_{name}"


def package(sources: Iterable[str | Path], version: str, dist: str | Path = "dist") -> list[Path]:
    """Build one wheel per consumer and provider found in ``sources``; return their paths."""
    from packaging.version import InvalidVersion, Version

    try:
        Version(version)
    except InvalidVersion:
        raise PackageError(f"version {version!r} is not a valid package version "
                           "(PEP 440, e.g. 1.2.0)") from None
    out = Path(dist)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:  # a file where the folder should be, a place nobody may write
        raise PackageError(f"cannot create the output folder: {err.strerror or err}",
                           path=str(out)) from err
    return [build_wheel(bundle, out) for bundle in bundles(sources, version)]


def build_wheel(bundle: Bundle, dist: Path) -> Path:
    """Build the wheel of one bundle into ``dist``."""
    import build
    import pyproject_hooks

    with tempfile.TemporaryDirectory(prefix="cdcxml-package-") as tmp:
        project = Path(tmp) / "project"
        _write_project(project, bundle)
        builder = build.ProjectBuilder(project, python_executable=sys.executable,
                                       runner=pyproject_hooks.quiet_subprocess_runner)
        try:
            built = Path(builder.build("wheel", Path(tmp) / "dist"))
        except build.BuildException as err:
            raise PackageError(f"building the package of {bundle.consumer} failed: {err}") from err
        except build.BuildBackendException as err:
            cause = err.exception
            detail = getattr(cause, "output", None) or getattr(cause, "stderr", None) or b""
            if isinstance(detail, bytes):
                detail = detail.decode("utf-8", "replace")
            last = [ln for ln in str(detail).splitlines() if ln.strip()][-1:] or [str(err)]
            raise PackageError(f"building the package of {bundle.consumer} failed: "
                               f"{last[0].strip()}") from err
        target = dist / built.name
        try:
            write_atomic(target, built.read_bytes())
        except OSError as err:
            raise PackageError(f"cannot write the wheel: {err.strerror or err}",
                               path=str(target)) from err
    return target


def _write_project(project: Path, bundle: Bundle) -> None:
    name = distribution_name(bundle.consumer, bundle.provider)
    module = import_name(bundle.consumer, bundle.provider)
    folder = project / module
    for rel, data in bundle.files:
        target = folder / "contracts" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (folder / "__init__.py").write_text(
        f'"""Contracts of {bundle.consumer} for {bundle.provider}, version {bundle.version}."""\n'
        "\n"
        f"CONSUMER = {bundle.consumer!r}\n"
        f"PROVIDER = {bundle.provider!r}\n"
        f"VERSION = {bundle.version!r}\n",
        encoding="utf-8",
    )
    (project / "README.md").write_text(_readme(bundle), encoding="utf-8")
    q = json.dumps  # a JSON string is a valid TOML basic string for these plain names
    summary = f"What {bundle.consumer} needs from {bundle.provider}: a cdcxml contract"
    (project / "pyproject.toml").write_text(
        "[build-system]\n"
        'requires = ["hatchling"]\n'
        f"build-backend = {q(BUILD_BACKEND)}\n"
        "\n"
        "[project]\n"
        f"name = {q(name)}\n"
        f"version = {q(bundle.version)}\n"
        f"description = {q(summary)}\n"
        'requires-python = ">=3"\n'
        'readme = "README.md"\n'
        f"keywords = {json.dumps(['cdcxml', 'contract', bundle.consumer, bundle.provider])}\n"
        "\n"
        f'[project.entry-points."{ENTRY_POINT_GROUP}"]\n'
        f"{q(bundle.consumer)} = {q(module)}\n"
        "\n"
        "[tool.hatch.build.targets.wheel]\n"
        f"packages = [{q(module)}]\n",
        encoding="utf-8",
    )


def _readme(bundle: Bundle) -> str:
    lines = [
        f"# {bundle.consumer}'s contract for {bundle.provider}",
        "",
        f"Version {bundle.version} of what {bundle.consumer} needs from {bundle.provider}, as "
        "Schematron contracts for cdcxml. Install it next to cdcxml in the provider's test "
        f"environment (pin it: `{distribution_name(bundle.consumer, bundle.provider)}=="
        f"{bundle.version}`) and run `cdcxml verify --installed --provider {bundle.provider}`.",
        "",
        "Contract files:",
        "",
    ]
    lines += [f"- `{path}`" for path in bundle.contracts]
    return "\n".join(lines) + "\n"
