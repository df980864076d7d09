"""Verify a provider: send every consumer's interactions to its endpoints and run the contracts.

``verify`` checks its arguments and compiles every contract first (a bad contract or option raises a
:class:`~cdcxml.errors.CdcxmlError` before anything is sent), then yields one
:class:`InteractionResult` per consumer × interaction. Whatever goes wrong with one interaction is
reported in its result and the run goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import requests

from .. import soap
from ..contract import Contract, Interaction
from ..errors import CdcxmlError, ConfigError
from ..limits import guard
from ..results import ContractReport, DocumentReport
from .http import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    FetchOptions,
    HttpResponse,
    TransportError,
    fetch,
    media_type,
)

PASSED, FAILED, ERROR = "passed", "failed", "error"
EXCERPT_BYTES = 64 * 1024
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class InteractionResult:
    """What happened when one consumer's interaction was sent to the provider."""

    consumer: str
    contract: str
    interaction: str
    method: str
    url: str
    status: int | None = None
    content_type: str | None = None
    fault: soap.Fault | None = None
    error: str | None = None
    mismatches: tuple[str, ...] = ()
    report: ContractReport | None = None
    phase: str | None = None
    state: str | None = None
    description: str | None = None
    elapsed: float = 0.0
    body_excerpt: bytes = b""
    pending: bool = False  # its contract has never passed on the provider's main line

    @property
    def outcome(self) -> str:
        """``passed``, ``failed`` (the provider answered, wrongly) or ``error`` (not checked)."""
        if self.mismatches or (self.report is not None and not self.report.valid):
            return FAILED
        if self.error is not None or self.report is None:
            return ERROR
        return PASSED

    @property
    def valid(self) -> bool:
        """True when the provider holds this interaction of the contract."""
        return self.outcome == PASSED

    @property
    def failures(self):
        """The contract's failed assertions on the response."""
        return self.report.failures if self.report is not None else ()

    def document(self) -> DocumentReport:
        """The response as a checked document, for the shared report shapes."""
        return DocumentReport(path=self.url, contracts=(self.report,) if self.report else (),
                              error=self.error)


@dataclass(frozen=True, slots=True)
class Planned:
    """One interaction of one contract, chosen to be sent."""

    contract: Contract
    interaction: Interaction


def verify(
    contracts: Iterable[Contract | str | Path],
    base_url: str,
    *,
    session: requests.Session | None = None,
    consumers: Iterable[str] | None = None,
    interactions: Iterable[str] | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = 0,
    state_url: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_redirects: bool = False,
    tls_verify: bool | str = True,
    cert: str | tuple[str, str] | None = None,
    budget: guard.Budget = guard.Budget(),  # noqa: B008 - immutable
) -> Iterator[InteractionResult]:
    """Send every selected interaction to the provider at ``base_url``; yield one result each.

    With a ``budget``, each contract runs on its response in a worker process under that time and
    memory limit; a check over it is the interaction's error.
    """
    _check_url(base_url, "base URL")
    if state_url is not None:
        _check_url(state_url, "state URL")
    if timeout <= 0:
        raise ConfigError(f"timeout must be more than 0 seconds, not {timeout:g}")
    if retries < 0:
        raise ConfigError(f"retries must be 0 or more, not {retries}")
    plan = plan_interactions(_load(contracts), consumers, interactions)
    for item in plan:
        # Compile every phase now: a broken contract stops the run before any request is sent.
        item.contract.compiled(item.interaction.phase)
    options = FetchOptions(timeout=timeout, max_bytes=max_bytes, allow_redirects=allow_redirects,
                           retries=retries, verify=tls_verify, cert=cert)
    extra = tuple(headers.items()) if isinstance(headers, Mapping) else tuple(headers)
    return _run(plan, base_url, session, extra, state_url, options, budget)


