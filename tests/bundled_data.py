"""The data the tests carry in ``tests/data/`` (sources and licences: ``tests/data/README.md``).

Nothing in the test suite reads ``../shared``: a fresh clone with nothing beside it runs every
test. (``benchmarks/`` may read the whole Stress-Predict set there.)
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"

KUBIOS_RR = DATA / "kubios-sample" / "rr_ms.txt"
"""A 5-minute RR series (ms, one per line) that Kubios HRV Standard 3.1 analysed."""
KUBIOS_REPORT = DATA / "kubios-sample" / "kubios_report.txt"
"""Kubios' report for it: the reference figures the marker tests quote."""
STRESS_PREDICT = DATA / "stress-predict"
"""S19, S20 and S21 of Stress-Predict: the beats fixtures/make_fixtures.py builds from."""
