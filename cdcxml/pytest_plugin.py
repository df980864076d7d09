"""pytest plugin: each consumer × interaction of the given contracts becomes its own test item.

``pytest --cdcxml-contracts DIR --cdcxml-base-url URL`` adds the items; without those options the
plugin adds nothing. A ``conftest.py`` can implement ``pytest_cdcxml_session(config)`` to hand
the items a ``requests.Session`` (auth, or an adapter that calls a WSGI app in-process). The
``cdcxml_verify`` fixture runs a whole verification from inside an ordinary test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_SESSION_KEY = pytest.StashKey[object]()


class _Hooks:
    """Hooks a conftest can implement."""

    @pytest.hookspec(firstresult=True)
    def pytest_cdcxml_session(self, config):
        """Return the requests.Session the interactions are sent with (default: a new one)."""


def pytest_addhooks(pluginmanager) -> None:
    pluginmanager.add_hookspecs(_Hooks)


def pytest_addoption(parser) -> None:
    group = parser.getgroup("cdcxml", "consumer-driven contracts (cdcxml verify)")
    group.addoption("--cdcxml-contracts", action="append", default=[], metavar="SOURCE",
                    help="Contract file or directory; each interaction becomes a test item.")
    group.addoption("--cdcxml-base-url", metavar="URL", help="Where the provider runs.")
    group.addoption("--cdcxml-state-url", metavar="URL", help="Where provider states are set up.")
    group.addoption("--cdcxml-consumer", action="append", default=[], metavar="NAME",
                    help="Only this consumer's contracts; repeat for more.")
    group.addoption("--cdcxml-header", action="append", default=[], metavar="'NAME: VALUE'",
                    help="Send this header with every request.")
    group.addoption("--cdcxml-timeout", type=float, default=None, metavar="SECONDS",
                    help="Total time one request may take.")


class InteractionFailed(Exception):
    """Raised by an item whose interaction does not hold; carries the result."""

    def __init__(self, result):
        super().__init__(result.interaction)
        self.result = result


class ContractFile(pytest.File):
    """A contract file: one item per interaction."""

    def __init__(self, *, contract, interactions, **kwargs):
        super().__init__(**kwargs)
        self.contract = contract
        self.interactions = interactions

    def collect(self):
        for interaction in self.interactions:
            item = InteractionItem.from_parent(self, name=interaction.id,
                                               interaction=interaction)
            item.extra_keyword_matches.add(self.contract.consumer)
            yield item


class InteractionItem(pytest.Item):
    """One consumer × interaction, sent to the provider when the item runs."""

    def __init__(self, *, interaction, **kwargs):
        super().__init__(**kwargs)
        self.interaction = interaction

    def runtest(self) -> None:
        from .verify import verify_interaction

        result = verify_interaction(self.parent.contract, self.interaction,
                                    settings(self.config), session=_session(self.config))
        self.user_properties.append(("outcome", result.outcome))
        if not result.valid:
            raise InteractionFailed(result)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, InteractionFailed):
            from .report.text import interaction_line

            return interaction_line(excinfo.value.result)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        contract = self.parent.contract
        return self.path, None, f"{contract.consumer} / {self.interaction.id}"


def settings(config):
    """The plugin's options as the one :class:`~cdcxml.verify.settings.VerifySettings` value."""
    from .config import parse_header
    from .verify.settings import VerifySettings

    opts = config.option
    return VerifySettings().over(
        base_url=opts.cdcxml_base_url, contracts=tuple(opts.cdcxml_contracts),
        consumers=tuple(opts.cdcxml_consumer), state_url=opts.cdcxml_state_url,
        headers=tuple(parse_header(h) for h in opts.cdcxml_header), timeout=opts.cdcxml_timeout,
    ).checked()


def _session(config):
    session = config.stash.get(_SESSION_KEY, None)
    if session is None:
        session = config.hook.pytest_cdcxml_session(config=config)
        if session is None:
            import requests

            session = requests.Session()
        config.stash[_SESSION_KEY] = session
    return session


def pytest_configure(config) -> None:
    opts = config.option
    if opts.cdcxml_contracts and not opts.cdcxml_base_url:
        raise pytest.UsageError("--cdcxml-contracts needs --cdcxml-base-url")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items) -> None:
    # tryfirst: the items must exist before -k and -m deselect among them.
    opts = config.option
    if not opts.cdcxml_contracts:
        return
    from .errors import CdcxmlError
    from .sources import load_contracts, pinning_for
    from .verify import check_states, plan_interactions

    try:
        chosen_settings = settings(config)
        sources = tuple(chosen_settings.contracts)
        # Pinned by the cdcxml.toml / cdcxml.lock where pytest was started, as on the command line.
        contracts = load_contracts(sources, pinning_for(sources, config.invocation_params.dir))
        plan = plan_interactions(contracts, chosen_settings.consumers or None, None)
        check_states(plan, chosen_settings)
        for planned in plan:
            planned.contract.compiled(planned.interaction.phase)
    except CdcxmlError as err:
        raise pytest.UsageError(f"cdcxml: {err.brief}") from err
    for contract in contracts:
        chosen = tuple(p.interaction for p in plan if p.contract is contract)
        if not chosen:
            continue
        node = ContractFile.from_parent(session, path=Path(contract.path).resolve(),
                                        contract=contract, interactions=chosen)
        items.extend(session.genitems(node))


def pytest_unconfigure(config) -> None:
    session = config.stash.get(_SESSION_KEY, None)
    if session is not None:
        session.close()


@pytest.fixture
def cdcxml_verify():
    """Run ``cdcxml.verify.verify`` and fail the test, naming consumers and assertions, if needed."""
    from .report.text import verify_text
    from .verify import verify

    def run(contracts, base_url, **kwargs):
        results = list(verify(contracts, base_url, **kwargs))
        if not all(r.valid for r in results):
            pytest.fail(verify_text(results), pytrace=False)
        return results

    return run
