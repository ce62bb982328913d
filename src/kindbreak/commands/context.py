"""What every command gets: where the files are, the settings, and where to print."""

from __future__ import annotations

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