def _load(contracts: Iterable[Contract | str | Path]) -> list[Contract]:
    from ..sources import load_contracts

    loaded: list[Contract] = []
    paths: list[str | Path] = []
    for c in contracts:
        if isinstance(c, Contract):
            loaded.append(c)
        else:
            paths.append(c)
    if paths:
        loaded.extend(load_contracts(paths))
    if not loaded:
        raise ConfigError("no contracts to verify")
    return loaded


def plan_interactions(contracts: list[Contract], consumers: Iterable[str] | None,
                      interactions: Iterable[str] | None) -> list[Planned]:
    """The selected contract × interaction pairs, in order; unknown names are a ConfigError."""
    wanted_consumers = set(consumers) if consumers else None
    wanted_ids = set(interactions) if interactions else None
    if wanted_consumers:
        unknown = wanted_consumers - {c.consumer for c in contracts}
        if unknown:
            raise ConfigError(f"no contract for consumer {', '.join(sorted(unknown))}")
    plan = [
        Planned(c, i)
        for c in contracts
        if wanted_consumers is None or c.consumer in wanted_consumers
        for i in c.interactions
        if wanted_ids is None or i.id in wanted_ids
    ]
    if wanted_ids:
        unknown = wanted_ids - {p.interaction.id for p in plan}
        if unknown:
            raise ConfigError(f"no interaction {', '.join(sorted(unknown))} in the contracts")
    if not plan:
        raise ConfigError("the contracts have no interactions (cdc:interaction) to send")
    return plan


