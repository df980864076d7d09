"""The promise of xsd2sch, as properties over generated documents.

Soundness: every document the XSD accepts (xmlschema and libxml2 agreeing) passes the generated
contract. Completeness: at least 90% of the mutants the XSD rejects, for the reasons the contract
covers, are flagged; sibling order and unexpected elements are deliberately not checked.
"""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdcxml.contract import contract_from_bytes
from cdcxml.xsd import load_xsd
from cdcxml.xsd2sch import convert
from cdcxml.xsd2sch.measure.instances import Generator
from cdcxml.xsd2sch.measure.soundness import NOT_CHECKED_BY_DESIGN, SecondOpinion, measure

DATA = Path(__file__).parent / "data" / "xsd2sch"
SCHEMAS = [
    "flat/employee.xsd",
    "productsearch/products-v1.xsd",
    "orders/orders.xsd",
    "catalog/catalog.xsd",
    "measurements/reading.xsd",
    "tree/tree.xsd",
    "exotic/exotic.xsd",
]


@cache
def setup(name: str):
    xsd = load_xsd(DATA / name)
    contract = contract_from_bytes(convert(xsd).schematron, name=Path(name).stem)
    return xsd, contract, SecondOpinion(xsd.path)


@pytest.mark.parametrize("name", SCHEMAS)
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_every_valid_document_passes_the_generated_contract(name, seed):
    xsd, contract, second = setup(name)
    instance = Generator(xsd.schema, random.Random(seed)).document()
    if not (xsd.validate(instance.tree).valid and second.valid(instance.tree)):
        return  # not a document the XSD accepts: no claim to check
    report = contract.validate(instance.tree)
    assert report.valid, [(f.id, f.message, f.location.xpath) for f in report.failures]


@pytest.mark.parametrize("name", SCHEMAS)
def test_valid_mutants_pass_and_invalid_ones_are_flagged(name):
    xsd, contract, second = setup(name)
    result = measure(xsd, contract, documents=20, seed=2024, second=second)
    assert result.documents == 20
    assert result.false_alarms == []
    flagged, invalid = result.covered
    assert invalid >= 60
    assert flagged / invalid >= 0.9, {k: (s.flagged, s.invalid) for k, s in result.kinds.items()}
    for kind in NOT_CHECKED_BY_DESIGN:
        assert result.kind(kind).flagged == 0, f"{kind} is deliberately not checked"


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_a_kept_subset_is_as_sound_as_the_whole(seed):
    xsd, _, second = setup("orders/orders.xsd")
    kept = kept_contract()
    instance = Generator(xsd.schema, random.Random(seed)).document()
    if not (xsd.validate(instance.tree).valid and second.valid(instance.tree)):
        return
    assert kept.validate(instance.tree).valid


@cache
def kept_contract():
    data = convert(DATA / "orders/orders.xsd",
                   keep_paths=["//o:Sku", "Line/@number", "Payment/Card/Number", "c:Postcode"])
    return contract_from_bytes(data.schematron, name="kept")
