#!/usr/bin/env python3
"""bench/dashboard/page.py - what a dashboard page costs swerved: the time
to answer GET /dashboard (the whole page) and GET /dashboard/live (what
its script fetches every 10 s), and their sizes.

One swerved (release build: SWERVE_BIN, default build/release/bin) with
PROVIDERS SMTP providers on swerve-mocks and the three default streams,
after SEND messages went through and one 10 s sample closed, so the
tables and charts hold figures. The page is rendered on the loop thread:
its time is time the loop does nothing else.

    /usr/bin/python3 bench/dashboard/page.py [COUNT] [PROVIDERS] [SEND]

Requests go one at a time over one keep-alive connection from Python on
the same machine: the figures include the client's share of the cores.
"""

import http.client
import os
import pathlib
import re
import statistics
import sys
import tempfile
import time
import urllib.parse

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
os.environ.setdefault("SWERVE_BIN", str(REPO / "build" / "release" / "bin"))
os.environ.setdefault("SWERVE_MOCK",
                      os.path.join(os.environ["SWERVE_BIN"], "swerve-mock"))
sys.path.insert(0, str(REPO / "tests" / "lib"))
import swerve_harness as sh  # noqa: E402

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 500
PROVIDERS = int(sys.argv[2]) if len(sys.argv) > 2 else 4
SEND = int(sys.argv[3]) if len(sys.argv) > 3 else 200


def timed(conn, path, headers):
    """Seconds for one GET on conn, and the body's length."""
    t = time.perf_counter()
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    body = r.read()
    assert r.status == 200, (path, r.status, body[:200])
    return time.perf_counter() - t, len(body)


def main():
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="swerve-dash-bench-"))
    lab = sh.Lab(tmp)
    try:
        mocks = [lab.mock("m%d" % i) for i in range(PROVIDERS)]
        d = lab.daemon([sh.provider("p%d" % i, m.smtp_port, i + 1)
                        for i, m in enumerate(mocks)])
        conn0 = sh.SMTPConn(d.smtp_port, timeout=30)
        conn0.ehlo("bench.test")
        for i in range(SEND):
            sh.submit(d, "app@example.com", ["u%d@example.net" % i],
                      sh.message("bench %d" % i), conn=conn0)
        conn0.close()
        time.sleep(11)  # one closed sample in the ring
        conn = http.client.HTTPConnection(sh.HOST, int(d.admin_url.rsplit(":", 1)[1]))
        conn.request("POST", "/dashboard/login",
                     body=urllib.parse.urlencode({"key": sh.ADMIN_KEY}),
                     headers={"Content-Type":
                              "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        r.read()
        sid = re.match(r"swerve_session=([0-9a-f]+)",
                       r.getheader("Set-Cookie")).group(1)
        cookie = {"Cookie": "swerve_session=" + sid}
        conn.request("GET", "/dashboard", headers=cookie)
        page = conn.getresponse().read()
        csrf = re.search(rb'name="csrf-token" content="([0-9a-f]+)"',
                         page).group(1).decode()
        for path, hdrs in (("/dashboard", cookie),
                           ("/dashboard/live",
                            dict(cookie, **{"X-CSRF-Token": csrf}))):
            times, size = [], 0
            for _ in range(COUNT):
                t, size = timed(conn, path, hdrs)
                times.append(t)
            times.sort()
            print("%-16s %d requests, %d providers: p50 %.2f ms, p99 %.2f "
                  "ms, mean %.2f ms, %d bytes"
                  % (path, COUNT, PROVIDERS,
                     1000 * statistics.median(times),
                     1000 * times[int(0.99 * (len(times) - 1))],
                     1000 * statistics.mean(times), size))
        conn.close()
    finally:
        problems = lab.finish()
        if problems:
            print("\n".join(problems), file=sys.stderr)


if __name__ == "__main__":
    main()
