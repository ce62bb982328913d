"""A prompt sink on a store with a fake notifier, the settings the prompt tests use (Berlin time),
and scored windows to put in the log."""

from __future__ import annotations

import math
import random
from datetime import datetime
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

from kindbreak.clock import VirtualClock
from kindbreak.config import PromptSettings, Settings
from kindbreak.live.prompt_sink import PromptSink
from kindbreak.paths import Paths
from kindbreak.signal.hrv import Markers
from kindbreak.signal.windows import Quality, WindowResult
from kindbreak.store.db import Store

ZONE = ZoneInfo("Europe/Berlin")


def local_wall(hhmm: str, day: str = "2026-03-02") -> float:
    """Unix seconds of a local (Berlin) time on ``day``."""
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=ZONE).timestamp()


def make_settings(**prompts: Any) -> Settings:
    base: dict[str, Any] = {"timezone": "Europe/Berlin", "summary_at": "", "notifier": "terminal"}
    base.update(prompts)
    return Settings(prompts=PromptSettings(**base))


def scored_window(
    start_s: float, end_s: float, score: float, *, stressed: bool = False, hr_bpm: float = 70.0
) -> WindowResult:
    """A good window with a stress score and no markers (NaN), as the pipeline closes one."""
    nan = math.nan
    return WindowResult(
        start_s=start_s,
        end_s=end_s,
        n_beats=300,
        artifact_share=0.0,
        coverage=1.0,
        quality=Quality.GOOD,
        markers=Markers(300, end_s - start_s, *([nan] * 12)),
        recent_hr_bpm=hr_bpm,
        score=score,
        stressed=stressed,
    )


class FakeNotifier:
    """Records what it was asked to show (the notifier seam's in-memory double)."""

    name = "fake"
    last_error = ""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    async def send(self, prompt: Any, *, subtitle: str = "") -> bool:
        self.sent.append(prompt)
        return True

    async def aclose(self) -> None:
        return None


def make_sink(
    paths: Paths,
    store: Store,
    clock: VirtualClock,
    settings: Settings,
    notifier: Any | None = None,
    out: StringIO | None = None,
) -> PromptSink:
    session_id = store.start_session(started_wall=clock.wall(), source="replay")
    return PromptSink(
        settings=settings,
        paths=paths,
        notifier=notifier if notifier is not None else FakeNotifier(),
        store=store,
        session_id=session_id,
        clock=clock,
        rng=random.Random(1),
        out=out if out is not None else StringIO(),
    )
