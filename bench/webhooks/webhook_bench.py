#!/usr/bin/python3
"""webhook_bench.py - outbound webhooks (events.webhooks): how fast swerved
delivers them, and what subscribing to every event costs relay throughput.

    smtp-source --SMTP--> swerved --SMTP--> smtp-sink
                             |
                             +--POST (signed, queued in the spool)--> receiver

Two runs on the same machine, each with a fresh swerved (release build,
spool on TMPDIR): without webhooks, then with one webhook subscribed to
every event type (each message makes two: accepted and sent). Per run:
N 1 KiB messages over 8 SMTP sessions with connection reuse; the relay
rate is N / (first submission .. the sink counted N). With the webhook:
the webhook rate is 2N / (first submission .. the receiver answered 2N
requests), and the receiver's count of distinct webhook-ids must be 2N.
The receiver is a ThreadingHTTPServer answering 200 over keep-alive
(libcurl reuses connections), so the webhook rate is bounded by it too.

Environment: SWERVE_BIN (default bin/), N (default 5000), TMPDIR.
Prints one line per run; nothing is saved.
"""
import base64
import os
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
os.environ.setdefault("SWERVE_BIN", os.path.join(ROOT, "bin"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import swerve_harness as sh  # noqa: E402

N = int(os.environ.get("N", "5000"))
SECRET = "whsec_" + base64.b64encode(b"bench-webhook-key-0123456").decode()


class Receiver:
    def __init__(self):
        self.ids = set()
        self.n = 0
        self.lock = threading.Lock()
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.n += 1
                    outer.ids.add(self.headers.get("webhook-id"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/hook" % self.srv.server_address[1]

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def sink_count(path):
    try:
        with open(path, "rb") as f:
            m = re.findall(rb"mesg=(\d+)", f.read()[-512:])
            return int(m[-1]) if m else 0
    except OSError:
        return 0


def run(tmp, hook):
    port = sh.free_port()
    out = os.path.join(tmp, "sink.out")
    sink = subprocess.Popen(["smtp-sink", "-u", "nobody", "-c",
                             "127.0.0.1:%d" % port, "1024"],
                            stdout=open(out, "wb"), stderr=subprocess.DEVNULL)
    rcv = Receiver() if hook else None
    over = {}
    if hook:
        sf = os.path.join(tmp, "hook.secret")
        with open(sf, "w") as f:
            f.write(SECRET + "\n")
        over["events"] = {"webhooks": [{"url": rcv.url, "secret_file": sf}],
                          "concurrency": 8}
    cfg = sh.daemon_config(tmp, [sh.provider("sink", port, 1,
                                             max_connections=8)],
                           "sw", **over)
    cfg["limits"]["max_sessions"] = 200
    d = sh.Daemon(os.path.join(tmp, "sw"), cfg, fresh_ports=True)
    os.makedirs(d.dir, exist_ok=True)
    d.start()
    try:
        t0 = time.monotonic()
        subprocess.run(["smtp-source", "-s", "8", "-m", str(N), "-l", "1024",
                        "-d", "-f", "app@example.com", "-t",
                        "user@example.net", "127.0.0.1:%d" % d.smtp_port],
                       check=True, timeout=900)
        sh.wait_until(lambda: sink_count(out) >= N, 900, 0.01, "sink count")
        relay = time.monotonic() - t0
        line = "relay %d msgs in %.2fs: %.0f msg/s" % (N, relay, N / relay)
        if hook:
            sh.wait_until(lambda: rcv.n >= 2 * N, 900, 0.01, "webhooks")
            wh = time.monotonic() - t0
            line += "; webhooks %d in %.2fs: %.0f/s (distinct ids %d)" % (
                rcv.n, wh, rcv.n / wh, len(rcv.ids))
        return line
    finally:
        d.stop()
        sink.terminate()
        sink.wait()
        if rcv:
            rcv.stop()


def main():
    import tempfile
    for hook in (False, True, False, True):
        with tempfile.TemporaryDirectory() as tmp:
            print("%-13s %s" % ("with webhook" if hook else "no webhook",
                                run(tmp, hook)), flush=True)


if __name__ == "__main__":
    main()
