"""`analyze --json` is written column by column, a block of windows at a time: the text is
exactly ``json.dumps(analysis.to_json(), indent=1)``."""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kindbreak.cli import main
from kindbreak.offline import json_text
from kindbreak.offline.analysis import Analysis, _r, analyze_file
from kindbreak.offline.json_text import _numbers, json_chunks
from support.beats import CALM_THEN_STRESS, synthetic_rr
from support.data import KUBIOS_RR

WORKDAY = Path(__file__).resolve().parents[2] / "src" / "kindbreak" / "data" / "workday.jsonl"


def reference_text(a: Analysis) -> str:
    return json.dumps(a.to_json(), indent=1, allow_nan=False) + "\n"


@pytest.fixture(scope="module")
def with_gaps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CSV of calm then stress with a contact gap of 4 minutes and impossible intervals:
    poor windows, windows without a score, null markers."""
    rr = synthetic_rr(CALM_THEN_STRESS, seed=3)
    third = len(rr) // 3
    rr[third + 40 : third + 45] = [3000.0] * 5  # dropped by the pipeline
    lines, t = ["time_s,rr_ms,gap_before"], 0.0
    for i, v in enumerate(rr):
        t += v / 1000.0 + (240.0 if i == third else 0.0)
        lines.append(f"{t:.3f},{v:.1f},{int(i == third)}")
    path = tmp_path_factory.mktemp("rr") / "gaps.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_text_is_json_dumps_of_the_document(
    with_gaps: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_text, "BLOCK_WINDOWS", 7)  # many blocks, one cut mid-way
    for path, correction in ((WORKDAY, "none"), (with_gaps, "auto"), (KUBIOS_RR, "none")):
        a = analyze_file(path, correction=correction)
        text = "".join(json_chunks(a))
        assert text == reference_text(a), path
    doc = json.loads(text)
    assert doc["windows"] == []  # the Kubios sample: under five minutes
    gaps = json.loads("".join(json_chunks(analyze_file(with_gaps))))
    assert len(gaps["windows"]) >= 7 * 3
    assert any(w["stress_score"] is None for w in gaps["windows"])
    assert any(w["quality"] == "poor" for w in gaps["windows"])


def test_the_command_writes_that_text() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["analyze", "--json", str(WORKDAY)]) == 0
    assert out.getvalue() == reference_text(analyze_file(WORKDAY))


EDGES = [0.0, -0.0, 0.00005, 0.00015, 2.675, 1.00005, -1.00005, 0.5, 1e-7, -1e-7, 99999.99995]
EDGES += [1e10 + 0.5, 1e11, 1e11 + 0.25, 1.5e16, 1e300, -1e300, 5e-324, math.nan, math.inf]


@pytest.mark.parametrize("digits", [0, 1, 2, 3, 4])
def test_numbers_are_rounded_as_round_and_written_as_json(digits: int) -> None:
    x = np.array([*EDGES, -math.inf, *np.random.default_rng(digits).normal(60, 40, 2000)])
    x = np.concatenate((x, np.round(x[:500], digits), np.round(x[:500], digits) + 0.5e-4))
    assert _numbers(x, digits) == [json.dumps(_r(v, digits)) for v in x.tolist()]


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=50), st.integers(1, 4))
def test_numbers_of_any_floats(values: list[float], digits: int) -> None:
    x = np.array(values, dtype=np.float64)
    assert _numbers(x, digits) == [json.dumps(_r(v, digits)) for v in values]
