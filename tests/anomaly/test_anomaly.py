"""The anomaly detector on a live swerved: a provider that suddenly
answers slowly is flagged with an explanation in numbers, the flag is an
event, a /v1/anomalies entry, an alert, and (on_anomaly: shift) a lower
share in routing's trace; the learning survives a restart.

Time is compressed: one sample a second (anomaly.interval: 1s) and a
warm-up of five samples, so the hour-of-week baseline is this hour's."""

import json
import os
import threading
import time

import swerve_harness as sh

MSG = (b"From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\n"
       b"hello\r\n")


class Traffic:
    """Messages into swerved's SMTP port, a few per second, until stopped."""

    def __init__(self, daemon, per_second=8):
        self.daemon = daemon
        self.gap = 1.0 / per_second
        self.stop_ev = threading.Event()
        self.ids = []
        self.errors = []
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        conn = sh.SMTPConn(self.daemon.smtp_port, timeout=30)
        assert conn.ehlo("client.test").code == 250
        i = 0
        while not self.stop_ev.is_set():
            try:
                self.ids.append(sh.submit(self.daemon, "a@example.com",
                                          ["b%d@example.net" % (i % 3)],
                                          MSG, conn=conn))
            except Exception as e:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(e))
                return
            i += 1
            time.sleep(self.gap)

    def stop(self):
        self.stop_ev.set()
        self.t.join(10)
        assert not self.errors, self.errors


def anomalies(d):
    code, obj = d.admin_json("/v1/anomalies")
    assert code == 200, obj
    return obj


def config(lab, primary, backup, backup_priority=2, **anomaly):
    # threshold 8: with the 25 ms floor of latency, +200 ms fires (the
    # mock's slow 400 does), the jitter of a busy test machine does not
    a = {"interval": "1s", "warmup": "5s", "min_volume": 3,
         "threshold": 8}
    a.update(anomaly)
    return dict(
        providers=[sh.provider("primary", primary.smtp_port, 1),
                   sh.provider("backup", backup.smtp_port, backup_priority)],
        anomaly=a,
        alerts={"interval": "1s",
                "rules": [{"name": "unusual", "kind": "anomaly",
                           "for": "0s"}]})


def test_a_slow_provider_is_flagged_explained_and_alerted(lab):
    primary, backup = lab.mock("primary"), lab.mock("backup")
    d = lab.daemon(**config(lab, primary, backup))
    traffic = Traffic(d)
    try:
        # learn: ~10 samples of a fast provider
        sh.wait_until(lambda: anomalies(d)["signals"] >= 5, 15,
                      what="signals learnt")
        time.sleep(10)
        assert anomalies(d)["firing"] == []
        primary.set_mode("slow 400")
        sh.wait_until(
            lambda: any(f["signal"] == "latency" and f["provider"] == "primary"
                        for f in anomalies(d)["firing"]), 20,
            what="latency anomaly at primary")
    finally:
        traffic.stop()
    f = [f for f in anomalies(d)["firing"] if f["signal"] == "latency"][0]
    text = f["text"]
    # words and numbers: the signal, the provider, the value, the usual
    assert text.startswith("acceptance latency at primary "), text
    assert " ms over the last 1 s (mean of " in text, text
    assert "; usual for " in text and " ms +- " in text, text
    value = float(text.split("at primary ")[1].split(" ms")[0])
    assert value >= 300, text
    # an event, a log line and an alert
    assert "anomaly: acceptance latency at primary" in d.log_text()
    sh.wait_until(
        lambda: any(a["kind"] == "anomaly" and a.get("provider") == "primary"
                    and "acceptance latency" in a["summary"]
                    for a in d.admin_json("/v1/alerts")[1]["alerts"]), 10,
        what="an anomaly alert for primary")
    # swervectl anomalies shows the same
    out = sh.swervectl(["-c", d.config_path,
                        "anomalies"])
    assert out.returncode == 0, out.stderr
    assert "acceptance latency at primary" in out.stdout, out.stdout
    assert len(traffic.ids) > 20


