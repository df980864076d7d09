"""Hostile record stores for ``record-deployment``, ``can-i-deploy`` and ``matrix``: a planted link
is never written through or followed, a huge or broken record is one error line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..helpers import git
from .conftest import SCH, SECRET, one_error, run_cli

CONTRACT = (f'<sch:schema xmlns:sch="{SCH}" xmlns:cdc="urn:cdcxml:contract:1">'
            '<cdc:contract consumer="shop" provider="orders" version="1.0.0"/>'
            '<sch:pattern><sch:rule context="order"><sch:assert test="id">id</sch:assert>'
            "</sch:rule></sch:pattern></sch:schema>\n")


@pytest.fixture
def planted(tmp_path: Path):
    """A contracts repository whose author committed links out of it where records go."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.json").write_text(SECRET)
    bare = tmp_path / "contracts.git"
    git("init", "-q", "--bare", "-b", "main", bare)
    work = tmp_path / "author"
    git("init", "-q", "-b", "main", work)
    (work / "orders" / "shop").mkdir(parents=True)
    (work / "orders" / "shop" / "shop.sch").write_text(CONTRACT)
    os.symlink(outside, work / "deployments")
    os.symlink(outside, work / "verifications")
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "contracts", cwd=work)
    git("tag", "-a", "shop/orders/v1.0.0", "-m", "v1", cwd=work)
    git("push", "-q", bare, "HEAD:refs/heads/main", "refs/tags/shop/orders/v1.0.0", cwd=work)
    return bare, outside


def test_a_planted_link_is_not_written_through(planted, tmp_path: Path):
    bare, outside = planted
    ran = run_cli("record-deployment", "--consumer", "shop", "--version", "1.0.0", "--to", "prod",
                  "--records", bare.as_uri(), cwd=tmp_path)
    one_error(ran, "deployments is a symbolic link", "nothing was recorded")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.json"]
    assert git("--git-dir", bare, "log", "--format=%s") == "contracts"


def test_a_planted_link_is_not_read_through(planted, tmp_path: Path):
    bare, _ = planted
    for args in (("matrix",), ("can-i-deploy", "--consumer", "shop", "--version", "1.0.0",
                               "--to", "prod")):
        ran = run_cli(*args, "--records", bare.as_uri(), cwd=tmp_path)
        assert SECRET not in ran.stdout + ran.stderr
        assert "Traceback" not in ran.stderr
        assert ran.code in (0, 1), ran.stderr


@pytest.mark.parametrize("content", [b"{" * 200_000, b"\xff\xfe not json", b"[1, 2]",
                                     b'{"cdcxml-deployment": 1, "number": "x"}',
                                     b" " * (2 << 20)])
def test_a_broken_record_is_one_line(tmp_path: Path, content: bytes):
    store = tmp_path / "records"
    (store / "orders" / "shop" / "1.0.0").mkdir(parents=True)
    (store / "orders" / "shop" / "1.0.0" / "shop.sch").write_text(CONTRACT)
    (store / "deployments" / "prod" / "consumer" / "shop").mkdir(parents=True)
    (store / "deployments" / "prod" / "consumer" / "shop" / "000001.json").write_bytes(content)
    ran = run_cli("can-i-deploy", "--consumer", "shop", "--version", "1.0.0", "--to", "prod",
                  "--records", store, cwd=tmp_path)
    one_error(ran, "deployments/prod/consumer/shop/000001.json")


def test_a_consumer_deployment_never_counts_as_the_provider_of_the_same_name(tmp_path: Path):
    # "orders" is deployed to prod as a consumer (of something else); that says nothing about the
    # provider "orders" the shop's contract is for.
    store = tmp_path / "records"
    (store / "orders" / "shop" / "1.0.0").mkdir(parents=True)
    (store / "orders" / "shop" / "1.0.0" / "shop.sch").write_text(CONTRACT)
    ran = run_cli("record-deployment", "--consumer", "orders", "--version", "2.0.0", "--to", "prod",
                  "--records", store, cwd=tmp_path)
    assert ran.code == 0, ran.stderr
    assert (store / "deployments" / "prod" / "consumer" / "orders" / "000001.json").is_file()
    ran = run_cli("can-i-deploy", "--consumer", "shop", "--version", "1.0.0", "--to", "prod",
                  "--records", store, cwd=tmp_path)
    assert ran.code == 1, (ran.stdout, ran.stderr)
    assert "orders is not recorded as deployed to prod" in ran.stdout
