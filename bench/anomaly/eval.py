#!/usr/bin/env python3
"""bench/anomaly/eval.py - precision, recall and detection delay of swerve's
anomaly detector (`swervectl anomaly replay`) against static thresholds
tuned on the same data, on labelled series.

    /usr/bin/python3 bench/anomaly/eval.py [--bin DIR] [--nab DIR] [--gen N]

Two sets:
  generated  N synthetic delivery signals (bench/anomaly/gen.py: daily and
             weekly seasonality, noise, level shifts, spikes, slow drifts,
             volume drops, holiday dips) with known anomaly windows;
  nab        the labelled Numenta Anomaly Benchmark series (default
             ../shared/data/nab next to the repository; skipped with a
             message when absent).

Scoring (simpler than NAB's own, and stated): a detection is the moment a
method starts firing. After the probation period (the first 15% of a
series, during which neither method may fire: the detector's warm-up),
a detection inside a labelled window is a true positive (the window is
found; later detections in the same window are neither), one outside
every window is a false positive. Precision = true positives / (true
positives + false positives); recall = windows found / windows after
probation; delay = first detection - window start, in samples.

The static baseline is given every advantage: for each series the one
threshold (upper or lower, whichever scores better) that maximises that
series' F1 is chosen by looking at its labels (an oracle no operator has),
and it fires and clears with the detector's own debounce (2 of 3 samples
over; clear after 12 in a row not over), so the comparison is of the
baselines alone.
"""
import argparse
import bisect
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import gen  # noqa: E402


def ts(s):
    s = s.strip().split('.')[0]
    return int(datetime.strptime(s, '%Y-%m-%d %H:%M:%S')
               .replace(tzinfo=timezone.utc).timestamp() * 1000)


def load_csv(path):
    t, v = [], []
    with open(path) as f:
        next(f)
        for line in f:
            a, b = line.rstrip('\n').split(',')
            t.append(ts(a) if not a.isdigit() else int(a) * 1000)
            v.append(float(b))
    return t, v


def score(times, detections, windows, probation_t):
    """detections: times (ms) a method started firing."""
    wins = [(a, b) for a, b in windows if b >= probation_t]
    found, fp, delays = set(), 0, []
    for d in detections:
        if d < probation_t:
            continue
        hit = None
        for i, (a, b) in enumerate(wins):
            if a <= d <= b:
                hit = i
                break
        if hit is None:
            fp += 1
        elif hit not in found:
            found.add(hit)
            a = wins[hit][0]
            delays.append(bisect.bisect_left(times, d) -
                          bisect.bisect_left(times, a))
    return len(found), fp, len(wins), delays


def detector(bin_dir, path, direction):
    out = subprocess.run(
        [os.path.join(bin_dir, 'swervectl'), 'anomaly', 'replay', path,
         '--json', '--warmup', '15%', '--dir', direction],
        check=True, capture_output=True, text=True).stdout
    det = []
    for line in out.splitlines():
        o = json.loads(line)
        if o.get('event') == 'firing':
            det.append(int(datetime.strptime(o['t'], '%Y-%m-%dT%H:%M:%S.%fZ')
                           .replace(tzinfo=timezone.utc).timestamp() * 1000))
    return det


def static_best(times, values, windows, probation_t):
    """The oracle threshold: best F1 over candidate levels, both sides."""
    vals = sorted(values)
    cands = {vals[int(q * (len(vals) - 1))] for q in
             [i / 200 for i in range(1, 200)]}
    best = None
    for side in ('up', 'down'):
        for thr in cands:
            # the detector's own debounce: fire on 2 of the last 3
            # samples over, clear after 12 in a row not over
            det, firing, last, clean = [], False, [], 0
            for t, v in zip(times, values):
                over = v > thr if side == 'up' else v < thr
                last = (last + [over])[-3:]
                clean = 0 if over else clean + 1
                if not firing and sum(last) >= 2:
                    firing = True
                    det.append(t)
                elif firing and clean >= 12:
                    firing = False
            tp, fp, nw, dl = score(times, det, windows, probation_t)
            p = tp / (tp + fp) if tp + fp else 0
            r = tp / nw if nw else 0
            f1 = 2 * p * r / (p + r) if p + r else 0
            if best is None or f1 > best[0]:
                best = (f1, tp, fp, nw, dl)
    return best[1:]


def evaluate(name, series, bin_dir):
    """series: list of (path, windows (ms pairs), direction)."""
    tot = {'swerve': [0, 0, 0, []], 'static': [0, 0, 0, []]}
    for path, windows, direction in series:
        times, values = load_csv(path)
        probation_t = times[int(len(times) * 0.15)]
        r = score(times, detector(bin_dir, path, direction), windows,
                  probation_t)
        s = static_best(times, values, windows, probation_t)
        for k, x in (('swerve', r), ('static', s)):
            tot[k][0] += x[0]
            tot[k][1] += x[1]
            tot[k][2] += x[2]
            tot[k][3] += x[3]
    rows = []
    for k in ('swerve', 'static'):
        tp, fp, nw, dl = tot[k]
        p = tp / (tp + fp) if tp + fp else 0
        r = tp / nw if nw else 0
        f1 = 2 * p * r / (p + r) if p + r else 0
        md = statistics.median(dl) if dl else float('nan')
        rows.append((name, k, len(series), nw, tp, fp, p, r, f1, md))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bin', default=os.path.join(ROOT, 'bin'))
    ap.add_argument('--nab', default=next(
        (d for d in (os.environ.get('SWERVE_NAB', ''),
                     os.path.join(ROOT, '..', 'shared', 'data', 'nab'),
                     '/work/shared/data/nab') if d and os.path.isdir(d)),
        os.path.join(ROOT, '..', 'shared', 'data', 'nab')))
    ap.add_argument('--gen', type=int, default=40)
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        series = []
        for i in range(a.gen):
            path = os.path.join(tmp, 'gen%03d.csv' % i)
            windows, direction = gen.write_series(path, seed=i)
            series.append((path, windows, direction))
        rows += evaluate('generated', series, a.bin)
    labels = os.path.join(a.nab, 'labels_windows.json')
    if os.path.exists(labels):
        lab = json.load(open(labels))
        series = []
        for rel, wins in sorted(lab.items()):
            path = os.path.join(a.nab, 'data', rel)
            if os.path.exists(path):
                series.append((path, [(ts(x), ts(y)) for x, y in wins],
                               'both'))
        rows += evaluate('nab', series, a.bin)
    else:
        print('nab: %s not found, skipped' % labels)
    print('%-9s %-7s %6s %7s %4s %4s %9s %6s %5s %12s' %
          ('set', 'method', 'series', 'windows', 'tp', 'fp', 'precision',
           'recall', 'f1', 'median delay'))
    for r in rows:
        print('%-9s %-7s %6d %7d %4d %4d %9.2f %6.2f %5.2f %12s' %
              (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8],
               '%.0f samples' % r[9] if r[9] == r[9] else '-'))


if __name__ == '__main__':
    main()
