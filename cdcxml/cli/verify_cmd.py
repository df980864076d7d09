"""``cdcxml verify``: call the provider with every consumer's interactions and check the answers."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click

from ..config import VerifySettings, find_config, load_config, parse_header
from ..errors import ConfigError
from ..fsutil import write_atomic
from ..report.junit import render_junit
from ..report.verify_out import render_json, render_text, text_line, text_summary
from ..sources.lock import pinned_contracts
from ..verify import verify
from ..verify.http import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT
from .common import cannot_write
from .limits_opt import limit_options
from .sources_opt import installed_option, load_sources


@dataclass(frozen=True, slots=True)
class _Run:
    """Settings after the command line has been laid over the configuration file."""

    base_url: str
    contracts: tuple[str, ...]
    consumers: tuple[str, ...]
    interactions: tuple[str, ...]
    headers: tuple[tuple[str, str], ...]
    timeout: float
    retries: int
    state_url: str | None
    max_bytes: int
    follow_redirects: bool
    tls_verify: bool | str
    tls_cert: str | tuple[str, str] | None
    format: str
    output: str | None


def _merge(cfg: VerifySettings, cli: dict, config_name: str) -> _Run:
    def pick(key, default=None):
        value = cli.get(key)
        if value is None or value == ():
            value = getattr(cfg, key)
        return default if value is None or value == () else value

    base_url = pick("base_url")
    if not base_url:
        raise ConfigError(f"no base URL: give --base-url or set base-url in [verify] of "
                          f"{config_name}")
    contracts = pick("contracts", ())
    headers = dict(cfg.headers)
    for name, value in cli["headers"]:
        for existing in [k for k in headers if k.lower() == name.lower()]:
            del headers[existing]
        headers[name] = value
    tls_verify = cfg.tls_verify if cfg.tls_verify is not None else True
    if cli["insecure"]:
        tls_verify = False
    elif cli["ca_bundle"]:
        tls_verify = cli["ca_bundle"]
    tls_cert = cfg.tls_cert
    if cli["cert"]:
        tls_cert = (cli["cert"], cli["key"]) if cli["key"] else cli["cert"]
    elif cli["key"]:
        raise ConfigError("--key needs --cert")
    return _Run(
        base_url=base_url,
        contracts=tuple(contracts),
        consumers=tuple(pick("consumers", ())),
        interactions=tuple(pick("interactions", ())),
        headers=tuple(headers.items()),
        timeout=pick("timeout", DEFAULT_TIMEOUT),
        retries=pick("retries", 0),
        state_url=pick("state_url"),
        max_bytes=pick("max_body_bytes", DEFAULT_MAX_BYTES),
        follow_redirects=pick("follow_redirects", False),
        tls_verify=tls_verify,
        tls_cert=tls_cert,
        format=pick("format", "text"),
        output=pick("output"),
    )


def _headers(ctx, param, values):
    try:
        return tuple(parse_header(v) for v in values)
    except ConfigError as err:
        raise click.BadParameter(err.message) from err


@click.command("verify")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Configuration file (default: ./cdcxml.toml when it exists).")
@click.option("--base-url", help="Where the provider runs, e.g. http://localhost:8080.")
@click.option("-c", "--contracts", multiple=True, metavar="SOURCE",
              help="A contract file or a directory of them; repeat for more.")
@installed_option("contracts")
@click.option("--consumer", "consumers", multiple=True, metavar="NAME",
              help="Only this consumer's contracts; repeat for more.")
@click.option("--interaction", "interactions", multiple=True, metavar="ID",
              help="Only the interaction with this id; repeat for more.")
@click.option("--header", "headers", multiple=True, metavar="'NAME: VALUE'", callback=_headers,
              help="Send this header with every request (wins over the contract's).")
@click.option("--timeout", type=click.FloatRange(min=0.001), metavar="SECONDS",
              help=f"Total time one request may take [default: {DEFAULT_TIMEOUT:g}].")
@click.option("--retries", type=click.IntRange(min=0),
              help="Retries after a connection error (never after a response) [default: 0].")
@click.option("--state-url", help="Where provider states are set up (POST of JSON).")
@click.option("--max-body-bytes", type=click.IntRange(min=1), metavar="N",
              help=f"Largest response body accepted [default: {DEFAULT_MAX_BYTES}].")
@click.option("--follow-redirects/--no-follow-redirects", default=None,
              help="Follow redirects instead of reporting them [default: no].")
@click.option("--insecure", is_flag=True, help="Do not verify the provider's TLS certificate.")
@click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False),
              help="Verify TLS certificates against this CA bundle.")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False),
              help="Client certificate for TLS (PEM).")
@click.option("--key", type=click.Path(exists=True, dir_okay=False),
              help="Private key of the client certificate, if not in --cert.")
@limit_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]),
              help="Report format [default: text].")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the report to this file; a summary still goes to standard output.")
def command(config_path, fmt, budget, **cli) -> None:
    """Call the provider with every consumer's interactions and check the responses."""
    cfg_file = Path(config_path) if config_path else find_config()
    cfg = load_config(cfg_file)
    cli["format"] = fmt
    run = _merge(cfg.verify, cli, str(cfg_file) if cfg_file else "cdcxml.toml")
    if run.contracts:
        contracts = load_sources(run.contracts)
    elif cfg_file is not None and cfg.contracts.sources:
        # The provider pins its consumers' contracts in [contracts]; verify what the lock holds.
        contracts = pinned_contracts(cfg_file)
    else:
        raise ConfigError("no contracts: give -c SOURCE or --installed, or set contracts in "
                          f"[verify] or sources in [contracts] of {cfg_file or 'cdcxml.toml'}")
    for contract in contracts:
        if not contract.interactions and (not run.consumers or contract.consumer in run.consumers):
            # A bare Schematron file is a valid contract, but verify has nothing to send for it.
            click.echo(f"cdcxml: note: {contract.name}: no cdc:interaction, so nothing is sent for "
                       f"{contract.consumer}", err=True)
    results_iter = verify(
        contracts, run.base_url, consumers=run.consumers or None,
        interactions=run.interactions or None, headers=run.headers, timeout=run.timeout,
        retries=run.retries, state_url=run.state_url, max_bytes=run.max_bytes,
        allow_redirects=run.follow_redirects, tls_verify=run.tls_verify, cert=run.tls_cert,
        budget=budget,
    )
    started = datetime.now(UTC)
    stream = run.format == "text" and run.output is None
    results = []
    for result in results_iter:
        results.append(result)
        if stream:
            click.echo(text_line(result))
    if stream:
        click.echo("")
        click.echo(text_summary(results))
    else:
        rendered = {
            "text": lambda: render_text(results),
            "json": lambda: render_json(results),
            "junit": lambda: render_junit(results, timestamp=started),
        }[run.format]()
        if run.output is None:
            out = rendered if isinstance(rendered, str) else rendered.decode("utf-8")
            click.echo(out, nl=False)
        else:
            try:
                write_atomic(run.output, rendered)
            except OSError as err:
                raise cannot_write(err, run.output) from err
            click.echo(text_summary(results))
    sys.exit(0 if all(r.valid for r in results) else 1)
