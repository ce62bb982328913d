"""Read-side queries the report, export and learning use.

Every time these return is wall time (Unix seconds, UTC): a session row's wall time is
``sessions.started_wall + t_s``. Rows come back as small frozen dataclasses so the report code
never touches SQL. Nothing here imports numpy: these are plain lists.
"""

from __future__ import annotations

import itertools
import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kindbreak.store.db import Store

DEFAULT_STEP_S = 30.0


@dataclass(frozen=True, slots=True)
class WindowRec:
    session_id: int
    start_wall: float
    end_wall: float
    start_s: float
    end_s: float
    n_beats: int
    quality: str
    artifact_share: float | None
    coverage: float | None
    mean_hr_bpm: float | None
    recent_hr_bpm: float | None
    rmssd_ms: float | None
    sdnn_ms: float | None
    score: float | None
    stressed: bool
    step_s: float
    markers: dict[str, float | None] = field(default_factory=dict)
    #: the recent calm state the window was scored against, and the person's spread of calm
    #: heart rate (None when unscored or logged before they were kept)
    ref_hr_bpm: float | None = None
    ref_rmssd_ms: float | None = None
    spread_bpm: float | None = None


@dataclass(frozen=True, slots=True)
class PromptRec:
    id: int
    session_id: int | None
    wall: float
    prompt_id: str
    kind: str
    title: str
    trigger: str
    score: float | None
    shown: bool
    outcome: str | None
    """The person's answer: the last practice logged against this prompt, if any."""


@dataclass(frozen=True, slots=True)
class PracticeRec:
    id: int
    prompt_row_id: int | None
    wall: float
    outcome: str
    kind: str | None
    note: str
    score: float | None
    duration_s: float | None
    prompt_wall: float | None
    """Wall time of the prompt this practice answers (None for a practice logged on its own)."""
    simulated: bool = False
    """Answered by a stand-in for the person (``kindbreak demo --week``), not by the person."""


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: int
    started_wall: float
    ended_wall: float | None
    source: str
    device_name: str
    label: str
    n_beats: int


# -- reading -------------------------------------------------------------------------------------


def _span(since_wall: float | None, until_wall: float | None) -> tuple[float, float]:
    return (
        -1e18 if since_wall is None else since_wall,
        1e18 if until_wall is None else until_wall,
    )


def session_steps(store: Store) -> dict[int, float]:
    """The window step of each session: the median spacing of its window ends."""
    ends: dict[int, list[float]] = {}
    for r in store.query("SELECT session_id, end_s FROM windows ORDER BY session_id, end_s"):
        ends.setdefault(int(r["session_id"]), []).append(float(r["end_s"]))
    steps: dict[int, float] = {}
    for sid, e in ends.items():
        diffs = [b - a for a, b in itertools.pairwise(e) if b > a]
        steps[sid] = float(statistics.median(diffs)) if diffs else DEFAULT_STEP_S
    return steps


def _markers(text: str) -> dict[str, float | None]:
    try:
        obj: Any = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(obj, dict):
        return {}
    return {
        str(k): (float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None)
        for k, v in obj.items()
    }


def windows(
    store: Store,
    since_wall: float | None = None,
    until_wall: float | None = None,
    *,
    session_id: int | None = None,
) -> list[WindowRec]:
    """Windows whose end falls in ``[since_wall, until_wall)``, in wall-time order."""
    lo, hi = _span(since_wall, until_wall)
    steps = session_steps(store)
    sql = (
        "SELECT w.*, s.started_wall AS t0 FROM windows w JOIN sessions s ON s.id = w.session_id"
        " WHERE s.started_wall + w.end_s >= ? AND s.started_wall + w.end_s < ?"
    )
    params: list[Any] = [lo, hi]
    if session_id is not None:
        sql += " AND w.session_id = ?"
        params.append(session_id)
    sql += " ORDER BY s.started_wall + w.end_s, w.session_id"
    out = []
    for r in store.query(sql, params):
        t0 = float(r["t0"])
        sid = int(r["session_id"])
        out.append(
            WindowRec(
                session_id=sid,
                start_wall=t0 + float(r["start_s"]),
                end_wall=t0 + float(r["end_s"]),
                start_s=float(r["start_s"]),
                end_s=float(r["end_s"]),
                n_beats=int(r["n_beats"]),
                quality=str(r["quality"]),
                artifact_share=r["artifact_share"],
                coverage=r["coverage"],
                mean_hr_bpm=r["mean_hr_bpm"],
                recent_hr_bpm=r["recent_hr_bpm"],
                rmssd_ms=r["rmssd_ms"],
                sdnn_ms=r["sdnn_ms"],
                score=r["score"],
                stressed=bool(r["stressed"]),
                step_s=steps.get(sid, DEFAULT_STEP_S),
                markers=_markers(str(r["markers_json"])),
                ref_hr_bpm=r["ref_hr_bpm"],
                ref_rmssd_ms=r["ref_rmssd_ms"],
                spread_bpm=r["spread_bpm"],
            )
        )
    return out


