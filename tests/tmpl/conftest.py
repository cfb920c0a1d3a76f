"""Fixtures for the template engine's differential tests.

  ref     (session) installs the pinned reference engines (setup-npm.sh);
          skips, saying why, when npm or the registry is unreachable
  batch   (session) builds tmpl_batch.c against the ASan libswerve.a next
          to $SWERVE_BIN (build/asan/libswerve.a) into a temp dir
"""

import os
import re
import shutil
import subprocess

import pytest

import swerve_harness as sh

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


@pytest.fixture(scope="session")
def ref():
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    p = subprocess.run(["bash", os.path.join(HERE, "setup-npm.sh")],
                       capture_output=True, text=True, timeout=900)
    if p.returncode == 2:
        pytest.skip("npm registry unreachable, reference engines not "
                    "installed: %s" % p.stderr.strip()[-300:])
    assert p.returncode == 0, p.stderr
    return os.path.join(HERE, "ref_render.js")


def _makefile_pkgs():
    """The Makefile's PKGS (pkg-config names), continuation lines joined."""
    with open(os.path.join(REPO, "Makefile")) as f:
        text = f.read().replace("\\\n", " ")
    m = re.search(r"^PKGS\s*:=\s*(.*)$", text, re.M)
    assert m, "PKGS not found in the Makefile"
    return m.group(1).split()


@pytest.fixture(scope="session")
def batch(tmp_path_factory):
    lib = os.path.join(os.path.dirname(sh.SWERVE_BIN), "libswerve.a")
    if not os.path.exists(lib):
        pytest.fail("%s missing: make build/asan/libswerve.a" % lib)
    out = str(tmp_path_factory.mktemp("tmpl") / "tmpl_batch")
    pkgs = _makefile_pkgs()
    cflags = subprocess.run(["pkg-config", "--cflags"] + pkgs,
                            capture_output=True, text=True,
                            check=True).stdout.split()
    libs = subprocess.run(["pkg-config", "--libs"] + pkgs,
                          capture_output=True, text=True,
                          check=True).stdout.split()
    cmd = (["cc", "-std=c17", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE",
            "-I" + os.path.join(REPO, "src"), "-O1", "-g",
            "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
           + cflags + [os.path.join(HERE, "tmpl_batch.c"), lib] + libs
           + ["-lpthread", "-lm", "-o", out])
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return out
