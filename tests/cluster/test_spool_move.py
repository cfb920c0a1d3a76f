"""A node that will not come back (issue 17, part 6): its queue moves to
another node with `swervectl spool export` / `spool import`.

Node 1 holds a queue (the relay answers 4xx) and is killed with -9; its
spool is exported (offline, from the files) and imported into node 2
while node 2 is stopped. Then: every queued message is delivered once,
none twice (the mock counts), a message node 1 had delivered is not
exported, the ids are kept, importing twice adds nothing, a damaged file
is refused and changes nothing, and a running node's spool is not
imported into.
"""

import json
import os
import shutil

import swerve_harness as sh
from cluster_lib import WEB_KEY, api_keys, fleet

N = 30


def ctl(*args):
    return sh.swervectl(list(args))


def ids_in(path):
    with open(path) as f:
        lines = f.read().splitlines()
    return [json.loads(x)["id"] for x in lines[1:-1]]



def test_export_import_moves_a_dead_nodes_queue_once(lab):
    mock = lab.mock("relay")
    r = lab.redis()
    provs = [sh.provider("m", mock.smtp_port, 1)]
    c = {"redis": "redis://" + r.addr}
    n1 = lab.node(provs, "n1", dict(c, node_number=1), api_keys=api_keys())
    n2 = lab.node(provs, "n2", dict(c, node_number=2), api_keys=api_keys())
    sh.wait_until(lambda: fleet(n2)["nodes_alive"] == 2, 20, what="fleet")
    api1, api2 = sh.Api(n1), sh.Api(n2)

    def submit(d, rcpt):
        code, out, _ = sh.http_request(
            d.http_url + "/v1/messages", "POST", json.dumps({
                "from": "s@example.com", "to": rcpt, "subject": "move",
                "text": "hi\n"}).encode(),
            {"Content-Type": "application/json",
             "Authorization": "Bearer " + WEB_KEY})
        assert code == 202, out
        return json.loads(out)["id"]

    done = submit(n1, "done@example.net")
    api1.wait_state(done, "sent", 30)
    mock.set_mode("tempfail")
    queued = {submit(n1, "q%02d@example.net" % i): "q%02d@example.net" % i
              for i in range(N)}
    own = submit(n2, "own@example.net")
    sh.wait_until(lambda: all(api1.message(i)["state"] == "deferred"
                              for i in queued), 60,
                  what="node 1's queue deferred")
    n1.kill9()

    out_file = os.path.join(str(lab.tmp), "n1.export")
    got = ctl("--spool-dir", n1.spool_dir, "spool", "export", out_file)
    assert got.returncode == 0, got.stdout + got.stderr
    assert "%d messages exported" % N in got.stdout, got.stdout
    assert sorted(ids_in(out_file)) == sorted(queued)  # not `done`
    assert oct(os.stat(out_file).st_mode & 0o777) == "0o600"
    # A second export to the same file is refused (it writes new files).
    again = ctl("--spool-dir", n1.spool_dir, "spool", "export", out_file)
    assert again.returncode != 0 and "exists" in again.stdout

    # Node 2 running: its spool is in use; nothing is imported.
    busy = ctl("--spool-dir", n2.spool_dir, "spool", "import", out_file)
    assert busy.returncode != 0 and "in use" in busy.stdout, busy.stdout
    n2.stop()
    before = os.path.getsize(os.path.join(n2.spool_dir, "spool.db"))
    # A damaged file (one byte of a body changed) changes nothing.
    bad_file = os.path.join(str(lab.tmp), "bad.export")
    data = bytearray(open(out_file, "rb").read())
    k = data.index(b'"body":"') + 12
    data[k] = ord("A") if data[k] != ord("A") else ord("B")
    open(bad_file, "wb").write(bytes(data))
    bad = ctl("--spool-dir", n2.spool_dir, "spool", "import", bad_file)
    assert bad.returncode != 0, bad.stdout
    assert "checksum does not match" in bad.stdout, bad.stdout
    assert "nothing was imported" in bad.stdout
    # Cut short: refused as well.
    cut_file = os.path.join(str(lab.tmp), "cut.export")
    open(cut_file, "wb").write(open(out_file, "rb").read()[:-20])
    cut = ctl("--spool-dir", n2.spool_dir, "spool", "import", cut_file)
    assert cut.returncode != 0 and "cut short" in cut.stdout, cut.stdout
    assert os.path.getsize(os.path.join(n2.spool_dir, "spool.db")) == before
    assert not os.path.exists(os.path.join(n2.spool_dir, "spool.db-wal"))

    imp = ctl("--spool-dir", n2.spool_dir, "spool", "import", out_file)
    assert imp.returncode == 0, imp.stdout + imp.stderr
    assert "%d messages imported" % N in imp.stdout, imp.stdout
    assert "0 already there" in imp.stdout
    twice = ctl("--spool-dir", n2.spool_dir, "spool", "import", out_file)
    assert twice.returncode == 0, twice.stdout
    assert "0 messages imported" in twice.stdout
    assert "%d already there" % N in twice.stdout
    chk = ctl("--spool-dir", n2.spool_dir, "spool", "check")
    assert chk.returncode == 0, chk.stdout

    mock.set_mode("accept")
    # Node 2 answers for node 1's number from now on (its ids and the
    # events waiting for it in Redis).
    n2.config["cluster"]["adopt_number"] = 1
    n2.start()
    want = set(queued.values()) | {"own@example.net", "done@example.net"}

    def delivered():
        return [m["rcpt_to"][0] for m in mock.messages()]
    sh.wait_until(lambda: set(delivered()) >= want, 90, 0.2,
                  what="node 1's queue delivered by node 2")
    for i in queued:
        assert api2.message(i)["state"] == "sent"
    api2.wait_state(own, "sent", 30)
    got = delivered()
    assert sorted(got) == sorted(want), [x for x in got if got.count(x) > 1]
    # The ids were kept: node 2 answers for them itself.
    some = sorted(queued)[0]
    code, obj, hdrs = sh.http_request(
        n2.http_url + "/v1/messages/" + some, "GET", None,
        {"Authorization": "Bearer " + WEB_KEY})
    assert code == 200 and hdrs.get("X-Swerve-Node") is None
    # An id of node 1 that nobody has: node 2 answers 404 itself, not 503.
    ghost = some[:19] + ("0" if some[19] != "0" else "1")
    code, obj, hdrs = sh.http_request(
        n2.http_url + "/v1/messages/" + ghost, "GET", None,
        dict(sh.ADMIN_AUTH))
    assert code == 404, obj
    # An event another node forwarded to node 1 (its list in Redis) is
    # taken by node 2 and lands on the imported message.
    ev = {"v": 1, "from": "n3", "type": "hard_bounce", "provider": "m",
          "event_id": "moved-1", "swerve_id": some,
          "recipient": queued[some], "smtp_code": 550,
          "enhanced": "5.1.1", "diagnostic": "no such user"}
    assert r.cmd("RPUSH", "swerve:fwd:1", json.dumps(ev)) == "1"
    sh.wait_until(lambda: api2.message(some)["rcpts"][0]["outcome"]
                  == "bounced", 15, what="the event on the moved message")
    sh.wait_until(lambda: r.cmd("LLEN", "swerve:fwd:1") == "0", 10,
                  what="node 1's list emptied by node 2")
    shutil.rmtree(n1.spool_dir)  # never started again (docs/cluster.md)
