"""``kindbreak export``: windows with their markers as CSV, or one session's RR intervals as the
plain text Kubios reads (one interval in milliseconds per line, nothing else)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from kindbreak.errors import UsageError
from kindbreak.signal.score import band_of
from kindbreak.store import queries as q
from kindbreak.store.db import Store

WINDOW_COLUMNS = (
    "session_id",
    "source",
    "start_utc",
    "end_utc",
    "start_s",
    "end_s",
    "n_beats",
    "quality",
    "artifact_share",
    "coverage",
    "mean_hr_bpm",
    "recent_hr_bpm",
    "rmssd_ms",
    "sdnn_ms",
    "stress_score",
    "band",
    "stressed",
    "ref_hr_bpm",
    "ref_rmssd_ms",
    "spread_bpm",
)


def _iso(wall: float) -> str:
    return datetime.fromtimestamp(wall, UTC).isoformat(timespec="seconds")


def _num(x: float | None) -> str:
    return "" if x is None else repr(round(float(x), 4))


def write_windows_csv(store: Store, out: TextIO, *, session_id: int | None = None) -> int:
    """All windows (or one session's), markers flattened into ``marker_*`` columns."""
    wins = q.windows(store, session_id=session_id)
    sources = {s.id: s.source for s in q.sessions(store)}
    marker_keys = sorted(
        {k for w in wins for k in w.markers} - {"mean_hr_bpm", "rmssd_ms", "sdnn_ms"}
    )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*WINDOW_COLUMNS, *(f"marker_{k}" for k in marker_keys)])
    for w in wins:
        writer.writerow(
            [
                w.session_id,
                sources.get(w.session_id, ""),
                _iso(w.start_wall),
                _iso(w.end_wall),
                _num(w.start_s),
                _num(w.end_s),
                w.n_beats,
                w.quality,
                _num(w.artifact_share),
                _num(w.coverage),
                _num(w.mean_hr_bpm),
                _num(w.recent_hr_bpm),
                _num(w.rmssd_ms),
                _num(w.sdnn_ms),
                _num(w.score),
                "" if w.score is None else band_of(w.score).value,
                int(w.stressed),
                _num(w.ref_hr_bpm),
                _num(w.ref_rmssd_ms),
                _num(w.spread_bpm),
                *(_num(w.markers.get(k)) for k in marker_keys),
            ]
        )
    return len(wins)


def _rr_text(rr_ms: float) -> str:
    return f"{rr_ms:.3f}".rstrip("0").rstrip(".")


def pick_session(store: Store, session_id: int | None) -> int:
    """The session to export beats of: the one asked for, else the latest with beats."""
    with_beats = [s for s in q.sessions(store) if s.n_beats]
    if session_id is not None:
        if not any(s.id == session_id for s in q.sessions(store)):
            raise UsageError(
                f"there is no session {session_id} in the log",
                hint="Sessions with beats: "
                + (", ".join(str(s.id) for s in with_beats) or "none yet"),
            )
        return session_id
    if not with_beats:
        raise UsageError(
            "the log holds no heartbeats to export yet",
            hint="Record with `kindbreak monitor` or bring files in with `kindbreak import`.",
        )
    return with_beats[-1].id


def write_rr(store: Store, out: TextIO, session_id: int) -> int:
    """One interval in ms per line (Kubios "ASCII RR"). Gaps cannot be written in this format;
    the beats on either side of a gap simply follow each other."""
    rows = q.beats(store, session_id)
    for _, rr, _ in rows:
        out.write(_rr_text(rr) + "\n")
    return len(rows)


@contextmanager
def private_output(path: Path | None, stdout: TextIO) -> Iterator[TextIO]:
    """Write to ``path`` (0600, whole or not at all, never through a link; see
    :func:`kindbreak.safefile.atomic_writer`) or to ``stdout``."""
    if path is None:
        yield stdout
        return
    from kindbreak.safefile import atomic_writer

    with atomic_writer(path, newline="") as fh:
        yield fh
