"""The SQLite log: one file per user, append-only facts.

WAL mode, schema versioned with ``PRAGMA user_version`` and migrated forward on open. The file
(and its WAL and shared-memory files, which SQLite creates with the database file's mode) is
readable by the user alone. Writers batch rows and commit at least once per second of session
time (:meth:`Store.maybe_commit`), so a beat is durable within a second of arrival and a
``kill -9`` loses nothing older: a committed WAL transaction survives the process.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kindbreak.errors import StoreError
from kindbreak.store.schema import MIGRATIONS, SCHEMA_VERSION

DB_NAME = "kindbreak.sqlite3"


def _finite(x: float | None) -> float | None:
    if x is None:
        return None
    return float(x) if math.isfinite(x) else None


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    started_wall: float
    ended_wall: float | None
    source: str
    device_name: str
    device_address: str
    label: str


class Store:
    """Thin, typed access to the log. Not thread-safe: one owner task writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = self._open(path)
        self._dirty = False
        self._last_commit_s: float | None = None

    # -- opening -------------------------------------------------------------------------

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not path.exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA foreign_keys=ON")
                Store._migrate(conn, path)
                conn.execute("BEGIN")
            except BaseException:
                conn.close()
                raise
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path}: cannot open the kindbreak log ({exc})",
                hint="If the file is damaged, move it aside; kindbreak starts a new log.",
            ) from exc
        except OSError as exc:
            raise StoreError(f"{path}: cannot create the kindbreak log ({exc.strerror})") from exc
        return conn

    @staticmethod
    def _migrate(conn: sqlite3.Connection, path: Path) -> None:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path}: this log was written by a newer kindbreak (schema {version}, "
                f"this one knows {SCHEMA_VERSION})",
                hint="Update kindbreak; your log is untouched.",
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            conn.execute("BEGIN")
            for statement in MIGRATIONS[target]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={target}")
            conn.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    # -- transactions --------------------------------------------------------------------

    def commit(self) -> None:
        try:
            self._conn.execute("COMMIT")
            self._conn.execute("BEGIN")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: could not save to the log ({exc})") from exc
        self._dirty = False

    def maybe_commit(self, now_s: float, every_s: float = 1.0) -> None:
        """Commit when ``every_s`` of session time has passed since the last commit."""
        if self._last_commit_s is None or now_s - self._last_commit_s >= every_s:
            if self._dirty:
                self.commit()
            self._last_commit_s = now_s

    def close(self) -> None:
        try:
            if self._conn.in_transaction:
                self._conn.execute("COMMIT")
        finally:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        self._dirty = True
        return self._conn.execute(sql, params)

    @contextmanager
    def _write(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: could not write to the log ({exc})") from exc

    # -- sessions ------------------------------------------------------------------------

    def start_session(
        self,
        *,
        started_wall: float,
        source: str,
        device_name: str = "",
        device_address: str = "",
        label: str = "",
        source_key: str | None = None,
    ) -> int:
        with self._write():
            cur = self._exec(
                "INSERT INTO sessions(started_wall, source, device_name, device_address, label,"
                " source_key) VALUES (?,?,?,?,?,?)",
                (started_wall, source, device_name, device_address, label, source_key),
            )
        self.commit()
        assert cur.lastrowid is not None
        return cur.lastrowid

    def end_session(self, session_id: int, ended_wall: float) -> None:
        with self._write():
            self._exec("UPDATE sessions SET ended_wall=? WHERE id=?", (ended_wall, session_id))
        self.commit()

    def update_session_device(self, session_id: int, name: str, address: str) -> None:
        with self._write():
            self._exec(
                "UPDATE sessions SET device_name=?, device_address=? WHERE id=?",
                (name, address, session_id),
            )

    def session_by_key(self, source_key: str) -> int | None:
        row = self._conn.execute(
            "SELECT id FROM sessions WHERE source_key=?", (source_key,)
        ).fetchone()
        return None if row is None else int(row[0])

    def sessions(self) -> list[SessionRow]:
        rows = self._conn.execute(
            "SELECT id, started_wall, ended_wall, source, device_name, device_address, label"
            " FROM sessions ORDER BY started_wall"
        ).fetchall()
        return [SessionRow(*r) for r in rows]

    # -- facts ---------------------------------------------------------------------------

    def add_beats(self, session_id: int, beats: Iterable[tuple[float, float, bool]]) -> None:
        with self._write():
            self._dirty = True
            self._conn.executemany(
                "INSERT INTO beats(session_id, t_s, rr_ms, gap_before) VALUES (?,?,?,?)",
                ((session_id, t, rr, int(g)) for t, rr, g in beats),
            )

    def add_state(self, session_id: int, t_s: float, state: str, detail: str = "") -> None:
        with self._write():
            self._exec(
                "INSERT INTO states(session_id, t_s, state, detail) VALUES (?,?,?,?)",
                (session_id, t_s, state, detail),
            )

    def add_window(self, session_id: int, row: dict[str, Any]) -> None:
        markers = row.get("markers", {})
        with self._write():
            self._exec(
                "INSERT INTO windows(session_id, start_s, end_s, n_beats, quality, artifact_share,"
                " coverage, mean_hr_bpm, recent_hr_bpm, rmssd_ms, sdnn_ms, score, stressed,"
                " markers_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    session_id,
                    row["start_s"],
                    row["end_s"],
                    row["n_beats"],
                    row["quality"],
                    _finite(row["artifact_share"]),
                    _finite(row["coverage"]),
                    _finite(markers.get("mean_hr_bpm")),
                    _finite(row.get("recent_hr_bpm")),
                    _finite(markers.get("rmssd_ms")),
                    _finite(markers.get("sdnn_ms")),
                    _finite(row["score"]),
                    int(bool(row["stressed"])),
                    json.dumps({k: _finite(v) for k, v in markers.items()}),
                ),
            )

    def add_event(
        self,
        session_id: int,
        t_s: float,
        kind: str,
        score: float,
        episode_start_s: float,
        peak: float,
    ) -> None:
        with self._write():
            self._exec(
                "INSERT INTO events(session_id, t_s, kind, score, episode_start_s, peak_score)"
                " VALUES (?,?,?,?,?,?)",
                (session_id, t_s, kind, score, episode_start_s, peak),
            )

    def add_prompt(
        self,
        *,
        session_id: int | None,
        wall: float,
        t_s: float | None,
        prompt_id: str,
        kind: str,
        title: str,
        trigger: str,
        notifier: str,
        score: float | None,
        shown: bool,
    ) -> int:
        with self._write():
            cur = self._exec(
                "INSERT INTO prompts(session_id, wall, t_s, prompt_id, kind, title, trigger,"
                " notifier, score, shown) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    session_id,
                    wall,
                    t_s,
                    prompt_id,
                    kind,
                    title,
                    trigger,
                    notifier,
                    _finite(score),
                    int(shown),
                ),
            )
        self.commit()
        assert cur.lastrowid is not None
        return cur.lastrowid

    def add_practice(
        self,
        *,
        wall: float,
        outcome: str,
        prompt_row_id: int | None = None,
        kind: str | None = None,
        note: str = "",
        score: float | None = None,
        duration_s: float | None = None,
    ) -> int:
        """Log what the person did: ``done``, ``skipped`` or ``snoozed`` (for a prompt or not)."""
        if outcome not in ("done", "skipped", "snoozed"):
            raise ValueError(f"outcome must be done, skipped or snoozed, not {outcome!r}")
        with self._write():
            cur = self._exec(
                "INSERT INTO practices(prompt_row_id, wall, outcome, kind, note, score, duration_s)"
                " VALUES (?,?,?,?,?,?,?)",
                (prompt_row_id, wall, outcome, kind, note, _finite(score), duration_s),
            )
        self.commit()
        assert cur.lastrowid is not None
        return cur.lastrowid

    def last_prompt(self) -> sqlite3.Row | None:
        rows = self.query("SELECT * FROM prompts ORDER BY wall DESC, id DESC LIMIT 1")
        return rows[0] if rows else None

    def latest_score(self) -> tuple[float, float] | None:
        """(wall time, score) of the most recent scored window, for logging a practice."""
        rows = self.query(
            "SELECT s.started_wall + w.end_s AS wall, w.score FROM windows w"
            " JOIN sessions s ON s.id = w.session_id WHERE w.score IS NOT NULL"
            " ORDER BY wall DESC LIMIT 1"
        )
        return (float(rows[0]["wall"]), float(rows[0]["score"])) if rows else None

    def calm_samples(
        self, *, since_wall: float, max_score: float = 50.0, limit: int = 2000
    ) -> list[tuple[float, float, float]]:
        """(wall time, heart rate of the last minute, RMSSD) of the calm windows since
        ``since_wall``, oldest first: good quality, scored rest or low (at most ``max_score``).
        The newest ``limit`` are kept."""
        rows = self._conn.execute(
            "SELECT s.started_wall + w.end_s, w.recent_hr_bpm, w.rmssd_ms FROM windows w"
            " JOIN sessions s ON s.id = w.session_id"
            " WHERE w.quality = 'good' AND w.score IS NOT NULL AND w.score <= ?"
            " AND w.recent_hr_bpm IS NOT NULL AND w.rmssd_ms > 0"
            " AND s.started_wall + w.end_s > ?"
            " ORDER BY s.started_wall + w.end_s DESC LIMIT ?",
            (max_score, since_wall, limit),
        ).fetchall()
        return [(float(a), float(b), float(c)) for a, b, c in reversed(rows)]

    def add_baseline(
        self, *, wall: float, hr_bpm: float, rmssd_ms: float, n_windows: int, session_id: int | None
    ) -> None:
        with self._write():
            self._exec(
                "INSERT INTO baselines(wall, hr_bpm, rmssd_ms, n_windows, session_id)"
                " VALUES (?,?,?,?,?)",
                (wall, hr_bpm, rmssd_ms, n_windows, session_id),
            )
        self.commit()

    # -- queries -------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        cur = self._conn.execute(sql, params)
        cur.row_factory = sqlite3.Row  # type: ignore[assignment]
        return list(cur.fetchall())

    def count(self, table: str, session_id: int | None = None) -> int:
        if table not in {
            "sessions",
            "beats",
            "windows",
            "events",
            "prompts",
            "practices",
            "states",
            "baselines",
        }:
            raise ValueError(table)
        if session_id is None:
            return int(self._conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        return int(
            self._conn.execute(
                f"SELECT count(*) FROM {table} WHERE session_id=?", (session_id,)
            ).fetchone()[0]
        )
