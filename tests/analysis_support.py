"""Shared paths and a CLI runner for the contrast, obligations, impact and HTML report tests."""

from __future__ import annotations

import json
from pathlib import Path

from .helpers import cli

ROOT = Path(__file__).resolve().parent.parent
# Paths relative to ROOT, so reports name documents as a user running from the checkout would see.
EXAMPLE = Path("examples/productsearch")
DATA = Path("tests/data/analysis")
TRACKING = DATA / "tracking"

PRODUCTS_NS = "urn:example.com:productsearch:products"
TRACKING_NS = "urn:example:tracking"
ADDRESS_NS = "urn:example:address"


def run(*args: str):
    """Run ``cdcxml`` in-process; stdout and stderr kept apart."""
    return cli(*args, catch_exceptions=False)


def run_json(*args: str) -> tuple[int, dict]:
    """Run a command with ``--format json`` and parse its output."""
    result = run(*args, "--format", "json")
    return result.exit_code, json.loads(result.stdout)
