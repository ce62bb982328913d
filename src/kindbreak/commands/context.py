"""What every command gets: where the files are, the settings, where to print, and (for the
commands that run for a while) the log file."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kindbreak.commands.output import Output

if TYPE_CHECKING:
    from kindbreak.config import Settings
    from kindbreak.paths import Paths


@dataclass(slots=True)
class Context:
    """``paths`` and ``output`` as given; ``settings`` read from ``paths.config_file`` on first
    use (so a command that needs none does not read it), unless given."""

    paths: Paths
    output: Output = field(default_factory=Output)
    given_settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self.given_settings is None:
            from kindbreak.config import load_settings

            self.given_settings = load_settings(self.paths.config_file)
        return self.given_settings

    def keep_log_file(self, debug: bool) -> None:
        """The log file of state changes and errors (DEBUG with ``--debug``, also on stderr)."""
        from kindbreak.errors import KindbreakError
        from kindbreak.logfile import LogFileHandler
        from kindbreak.paths import ensure_private_dir

        root = logging.getLogger("kindbreak")
        root.setLevel(logging.DEBUG if debug else logging.INFO)
        try:
            ensure_private_dir(self.paths.state_dir)
            root.addHandler(LogFileHandler(self.paths.log_file))
        except KindbreakError as exc:
            # Monitoring goes on without a log file; say so once.
            self.output.note(f"no log file: {exc}")
        if debug:
            sh = logging.StreamHandler(self.output.err)
            sh.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            root.addHandler(sh)
