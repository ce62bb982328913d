"""The one place commands print: results on stdout, messages to the person on stderr.

:func:`kindbreak.cli.main` makes one :class:`Output` for the process and hands it to the command;
tests give one over ``StringIO`` streams. The live displays (status line, breathing guide,
terminal notifier) write to a stream of it (``out`` or ``err``) given to them.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import TextIO

from kindbreak.errors import KindbreakError


def _stdout() -> TextIO:
    return sys.stdout


def _stderr() -> TextIO:
    return sys.stderr


@dataclass(slots=True)
class Output:
    """Where a command writes. The streams default to the process's stdout and stderr."""

    out: TextIO = field(default_factory=_stdout)
    """Results: tables, JSON, confirmations (what a pipe or ``> file`` should get)."""
    err: TextIO = field(default_factory=_stderr)
    """Messages to the person: progress, notes, errors, the live status line."""

    def print(self, text: str = "") -> None:
        """One line of the command's result."""
        self.out.write(text + "\n")

    def write(self, text: str) -> None:
        """A block of the command's result, as it is (it carries its own newlines)."""
        self.out.write(text)

    def json(self, obj: object) -> None:
        """The result as one JSON document (NaN is refused: JSON has none)."""
        json.dump(obj, self.out, indent=1, allow_nan=False)
        self.out.write("\n")

    def say(self, text: str) -> None:
        """A line for the person on stderr, as it is."""
        self.err.write(text + "\n")
        self.err.flush()

    def say_block(self, text: str) -> None:
        """A block for the person on stderr, as it is (it carries its own newlines)."""
        self.err.write(text)
        self.err.flush()

    def note(self, text: str) -> None:
        """A message for the person on stderr: ``kindbreak: text``."""
        self.say(f"kindbreak: {text}")

    def error(self, exc: KindbreakError) -> None:
        """An error as one line naming the problem, and its hint."""
        self.err.write(f"kindbreak: {exc}\n")
        if exc.hint:
            self.err.write(f"  hint: {exc.hint}\n")
