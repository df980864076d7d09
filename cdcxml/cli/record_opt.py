"""``verify --record``, ``--records``, ``--provider-version`` and pending contracts: the options
and how they become a :class:`cdcxml.deploy.recording.Recording`."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import click

from ..config import ContractsSettings
from ..contract import Contract
from ..deploy.recording import DEFAULT_MAIN_BRANCH, Recording, Settings, current_branch, describe, prepare
from ..errors import CdcxmlError, ConfigError
from ..sources.repository import is_git_source, parse_git_source


def record_options(func):
    """Add the recording options; the command gets them as one dict, ``recording``."""

    @click.option("--record", is_flag=True,
                  help="Write a verification record per contract to the record store.")
    @click.option("--records", "records_target", metavar="GIT-URL|DIR",
                  help="The record store (default: the git repository the [contracts] sources "
                       "come from). Also turns on pending contracts.")
    @click.option("--provider-version", metavar="V",
                  help="The provider version under test (default: git describe of its checkout).")
    @click.option("--provider-branch", metavar="NAME",
                  help="The provider's branch (default: the one checked out).")
    @click.option("--main-branch", default=DEFAULT_MAIN_BRANCH, show_default=True, metavar="NAME",
                  help="The provider's main line: a pass recorded there ends a contract's pending.")
    @click.option("--all-required", is_flag=True,
                  help="No contract is pending: every failure fails the build.")
    @functools.wraps(func)
    def wrapper(*args, record, records_target, provider_version, provider_branch, main_branch,
                all_required, **kwargs):
        kwargs["recording"] = {
            "record": record, "target": records_target, "provider_version": provider_version,
            "provider_branch": provider_branch, "main_branch": main_branch,
            "pending": not all_required,
        }
        return func(*args, **kwargs)

    return wrapper


def default_store(settings: ContractsSettings, base: Path) -> str | None:
    """The one git repository the pinned sources come from, or None (none, or several)."""
    urls = {parse_git_source(s, base=base).url for s in settings.sources if is_git_source(s)}
    return urls.pop() if len(urls) == 1 else None


def start_recording(options: dict, contracts: Sequence[Contract], *, config: Path | None,
                    settings: ContractsSettings, consumers: Sequence[str],
                    interactions: Sequence[str]) -> Recording | None:
    """The run's recording plan, or None when no record store is involved."""
    explicit = options["target"] is not None
    if not (options["record"] or explicit):
        return None
    checkout = config.parent if config is not None else Path.cwd()
    target = options["target"] or default_store(settings, checkout)
    version, branch = options["provider_version"], options["provider_branch"]
    if options["record"]:
        if version is None:
            try:
                version = describe(checkout)
            except CdcxmlError as err:
                raise ConfigError(f"no provider version: give --provider-version ({checkout} is "
                                  f"no git checkout with a commit: {err.message})") from None
        if branch is None:
            branch = current_branch(checkout)
    chosen = [c for c in contracts if not consumers or c.consumer in consumers]
    return prepare(chosen, Settings(
        target=target, record=options["record"], provider=settings.provider,
        provider_version=version, provider_branch=branch, main_branch=options["main_branch"],
        pending=options["pending"],
    ), interactions_filtered=bool(interactions))
