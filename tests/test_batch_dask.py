"""``cdcxml batch --scheduler``: the same run on a Dask cluster gives the local run's report."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from distributed import Client, LocalCluster

from cdcxml.batch import Spec, check_all
from cdcxml.cli import main
from cdcxml.sources import load_contracts

from .batch_support import CAPTURES, CONTRACTS, XSD, make_har, make_zip


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as found:
        yield found


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["batch", *args])
    return result.exit_code, result.stdout, result.stderr


def test_dask_run_is_identical_to_a_local_run(cluster, tmp_path):
    paths = [str(CAPTURES), str(make_zip(tmp_path / "c.zip")), str(make_har(tmp_path / "c.har"))]
    common = ["-c", str(CONTRACTS), "--xsd", str(XSD), "--format", "jsonl", *paths]
    local = run("-j", "1", *common)
    remote = run("--scheduler", cluster.scheduler_address, *common)
    assert remote == local
    assert local[0] == 1
    assert len(local[1].splitlines()) == 33
    assert any(json.loads(line)["valid"] for line in local[1].splitlines())


def test_each_worker_compiles_the_contracts_once(cluster):
    spec = Spec.of(load_contracts([CONTRACTS]), phase="#ALL")
    reports = list(check_all([CAPTURES] * 4, spec, scheduler=cluster.scheduler_address,
                             chunk_size=2))
    assert len(reports) == 44
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        held = client.run(_checked, spec.key)
    assert set(held) == set(cluster.scheduler_info["workers"])
    # 22 chunks: a worker checking more than one chunk's documents reused its compiled contracts.
    assert sum(held.values()) == 44
    assert max(held.values()) > 2


def _checked(key: str) -> int:
    from cdcxml.batch import workers

    found = workers._checkers.get(key)
    return found.checked if found is not None else 0


def test_unreachable_scheduler_is_one_line_and_exit_2():
    code, out, err = run("--scheduler", "tcp://127.0.0.1:1", "-c", str(CONTRACTS), str(CAPTURES))
    assert code == 2
    assert err.startswith("cdcxml: tcp://127.0.0.1:1: cannot reach the Dask scheduler")
    assert len(err.splitlines()) == 1
