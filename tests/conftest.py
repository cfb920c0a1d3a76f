"""tests/conftest.py - loaded by pytest for every suite under tests/.

Puts tests/lib on sys.path, so each suite imports the shared harness by
name (`import swerve_harness as sh`), and ends every test by releasing
the ports it reserved (swerve_harness.free_port).
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import swerve_harness  # noqa: E402


@pytest.fixture(autouse=True)
def _release_ports():
    yield
    swerve_harness.release_ports()
