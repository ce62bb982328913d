"""``kindbreak import``: FIT files with HRV messages, RR text and CSV, recordings; no duplicates."""

from __future__ import annotations

import io
import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import fitdecode
import pytest

from kindbreak.devices.fitfile import read_fit_beats
from kindbreak.errors import InputFileError
from kindbreak.offline.analysis import analyze_file
from kindbreak.offline.importer import file_key, import_file
from kindbreak.store.db import Store
from support.fit_writer import fit_crc, fit_file
from support.report_store import DAY1, write_recording

CREATED = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def _rr(n: int, seed: int = 3) -> list[int]:
    rng = random.Random(seed)
    return [round(900 + 60 * rng.random() - 30 + 40 * ((i % 5) - 2) / 2) for i in range(n)]


def _counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("sessions", "beats", "windows", "events", "baselines")
        }
    finally:
        conn.close()


def test_fit_crc_is_the_fit_sdk_crc() -> None:
    from fitdecode.utils import compute_crc

    assert fit_crc(b"123456789") == 0xBB3D  # CRC-16/ARC check value, which FIT uses
    data = fit_file(_rr(12))
    assert fit_crc(data[:-2]) == compute_crc(data[:-2])
    assert fit_crc(data) == 0  # a CRC over data plus its little-endian CRC is zero


def test_fitdecode_reads_the_written_file() -> None:
    rr = _rr(23)
    frames = list(fitdecode.FitReader(io.BytesIO(fit_file(rr))))
    hrv = [f for f in frames if isinstance(f, fitdecode.FitDataMessage) and f.name == "hrv"]
    assert len(hrv) == 5  # 23 beats in slots of 5
    got = [v for f in hrv for v in f.get_value("time") if v is not None]
    assert got == pytest.approx([v / 1000 for v in rr])
    file_id = next(f for f in frames if isinstance(f, fitdecode.FitDataMessage))
    assert file_id.get_value("time_created") == CREATED


def test_fit_import_stores_every_beat(tmp_path: Path) -> None:
    rr = _rr(900)  # about 14 minutes
    path = tmp_path / "activity.fit"
    path.write_bytes(fit_file(rr, created=CREATED))
    assert tuple(read_fit_beats(path).rr_ms) == tuple(float(v) for v in rr)
    db = tmp_path / "log.sqlite3"
    with Store(db) as store:
        res = import_file(store, path)
        assert not res.duplicate and res.file_kind == "fit"
        assert res.beats == len(rr)
        row = store.query(
            "SELECT count(*) AS n, avg(rr_ms) AS mean, max(t_s) AS last FROM beats"
            " WHERE session_id=?",
            (res.session_id,),
        )[0]
        assert row["n"] == len(rr)
        assert row["mean"] == pytest.approx(sum(rr) / len(rr))
        assert row["last"] == pytest.approx(sum(rr) / 1000.0)
        s = store.query("SELECT * FROM sessions WHERE id=?", (res.session_id,))[0]
        assert s["source"] == "import"
        assert s["started_wall"] == CREATED.timestamp()
        assert s["source_key"] == file_key(path.read_bytes())
        assert "garmin" in s["device_name"]
        assert res.windows == store.count("windows", res.session_id) > 0
    before = _counts(db)
    with Store(db) as store:
        again = import_file(store, path)
    assert again.duplicate and again.session_id == res.session_id
    assert _counts(db) == before


def test_same_content_under_another_name_is_not_imported_twice(tmp_path: Path) -> None:
    data = fit_file(_rr(300))
    (tmp_path / "a.fit").write_bytes(data)
    (tmp_path / "copy of a.fit").write_bytes(data)
    db = tmp_path / "log.sqlite3"
    with Store(db) as store:
        import_file(store, tmp_path / "a.fit")
        before = _counts(db)
        assert import_file(store, tmp_path / "copy of a.fit").duplicate
    assert _counts(db) == before


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"this is not a fit file\n", "is not a FIT file"),
        (fit_file(_rr(10), corrupt_crc=True), "CRC"),
        (fit_file([], with_hrv=False), "no HRV messages"),
        (fit_file(_rr(40))[:-30], "FIT"),
    ],
    ids=["text", "bad-crc", "no-hrv", "truncated"],
)
def test_bad_fit_files_name_the_file(tmp_path: Path, data: bytes, problem: str) -> None:
    path = tmp_path / "watch.fit"
    path.write_bytes(data)
    db = tmp_path / "log.sqlite3"
    with Store(db) as store, pytest.raises(InputFileError) as err:
        import_file(store, path)
    assert str(path) in str(err.value) and problem in str(err.value)
    assert err.value.exit_status == 2
    assert _counts(db)["sessions"] == 0


