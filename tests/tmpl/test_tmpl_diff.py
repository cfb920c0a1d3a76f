"""test_tmpl_diff.py - swerve's template engine against the reference
implementations: thousands of seeded random-but-valid templates and data
(gen_cases.py) rendered by npm handlebars / mustache (ref_render.js) and
by swerve (tmpl_batch.c); every output must be identical, byte for byte.
The counts are printed (pytest -s) for the report.
"""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = int(os.environ.get("TMPL_DIFF_CASES", "3000"))


def _run(argv, stdin):
    p = subprocess.run(argv, input=stdin, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


def compare(cases, ref, mine):
    """(same, differing cases) of three parallel lists of results."""
    same, bad = 0, []
    assert len(ref) == len(cases) == len(mine)
    for c, a, b in zip(cases, ref, mine):
        if "out" in a and "out" in b and a["out"] == b["out"]:
            same += 1
        else:
            bad.append((c, a, b))
    return same, bad


def test_compare_sees_a_difference():
    c = [{"id": 0}, {"id": 1}]
    same, bad = compare(c, [{"out": "a"}, {"out": "b"}],
                        [{"out": "a"}, {"out": "b "}])
    assert same == 1 and len(bad) == 1
    same, bad = compare(c, [{"out": "a"}, {"error": "x"}],
                        [{"out": "a"}, {"error": "x"}])
    assert same == 1 and len(bad) == 1  # a refusal is never a pass


@pytest.mark.parametrize("dialect,seed", [("handlebars", 19),
                                          ("mustache", 19)])
def test_identical_to_reference(ref, batch, dialect, seed):
    gen = _run([sys.executable, os.path.join(HERE, "gen_cases.py"), dialect,
                str(CASES), str(seed)], "")
    cases = [json.loads(line) for line in gen.splitlines()]
    ref_out = [json.loads(line) for line in
               _run(["node", ref], gen).splitlines()]
    mine = [json.loads(line) for line in _run([batch], gen).splitlines()]
    same, bad = compare(cases, ref_out, mine)
    print("\n%s: %d cases, %d identical, %d differ"
          % (dialect, len(cases), same, len(bad)))
    for c, a, b in bad[:3]:
        print("CASE", json.dumps(c), "\n REF ", json.dumps(a),
              "\n MINE", json.dumps(b))
    assert len(cases) == CASES
    assert not bad
