"""Settings: TOML in the user's config dir, validated on load into a frozen dataclass.

Every setting has a default, so no file is needed. An error names the file, the key and what is
allowed. Example ``config.toml``::

    [device]
    address = "A0:9E:1A:7E:3A:1B"     # remembered by `kindbreak monitor --device`

    [signal]
    window_s = 300                     # HRV window, 120-600 s
    step_s = 30                        # how often a window closes, 5-120 s

    [prompts]
    cooldown_min = 45
    quiet_hours = ["21:00", "08:00"]
    daily_max = 6
    notifier = "auto"                  # auto | desktop | plyer | terminal
    checkins = ["11:00", "15:30"]      # scheduled check-ins (default: none)
    summary_at = "17:30"               # end-of-day summary ("" = off)
    snooze_min = 20                    # the "Snooze" button, 1-1440 min
    timezone = "Europe/Berlin"         # IANA name; default "": the system's time zone
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from kindbreak.errors import ConfigError


@dataclass(frozen=True, slots=True)
class DeviceSettings:
    address: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class SignalSettings:
    window_s: float = 300.0
    step_s: float = 30.0


@dataclass(frozen=True, slots=True)
class PromptSettings:
    cooldown_min: float = 45.0
    quiet_hours: tuple[str, str] | None = None
    daily_max: int = 6
    notifier: str = "auto"
    timezone: str = ""
    checkins: tuple[str, ...] = ()
    """Local times for a scheduled check-in prompt without a stress trigger, e.g. "11:00"."""
    summary_at: str = "17:30"
    """Local time of the end-of-day summary notification; "" turns it off."""
    snooze_min: float = 20.0
    """How long the "Snooze" button holds prompts back."""


@dataclass(frozen=True, slots=True)
class Settings:
    device: DeviceSettings = field(default_factory=DeviceSettings)
    signal: SignalSettings = field(default_factory=SignalSettings)
    prompts: PromptSettings = field(default_factory=PromptSettings)
    source: Path | None = None


_RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("signal", "window_s"): (120.0, 600.0),
    ("signal", "step_s"): (5.0, 120.0),
    ("prompts", "cooldown_min"): (0.0, 24 * 60.0),
    ("prompts", "daily_max"): (0, 100),
    ("prompts", "snooze_min"): (1.0, 24 * 60.0),
}
_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("prompts", "notifier"): ("auto", "desktop", "plyer", "terminal"),
}


def _show(value: object) -> str:
    """A value in a message: its repr, cut short (a setting is never long)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _hhmm(path: Path | None, key: str, value: object) -> str:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise ConfigError(path, key, f'{_show(value)} is not a time like "21:30"')
    hh, mm = value[:2], value[3:]
    if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
        raise ConfigError(path, key, f'{_show(value)} is not a time like "21:30"')
    return value


def _timezone(path: Path | None, key: str, value: object) -> str:
    """An IANA time zone name that this system can load ("" = the system's own zone)."""
    if not isinstance(value, str):
        raise ConfigError(
            path, key, f'must be a time zone name like "Europe/Berlin", got {value!r}'
        )
    if value == "":
        return value
    from zoneinfo import ZoneInfo, available_timezones

    try:
        ZoneInfo(value)
    except (KeyError, ValueError, OSError):  # not found (a KeyError), not a name, a folder
        import difflib

        names = {n for n in available_timezones() if "/" in n or n == "UTC"}  # no "localtime"
        by_case = {n.casefold(): n for n in names}
        folded = value.casefold()
        close = [by_case[folded]] if folded in by_case else []
        close = close or sorted(n for n in names if n.casefold().endswith("/" + folded))[:1]
        close = close or difflib.get_close_matches(value, names, n=1, cutoff=0.75)
        guess = f"; did you mean {close[0]!r}?" if close else ""
        what = f"not a time zone this system knows{guess}"
        if value.startswith("/"):
            what = "a file path, not a time zone name"
        raise ConfigError(
            path,
            key,
            f"{value!r} is {what}",
            hint='Use an IANA name such as "Europe/Berlin" or "America/New_York", or remove '
            "the setting to follow the system's time zone.",
        ) from None
    return value


