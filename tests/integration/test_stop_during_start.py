"""A stop asked for while swerved is still starting is graceful: SIGTERM
that arrives after the spool is open but before the loop's signal handlers
are in place waits pending and is then handled like any other SIGTERM
(exit 0), instead of killing the process with the default action."""

import os
import signal

import swerve_harness as h

# Points of the start-up, as log lines, at which the stop is asked for.
POINTS = [r"spool: .* open:", r"smtpd: listening smtp", r"deliver: \d+ providers"]


def test_sigterm_during_start_up_is_a_graceful_stop(swerve):
    for point in POINTS:
        d = swerve.daemon()
        d.start(wait=False)
        assert d.wait_log(point, 20), d.log_tail(20)
        os.kill(d.pid, signal.SIGTERM)
        rc = d.proc.wait(20)
        assert rc == 0, (point, rc, d.log_tail(20))
        d.exit_codes.append((rc, "stop"))
        h.STARTED.discard(d.proc)
        d.proc = None
