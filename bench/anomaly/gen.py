"""bench/anomaly/gen.py - synthetic delivery signals with known anomalies.

Each series is six weeks of 5-minute samples starting on a Monday, of one
of three kinds, with the daily and weekly shape of transactional mail
(busy weekday afternoons, quiet nights, weekends at half volume) and
sampling noise:

  deferral  the share of attempts deferred (watched upwards): binomial
            noise around 0.7%; anomalies: a level shift (a provider starts
            deferring a domain), a short spike, a slow drift;
  volume    messages accepted per 5 minutes (watched both ways): Poisson
            noise; anomalies: a drop (an application stopped sending), a
            holiday dip (a whole day at 40%), a campaign spike;
  latency   acceptance latency in ms (watched upwards): log-normal noise;
            anomalies: a level shift, a spike.

Two or three anomalies a series, all after day 14 (the first two weeks
teach the weekly shape). Each is labelled by a window from its start to
its end plus one hour (room to detect a short spike).
"""
import math
import random

STEP = 300  # seconds
DAYS = 42
T0 = 1796601600  # 2026-12-07T00:00:00Z, a Monday


def shape(i):
    """Relative traffic at step i: 1.0 at a weekday afternoon peak."""
    day = i // 288
    hour = (i % 288) / 12
    daily = 0.25 + 0.75 * max(0.0, math.sin((hour - 6) / 16 * math.pi)) \
        if 6 <= hour <= 22 else 0.25
    return daily * (0.5 if day % 7 >= 5 else 1.0)


def write_series(path, seed):
    rnd = random.Random(seed)
    kind = ('deferral', 'volume', 'latency')[seed % 3]
    n = DAYS * 288
    anomalies = []
    starts = sorted(rnd.sample(range(15 * 288, n - 2 * 288, 288), 3))
    for k, s in enumerate(starts[:rnd.choice((2, 3))]):
        s += rnd.randrange(0, 288)
        if kind == 'deferral':
            a = rnd.choice(('shift', 'spike', 'drift'))
        elif kind == 'volume':
            a = rnd.choice(('drop', 'holiday', 'spike'))
        else:
            a = rnd.choice(('shift', 'spike'))
        dur = {'shift': rnd.randrange(24, 96), 'spike': rnd.randrange(3, 8),
               'drift': 144, 'drop': rnd.randrange(24, 72),
               'holiday': 288}[a]
        if a == 'holiday':
            s = s - s % 288
        anomalies.append((s, s + dur, a))
    with open(path, 'w') as f:
        f.write('timestamp,value\n')
        for i in range(n):
            act = None
            for s, e, a in anomalies:
                if s <= i < e:
                    act = (a, i - s, e - s)
            vol = 2000 * shape(i)
            if kind == 'deferral':
                p = 0.007 * (1 + 0.3 * shape(i))
                if act:
                    a, k, d = act
                    p = {'shift': 0.08, 'spike': 0.25,
                         'drift': 0.007 + 0.10 * k / d}[a]
                sent = max(1, int(rnd.gauss(vol, math.sqrt(vol))))
                deferred = sum(1 for _ in range(sent) if rnd.random() < p) \
                    if sent < 300 else max(0, int(rnd.gauss(
                        sent * p, math.sqrt(sent * p * (1 - p)))))
                v = deferred / sent
            elif kind == 'volume':
                lam = vol
                if act:
                    a, k, d = act
                    lam = {'drop': vol * 0.15, 'holiday': vol * 0.4,
                           'spike': vol * 3}[a]
                v = max(0, int(rnd.gauss(lam, math.sqrt(lam + 1))))
            else:
                base = 180 * (1 + 0.4 * shape(i))
                if act:
                    a, k, d = act
                    base *= {'shift': 3, 'spike': 8}[a]
                v = base * math.exp(rnd.gauss(0, 0.15))
            f.write('%d,%.6g\n' % (T0 + i * STEP, v))
    windows = [((T0 + s * STEP) * 1000, (T0 + e * STEP + 3600) * 1000)
               for s, e, _ in anomalies]
    return windows, {'deferral': 'up', 'volume': 'both',
                     'latency': 'up'}[kind]