def _section(cls: type[Any], name: str, raw: object, path: Path | None) -> Any:
    if raw is None:
        return cls()
    if not isinstance(raw, dict):
        raise ConfigError(path, name, "must be a table, like [" + name + "]")
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        dotted = f"{name}.{key}"
        if key not in known:
            raise ConfigError(path, dotted, f"unknown setting (known: {', '.join(sorted(known))})")
        default = getattr(cls(), key)
        if (name, key) == ("prompts", "quiet_hours"):
            if not (isinstance(value, list) and len(value) == 2):
                raise ConfigError(path, dotted, 'must be two times, like ["21:00", "08:00"]')
            values[key] = (_hhmm(path, dotted, value[0]), _hhmm(path, dotted, value[1]))
            continue
        if (name, key) == ("prompts", "checkins"):
            if not isinstance(value, list) or len(value) > 24:
                raise ConfigError(path, dotted, 'must be a list of times, like ["11:00", "15:30"]')
            times = sorted({_hhmm(path, dotted, v) for v in value})
            values[key] = tuple(times)
            continue
        if (name, key) == ("prompts", "timezone"):
            values[key] = _timezone(path, dotted, value)
            continue
        if (name, key) == ("prompts", "summary_at"):
            values[key] = "" if value == "" else _hhmm(path, dotted, value)
            continue
        if isinstance(default, bool | str):
            if not isinstance(value, type(default)):
                raise ConfigError(
                    path, dotted, f"must be a {type(default).__name__}, got {_show(value)}"
                )
        elif isinstance(default, int | float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(path, dotted, f"must be a number, got {_show(value)}")
            if isinstance(default, int) and not isinstance(value, int):
                raise ConfigError(path, dotted, f"must be a whole number, got {_show(value)}")
            value = type(default)(value)
        if (name, key) in _RANGES:
            lo, hi = _RANGES[(name, key)]
            if not lo <= value <= hi:
                raise ConfigError(
                    path, dotted, f"{_show(value)} is outside the allowed {lo:g} to {hi:g}"
                )
        if (name, key) in _CHOICES and value not in _CHOICES[(name, key)]:
            allowed = ", ".join(_CHOICES[(name, key)])
            raise ConfigError(path, dotted, f"{_show(value)} is not one of: {allowed}")
        values[key] = value
    return cls(**values)


def parse_settings(raw: dict[str, Any], path: Path | None = None) -> Settings:
    sections = {"device": DeviceSettings, "signal": SignalSettings, "prompts": PromptSettings}
    for key in raw:
        if key not in sections:
            raise ConfigError(path, key, f"unknown section (known: {', '.join(sections)})")
    return Settings(
        device=_section(DeviceSettings, "device", raw.get("device"), path),
        signal=_section(SignalSettings, "signal", raw.get("signal"), path),
        prompts=_section(PromptSettings, "prompts", raw.get("prompts"), path),
        source=path,
    )


MAX_TOML_BYTES = 1024 * 1024
"""A settings or prompts file is a few kilobytes; anything over a megabyte is not one."""


def read_toml_text(path: Path, error: type[ConfigError] | None = None) -> str | None:
    """The text of a small TOML file, or None when it does not exist. A folder, a device, a
    file over :data:`MAX_TOML_BYTES` or one that is not UTF-8 is a ConfigError."""
    import os
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(path, None, f"cannot be read ({exc.strerror})") from exc
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(path, None, "is not a plain file")
        data = fh.read(MAX_TOML_BYTES + 1)
    if len(data) > MAX_TOML_BYTES:
        raise ConfigError(path, None, f"is larger than {MAX_TOML_BYTES // 1024} KiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(path, None, "is not UTF-8 text") from exc


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """TOML text, with nesting too deep for the parser reported like any syntax error."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, None, f"is not valid TOML: {exc}") from exc
    except RecursionError as exc:
        raise ConfigError(
            path, None, "is not valid settings: its tables or arrays are nested too deeply"
        ) from exc


def load_settings(path: Path) -> Settings:
    """Read ``path``; a missing file gives the defaults."""
    text = read_toml_text(path)
    if text is None:
        return Settings()
    return parse_settings(parse_toml(text, path), path)


def remember_device(path: Path, address: str, name: str) -> None:
    """Save the chosen device in the config file, keeping the user's other lines."""
    lines = (read_toml_text(path) or "").splitlines()
    out: list[str] = []
    in_device = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            in_device = "".join(stripped.split("#", 1)[0].split()) == "[device]"
            if in_device:
                continue
        if in_device:
            continue
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    # JSON string escaping is TOML basic-string escaping, as long as non-ASCII characters are
    # written as themselves (JSON's surrogate pairs for emoji are not valid TOML).
    entries = [
        "[device]",
        f"address = {json.dumps(address, ensure_ascii=False)}",
        f"name = {json.dumps(name, ensure_ascii=False)}",
    ]
    block = ["", *entries] if out else entries
    import os

    from kindbreak.safefile import atomic_write_text, data_error, private_dir

    # A config file the user linked to their dotfiles is written where the link points (the
    # link is theirs: it sits in their private config folder); any other link is replaced.
    if path.is_symlink() and os.lstat(path).st_uid == os.geteuid():
        path = path.resolve()
    private_dir(path.parent, error=data_error)
    atomic_write_text(path, "\n".join(out + block) + "\n", error=data_error)
