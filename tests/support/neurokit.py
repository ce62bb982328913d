"""NeuroKit2's markers of two series (the Kubios sample and a seeded synthetic one), computed in
a child interpreter while the rest of the suite runs (importing NeuroKit2 takes seconds)."""

from __future__ import annotations

import os
import subprocess

from support.data import KUBIOS_RR, REPO

NEUROKIT_CHILD = """
import json, sys
import numpy as np
from kindbreak.signal.hrv import neurokit_markers
series = json.loads(sys.argv[1])
json.dump({k: neurokit_markers(np.asarray(v, dtype=float)).as_dict() for k, v in series.items()},
          sys.stdout)
"""


def neurokit_series() -> dict[str, list[float]]:
    """The series compared with NeuroKit2: the Kubios sample and a seeded synthetic one (600
    beats around 850 ms with a slow oscillation)."""
    import math
    import random

    rng = random.Random(2024)
    out = {"synthetic": [rng.gauss(850.0, 45.0) + 30.0 * math.sin(i / 4.0) for i in range(600)]}
    out["kubios"] = [float(x) for x in KUBIOS_RR.read_text().split()]
    return out


def start_neurokit_child() -> subprocess.Popen[str]:
    import json
    import sys

    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.Popen(
        [sys.executable, "-c", NEUROKIT_CHILD, json.dumps(neurokit_series())],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
