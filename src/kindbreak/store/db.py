"""The SQLite log: one file per user, append-only facts.

WAL mode, schema versioned with ``PRAGMA user_version`` and migrated forward on open. The file
(and its WAL and shared-memory files, which SQLite creates with the database file's mode) is
readable by the user alone. The log is shared between processes (a monitor writes while
``kindbreak log`` or ``report`` run; see :mod:`kindbreak.store.connection`): a writer keeps the
rows of a session (beats, windows, events, link states) in memory and writes them in one short
transaction at least once per second of session time (:meth:`Store.maybe_commit`), so a beat is
durable within a second of arrival, a ``kill -9`` loses nothing older, and another process
waits milliseconds, not seconds, for the write lock. Everything else (a session, a prompt, a
practice) is written at once in its own transaction. Reads see the pending rows too: they are
written first.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kindbreak.errors import StoreBusy, StoreError
from kindbreak.store.connection import (
    connect_readonly,
    connect_readwrite,
    transaction,
    translate,
)
from kindbreak.store.schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:  # numpy comes with the pipeline; the store only reads these records
    from kindbreak.signal.baseline import Baseline
    from kindbreak.signal.detector import DetectorEvent
    from kindbreak.signal.windows import WindowResult

DB_NAME = "kindbreak.sqlite3"
MAX_PENDING_S = 60.0
"""A writer keeps rows in memory while another process holds the lock, at most this long (in
session time) before the busy log becomes an error."""

OUTCOMES = ("done", "skipped", "snoozed")
"""What a person did with a prompt (or a practice of their own)."""
ANSWERED = ("done", "skipped")
"""Outcomes that answer a prompt; a snooze does not (the person may still take it)."""
SCORE_FRESH_S = 15 * 60.0
"""A stored stress score older than this is not "the stress state at that moment"."""

log = logging.getLogger("kindbreak")


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


@dataclass(frozen=True, slots=True)
class PromptRow:
    id: int
    wall: float
    prompt_id: str
    kind: str
    title: str


@dataclass(frozen=True, slots=True)
class BaselineRow:
    """A snapshot of the calm baseline, as ``kindbreak baseline --json`` shows it."""

    wall: float
    hr_bpm: float
    rmssd_ms: float
    n_windows: int
    session_id: int | None


class Store:
    """Thin, typed access to the log. Not thread-safe: one owner task writes.

    ``readonly=True`` opens an existing log for reading only (``report``, ``export``): nothing
    is created, and a log on a read-only disk can still be read.
    """

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        self._conn = self._open(path, readonly)
        self._pending: list[tuple[str, list[Sequence[Any]]]] = []
        self._last_commit_s: float | None = None
        self._busy_since_s: float | None = None

    # -- opening -------------------------------------------------------------------------

    @staticmethod
    def _open(path: Path, readonly: bool) -> sqlite3.Connection:
        if readonly:
            conn = connect_readonly(path)
            try:
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            except sqlite3.Error as exc:
                conn.close()
                raise translate(exc, path, "read the log") from exc
            if version >= SCHEMA_VERSION:
                Store._check_version(version, path)
                return conn
            # An older (or brand-new, empty) log: bring it forward once, then read.
            conn.close()
            Store._open(path, readonly=False).close()
            return connect_readonly(path)
        from kindbreak.safefile import data_error, private_dir

        private_dir(path.parent, error=data_error)
        conn = connect_readwrite(path)
        try:
            Store._migrate(conn, path)
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _check_version(version: int, path: Path) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path}: this log was written by a newer kindbreak (schema {version}, "
                f"this one knows {SCHEMA_VERSION})",
                hint="Update kindbreak; your log is untouched.",
            )

    @staticmethod
    def _migrate(conn: sqlite3.Connection, path: Path) -> None:
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as exc:
            raise translate(exc, path, "open the log") from exc
        Store._check_version(version, path)
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with transaction(conn, path, "update the log's format") as c:
                # Another process may have migrated while this one waited for the lock.
                if int(c.execute("PRAGMA user_version").fetchone()[0]) >= target:
                    continue
                for statement in MIGRATIONS[target]:
                    c.execute(statement)
                c.execute(f"PRAGMA user_version={target}")

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    # -- transactions --------------------------------------------------------------------

    @contextmanager
    def transaction(self, doing: str = "write to the log") -> Iterator[sqlite3.Connection]:
        """One short write transaction that also writes the rows still pending."""
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only; cannot {doing}")
        with transaction(self._conn, self.path, doing) as conn:
            self._write_pending(conn)
            yield conn

    def _write_pending(self, conn: sqlite3.Connection) -> None:
        for sql, rows in self._pending:
            conn.executemany(sql, rows)
        self._pending = []

    def commit(self) -> None:
        """Write the pending rows now (one short transaction)."""
        if self._pending:
            with self.transaction("save to the log"):
                pass

    def maybe_commit(self, now_s: float, every_s: float = 1.0) -> None:
        """Commit when ``every_s`` of session time has passed since the last commit.

        While another process holds the log for longer than the busy timeout, the rows stay in
        memory and the next call tries again; after :data:`MAX_PENDING_S` it is an error.
        """
        if self._last_commit_s is None or now_s - self._last_commit_s >= every_s:
            try:
                self.commit()
            except StoreBusy:
                if self._busy_since_s is None:
                    self._busy_since_s = now_s
                    log.warning("the log is busy; keeping new rows in memory and retrying")
                if now_s - self._busy_since_s > MAX_PENDING_S:
                    raise
                return
            self._busy_since_s = None
            self._last_commit_s = now_s

    @property
    def pending_rows(self) -> int:
        return sum(len(rows) for _, rows in self._pending)

    def discard_pending(self) -> int:
        """Forget the rows not yet written (after a write failed for good); returns how many."""
        n = self.pending_rows
        self._pending = []
        return n

    def make_room(self) -> bool:
        """Fold the WAL into the log and empty it (``wal_checkpoint(TRUNCATE)``), so a small
        write may fit again after the WAL hit a full disk or a size limit. True if it did."""
        try:
            busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error:
            return False
        return not busy

    def end_session_if_possible(self, session_id: int, ended_wall: float) -> bool:
        """After a write failed (a full disk): drop what cannot be written and still try to
        mark the session ended, making room once if needed. True if it was marked."""
        dropped = self.discard_pending()
        if dropped:
            log.warning("%d rows of the last second could not be saved", dropped)
        for attempt in range(2):
            try:
                self.end_session(session_id, ended_wall)
                return True
            except StoreError:
                if attempt == 0 and not self.make_room():
                    return False
        return False

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _buffer(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Keep rows to insert with the next commit."""
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only; cannot write to the log")
        if self._pending and self._pending[-1][0] == sql:
            self._pending[-1][1].extend(rows)
        else:
            self._pending.append((sql, list(rows)))

    def _read(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Run a query after writing what is pending, so this process reads its own rows."""
        self.commit()
        try:
            return self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise translate(exc, self.path, "read the log") from exc

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
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO sessions(started_wall, source, device_name, device_address, label,"
                " source_key) VALUES (?,?,?,?,?,?)",
                (started_wall, source, device_name, device_address, label, source_key),
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def end_session(self, session_id: int, ended_wall: float) -> None:
        with self.transaction("close the session in the log") as conn:
            conn.execute("UPDATE sessions SET ended_wall=? WHERE id=?", (ended_wall, session_id))

    def update_session_device(self, session_id: int, name: str, address: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE sessions SET device_name=?, device_address=? WHERE id=?",
                (name, address, session_id),
            )

    def finish_import(self, session_id: int, *, ended_wall: float, source_key: str) -> None:
        """Mark an import complete: its end and the key that makes a second import a no-op."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE sessions SET ended_wall=?, source_key=? WHERE id=?",
                (ended_wall, source_key, session_id),
            )

    def delete_session(self, session_id: int) -> None:
        """Remove a session and its facts (a half-done import), in one transaction."""
        self._pending = [
            (sql, [r for r in rows if r[0] != session_id]) for sql, rows in self._pending
        ]
        with self.transaction() as conn:
            for table in ("beats", "windows", "events", "baselines", "states"):
                conn.execute(f"DELETE FROM {table} WHERE session_id=?", (session_id,))
            conn.execute("DELETE FROM sessions WHERE id=?", (session_id,))

    def sessions_with_key_prefix(self, prefix: str) -> list[int]:
        rows = self._read(
            "SELECT id FROM sessions WHERE substr(source_key, 1, ?) = ?", (len(prefix), prefix)
        ).fetchall()
        return [int(r[0]) for r in rows]

    def session_by_key(self, source_key: str) -> int | None:
        row = self._read("SELECT id FROM sessions WHERE source_key=?", (source_key,)).fetchone()
        return None if row is None else int(row[0])

    def sessions(self) -> list[SessionRow]:
        rows = self._read(
            "SELECT id, started_wall, ended_wall, source, device_name, device_address, label"
            " FROM sessions ORDER BY started_wall"
        ).fetchall()
        return [SessionRow(*r) for r in rows]

    # -- facts ---------------------------------------------------------------------------

    def add_beats(self, session_id: int, beats: Iterable[tuple[float, float, bool]]) -> None:
        self._buffer(
            "INSERT INTO beats(session_id, t_s, rr_ms, gap_before) VALUES (?,?,?,?)",
            ((session_id, t, rr, int(g)) for t, rr, g in beats),
        )

    def add_state(self, session_id: int, t_s: float, state: str, detail: str = "") -> None:
        self._buffer(
            "INSERT INTO states(session_id, t_s, state, detail) VALUES (?,?,?,?)",
            [(session_id, t_s, state, detail)],
        )

    def add_window(self, session_id: int, window: WindowResult) -> None:
        """A closed window of the pipeline: its quality, markers, score and detector state."""
        w = window
        markers = w.markers.as_dict()
        self._buffer(
            "INSERT INTO windows(session_id, start_s, end_s, n_beats, quality, artifact_share,"
            " coverage, mean_hr_bpm, recent_hr_bpm, rmssd_ms, sdnn_ms, score, stressed,"
            " markers_json, ref_hr_bpm, ref_rmssd_ms, spread_bpm)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    session_id,
                    w.start_s,
                    w.end_s,
                    w.n_beats,
                    w.quality.value,
                    _finite(w.artifact_share),
                    _finite(w.coverage),
                    _finite(markers.get("mean_hr_bpm")),
                    _finite(w.recent_hr_bpm),
                    _finite(markers.get("rmssd_ms")),
                    _finite(markers.get("sdnn_ms")),
                    _finite(w.score),
                    int(bool(w.stressed)),
                    json.dumps({k: _finite(v) for k, v in markers.items()}),
                    _finite(w.ref_hr_bpm),
                    _finite(w.ref_rmssd_ms),
                    _finite(w.spread_bpm),
                )
            ],
        )

    def add_event(self, session_id: int, event: DetectorEvent) -> None:
        """A detector event: stress rising, or the episode settled."""
        e = event
        self._buffer(
            "INSERT INTO events(session_id, t_s, kind, score, episode_start_s, peak_score)"
            " VALUES (?,?,?,?,?,?)",
            [(session_id, e.t_s, e.kind.value, e.score, e.episode_start_s, e.peak_score)],
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
        with self.transaction() as conn:
            cur = conn.execute(
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
        simulated: bool = False,
    ) -> int:
        """Log what the person did: ``done``, ``skipped`` or ``snoozed`` (for a prompt or not).
        ``simulated``: the answer came from a stand-in for the person (``demo --week``)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be done, skipped or snoozed, not {outcome!r}")
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO practices(prompt_row_id, wall, outcome, kind, note, score,"
                " duration_s, simulated) VALUES (?,?,?,?,?,?,?,?)",
                (
                    prompt_row_id,
                    wall,
                    outcome,
                    kind,
                    note,
                    _finite(score),
                    duration_s,
                    int(simulated),
                ),
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def prompt_walls(self, *, since_wall: float, until_wall: float) -> list[float]:
        """Wall times of the prompts sent after ``since_wall`` up to ``until_wall``, in order."""
        rows = self._read(
            "SELECT wall FROM prompts WHERE wall > ? AND wall <= ? ORDER BY wall",
            (since_wall, until_wall),
        ).fetchall()
        return [float(r[0]) for r in rows]

    def recent_prompt_ids(self, limit: int) -> list[str]:
        """The library ids of the last ``limit`` prompts sent, oldest first."""
        rows = self._read(
            "SELECT prompt_id FROM prompts ORDER BY wall DESC, id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [str(r[0]) for r in reversed(rows)]

    def last_prompt(self) -> PromptRow | None:
        """The prompt sent last, if any."""
        row = self._read(
            "SELECT id, wall, prompt_id, kind, title FROM prompts ORDER BY wall DESC, id DESC"
            " LIMIT 1"
        ).fetchone()
        return None if row is None else PromptRow(int(row[0]), float(row[1]), *map(str, row[2:]))

    def is_answered(self, prompt_row_id: int) -> bool:
        """Whether a practice answers the prompt (done or skipped; a snooze does not)."""
        row = self._read(
            "SELECT 1 FROM practices WHERE prompt_row_id=? AND outcome IN (?, ?) LIMIT 1",
            (prompt_row_id, *ANSWERED),
        ).fetchone()
        return row is not None

    def score_at(self, now_wall: float, max_age_s: float = SCORE_FRESH_S) -> float | None:
        """The stress score of the most recent scored window, if it is recent enough at
        ``now_wall`` to say how stressed the person is "now" (for logging a practice)."""
        row = self._read(
            "SELECT s.started_wall + w.end_s AS wall, w.score FROM windows w"
            " JOIN sessions s ON s.id = w.session_id WHERE w.score IS NOT NULL"
            " ORDER BY wall DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        wall, score = float(row[0]), float(row[1])
        return score if now_wall - wall <= max_age_s else None

    def calm_samples(
        self, *, since_wall: float, limit: int = 2000
    ) -> list[tuple[float, float, float, float]]:
        """(wall time, heart rate of the last minute, RMSSD, the recent calm heart rate it was
        scored against or NaN) of the calm windows since ``since_wall``, oldest first: good
        quality, scored, outside stress episodes. The newest ``limit`` are kept.

        Calm is "outside an episode", not "a low score": the baseline's spread is the spread of
        these windows around their reference, and keeping only low scores would cut that spread
        short, and with it the next spread, session after session."""
        rows = self._read(
            "SELECT s.started_wall + w.end_s, w.recent_hr_bpm, w.rmssd_ms, w.ref_hr_bpm"
            " FROM windows w"
            " JOIN sessions s ON s.id = w.session_id"
            " WHERE w.quality = 'good' AND w.score IS NOT NULL AND w.stressed = 0"
            " AND w.recent_hr_bpm IS NOT NULL AND w.rmssd_ms > 0"
            " AND s.started_wall + w.end_s > ?"
            " ORDER BY s.started_wall + w.end_s DESC LIMIT ?",
            (since_wall, limit),
        ).fetchall()
        return [
            (float(a), float(b), float(c), math.nan if d is None else float(d))
            for a, b, c, d in reversed(rows)
        ]

    def add_baseline(self, *, wall: float, baseline: Baseline, session_id: int | None) -> None:
        """A snapshot of the calm baseline (``kindbreak baseline`` shows the latest)."""
        b = baseline
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO baselines(wall, hr_bpm, rmssd_ms, n_windows, session_id)"
                " VALUES (?,?,?,?,?)",
                (wall, b.hr_bpm, b.rmssd_ms, b.n_windows, session_id),
            )

    def baselines(self, limit: int = 14) -> list[BaselineRow]:
        """The latest baseline snapshots, newest first."""
        rows = self._read(
            "SELECT wall, hr_bpm, rmssd_ms, n_windows, session_id FROM baselines"
            " ORDER BY wall DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            BaselineRow(
                float(w), float(hr), float(rmssd), int(n), None if sid is None else int(sid)
            )
            for w, hr, rmssd, n, sid in rows
        ]

    # -- queries -------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        cur = self._read(sql, params)
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
            return int(self._read(f"SELECT count(*) FROM {table}").fetchone()[0])
        return int(
            self._read(
                f"SELECT count(*) FROM {table} WHERE session_id=?", (session_id,)
            ).fetchone()[0]
        )
