"""Stand-ins for ``systemctl`` and ``launchctl`` (small scripts on PATH that record their
arguments and answer as the real tools do), a remembered strap, and a systemd unit parser."""

from __future__ import annotations

import stat
import textwrap
from dataclasses import dataclass
from pathlib import Path

STRAP_NAME = "Polar H10 7E3A1B2C"


def remember_strap(home: Path, name: str = STRAP_NAME) -> None:
    folder = home / ".config" / "kindbreak"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(f'[device]\nname = "{name}"\n', encoding="utf-8")


@dataclass
class FakeTool:
    """A stand-in for a system tool on PATH; ``calls`` are its argument lists, in order."""

    name: str
    log: Path
    answers: Path

    @property
    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [line.split("\x1f") for line in self.log.read_text().splitlines()]

    def answer(self, args: str, *, stdout: str = "", rc: int = 0) -> None:
        """What the tool prints and returns for the argument line ``args`` (space-joined)."""
        key = args.replace(" ", "_").replace("/", "_").replace("=", "_").replace(",", "_")
        (self.answers / f"{key}.out").write_text(stdout)
        (self.answers / f"{key}.rc").write_text(str(rc))


def fake_tool(bin_dir: Path, name: str) -> FakeTool:
    answers = bin_dir / f"{name}.answers"
    answers.mkdir()
    log = bin_dir / f"{name}.calls"
    script = bin_dir / name
    script.write_text(
        textwrap.dedent(
            f"""\
            #!/bin/sh
            # Records its arguments (one line per call, fields split by 0x1f) and answers with
            # what the test put in {answers}/<args>.out and .rc (default: nothing, 0).
            printf '%s' "$1" >> '{log}'
            shift_done=0
            for a in "$@"; do
              if [ $shift_done = 1 ]; then printf '\\037%s' "$a" >> '{log}'; fi
              shift_done=1
            done
            printf '\\n' >> '{log}'
            key=$(printf '%s' "$*" | tr ' /=,' '____')
            if [ -f '{answers}'/"$key".out ]; then cat '{answers}'/"$key".out; fi
            if [ -f '{answers}'/"$key".rc ]; then exit "$(cat '{answers}'/"$key".rc)"; fi
            exit 0
            """
        )
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return FakeTool(name, log, answers)


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as systemd reads it: sections of ``key=value`` (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None, f"not a unit line: {raw!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections
