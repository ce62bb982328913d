"""Schema of the log, as forward migrations keyed by the ``PRAGMA user_version`` they reach.

Times: ``*_wall`` columns are Unix seconds (UTC); ``t_s`` columns are seconds on the session's
monotonic clock, so a row's wall time is ``sessions.started_wall + t_s``.
"""

from __future__ import annotations

SCHEMA_VERSION = 3

MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            started_wall REAL NOT NULL,
            ended_wall REAL,
            source TEXT NOT NULL,            -- ble | replay | simulator | import | demo
            device_name TEXT NOT NULL DEFAULT '',
            device_address TEXT NOT NULL DEFAULT '',
            label TEXT NOT NULL DEFAULT '',
            source_key TEXT UNIQUE           -- content hash of an imported file
        )""",
        """CREATE TABLE beats (
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            t_s REAL NOT NULL,
            rr_ms REAL NOT NULL,
            gap_before INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX beats_session_t ON beats(session_id, t_s)",
        """CREATE TABLE states (
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            t_s REAL NOT NULL,
            state TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE windows (
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            start_s REAL NOT NULL,
            end_s REAL NOT NULL,
            n_beats INTEGER NOT NULL,
            quality TEXT NOT NULL,           -- good | poor
            artifact_share REAL,
            coverage REAL,
            mean_hr_bpm REAL,
            recent_hr_bpm REAL,
            rmssd_ms REAL,
            sdnn_ms REAL,
            score REAL,                      -- 0-100, NULL when quality is poor or calibrating
            stressed INTEGER NOT NULL DEFAULT 0,
            markers_json TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX windows_session_end ON windows(session_id, end_s)",
        """CREATE TABLE events (
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            t_s REAL NOT NULL,
            kind TEXT NOT NULL,              -- rising | settled
            score REAL,
            episode_start_s REAL,
            peak_score REAL
        )""",
        """CREATE TABLE prompts (
            id INTEGER PRIMARY KEY,
            session_id INTEGER REFERENCES sessions(id),
            wall REAL NOT NULL,
            t_s REAL,
            prompt_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            trigger TEXT NOT NULL,           -- stress | checkin | manual
            notifier TEXT NOT NULL,
            score REAL,
            shown INTEGER NOT NULL DEFAULT 1
        )""",
        """CREATE TABLE practices (
            id INTEGER PRIMARY KEY,
            prompt_row_id INTEGER REFERENCES prompts(id),
            wall REAL NOT NULL,
            outcome TEXT NOT NULL,           -- done | skipped | snoozed
            kind TEXT,
            note TEXT NOT NULL DEFAULT '',
            score REAL,
            duration_s REAL
        )""",
        """CREATE TABLE baselines (
            id INTEGER PRIMARY KEY,
            wall REAL NOT NULL,
            hr_bpm REAL NOT NULL,
            rmssd_ms REAL NOT NULL,
            n_windows INTEGER NOT NULL,
            session_id INTEGER REFERENCES sessions(id)
        )""",
    ],
    # 2: answers given by a stand-in for the person (`kindbreak demo --week`), so the report can
    # say which answers were simulated; every earlier practice was the person's own.
    2: [
        "ALTER TABLE practices ADD COLUMN simulated INTEGER NOT NULL DEFAULT 0",
    ],
    # 3: each scored window logs the recent calm state it was scored against and the person's
    # spread of calm heart rate its load was counted in (signal/reference.py, signal/score.py);
    # NULL for windows without a score and for windows logged before this version.
    3: [
        "ALTER TABLE windows ADD COLUMN ref_hr_bpm REAL",
        "ALTER TABLE windows ADD COLUMN ref_rmssd_ms REAL",
        "ALTER TABLE windows ADD COLUMN spread_bpm REAL",
    ],
}
