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
from typing import TYPE_CHECKING
from urllib.parse import quote as quote_url

from lxml import etree

from .. import jsonio, soap
from ..contract import Contract, Interaction, Request, State
from ..errors import CdcxmlError, ConfigError, JsonError
from ..limits import guard
from ..results import ContractReport, DocumentReport
from .settings import VerifySettings

if TYPE_CHECKING:  # the HTTP client loads when a request is sent: other commands never pay for it
    import requests

    from .http import HttpResponse

__all__ = ["ERROR", "FAILED", "PASSED", "InteractionResult", "Planned", "VerifySettings",
           "check_response", "plan_interactions", "request_headers", "request_url", "verify",
           "verify_interaction"]

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
    settings: str | VerifySettings,
    *,
    session: requests.Session | None = None,
    budget: guard.Budget = guard.Budget(),  # noqa: B008 - immutable
    **given,
) -> Iterator[InteractionResult]:
    """Send every selected interaction to the provider; yield one result each.

    ``settings`` is a :class:`VerifySettings` or the provider's base URL; ``given`` lays any other
    setting over it (``state_url=``, ``timeout=``, ``headers=``...). With a ``budget``, each
    contract runs on its response in a worker process under that time and memory limit; a check
    over it is the interaction's error. Bad settings, a contract that does not compile, and an
    interaction needing a provider state without a state URL raise ConfigError (or another
    CdcxmlError) before anything is sent.
    """
    if not isinstance(settings, VerifySettings):
        settings = VerifySettings(base_url=settings)
    settings = settings.over(**given).checked()
    plan = plan_interactions(_load(contracts), settings.consumers or None,
                             settings.interactions or None)
    check_states(plan, settings)
    for item in plan:
        # Compile every phase now: a broken contract stops the run before any request is sent.
        item.contract.compiled(item.interaction.phase)
    wsdl = _wsdl(settings)  # a WSDL that cannot be read stops the run before any request
    return _run(plan, settings, session, budget, wsdl)


def check_states(plan: Iterable[Planned], settings: VerifySettings) -> None:
    """A ConfigError when an interaction needs a provider state and there is no state URL."""
    if settings.state_url is not None:
        return
    for item in plan:
        if item.interaction.states:
            raise ConfigError(
                f"interaction {item.interaction.id!r} of {item.contract.consumer} needs provider "
                f"state {item.interaction.state!r}: give a state URL (--state-url, or state-url "
                "in [verify])", path=item.contract.name, line=item.interaction.line)


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


def _run(plan, settings, session, budget, wsdl=None) -> Iterator[InteractionResult]:
    import requests

    own = session is None
    sess = requests.Session() if own else session
    bounded = _Bounded(plan, budget) if budget.active and guard.available() else None
    try:
        for item in plan:
            if wsdl is not None:
                unknown = wsdl_mismatches(item.contract, item.interaction, settings, wsdl)
                if unknown is not None:
                    yield unknown
                    continue
            yield verify_interaction(item.contract, item.interaction, settings, session=sess,
                                     run=bounded)
    finally:
        if bounded is not None:
            bounded.close()
        if own:
            sess.close()


ContractRun = Callable[[Contract, Interaction, "HttpResponse"], ContractReport]


def _wsdl(settings: VerifySettings):
    if not settings.wsdl:
        return None
    from ..wsdl import load_wsdl

    return load_wsdl(settings.wsdl)


def wsdl_mismatches(contract: Contract, interaction: Interaction, settings: VerifySettings,
                    wsdl) -> InteractionResult | None:
    """A failed result, not sent, when the request disagrees with the provider's WSDL."""
    from ..wsdl.match import check

    problems = check(interaction, wsdl)
    if not problems:
        return None
    req = interaction.request
    return InteractionResult(
        consumer=contract.consumer, contract=contract.name, interaction=interaction.id,
        method=req.method, url=request_url(settings.base_url, req.path), phase=interaction.phase,
        state=interaction.state, description=interaction.description,
        mismatches=tuple(f"not sent: {p.message} ({wsdl.path.name})" for p in problems))


