"""A real authoritative DNS server on loopback for the readiness tests:
NSD (Debian `nsd`) run unprivileged from a temporary directory on a free
port, serving one zone written by the test; and a UDP server that
answers every question with a malformed message."""

import os
import socket
import struct
import threading

import swerve_harness as sh

NSD = "/usr/sbin/nsd"

SOA = """$ORIGIN {origin}.
$TTL 60
@ IN SOA ns.{origin}. admin.{origin}. 1 3600 600 86400 60
@ IN NS ns.{origin}.
ns IN A 127.0.0.1
"""


class Nsd:
    """nsd -d serving zones {origin: "records..."} on 127.0.0.1:port."""

    def __init__(self, tmp, zones):
        self.dir = os.path.join(str(tmp), "nsd")
        os.makedirs(self.dir, exist_ok=True)
        self.port = sh.free_port()
        conf = ["server:",
                "  ip-address: 127.0.0.1@%d" % self.port,
                "  port: %d" % self.port,
                '  username: ""', '  chroot: ""',
                '  zonesdir: "%s"' % self.dir, '  database: ""',
                '  pidfile: "%s/nsd.pid"' % self.dir,
                '  xfrdfile: "%s/xfrd.state"' % self.dir,
                '  xfrdir: "%s"' % self.dir,
                '  zonelistfile: "%s/zone.list"' % self.dir,
                '  logfile: "%s/nsd.log"' % self.dir,
                "  server-count: 1", "  verbosity: 1",
                "remote-control:", "  control-enable: no"]
        for origin, records in zones.items():
            with open(os.path.join(self.dir, origin + ".zone"), "w") as f:
                f.write(SOA.format(origin=origin) + records.strip() + "\n")
            conf += ["zone:", "  name: %s" % origin,
                     "  zonefile: %s.zone" % origin]
        self.conf = os.path.join(self.dir, "nsd.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(conf) + "\n")
        self.proc = sh.spawn([NSD, "-d", "-c", self.conf],
                             os.path.join(self.dir, "stderr.log"))
        sh.wait_until(self._answers, 15, what="nsd answers")

    @property
    def resolver(self):
        return "127.0.0.1:%d" % self.port

    def _answers(self):
        q = struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0)
        q += b"".join(bytes([len(p)]) + p.encode()
                      for p in "ns.invalid".split(".")) + b"\0"
        q += struct.pack(">HH", 1, 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.3)
        try:
            s.sendto(q, ("127.0.0.1", self.port))
            return len(s.recv(512)) >= 12
        except OSError:
            return False
        finally:
            s.close()

    def stop(self):
        sh.stop_popen(self.proc)


class GarbageDns:
    """Answers every UDP question with the question's id and a header
    that promises an answer the message does not hold."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self.asked = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def resolver(self):
        return "127.0.0.1:%d" % self.port

    def _serve(self):
        while self.running:
            try:
                q, peer = self.sock.recvfrom(512)
            except OSError:
                continue
            self.asked += 1
            # QR set, NOERROR, one question echoed, 3 answers promised,
            # then a name pointer past the end of the message.
            end = 12
            while end < len(q) and q[end] != 0:
                end += q[end] + 1
            question = q[12:end + 5]
            msg = q[:2] + struct.pack(">HHHHH", 0x8180, 1, 3, 0, 0)
            msg += question + b"\xc0\xff\x00\x10\x00\x01"
            try:
                self.sock.sendto(msg, peer)
            except OSError:
                pass

    def stop(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()