def prompts(
    store: Store, since_wall: float | None = None, until_wall: float | None = None
) -> list[PromptRec]:
    """Prompts sent in ``[since_wall, until_wall)``, each with the person's latest answer."""
    lo, hi = _span(since_wall, until_wall)
    rows = store.query(
        "SELECT p.*, (SELECT outcome FROM practices q WHERE q.prompt_row_id = p.id"
        " ORDER BY q.wall DESC, q.id DESC LIMIT 1) AS outcome"
        " FROM prompts p WHERE p.wall >= ? AND p.wall < ? ORDER BY p.wall, p.id",
        (lo, hi),
    )
    return [
        PromptRec(
            id=int(r["id"]),
            session_id=None if r["session_id"] is None else int(r["session_id"]),
            wall=float(r["wall"]),
            prompt_id=str(r["prompt_id"]),
            kind=str(r["kind"]),
            title=str(r["title"]),
            trigger=str(r["trigger"]),
            score=r["score"],
            shown=bool(r["shown"]),
            outcome=None if r["outcome"] is None else str(r["outcome"]),
        )
        for r in rows
    ]


def practices(
    store: Store, since_wall: float | None = None, until_wall: float | None = None
) -> list[PracticeRec]:
    """Practices logged in ``[since_wall, until_wall)``; ``kind`` falls back to the prompt's."""
    lo, hi = _span(since_wall, until_wall)
    rows = store.query(
        "SELECT q.*, p.wall AS prompt_wall, p.kind AS prompt_kind FROM practices q"
        " LEFT JOIN prompts p ON p.id = q.prompt_row_id"
        " WHERE q.wall >= ? AND q.wall < ? ORDER BY q.wall, q.id",
        (lo, hi),
    )
    out = []
    for r in rows:
        kind = r["kind"] if r["kind"] else r["prompt_kind"]
        out.append(
            PracticeRec(
                id=int(r["id"]),
                prompt_row_id=None if r["prompt_row_id"] is None else int(r["prompt_row_id"]),
                wall=float(r["wall"]),
                outcome=str(r["outcome"]),
                kind=None if kind is None else str(kind),
                note=str(r["note"]),
                score=r["score"],
                duration_s=r["duration_s"],
                prompt_wall=None if r["prompt_wall"] is None else float(r["prompt_wall"]),
                simulated=bool(r["simulated"]),
            )
        )
    return out


def sessions(store: Store) -> list[SessionInfo]:
    rows = store.query(
        "SELECT s.id, s.started_wall, s.ended_wall, s.source, s.device_name, s.label,"
        " (SELECT count(*) FROM beats b WHERE b.session_id = s.id) AS n_beats"
        " FROM sessions s ORDER BY s.started_wall, s.id"
    )
    return [
        SessionInfo(
            id=int(r["id"]),
            started_wall=float(r["started_wall"]),
            ended_wall=None if r["ended_wall"] is None else float(r["ended_wall"]),
            source=str(r["source"]),
            device_name=str(r["device_name"]),
            label=str(r["label"]),
            n_beats=int(r["n_beats"]),
        )
        for r in rows
    ]


def beats(store: Store, session_id: int) -> list[tuple[float, float, bool]]:
    """``(t_s, rr_ms, gap_before)`` of one session, in time order."""
    rows = store.query(
        "SELECT t_s, rr_ms, gap_before FROM beats WHERE session_id = ? ORDER BY t_s, rowid",
        (session_id,),
    )
    return [(float(r["t_s"]), float(r["rr_ms"]), bool(r["gap_before"])) for r in rows]


__all__: Sequence[str] = (
    "PracticeRec",
    "PromptRec",
    "SessionInfo",
    "WindowRec",
    "beats",
    "practices",
    "prompts",
    "session_steps",
    "sessions",
    "windows",
)