class _Bounded:
    """Runs contracts on responses in a guarded worker, which re-reads each response's bytes."""

    def __init__(self, plan: list[Planned], budget: guard.Budget):
        self.contracts = list({id(p.contract): p.contract for p in plan}.values())
        self.index = {id(c): n for n, c in enumerate(self.contracts)}
        self.guard = guard.Guard(self._check, budget)

    def _check(self, index: int, phase: str | None, body: bytes, url: str) -> ContractReport:
        return _validate(self.contracts[index], soap.parse_response(body, url), phase)

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
                    extra: Iterable[tuple[str, str]] = (), *,
                    request: Request | None = None) -> dict[str, str]:
    """SOAP or XML headers for the request, then the contract's own, then the run's (which win).

    ``request`` is the interaction's request with provider state values filled in, if any.
    """
    req = request or interaction.request
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
    settings: VerifySettings,
    *,
    session: requests.Session | None = None,
    run: ContractRun | None = None,
) -> InteractionResult:
    """Set up the provider states, send one interaction, check the response, tear the states down.

    ``run`` runs the contract on the response in place of ``contract.validate`` (to bound it).
    """
    req = interaction.request
    base = InteractionResult(
        consumer=contract.consumer, contract=contract.name, interaction=interaction.id,
        method=req.method, url=request_url(settings.base_url, req.path), phase=interaction.phase,
        state=interaction.state, description=interaction.description,
    )
    ready: list[State] = []
    values: dict[str, str] = {}
    result = None
    for state in interaction.states:
        answer = _state_call(contract, state, "setup", settings, session)
        if isinstance(answer, str):
            result = replace(base, error=answer)
            break
        ready.append(state)
        values.update(answer)
    if result is None:
        result = _exchange(contract, interaction, base, values, settings, session, run)
    problems = [p for p in (_state_call(contract, s, "teardown", settings, session)
                            for s in reversed(ready)) if isinstance(p, str)]
    if problems:
        result = replace(result, error="; ".join(p for p in (result.error, *problems) if p))
    return result


def _exchange(contract, interaction, base, values, settings, session, run) -> InteractionResult:
    req = interaction.request
    if interaction.states:
        try:
            req = substitute(req, {**dict(p for s in interaction.states for p in s.params),
                                   **values})
        except ConfigError as err:
            return replace(base, error=err.message)
    url = request_url(settings.base_url, req.path)
    base = replace(base, url=url)
    headers = request_headers(interaction, req.body, settings.headers, request=req)
    from .http import TransportError, fetch

    sent = fetch(req.method, url, session=session, body=req.body, headers=headers,
                 options=settings)
    if isinstance(sent, TransportError):
        return replace(base, status=sent.status, error=sent.message, elapsed=sent.elapsed)
    return check_response(contract, interaction, sent, base, run=run)


_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}")


def substitute(request: Request, values: Mapping[str, str]) -> Request:
    """The request with each ``{{name}}`` in its path, headers and body replaced by its value.

    Values go into the path URL-encoded and into the body XML-escaped; a name without a value is
    a ConfigError.
    """
    def fill(text: str, quote: Callable[[str], str]) -> str:
        def one(match: re.Match) -> str:
            name = match.group(1)
            if name not in values:
                raise ConfigError(f"the request uses {{{{{name}}}}}, which no provider state "
                                  "gave a value for")
            return quote(values[name])
        return _PLACEHOLDER.sub(one, text)

    def header_value(value: str) -> str:
        if "\r" in value or "\n" in value:
            raise ConfigError("a provider state's value has a line break, so it cannot go in a "
                              "header")
        return value

    body = request.body
    if body is not None:
        from xml.sax.saxutils import escape as xml_escape  # it loads urllib.request

        body = fill(body.decode("utf-8"), lambda v: xml_escape(v, {'"': "&quot;"})).encode()
    return replace(
        request,
        path=fill(request.path, lambda v: quote_url(v, safe="")),
        headers=tuple((n, fill(v, header_value)) for n, v in request.headers),
        body=body,
    )


def _state_call(contract: Contract, state: State, action: str, settings: VerifySettings,
                session) -> dict[str, str] | str:
    """Set up or tear down one provider state: the values it returned, or what went wrong."""
    what = f"provider state {state.name!r}"
    verb = "set up" if action == "setup" else "torn down"
    from .http import TransportError, fetch

    answer = fetch("POST", settings.state_url, session=session, options=settings,
                   json={"consumer": contract.consumer, "state": state.name,
                         "params": dict(state.params), "action": action})
    if isinstance(answer, TransportError):
        return f"{what} could not be {verb}: {answer.message}"
    if not 200 <= answer.status < 300:
        return (f"{what} could not be {verb}: state URL answered {answer.status} "
                f"{answer.reason}".rstrip())
    if action != "setup":
        return {}
    try:
        return _returned_values(answer.body, settings.state_url)
    except JsonError as err:
        return f"{what} could not be {verb}: its reply cannot be read: {err.local}"


