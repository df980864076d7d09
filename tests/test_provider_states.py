"""Provider states as real providers need them, against a provider on 127.0.0.1: several states per
interaction with parameters, a teardown after it, and values the setup returns used in the request.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cdcxml import load_contract
from cdcxml.cli import main
from cdcxml.contract import State
from cdcxml.verify import ERROR, PASSED, verify

from .verify_support import Call, FakeProvider, Reply

CONTRACT = """<?xml version="1.0" encoding="utf-8"?>
<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" xmlns:cdc="urn:cdcxml:contract:1">
  <cdc:contract consumer="front-desk" provider="reservations"/>
  <cdc:interaction id="show-reservation">
    <cdc:state name="reservation exists">
      <cdc:param name="guest">Ada</cdc:param>
      <cdc:param name="nights">3</cdc:param>
    </cdc:state>
    <cdc:state name="clerk logged in"><cdc:param name="role">desk</cdc:param></cdc:state>
    <cdc:request method="POST" path="/reservations/{{id}}">
      <cdc:header name="X-Session" value="{{session}}"/>
      <Show><Id>{{id}}</Id><Guest>{{guest}}</Guest></Show>
    </cdc:request>
  </cdc:interaction>
  <sch:pattern id="reservation">
    <sch:rule context="Reservation">
      <sch:assert id="for-the-guest" test="Guest = 'Ada'">the reservation is Ada's</sch:assert>
    </sch:rule>
  </sch:pattern>
</sch:schema>
"""


class Provider:
    """A provider whose state URL creates reservations with fresh ids and deletes them again."""

    def __init__(self):
        self.http = FakeProvider()
        self.reservations: dict[str, dict] = {}
        self.state_calls: list[dict] = []
        self.http.routes["/_state"] = self.state
        self.http.routes["/reservations/R-42"] = self.show

    def state(self, call: Call) -> Reply:
        body = json.loads(call.body)
        self.state_calls.append(body)
        if body["state"] == "reservation exists" and body["action"] == "setup":
            self.reservations["R-42"] = body["params"]
            return Reply(201, json.dumps({"id": "R-42", "nights": 3}).encode(), "application/json")
        if body["state"] == "reservation exists" and body["action"] == "teardown":
            del self.reservations["R-42"]
        if body["state"] == "clerk logged in" and body["action"] == "setup":
            return Reply(200, b'{"session": "s-1"}', "application/json")
        return Reply(204, b"", None)

    def show(self, call: Call) -> Reply:
        guest = self.reservations.get("R-42", {}).get("guest", "")
        if call.headers.get("X-Session") != "s-1":
            return Reply(403, b"<Denied/>")
        return Reply(200, f"<Reservation><Guest>{guest}</Guest></Reservation>".encode())


@pytest.fixture
def provider():
    p = Provider()
    p.http.start()
    yield p
    p.http.close()


@pytest.fixture
def sch(tmp_path):
    path = tmp_path / "front-desk.sch"
    path.write_text(CONTRACT, encoding="utf-8")
    return path


def test_states_are_read_with_their_parameters(sch):
    [interaction] = load_contract(sch).interactions
    assert interaction.states == (
        State("reservation exists", (("guest", "Ada"), ("nights", "3"))),
        State("clerk logged in", (("role", "desk"),)),
    )
    assert interaction.state == "reservation exists, clerk logged in"


def test_two_states_with_parameters_a_teardown_and_a_returned_value_in_the_path(sch, provider):
    [result] = verify([sch], provider.http.url, state_url=provider.http.url + "/_state")
    assert result.outcome == PASSED, result
    assert result.url == provider.http.url + "/reservations/R-42"
    assert [(c["state"], c["action"]) for c in provider.state_calls] == [
        ("reservation exists", "setup"), ("clerk logged in", "setup"),
        ("clerk logged in", "teardown"), ("reservation exists", "teardown")]
    assert provider.state_calls[0] == {"consumer": "front-desk", "state": "reservation exists",
                                       "params": {"guest": "Ada", "nights": "3"},
                                       "action": "setup"}
    [call] = provider.http.calls_to("/reservations/R-42")
    assert call.headers["X-Session"] == "s-1"
    assert call.body.endswith(b"<Show><Id>R-42</Id><Guest>Ada</Guest></Show>")
    assert provider.reservations == {}  # torn down


def test_the_command_line_runs_the_same_protocol(sch, provider):
    result = CliRunner().invoke(main, ["verify", "--base-url", provider.http.url, "-c", str(sch),
                                       "--state-url", provider.http.url + "/_state"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("PASS  front-desk / show-reservation  POST "
                                    f"{provider.http.url}/reservations/R-42 200")


def test_a_placeholder_no_state_fills_is_an_error_and_the_states_are_torn_down(tmp_path,
                                                                             provider):
    path = tmp_path / "c.sch"
    path.write_text(CONTRACT.replace("{{session}}", "{{token}}"), encoding="utf-8")
    [result] = verify([path], provider.http.url, state_url=provider.http.url + "/_state")
    assert result.outcome == ERROR
    assert result.error == "the request uses {{token}}, which no provider state gave a value for"
    assert provider.http.calls_to("/reservations/R-42") == []
    assert [c["action"] for c in provider.state_calls] == ["setup", "setup", "teardown",
                                                           "teardown"]


def test_a_failing_second_setup_tears_down_the_first(sch, provider):
    provider.http.routes["/_state"] = lambda call: (
        Reply(500, b"no clerks today", "text/plain")
        if json.loads(call.body)["state"] == "clerk logged in" else provider.state(call))
    [result] = verify([sch], provider.http.url, state_url=provider.http.url + "/_state")
    assert result.outcome == ERROR
    assert result.error == ("provider state 'clerk logged in' could not be set up: state URL "
                            "answered 500 Internal Server Error")
    assert [(c["state"], c["action"]) for c in provider.state_calls] == [
        ("reservation exists", "setup"), ("reservation exists", "teardown")]
    assert provider.reservations == {}


def test_a_failing_teardown_is_the_interactions_error(sch, provider):
    def refuse_teardown(call):
        if json.loads(call.body)["action"] == "teardown":
            return Reply(500, b"", None)
        return provider.state(call)

    provider.http.routes["/_state"] = refuse_teardown
    [result] = verify([sch], provider.http.url, state_url=provider.http.url + "/_state")
    assert result.outcome == ERROR
    assert "provider state 'reservation exists' could not be torn down" in result.error


def test_a_state_reply_nested_too_deeply_is_an_error_not_a_traceback(sch, provider):
    deep = b'{"session": ' + b"[" * 400_000 + b"]" * 400_000 + b"}"
    provider.http.routes["/_state"] = lambda call: Reply(200, deep, "application/json")
    [result] = verify([sch], provider.http.url, state_url=provider.http.url + "/_state")
    assert result.outcome == ERROR
    assert result.error == ("provider state 'reservation exists' could not be set up: its reply "
                            "cannot be read: not JSON this reader accepts: nested too deeply")
