"""Phases: defaultPhase, #ALL, #DEFAULT, phase lets, phase/@from and unknown phases."""

from __future__ import annotations

import pytest

from cdcxml.errors import SchematronError

from .engine_support import engine_contract, engine_doc, write_contract

ORDERS = engine_doc("phases", "orders.xml")


def _run(name: str, phase: str | None):
    report = engine_contract("phases", name).validate(ORDERS, phase=phase)
    return [(f.id, f.location.line) for f in report.findings]


@pytest.mark.parametrize("phase", [None, "#DEFAULT", "quick"])
def test_default_phase_runs_when_none_is_asked_for(phase):
    assert _run("phases.sch", phase) == [("has-id", 3), ("has-id", 6)]


def test_all_runs_every_pattern_whatever_the_default():
    assert _run("all.sch", None) == [("has-id", 3), ("has-id", 6)]
    assert _run("all.sch", "#ALL") == [("has-id", 3), ("has-id", 6), ("qty-limit", 7),
                                       ("qty-limit", 8)]


def test_without_default_phase_every_pattern_runs(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:phase id="only-a"><sch:active pattern="a"/></sch:phase>
      <sch:pattern id="a"><sch:rule context="r">
        <sch:report id="a" test="true()">a</sch:report></sch:rule></sch:pattern>
      <sch:pattern id="b"><sch:rule context="r">
        <sch:report id="b" test="true()">b</sch:report></sch:rule></sch:pattern>""")
    assert [f.id for f in contract.validate(b"<r/>").findings] == ["a", "b"]
    assert [f.id for f in contract.validate(b"<r/>", phase="only-a").findings] == ["a"]


def test_phase_lets_give_each_phase_its_own_value():
    contract = engine_contract("phases", "phases.sch")
    strict = contract.validate(ORDERS, phase="strict").findings
    lenient = contract.validate(ORDERS, phase="lenient").findings
    assert [f.message for f in strict if f.id == "qty-limit"] == [
        "line W-1: 8 is over 5", "line W-2: 60 is over 5", "line W-3: 70 is over 5"]
    assert [f.message for f in lenient] == ["line W-2: 60 is over 50", "line W-3: 70 is over 50"]


def test_a_phase_runs_only_its_active_patterns():
    ids = {f.pattern for f in engine_contract("phases", "phases.sch").validate(
        ORDERS, phase="lenient").findings}
    assert ids == {"quantities"}


def test_phase_from_limits_the_walk_to_the_selected_nodes():
    # from="/o:orders/o:order[2]": the first order (line 3) and its line (line 4) are not visited.
    assert _run("phases.sch", "second-order") == [("has-id", 6), ("qty-limit", 7),
                                                  ("qty-limit", 8)]


def test_a_variable_only_a_phase_defines_is_undefined_under_all():
    with pytest.raises(SchematronError, match=r"undefined variable \$max-qty") as err:
        engine_contract("phases", "phases.sch").validate(ORDERS, phase="#ALL")
    assert err.value.line == 30


def test_unknown_phase_is_an_error_listing_the_phases():
    with pytest.raises(SchematronError) as err:
        engine_contract("phases", "phases.sch").validate(ORDERS, phase="nope")
    assert "no phase 'nope'" in err.value.message
    assert "quick, strict, lenient, second-order" in err.value.message


def test_a_phase_activating_an_unknown_pattern_is_an_error():
    with pytest.raises(SchematronError, match="unknown pattern 'no-such-pattern'") as err:
        engine_contract("phases", "all.sch").validate(ORDERS, phase="broken")
    assert err.value.line == 8


def test_default_phase_naming_no_phase_runs_every_pattern_with_a_warning(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:pattern id="a"><sch:rule context="r">
        <sch:assert id="a" test="false()">a</sch:assert></sch:rule></sch:pattern>""",
                              attrs='defaultPhase="missing"')
    assert [f.id for f in contract.validate(b"<r/>").findings] == ["a"]
    assert [str(w) for w in contract.warnings] == [
        f"{contract.path}:1: warning: defaultPhase 'missing' names no phase (phases: none); "
        "every pattern runs"]
    contract.strict = True
    with pytest.raises(SchematronError, match="defaultPhase 'missing' names no phase"):
        contract.check()


def test_a_phase_let_shadows_the_schema_let_of_the_same_name(tmp_path):
    # ISO 2016 §3.26: a phase's variable is scoped to the phase.
    contract = write_contract(tmp_path, """
      <sch:let name="x" value="1"/>
      <sch:phase id="p"><sch:let name="x" value="2"/><sch:active pattern="a"/></sch:phase>
      <sch:pattern id="a"><sch:rule context="r">
        <sch:assert id="one" test="$x = 1">a</sch:assert></sch:rule></sch:pattern>""")
    assert contract.validate(b"<r/>").valid  # without the phase, the schema's x
    under_phase = contract.validate(b"<r/>", phase="p")
    assert [f.id for f in under_phase.failures] == ["one"]  # the phase's x is 2


def test_a_pattern_let_may_not_reuse_a_schema_let_name(tmp_path):
    contract = write_contract(tmp_path, """
      <sch:let name="x" value="1"/>
      <sch:pattern id="a"><sch:let name="x" value="2"/><sch:rule context="r">
        <sch:assert test="$x = 1">a</sch:assert></sch:rule></sch:pattern>""")
    with pytest.raises(SchematronError, match="let 'x' is defined twice"):
        contract.validate(b"<r/>")


def test_svrl_names_the_phase_that_ran():
    svrl = engine_contract("phases", "phases.sch").run_svrl(ORDERS, phase="strict")
    assert svrl.getroot().get("phase") == "strict"
    active = svrl.getroot().findall("{http://purl.oclc.org/dsdl/svrl}active-pattern")
    assert [a.get("id") for a in active] == ["structure", "quantities"]
