"""A webhook receiver for the benchmarks: answers 200 to every POST and
appends one byte per request to a count file.

  receiver.py PORT COUNT_FILE            serve (until killed)
  receiver.py --wait COUNT_FILE N SECS   wait until the file has N bytes
"""
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve(port, path):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(n)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with open(path, "ab") as f:
                f.write(b".")

        def log_message(self, *a):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()


def wait(path, n, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if os.path.exists(path) and os.path.getsize(path) >= n:
            return 0
        time.sleep(0.2)
    print("receiver: %d of %d requests" % (os.path.getsize(path), n),
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    if sys.argv[1] == "--wait":
        sys.exit(wait(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
    serve(int(sys.argv[1]), sys.argv[2])
