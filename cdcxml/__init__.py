"""cdcxml: consumer-driven contracts for XML services.

Each consumer writes down, as Schematron assertions, just what it needs from a provider's messages;
the provider runs every consumer's contract in its own build.
"""

from __future__ import annotations

from ._lazy import lazy_exports

__version__ = "0.1.0"

# The public names, imported on first use: ``import cdcxml`` (and so every command, even
# ``cdcxml --version``) does not pay for the HTTP client ``verify`` needs, or the engine.
_EXPORTS = {
    "validate": "checking",
    "Contract": "contract", "Interaction": "contract", "load_contract": "contract",
    "CdcxmlError": "errors", "SchematronError": "errors",
    "ContractReport": "results", "DocumentReport": "results", "Finding": "results",
    "Location": "results", "Summary": "results", "XsdReport": "results",
    "verify": "verify",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


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
