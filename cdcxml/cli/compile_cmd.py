"""``cdcxml compile``: write the XSLT a contract compiles to."""

from __future__ import annotations

import click

from ..contract import load_contract
from ..errors import InputError
from .common import echo_warnings, emit, strict_contracts, strict_option


@click.command("compile")
@click.argument("contract", type=click.Path(dir_okay=False))
@click.option("--phase", help="Compile only this phase.")
@click.option("--svrl", is_flag=True, help="Include fired-rule records (what SVRL output needs).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the XSLT here.")
@strict_option
def command(contract, phase, svrl, output, strict):
    """Compile a contract to XSLT 1.0 and print it (or write it with -o)."""
    (loaded,) = strict_contracts([load_contract(contract)], strict)
    compiled = loaded.compiled(phase, svrl=svrl)
    echo_warnings([loaded])
    try:
        emit(compiled.xslt_source, output)
    except OSError as err:
        raise InputError(f"cannot write the XSLT: {err.strerror or err}", path=output) from err
