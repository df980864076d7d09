"""What the provider learns from its consumers' contracts: contrast, obligations, impact."""

from __future__ import annotations

from .contrast import contrast
from .derive import derive
from .impact import impact_of_documents, impact_of_schemas
from .obligations import find_obligations, load_samples
from .results import (
    BOTH_ACCEPT,
    BOTH_REJECT,
    CATEGORIES,
    SOAP_FAULT,
    XSD_ACCEPTS_CONSUMER_REJECTS,
    XSD_REJECTS_CONSUMERS_ACCEPT,
    Break,
    ConsumerContrast,
    ConsumerImpact,
    Contrast,
    ContrastRow,
    Dependency,
    Derivation,
    Impact,
    Obligation,
    Obligations,
    SampleVerdict,
)

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
