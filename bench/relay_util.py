#!/usr/bin/python3
"""relay_util.py - small measuring helpers for bench/relay.sh.

  relay_util.py count SINKOUT
      print the message count of a running `smtp-sink -c` whose stdout goes
      to SINKOUT (the last "mesg=N" in the file; 0 if none yet).

  relay_util.py wait SINKOUT TARGET TIMEOUT_S [QUIET_S]
      poll SINKOUT every 5 ms until the count reaches TARGET (or TIMEOUT_S
      passes). Then keep watching for QUIET_S more seconds (default 1) to
      catch duplicates. Prints "reached=0|1 at=EPOCH count=N final=M", where
      at is the wall time at which the count was first seen >= TARGET (or
      the timeout), count the count at that moment and final the count
      after the quiet period.

  relay_util.py cpu PID
      print utime+stime+cutime+cstime, in clock ticks, summed over PID and
      every live descendant of PID (from /proc/*/stat). Children that
      exited and were reaped are in their parent's cutime/cstime, so the
      sum only grows; the difference of two readings is the CPU the whole
      process tree used in between (Postfix's master and every daemon it
      forked, or swerved and all of its threads).

What it does not do: start or stop anything.
"""
import os
import re
import sys
import time

MESG = re.compile(rb"mesg=(\d+)")


def sink_count(path):
    """The last mesg=N in the tail of an smtp-sink -c output file."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 512))
            tail = f.read()
    except OSError:
        return 0
    found = MESG.findall(tail)
    return int(found[-1]) if found else 0


def stat_fields(pid):
    """(ppid, ticks) of one process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rindex(b")") + 2:].split()
    # rest[0] is field 3 (state); utime is field 14 -> rest[11].
    ppid = int(rest[1])
    ticks = sum(int(x) for x in rest[11:15])
    return ppid, ticks


def tree_cpu(root):
    """Ticks used by root and its live descendants (incl. reaped kids)."""
    procs = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = stat_fields(int(name))
            if st is not None:
                procs[int(name)] = st
    kids = {}
    for pid, (ppid, _) in procs.items():
        kids.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in procs:
            total += procs[pid][1]
        todo.extend(kids.get(pid, []))
    return total


def main(argv):
    if len(argv) >= 3 and argv[1] == "count":
        print(sink_count(argv[2]))
        return 0
    if len(argv) >= 5 and argv[1] == "wait":
        path, target, timeout = argv[2], int(argv[3]), float(argv[4])
        quiet = float(argv[5]) if len(argv) > 5 else 1.0
        deadline = time.time() + timeout
        reached, n = 0, sink_count(path)
        while True:
            n = sink_count(path)
            if n >= target:
                reached = 1
                break
            if time.time() >= deadline:
                break
            time.sleep(0.005)
        t = time.time()
        if reached:
            time.sleep(quiet)
        print(f"reached={reached} at={t:.6f} count={n} "
              f"final={sink_count(path)}")
        return 0
    if len(argv) >= 3 and argv[1] == "cpu":
        print(tree_cpu(int(argv[2])))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
