"""Fixtures for the browser tests and the dashboard's HTTP tests
(tests/browser).

  lab       (per test) swerve-mocks and swerveds in the test's tmp_path,
            stopped by PID at the end (tests/lib/swerve_harness.py)
  (dash_client.py: a signed-in session over plain HTTP, for the
  black-box tests of cookies and CSRF)
  browser   (per test) tests/lib/browser.py's headless Chromium, stopped
            by PID at the end; screenshots under the test's tmp_path
"""

import pytest

import browser as browser_lib
import swerve_harness as sh


@pytest.fixture
def lab(tmp_path):
    yield from sh.lab_fixture(sh.Lab(tmp_path))


@pytest.fixture
def browser(tmp_path):
    b = browser_lib.Browser(tmp_path)
    try:
        yield b
    finally:
        b.stop()
