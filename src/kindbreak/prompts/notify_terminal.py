"""Prompts as a gentle block of text on a stream (the terminal). Always works."""

from __future__ import annotations

import logging
import textwrap
from typing import TextIO

from kindbreak.prompts.library import Prompt

_log = logging.getLogger(__name__)


def _can_encode(stream: TextIO, text: str) -> bool:
    encoding = stream.encoding or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def format_prompt_block(
    prompt: Prompt, *, subtitle: str = "", width: int = 72, fancy: bool = True
) -> str:
    """The text block the terminal shows: a title rule, the body wrapped, the subtitle."""
    rule_char = "─" if fancy else "-"
    head = f"{rule_char * 2} {prompt.title} "
    tail = f" kindbreak {rule_char * 2}"
    fill = max(3, width - len(head) - len(tail))
    lines = ["", head + rule_char * fill + tail]
    indent = "   "
    lines += textwrap.wrap(
        prompt.body, width=width, initial_indent=indent, subsequent_indent=indent
    )
    if subtitle:
        lines += textwrap.wrap(
            f"({subtitle})", width=width, initial_indent=indent, subsequent_indent=indent
        )
    lines.append("")
    return "\n".join(lines) + "\n"


class TerminalNotifier:
    """Writes each prompt to ``stream`` as a short, readable block. No buttons."""

    name = "terminal"

    def __init__(self, stream: TextIO, *, width: int = 72) -> None:
        self._stream = stream
        self._width = width
        self._fancy = _can_encode(stream, "─")
        self.last_error = ""

    async def send(self, prompt: Prompt, *, subtitle: str = "") -> bool:
        block = format_prompt_block(prompt, subtitle=subtitle, width=self._width, fancy=self._fancy)
        try:
            self._stream.write(block)
            self._stream.flush()
        except (OSError, ValueError) as exc:  # a closed or broken stream
            self.last_error = f"cannot write to the terminal ({exc})"
            _log.debug("terminal notifier: %s", self.last_error)
            return False
        return True

    async def aclose(self) -> None:
        return None
