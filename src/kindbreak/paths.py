"""Where kindbreak keeps its files (platformdirs: XDG on Linux, the native places elsewhere).

``--data-dir`` on every command overrides the data directory; ``XDG_DATA_HOME``,
``XDG_CONFIG_HOME`` and ``XDG_STATE_HOME`` are honoured on Linux.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP = "kindbreak"


@dataclass(frozen=True, slots=True)
class Paths:
    data_dir: Path
    config_dir: Path
    state_dir: Path

    @property
    def db(self) -> Path:
        return self.data_dir / "kindbreak.sqlite3"

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "kindbreak.log"

    @property
    def user_prompts_file(self) -> Path:
        return self.config_dir / "prompts.toml"


def default_paths(data_dir: Path | None = None, config_dir: Path | None = None) -> Paths:
    import platformdirs

    env_config = os.environ.get("KINDBREAK_CONFIG_DIR")
    return Paths(
        data_dir=Path(data_dir)
        if data_dir
        else Path(platformdirs.user_data_dir(APP, appauthor=False)),
        config_dir=Path(config_dir)
        if config_dir
        else Path(env_config)
        if env_config
        else Path(platformdirs.user_config_dir(APP, appauthor=False)),
        state_dir=Path(data_dir) / "state"
        if data_dir
        else Path(platformdirs.user_state_dir(APP, appauthor=False)),
    )


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the user alone; tighten one of ours that is
    looser (:func:`kindbreak.safefile.private_dir`). Errors are runtime errors naming it."""
    from kindbreak.safefile import data_error, private_dir

    return private_dir(path, error=data_error)
