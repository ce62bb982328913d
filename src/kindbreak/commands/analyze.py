"""``kindbreak analyze FILE``: offline analysis of a recording, RR text or CSV."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from kindbreak.commands.context import Context
from kindbreak.durations import format_duration as dur

if TYPE_CHECKING:
    from kindbreak.offline.analysis import Analysis


def run(ctx: Context, path: Path, *, as_json: bool, correction: str) -> int:
    from dataclasses import replace

    from kindbreak.offline.analysis import analyze_file, pipeline_settings
    from kindbreak.progress import byte_progress

    size = path.stat().st_size if path.is_file() else 0
    # The text shows the whole recording's markers, not each window's: only what the stress
    # score reads is computed for the windows.
    settings = replace(pipeline_settings(ctx.settings), window_markers=as_json)
    with byte_progress(size, f"analysing {path.name}", ctx.output.err) as advance:
        result = analyze_file(path, settings, correction=correction, progress=advance)
    if as_json:
        from kindbreak.offline.json_text import json_chunks

        # The same text as ctx.output.json(result.to_json()), written a block at a time.
        for chunk in json_chunks(result):
            ctx.output.write(chunk)
    else:
        ctx.output.write(analysis_text(result))
    return 0


def _f(x: float | None, fmt: str) -> str:
    return "-" if x is None or not math.isfinite(x) else format(x, fmt)


def analysis_text(a: Analysis) -> str:
    import numpy as np

    from kindbreak.offline.analysis import summary

    s = summary(a)
    lines = [f"{a.path}", f"  beats {s['n_beats']}, {dur(s.get('duration_s') or 0.0)}"]
    if s["n_beats"]:
        lines.append(
            f"  mean HR {_f(s['mean_hr_bpm'], '.1f')} bpm, "
            f"mean RR {_f(s['mean_rr_ms'], '.1f')} ms, "
            f"SDNN {_f(s['sdnn_ms'], '.1f')} ms, RMSSD {_f(s['rmssd_ms'], '.1f')} ms, "
            f"pNN50 {_f(s['pnn50_pct'], '.1f')} %"
        )
        lines.append(
            f"  LF {_f(s['lf_ms2'], '.0f')} ms², HF {_f(s['hf_ms2'], '.0f')} ms², "
            f"LF/HF {_f(s['lf_hf'], '.2f')}, stress index {_f(s['stress_index'], '.1f')}, "
            f"artifacts {_f(s['artifact_pct'], '.1f')} %"
        )
    scored = int(np.count_nonzero(~np.isnan(a.windows.floats("score"))))  # None is nan
    lines.append(f"  windows {len(a.windows)} ({scored} scored)")
    for e in a.episodes:
        lines.append(
            f"  stress episode {dur(e.start_s)} to {dur(e.end_s)}, peak {e.peak_score:.0f}, "
            f"prompt at {dur(e.prompt_s)}"
        )
    if not a.episodes:
        lines.append("  no stress episodes")
    lines.extend(f"  note: {n}" for n in a.notes)
    return "\n".join(lines) + "\n"
