"""Where the tests find their data: what they carry in ``tests/data/`` (sources and licences:
``tests/data/README.md``), the recorded fixtures in ``fixtures/`` and the bundled workday.

Nothing in the test suite reads ``../shared``: a fresh clone with nothing beside it runs every
test. (``benchmarks/`` may read the whole Stress-Predict set there.)
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
FIXTURES = REPO / "fixtures"
"""The recordings built by ``fixtures/make_fixtures.py`` (short, contact loss, HR-only)."""
WORKDAY = REPO / "src" / "kindbreak" / "data" / "workday.jsonl"
"""The 64-minute workday ``kindbreak demo`` replays (package data)."""

KUBIOS_RR = DATA / "kubios-sample" / "rr_ms.txt"
"""A 5-minute RR series (ms, one per line) that Kubios HRV Standard 3.1 analysed."""
KUBIOS_REPORT = DATA / "kubios-sample" / "kubios_report.txt"
"""Kubios' report for it: the reference figures the marker tests quote."""
STRESS_PREDICT = DATA / "stress-predict"
"""S19, S20 and S21 of Stress-Predict: the beats fixtures/make_fixtures.py builds from."""
