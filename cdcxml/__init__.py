"""cdcxml: consumer-driven contracts for XML services.

Each consumer writes down, as Schematron assertions, just what it needs from a provider's messages;
the provider runs every consumer's contract in its own build.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .checking import validate  # noqa: E402
from .contract import Contract, Interaction, load_contract  # noqa: E402
from .errors import CdcxmlError, SchematronError  # noqa: E402
from .results import (  # noqa: E402
    ContractReport,
    DocumentReport,
    Finding,
    Location,
    Summary,
    XsdReport,
)
from .verify import verify  # noqa: E402

__all__ = [
    "CdcxmlError",
    "Contract",
    "ContractReport",
    "DocumentReport",
    "Finding",
    "Interaction",
    "Location",
    "SchematronError",
    "Summary",
    "XsdReport",
    "__version__",
    "load_contract",
    "validate",
    "verify",
]