def test_shift_lowers_the_share_and_says_why_in_the_trace(lab):
    primary, backup = lab.mock("primary"), lab.mock("backup")
    # same priority: the weights (and the shift) decide between them
    d = lab.daemon(**config(lab, primary, backup, backup_priority=1,
                            on_anomaly="shift", shift_share="10%"))
    traffic = Traffic(d)
    try:
        sh.wait_until(lambda: anomalies(d)["signals"] >= 5, 15,
                      what="signals learnt")
        time.sleep(8)
        primary.set_mode("slow 400")
        sh.wait_until(lambda: anomalies(d)["firing"], 20,
                      what="an anomaly")
        n = len(traffic.ids)
        sh.wait_until(lambda: len(traffic.ids) >= n + 3, 10,
                      what="more traffic")
        qid = traffic.ids[-1]
    finally:
        traffic.stop()
    def trace():
        out = sh.swervectl(["-c", d.config_path, "trace", qid])
        assert out.returncode == 0, out.stderr
        return out.stdout

    sh.wait_until(lambda: "chose" in trace(), 15, what="an attempt's trace")
    assert "anomaly: acceptance latency at primary" in trace(), trace()


def test_learning_survives_a_restart(lab):
    primary, backup = lab.mock("primary"), lab.mock("backup")
    d = lab.daemon(**config(lab, primary, backup, warmup="1h"))
    traffic = Traffic(d)
    try:
        sh.wait_until(lambda: anomalies(d)["signals"] >= 5, 15,
                      what="signals learnt")
        time.sleep(3)
    finally:
        traffic.stop()
    before = anomalies(d)["signals"]
    d.stop()
    state = os.path.join(d.spool_dir, "anomaly.state")
    assert os.path.getsize(state) > 1000
    with open(state, "rb") as f:
        assert f.readline().startswith(b"swerve-anomaly 1 ")
    d.start()
    assert anomalies(d)["signals"] == before
    assert "signals' learning read from" in d.log_text()


def test_a_damaged_learning_file_starts_again_and_says_so(lab):
    primary, backup = lab.mock("primary"), lab.mock("backup")
    d = lab.daemon(start=False, **config(lab, primary, backup))
    os.makedirs(d.spool_dir, exist_ok=True)
    with open(os.path.join(d.spool_dir, "anomaly.state"), "wb") as f:
        f.write(b"swerve-anomaly 1 99\n\x00\x05junk")
    d.start()
    assert anomalies(d)["signals"] == 0
    assert "learning starts again" in d.log_text()


def test_off_means_404_and_no_file(lab):
    primary, backup = lab.mock("primary"), lab.mock("backup")
    d = lab.daemon(**config(lab, primary, backup), )
    d.stop()
    cfg = d.config
    cfg["anomaly"] = {"enabled": False}
    d.write_config()
    os.unlink(os.path.join(d.spool_dir, "anomaly.state"))
    d.start()
    code, obj = d.admin_json("/v1/anomalies")
    assert code == 404, obj
    d.stop()
    assert not os.path.exists(os.path.join(d.spool_dir, "anomaly.state"))


def test_replay_flags_a_recorded_spike(tmp_path):
    rows = ["timestamp,value"]
    t0 = 1796601600  # a Monday
    for i in range(3000):
        v = 100 + (i % 7)
        if 2500 <= i < 2506:
            v = 400
        rows.append("%d,%d" % (t0 + i * 300, v))
    p = tmp_path / "series.csv"
    p.write_text("\n".join(rows) + "\n")
    out = sh.swervectl(["anomaly", "replay", str(p), "--json"])
    assert out.returncode == 0, out.stderr
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    firing = [x for x in lines if x.get("event") == "firing"]
    assert len(firing) == 1, lines
    assert firing[0]["t"].startswith("2026-12-15T16:"), firing  # sample 2500
    assert lines[-1] == {"samples": 3000, "anomalies": 1}
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,value\n1796601600,1\nnonsense\n")
    out = sh.swervectl(["anomaly", "replay", str(bad)])
    assert out.returncode == 2
    assert "line 3" in out.stderr
