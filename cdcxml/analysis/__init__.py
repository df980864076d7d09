"""What the provider learns from its consumers' contracts: contrast, obligations, impact."""

from __future__ import annotations

from .._lazy import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


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