def _check_url(url: str, what: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{what} must be an http:// or https:// URL, not {url!r}")


def _run(plan, base_url, session, extra, state_url, options, budget) -> Iterator[InteractionResult]:
    own = session is None
    sess = requests.Session() if own else session
    bounded = _Bounded(plan, budget) if budget.active and guard.available() else None
    try:
        for item in plan:
            yield verify_interaction(item.contract, item.interaction, base_url, session=sess,
                                     headers=extra, state_url=state_url, options=options,
                                     run=bounded)
    finally:
        if bounded is not None:
            bounded.close()
        if own:
            sess.close()


ContractRun = Callable[[Contract, Interaction, HttpResponse], ContractReport]


class _Bounded:
    """Runs contracts on responses in a guarded worker, which re-reads each response's bytes."""

    def __init__(self, plan: list[Planned], budget: guard.Budget):
        self.contracts = list({id(p.contract): p.contract for p in plan}.values())
        self.index = {id(c): n for n, c in enumerate(self.contracts)}
        self.guard = guard.Guard(self._check, budget)

    def _check(self, index: int, phase: str | None, body: bytes, url: str) -> ContractReport:
        return self.contracts[index].validate(soap.parse_response(body, url), phase=phase)

    def __call__(self, contract: Contract, interaction: Interaction,
                 response: HttpResponse) -> ContractReport:
        return self.guard(self.index[id(contract)], interaction.phase, response.body, response.url)

    def close(self) -> None:
        """Stop the worker."""
        self.guard.close()


def request_url(base_url: str, path: str) -> str:
    """The URL an interaction's request goes to: its path under the base URL's path."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def request_headers(interaction: Interaction, body: bytes | None,
                    extra: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """SOAP or XML headers for the request, then the contract's own, then the run's (which win)."""
    req = interaction.request
    version = req.soap_version or soap.body_version(body)
    headers: dict[str, str] = {}
    if version is not None:
        headers.update(soap.request_headers(version, req.soap_action))
    else:
        if body:
            headers["Content-Type"] = "application/xml; charset=utf-8"
        if req.soap_action is not None:
            headers["SOAPAction"] = f'"{req.soap_action}"'
    if req.content_type:
        headers["Content-Type"] = req.content_type
    for name, value in (*req.headers, *extra):
        for existing in [k for k in headers if k.lower() == name.lower()]:
            del headers[existing]
        headers[name] = value
    return headers


def verify_interaction(
    contract: Contract,
    interaction: Interaction,
    base_url: str,
    *,
    session: requests.Session | None = None,
    headers: Iterable[tuple[str, str]] = (),
    state_url: str | None = None,
    options: FetchOptions = FetchOptions(),  # noqa: B008 - immutable
    run: ContractRun | None = None,
) -> InteractionResult:
    """Set up the provider state, send one interaction and check the response.

    ``run`` runs the contract on the response in place of ``contract.validate`` (to bound it).
    """
    req = interaction.request
    url = request_url(base_url, req.path)
    base = InteractionResult(
        consumer=contract.consumer, contract=contract.name, interaction=interaction.id,
        method=req.method, url=url, phase=interaction.phase, state=interaction.state,
        description=interaction.description,
    )
    if interaction.state is not None:
        problem = _set_up_state(contract, interaction, state_url, session, options)
        if problem:
            return replace(base, error=problem)
    sent = fetch(req.method, url, session=session, body=req.body,
                 headers=request_headers(interaction, req.body, headers), options=options)
    if isinstance(sent, TransportError):
        return replace(base, status=sent.status, error=sent.message)
    return check_response(contract, interaction, sent, base, run=run)


def _set_up_state(contract, interaction, state_url, session, options) -> str | None:
    what = f"provider state {interaction.state!r}"
    if state_url is None:
        return f"{what} needs a state URL (--state-url) to be set up"
    answer = fetch("POST", state_url, session=session, options=options,
                   json={"consumer": contract.consumer, "state": interaction.state})
    if isinstance(answer, TransportError):
        return f"{what} could not be set up: {answer.message}"
    if not 200 <= answer.status < 300:
        return f"{what} could not be set up: state URL answered {answer.status} {answer.reason}"
    return None


def check_response(contract: Contract, interaction: Interaction, response: HttpResponse,
                   base: InteractionResult, *, run: ContractRun | None = None) -> InteractionResult:
    """Check a response's status, content type and fault, then run the contract's phase on it."""
    expected = interaction.response
    mismatches = []
    fault_expected = expected.status is not None and expected.status >= 400
    if expected.status is not None and response.status != expected.status:
        got = f"{response.status} {response.reason}".strip()
        mismatches.append(f"status {got}, expected {expected.status}")
    got_type = response.media_type
    if expected.content_type:
        if got_type != media_type(expected.content_type):
            mismatches.append(f"content type {got_type or 'missing'}, expected "
                              f"{media_type(expected.content_type)}")
    elif got_type is not None and not _is_xml_type(got_type):
        mismatches.append(f"content type {got_type}, expected an XML media type")
    result = replace(base, status=response.status, content_type=response.content_type,
                      elapsed=response.elapsed, body_excerpt=response.body[:EXCERPT_BYTES])
    try:
        tree = soap.parse_response(response.body, response.url)
    except CdcxmlError as err:
        return replace(result, mismatches=tuple(mismatches), error=_not_xml(response, err))
    fault = soap.find_fault(tree)
    if fault is not None and not fault_expected:
        mismatches.append(str(fault))
    try:
        if run is None:
            report = contract.validate(tree, phase=interaction.phase)
        else:
            report = run(contract, interaction, response)
    except guard.RunawayError as err:
        return replace(result, fault=fault, mismatches=tuple(mismatches),
                        error=f"contract run on the response {err.message}")
    except CdcxmlError as err:
        return replace(result, fault=fault, mismatches=tuple(mismatches),
                        error=f"contract could not be run on the response: {err}")
    return replace(result, fault=fault, mismatches=tuple(mismatches), report=report)


def _is_xml_type(mt: str) -> bool:
    return mt.endswith("/xml") or mt.endswith("+xml")


def _not_xml(response: HttpResponse, err: CdcxmlError) -> str:
    if response.media_type in ("text/html", "application/xhtml+xml"):
        match = _TITLE.search(response.body[:EXCERPT_BYTES])
        title = " ".join(match.group(1).decode("utf-8", "replace").split()) if match else ""
        return "response is an HTML page, not XML" + (f" ({title!r})" if title else "")
    reason = err.message
    where = f" at line {err.line}" if err.line else ""
    return f"response body is not usable XML{where}: {reason}"