def test_rr_text_and_csv_exports(tmp_path: Path) -> None:
    rr = _rr(700, seed=9)
    text = tmp_path / "kubios.txt"
    text.write_text("\n".join(str(v) for v in rr) + "\n")
    csv_path = tmp_path / "elite.csv"
    unix0 = DAY1.timestamp()
    t, lines = 0.0, ["unix_time_s,t_rel_s,ibi_ms,gap_before"]
    for v in rr:
        t += v / 1000
        lines.append(f"{unix0 + t:.3f},{t:.3f},{v},0")
    csv_path.write_text("\n".join(lines) + "\n")
    db = tmp_path / "log.sqlite3"
    with Store(db) as store:
        a = import_file(store, text, start_wall=unix0)
        b = import_file(store, csv_path)
        for res in (a, b):
            assert res.file_kind == "rr" and res.beats == len(rr)
            mean = store.query(
                "SELECT avg(rr_ms) AS m FROM beats WHERE session_id=?", (res.session_id,)
            )[0]["m"]
            assert mean == pytest.approx(sum(rr) / len(rr))
        walls = [s.started_wall for s in store.sessions()]
    assert walls == pytest.approx([unix0, unix0], abs=1e-3)  # --start and the unix column


def test_text_without_a_time_notes_the_guess(tmp_path: Path) -> None:
    path = tmp_path / "polar.txt"
    path.write_text("\n".join(str(v) for v in _rr(50)) + "\n")
    with Store(tmp_path / "log.sqlite3") as store:
        res = import_file(store, path)
    assert any("modification time" in n for n in res.notes)


def test_recording_import_matches_analyze(tmp_path: Path) -> None:
    """The promise of one pipeline: import stores exactly the windows analyze computes."""
    rec = write_recording(tmp_path / "rec.jsonl", DAY1, seed=5)
    analysis = analyze_file(rec)
    db = tmp_path / "log.sqlite3"
    with Store(db) as store:
        res = import_file(store, rec)
        rows = store.query(
            "SELECT start_s, end_s, score, rmssd_ms FROM windows WHERE session_id=? ORDER BY end_s",
            (res.session_id,),
        )
        assert store.sessions()[0].started_wall == DAY1.timestamp()
        assert store.sessions()[0].device_name == "Polar H10 TEST"
    assert res.beats == len(analysis.beats)
    assert len(rows) == len(analysis.windows)
    for r, w in zip(rows, analysis.windows, strict=True):
        assert (r["start_s"], r["end_s"]) == (w.start_s, w.end_s)
        assert r["score"] == (pytest.approx(w.score) if w.score is not None else None)
    assert res.episodes == len(analysis.episodes)
    before = _counts(db)
    with Store(db) as store:
        assert import_file(store, rec).duplicate
    assert _counts(db) == before


def test_a_recording_broken_halfway_leaves_the_log_untouched(tmp_path: Path) -> None:
    rec = write_recording(tmp_path / "rec.jsonl", DAY1, seed=6)
    lines = rec.read_text().splitlines()
    lines.insert(len(lines) // 2, '{"t": "soon", "hex": "00"}')
    rec.write_text("\n".join(lines) + "\n")
    db = tmp_path / "log.sqlite3"
    with Store(db) as store, pytest.raises(InputFileError) as err:
        import_file(store, rec)
    assert str(rec) in str(err.value) and "line" in str(err.value)
    assert _counts(db) == {k: 0 for k in _counts(db)}


def test_missing_file(tmp_path: Path) -> None:
    with Store(tmp_path / "log.sqlite3") as store, pytest.raises(InputFileError, match="no such"):
        import_file(store, tmp_path / "nope.fit")
