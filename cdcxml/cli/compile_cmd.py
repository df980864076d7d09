"""``cdcxml compile``: write the XSLT a contract compiles to."""

from __future__ import annotations

import click

from ..contract import load_contract
from .common import echo_warnings, emit, note, say_loaded, strict_option


@click.command("compile")
@click.argument("contract", type=click.Path(dir_okay=False), required=False)
@click.option("-c", "--contract", "contract_opt", type=click.Path(dir_okay=False),
              metavar="FILE", help="The contract file (or give it as the argument).")
@click.option("--phase", help="Compile only this phase.")
@click.option("--internal", is_flag=True,
              help="Write cdcxml's own compiled form (needs cdcxml's extension functions) instead "
                   "of the standalone SVRL stylesheet.")
@click.option("--svrl", is_flag=True, hidden=True,
              help="With --internal: include fired-rule records.")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write the stylesheet to this file instead of standard output.")
@strict_option
def command(contract, contract_opt, phase, internal, svrl, output, strict):
    """Compile a contract to a standalone XSLT 1.0 stylesheet that writes SVRL.

    The stylesheet runs in any XSLT 1.0 processor (xsltproc, lxml, Saxon, .NET), without
    cdcxml: a consumer on another stack can run its contract.
    """
    if bool(contract) == bool(contract_opt):
        raise click.UsageError("give one contract file, as the argument or with -c")
    path = contract or contract_opt
    found = load_contract(path)
    say_loaded([found])
    found.strict = strict
    compiled = found.compiled(phase, svrl=svrl or not internal)
    echo_warnings([found])
    if internal:
        emit(compiled.xslt_source, output)
    else:
        from ..schematron.standalone import standalone_xslt

        emit(standalone_xslt(compiled), output)
    if output:
        note(f"cdcxml: wrote {output}")
