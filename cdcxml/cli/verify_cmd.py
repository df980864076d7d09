"""``cdcxml verify``: call the provider with every consumer's interactions and check the answers."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from ..config import find_config, load_config, parse_header
from ..deploy.recording import build_passes
from ..errors import ConfigError
from ..fsutil import write_atomic
from ..report.jsonout import verify_json
from ..report.junit import render_junit
from ..report.text import interaction_line, verify_summary, verify_text
from ..sources.lock import pinned_contracts
from ..verify import verify
from ..verify.settings import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, tls_given
from .common import OUTPUT_HELP, cannot_write, echo_warnings, note, strict_option
from .limits_opt import limit_options
from .record_opt import record_options, start_recording
from .sources_opt import CONTRACT_HELP, installed_option, load_sources


def _headers(ctx, param, values):
    try:
        return tuple(parse_header(v) for v in values)
    except ConfigError as err:
        raise click.BadParameter(err.message) from err


@click.command("verify")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Configuration file (default: ./cdcxml.toml when it exists).")
@click.option("--base-url", help="Where the provider runs, e.g. http://localhost:8080.")
@click.option("-c", "--contract", "contracts", multiple=True, metavar="SOURCE", help=CONTRACT_HELP)
@click.option("--contracts", "contracts_alias", multiple=True, hidden=True)  # the old spelling
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
@click.option("--wsdl", type=click.Path(dir_okay=False), metavar="FILE",
              help="The provider's WSDL: each request's operation, SOAPAction and SOAP version are "
                   "checked against it before sending; a call to an operation it lacks fails.")
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
              help=OUTPUT_HELP)
@record_options
@strict_option
def command(config_path, fmt, budget, insecure, ca_bundle, cert, key, recording, contracts_alias,
            strict, **cli) -> None:
    """Call the provider with every consumer's interactions and check the responses."""
    cli["contracts"] = (*contracts_alias, *cli["contracts"])
    cfg_file = Path(config_path) if config_path else find_config()
    cfg = load_config(cfg_file)
    # The command line is laid over [verify] of the configuration: one settings value.
    run = cfg.verify.over(format=fmt, **cli, **tls_given(insecure=insecure, ca_bundle=ca_bundle,
                                                         cert=cert, key=key))
    if not run.base_url:
        raise ConfigError("no base URL: give --base-url or set base-url in [verify] of "
                          f"{cfg_file or 'cdcxml.toml'}")
    if run.contracts:
        contracts = load_sources(run.contracts)
    elif cfg_file is not None and cfg.contracts.sources:
        # The provider pins its consumers' contracts in [contracts]; verify what the lock holds.
        contracts = pinned_contracts(cfg_file)
    else:
        raise ConfigError("no contracts: give -c SOURCE or --installed, or set contracts in "
                          f"[verify] or sources in [contracts] of {cfg_file or 'cdcxml.toml'}")
    for contract in contracts:
        contract.strict = strict
        if strict:
            contract.check()  # refused before any request is sent
        if not contract.interactions and (not run.consumers or contract.consumer in run.consumers):
            # A bare Schematron file is a valid contract, but verify has nothing to send for it.
            click.echo(f"cdcxml: note: {contract.name}: no cdc:interaction, so nothing is sent for "
                       f"{contract.consumer}", err=True)
    recorder = start_recording(recording, contracts, config=cfg_file, settings=cfg.contracts,
                               consumers=run.consumers, interactions=run.interactions)
    results_iter = verify(contracts, run, budget=budget)
    started = datetime.now(UTC)
    stream = run.format == "text" and run.output is None
    results = []
    for result in results_iter:
        if recorder is not None:
            result = recorder.mark(result)
        results.append(result)
        if stream:
            click.echo(interaction_line(result))
    echo_warnings(contracts)
    if stream:
        click.echo("")
        click.echo(verify_summary(results))
    else:
        rendered = {
            "text": lambda: verify_text(results),
            "json": lambda: verify_json(results),
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
            note(verify_summary(results))
    if recorder is not None and recorder.settings.record:
        for path in recorder.publish(results):
            click.echo(f"cdcxml: recorded {path}", err=True)
    sys.exit(0 if build_passes(results) else 1)
