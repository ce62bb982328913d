"""kindbreak's own log file (state changes and errors; no raw data at INFO).

:class:`LogFileHandler` appends to the file without following a symbolic link, creates it 0600
and tightens a looser one. A write that fails (a full disk, a file over its size limit, the
disk gone) switches the handler off: one line on stderr says so, and the program goes on
without the tracebacks the standard handler prints for every record it cannot write.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import TextIO

from kindbreak.safefile import open_append, os_problem

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class LogFileHandler(logging.StreamHandler[TextIO]):
    def __init__(self, path: Path, *, stderr: TextIO | None = None) -> None:
        fd = open_append(path)
        super().__init__(os.fdopen(fd, "a", encoding="utf-8"))
        self.path = path
        self.failed = False
        self._stderr = stderr
        self.setFormatter(logging.Formatter(FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        if not self.failed:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        """Stop writing after the first failure, quietly (one line, no traceback)."""
        if self.failed:
            return
        self.failed = True
        exc = sys.exc_info()[1]
        reason = os_problem(exc) if isinstance(exc, OSError) else f"failed ({exc!r})"
        with contextlib.suppress(Exception):
            self.stream.close()
        out = self._stderr or sys.stderr
        with contextlib.suppress(Exception):
            lead = "\n" if out.isatty() else ""  # off a status line
            out.write(
                f"{lead}kindbreak: the log file {self.path} {reason}; no more lines go there\n"
            )
            out.flush()

    def flush(self) -> None:
        if self.failed:
            return
        try:
            super().flush()
        except (OSError, ValueError):
            self.handleError(logging.LogRecord("kindbreak", logging.ERROR, "", 0, "", (), None))

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().close()
        with contextlib.suppress(OSError, ValueError):
            self.stream.close()