def _returned_values(body: bytes, url: str) -> dict[str, str]:
    """The values a state call returned: the scalar members of a JSON object, as text.

    A reply that is no JSON object carries no values; one that starts as an object but cannot
    be read raises ``JsonError``.
    """
    if not body.strip().startswith(b"{"):
        return {}
    data = jsonio.loads(body, name=url)
    out = {}
    for key, value in data.items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            out[key] = str(value)
    return out


def check_response(contract: Contract, interaction: Interaction, response: HttpResponse,
                   base: InteractionResult, *, run: ContractRun | None = None) -> InteractionResult:
    """Check a response's status, content type, envelope and fault, then run the contract's phase.

    A SOAP request must be answered by an envelope of its own version with a Body; a fault only
    where the interaction expects one (``fault="true"``), whatever the status.
    """
    expected = interaction.response
    mismatches = []
    if response.status != expected.status:
        got = f"{response.status} {response.reason}".strip()
        mismatches.append(f"status {got}, expected {expected.status}")
    result = replace(base, status=response.status, content_type=response.content_type,
                     elapsed=response.elapsed, body_excerpt=response.body[:EXCERPT_BYTES])
    if expected.empty:
        if response.body.strip():
            mismatches.append(f"a body of {len(response.body)} bytes, expected none")
        # Nothing to run the contract on: the status and the empty body are what is checked.
        return replace(result, mismatches=tuple(mismatches),
                       report=ContractReport(contract.consumer, contract.name, (),
                                             interaction.phase))
    from .http import media_type

    got_type = response.media_type
    if expected.content_type:
        if got_type != media_type(expected.content_type):
            mismatches.append(f"content type {got_type or 'missing'}, expected "
                              f"{media_type(expected.content_type)}")
    elif got_type is not None and not _is_xml_type(got_type):
        mismatches.append(f"content type {got_type}, expected an XML media type")
    try:
        tree = soap.parse_response(response.body, response.url)
    except CdcxmlError as err:
        return replace(result, mismatches=tuple(mismatches), error=_not_xml(response, err))
    sent_version = interaction.request.soap_version or soap.body_version(interaction.request.body)
    if sent_version is not None:
        mismatches.extend(envelope_mismatches(tree, sent_version))
    fault = soap.find_fault(tree)
    mismatches.extend(fault_mismatches(fault, expected))
    try:
        if run is None:
            report = _validate(contract, tree, interaction.phase)
        else:
            report = run(contract, interaction, response)
    except guard.RunawayError as err:
        return replace(result, fault=fault, mismatches=tuple(mismatches),
                       error=f"contract run on the response {err.message}")
    except CdcxmlError as err:
        return replace(result, fault=fault, mismatches=tuple(mismatches),
                       error=f"contract could not be run on the response: {err}")
    return replace(result, fault=fault, mismatches=tuple(mismatches), report=report)


def _validate(contract: Contract, tree, phase: str | None) -> ContractReport:
    # Whatever the file says, a contract verify runs must match: a pattern that matched nothing
    # checked nothing. The envelope is checked against the request that was sent instead.
    return contract.validate(tree, phase=phase, require_match=True, envelope=False)


def envelope_mismatches(tree: etree._ElementTree, version: str) -> list[str]:
    """What is wrong with the answer to a SOAP ``version`` request, as an envelope."""
    got = soap.envelope_version(tree)
    if got is None:
        root = tree.getroot()
        return [f"a SOAP {version} request was answered by {etree.QName(root).localname!r}, "
                f"not a SOAP envelope"]
    if got != version:
        return [f"a SOAP {version} request was answered by a SOAP {got} envelope"]
    if soap.body(tree) is None:
        return [f"the SOAP {got} envelope has no Body"]
    return []


def fault_mismatches(fault: soap.Fault | None, expected) -> list[str]:
    """A fault the interaction does not expect, or an expected fault that did not come."""
    if not expected.fault:
        return [str(fault)] if fault is not None else []
    if fault is None:
        code = f" {expected.faultcode}" if expected.faultcode else ""
        return [f"no SOAP fault, expected a fault{code}"]
    if expected.faultcode and not _same_code(expected.faultcode, fault):
        return [f"{fault}, expected fault code {expected.faultcode}"]
    return []


def _same_code(wanted: str, fault: soap.Fault) -> bool:
    """A code matches the fault's code or a subcode; without a prefix, by local name."""
    for code in (fault.code, *fault.subcodes):
        if code == wanted or (":" not in wanted and code.rpartition(":")[2] == wanted):
            return True
    return False


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
