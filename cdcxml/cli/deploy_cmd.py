"""``cdcxml record-deployment`` and ``cdcxml can-i-deploy``: the deploy gate over the records."""

from __future__ import annotations

import sys

import click

from ..deploy.deployments import record_deployment
from ..deploy.gate import consumer_gate, provider_gate
from ..deploy.store import opened
from ..report.jsonout import gate_json
from ..report.text import gate_text
from .common import emit, format_option, output_option

_STORE = click.option("--records", "target", required=True, metavar="GIT-URL|DIR",
                      help="The record store: the contracts' git repository, or a folder.")


def _role(consumer: str | None, provider: str | None) -> tuple[str, str]:
    if bool(consumer) == bool(provider):
        raise click.UsageError("give either --consumer NAME or --provider NAME")
    return ("consumer", consumer) if consumer else ("provider", provider)


@click.command("record-deployment")
@click.option("--consumer", metavar="NAME", help="The consumer that was deployed.")
@click.option("--provider", metavar="NAME", help="The provider that was deployed.")
@click.option("--version", "version", required=True, metavar="V", help="The version deployed.")
@click.option("--to", "environment", required=True, metavar="ENV", help="The environment.")
@_STORE
def record_command(consumer, provider, version, environment, target) -> None:
    """Record that a consumer or provider version now runs in an environment."""
    role, name = _role(consumer, provider)
    done = record_deployment(target, role, name, version, environment)
    click.echo(f"recorded {role} {name} {version} in {environment} ({done.path})")


@click.command("can-i-deploy")
@click.option("--consumer", metavar="NAME", help="Ask for this consumer (needs --to).")
@click.option("--provider", metavar="NAME", help="Ask for this provider.")
@click.option("--version", "version", required=True, metavar="V", help="The version to deploy.")
@click.option("--to", "environment", metavar="ENV",
              help="The environment (provider: default, every consumer's latest contract).")
@click.option("--allow-empty", is_flag=True,
              help="Answer yes when no consumer contract applies (said in the output).")
@_STORE
@format_option("text", "json")
@output_option
def gate_command(consumer, provider, version, environment, allow_empty, target, fmt,
                 output) -> None:
    """Exit 0 when every contract involved has a green record for the versions involved."""
    role, name = _role(consumer, provider)
    with opened(target) as store:
        if role == "provider":
            gate = provider_gate(store, name, version, environment)
        else:
            if environment is None:
                raise click.UsageError("--consumer needs --to ENV: the provider versions "
                                       "deployed there are what it is checked against")
            gate = consumer_gate(store, name, version, environment)
    yes = gate.ok or (allow_empty and not gate.rows and gate.nothing_to_check is not None)
    emit(gate_json(gate, yes) if fmt == "json" else gate_text(gate, yes), output)
    sys.exit(0 if yes else 1)
