"""Fixtures for swerve's multi-node tests (tests/cluster); the machinery
(HAProxy, Redis, the lab) is cluster_lib.py.

  lab   (per test) the lab of cluster_lib: swerve-mocks, swerveds,
        HAProxy and redis processes, every one stopped by PID at teardown
"""

import shutil

import pytest

import swerve_harness as sh
from cluster_lib import Lab


@pytest.fixture(scope="session", autouse=True)
def _binaries_present():
    sh.require_binaries("swerved", "swervectl", "swerve-mock")
    for prog in ("haproxy", "redis-server", "redis-sentinel", "redis-cli"):
        if shutil.which(prog) is None:
            pytest.fail("%s is not installed (scripts/setup-deps.sh)" % prog)


@pytest.fixture
def lab(tmp_path):
    yield from sh.lab_fixture(Lab(tmp_path))
