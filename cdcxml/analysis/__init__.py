"""What the provider learns from its consumers' contracts: contrast, obligations, impact."""

from __future__ import annotations

# The public names, imported on first use: the reports of every command read the result types in
# ``results`` without loading the analyses (and the XSD reader they need).
_EXPORTS = {
    "contrast": "contrast", "derive": "derive",
    "impact_of_documents": "impact", "impact_of_schemas": "impact",
    "find_obligations": "obligations", "load_samples": "obligations",
    **dict.fromkeys((
        "BOTH_ACCEPT", "BOTH_REJECT", "CATEGORIES", "SOAP_FAULT", "XSD_ACCEPTS_CONSUMER_REJECTS",
        "XSD_REJECTS_CONSUMERS_ACCEPT", "Break", "ConsumerContrast", "ConsumerImpact", "Contrast",
        "ContrastRow", "Dependency", "Derivation", "Impact", "Obligation", "Obligations",
        "SampleVerdict"), "results"),
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "BOTH_ACCEPT",
    "BOTH_REJECT",
    "CATEGORIES",
    "SOAP_FAULT",
    "XSD_ACCEPTS_CONSUMER_REJECTS",
    "XSD_REJECTS_CONSUMERS_ACCEPT",
    "Break",
    "ConsumerContrast",
    "ConsumerImpact",
    "Contrast",
    "ContrastRow",
    "Dependency",
    "Derivation",
    "Impact",
    "Obligation",
    "Obligations",
    "SampleVerdict",
    "contrast",
    "derive",
    "find_obligations",
    "impact_of_documents",
    "impact_of_schemas",
    "load_samples",
]
