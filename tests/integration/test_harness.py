"""The shared harness's port guarantees (tests/lib/swerve_harness.py),
which let scripts/run-tests.sh run the pytest directories side by side.
"""

import os
import subprocess
import sys

import swerve_harness as h

HOLD = """
import sys
sys.path.insert(0, %r)
import swerve_harness as h
print(h._reserve(int(sys.argv[1])))
"""


def test_a_reserved_port_is_refused_to_another_process_until_released():
    port = h.free_port()
    lib = os.path.dirname(os.path.abspath(h.__file__))

    def other_process_reserves():
        r = subprocess.run([sys.executable, "-c", HOLD % lib, str(port)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()
    assert other_process_reserves() == "False"
    assert not h._reserve(port), "this process handed the port out twice"
    h.release_ports()
    assert other_process_reserves() == "True"


def test_free_port_never_repeats_a_reserved_port():
    ports = [h.free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)


def test_mock_reports_the_ports_the_kernel_chose(tmp_path):
    h.require_binaries("swerve-mock")
    m = h.Mock(tmp_path, "zero").start()
    try:
        assert m.smtp_port and m.http_port and m.smtp_port != m.http_port
        assert h.port_accepts(m.smtp_port)
        assert h.http_json(m.url + "/healthz")[0] == 200
    finally:
        assert m.stop() == 0, m.log_text()
