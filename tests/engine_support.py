"""Helpers for the engine tests: Schematron written into a folder, run on documents, findings read."""

from __future__ import annotations

from pathlib import Path

from cdcxml import load_contract
from cdcxml.contract import Contract
from cdcxml.results import Finding

DATA = Path(__file__).resolve().parent / "data" / "engine"
SCH_NS = "http://purl.oclc.org/dsdl/schematron"


def schema_text(body: str, *, ns: dict[str, str] | None = None, binding: str | None = "xslt",
                attrs: str = "") -> str:
    """A complete ISO Schematron file around ``body``, with ``sch:ns`` for each prefix in ``ns``."""
    decls = "".join(f'<sch:ns prefix="{p}" uri="{u}"/>' for p, u in (ns or {}).items())
    qb = f' queryBinding="{binding}"' if binding is not None else ""
    return (f'<sch:schema xmlns:sch="{SCH_NS}"{qb} {attrs}>\n{decls}\n{body}\n</sch:schema>\n')


def write_contract(folder: Path, body: str, *, name: str = "contract.sch", **kw) -> Contract:
    """Write a schema file into ``folder`` and load it as a contract, not yet compiled.

    The engine tests compile explicitly (``check``, ``validate``) to see each error where it is
    raised; ``load_contract`` itself compiles at load by default.
    """
    path = folder / name
    path.write_text(schema_text(body, **kw), encoding="utf-8")
    return load_contract(path, compile=False)


def engine_contract(*parts: str) -> Contract:
    """A contract from ``tests/data/engine``."""
    return load_contract(DATA.joinpath(*parts))


def engine_doc(*parts: str) -> Path:
    """A document from ``tests/data/engine``."""
    return DATA.joinpath(*parts)


def ids(findings: tuple[Finding, ...] | list[Finding]) -> list[str | None]:
    """The assertion ids of findings, in document order."""
    return [f.id for f in findings]


def messages(findings) -> list[str]:
    """The messages of findings, in order."""
    return [f.message for f in findings]
