"""Settings (kindbreak.config): defaults, validation with clear errors, remember_device."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from kindbreak.cli import main
from kindbreak.config import Settings, load_settings, remember_device
from kindbreak.errors import ConfigError
from support.data import FIXTURES


def config(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "config.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    s = load_settings(tmp_path / "nope" / "config.toml")
    assert s == Settings()
    assert s.signal.window_s == 300.0
    assert s.signal.step_s == 30.0
    assert s.prompts.cooldown_min == 45.0
    assert s.prompts.daily_max == 6
    assert s.prompts.notifier == "auto"
    assert s.prompts.quiet_hours is None
    assert s.device.address == ""


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    s = load_settings(config(tmp_path, "# nothing yet\n"))
    assert (s.device, s.signal, s.prompts) == (
        Settings().device,
        Settings().signal,
        Settings().prompts,
    )


def test_valid_file(tmp_path: Path) -> None:
    path = config(
        tmp_path,
        """
        [device]
        address = "A0:9E:1A:7E:3A:1B"
        name = "Polar H10 7E3A1B2C"

        [signal]
        window_s = 240
        step_s = 15.5

        [prompts]
        cooldown_min = 30
        quiet_hours = ["21:00", "08:00"]
        daily_max = 4
        notifier = "terminal"
        """.replace("        ", ""),
    )
    s = load_settings(path)
    assert s.device.address == "A0:9E:1A:7E:3A:1B"
    assert s.device.name == "Polar H10 7E3A1B2C"
    assert s.signal.window_s == 240.0 and isinstance(s.signal.window_s, float)
    assert s.signal.step_s == 15.5
    assert s.prompts.cooldown_min == 30.0
    assert s.prompts.quiet_hours == ("21:00", "08:00")
    assert s.prompts.daily_max == 4
    assert s.prompts.notifier == "terminal"
    assert s.source == path
    with pytest.raises(AttributeError):
        s.signal.window_s = 100.0  # type: ignore[misc]  # frozen


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("[alerts]\nloud = true\n", "alerts", "unknown section (known: device, signal, prompts)"),
        ("window_s = 300\n", "window_s", "unknown section"),
        ("[signal]\nwindow = 300\n", "signal.window", "unknown setting (known: step_s, window_s)"),
        ("[prompts]\ncooldown = 5\n", "prompts.cooldown", "unknown setting (known: "),
        ('[signal]\nwindow_s = "300"\n', "signal.window_s", "must be a number, got '300'"),
        ("[signal]\nwindow_s = true\n", "signal.window_s", "must be a number, got True"),
        ("[prompts]\ndaily_max = 2.5\n", "prompts.daily_max", "must be a whole number, got 2.5"),
        ("[device]\naddress = 42\n", "device.address", "must be a str, got 42"),
        ("[signal]\nwindow_s = 60\n", "signal.window_s", "60.0 is outside the allowed 120 to 600"),
        ("[signal]\nwindow_s = 601\n", "signal.window_s", "outside the allowed 120 to 600"),
        ("[signal]\nstep_s = 0\n", "signal.step_s", "outside the allowed 5 to 120"),
        ("[signal]\nstep_s = nan\n", "signal.step_s", "outside the allowed 5 to 120"),
        ("[prompts]\ncooldown_min = -1\n", "prompts.cooldown_min", "outside the allowed 0 to 1440"),
        ("[prompts]\ndaily_max = 101\n", "prompts.daily_max", "outside the allowed 0 to 100"),
        (
            '[prompts]\nnotifier = "email"\n',
            "prompts.notifier",
            "'email' is not one of: auto, desktop, plyer, terminal",
        ),
        ('[prompts]\nquiet_hours = "21:00-08:00"\n', "prompts.quiet_hours", "must be two times"),
        ('[prompts]\nquiet_hours = ["21:00"]\n', "prompts.quiet_hours", "must be two times"),
        (
            '[prompts]\nquiet_hours = ["25:00", "08:00"]\n',
            "prompts.quiet_hours",
            "'25:00' is not a time",
        ),
        (
            '[prompts]\nquiet_hours = ["21:00", "8:00"]\n',
            "prompts.quiet_hours",
            "'8:00' is not a time",
        ),
        ('[prompts]\nquiet_hours = ["21:00", "08:60"]\n', "prompts.quiet_hours", "is not a time"),
        ("[prompts]\nquiet_hours = [21, 8]\n", "prompts.quiet_hours", "21 is not a time"),
        ('signal = "fast"\n', "signal", "must be a table"),
        ('[prompts]\ncheckins = "11:00"\n', "prompts.checkins", "must be a list of times"),
        ('[prompts]\ncheckins = ["11:00", "3pm"]\n', "prompts.checkins", "'3pm' is not a time"),
        ('[prompts]\nsummary_at = "5:30pm"\n', "prompts.summary_at", "'5:30pm' is not a time"),
        ("[prompts]\nsnooze_min = 0\n", "prompts.snooze_min", "outside the allowed 1 to 1440"),
        ("[device]\nname = true\n", "device.name", "must be a str, got True"),
        (
            '[prompts]\ntimezone = "Mars/Olympus"\n',
            "prompts.timezone",
            "'Mars/Olympus' is not a time zone this system knows",
        ),
        (
            '[prompts]\ntimezone = "europe/berlin"\n',
            "prompts.timezone",
            "did you mean 'Europe/Berlin'?",
        ),
        ('[prompts]\ntimezone = "Berlin"\n', "prompts.timezone", "did you mean 'Europe/Berlin'?"),
        ('[prompts]\ntimezone = "Europe"\n', "prompts.timezone", "'Europe' is not a time zone"),
        (
            '[prompts]\ntimezone = "/etc/localtime"\n',
            "prompts.timezone",
            "'/etc/localtime' is a file path, not a time zone name",
        ),
        ('[prompts]\ntimezone = "../../etc/passwd"\n', "prompts.timezone", "is not a time zone"),
        ("[prompts]\ntimezone = 1\n", "prompts.timezone", 'must be a time zone name like "'),
    ],
)
def test_bad_setting_names_file_key_and_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, key: str, words: str
) -> None:
    path = config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    err = info.value
    assert err.key == key
    assert err.path == path
    assert str(err).startswith(f"{path}: {key}: ")
    assert words in str(err)
    assert err.exit_status == 2

    # Through the CLI: exit 2, the message and its hint, no traceback.
    rr = tmp_path / "rr.txt"
    rr.write_text("800\n810\n")
    rc = main(["analyze", str(rr), "--json", "--config-dir", str(tmp_path)])
    out, errtext = capsys.readouterr()
    assert rc == 2
    assert out == ""
    lines = errtext.splitlines()
    assert lines[0] == f"kindbreak: {err}"
    assert lines[1].startswith("  hint: ")
    assert len(lines) == 2


@pytest.mark.parametrize(
    "text",
    [
        "[signal\nwindow_s = 300\n",
        "window_s: 300\n",
        '{"signal": {"window_s": 300}}\n',
        b"\x89PNG\r\n\x1a\n\x00\x00",
    ],
)
def test_not_toml_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | bytes
) -> None:
    path = config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(info.value).startswith(f"{path}: ")
    assert info.value.key is None
    rr = tmp_path / "rr.txt"
    rr.write_text("800\n810\n")
    rc = main(["analyze", str(rr), "--config-dir", str(tmp_path)])
    _, err = capsys.readouterr()
    assert rc == 2
    assert err.startswith(f"kindbreak: {path}: ")
    assert "Traceback" not in err


def test_config_dir_from_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg_dir = tmp_path / "cfg"
    cfg_dir.mkdir()
    config(cfg_dir, '[prompts]\nnotifier = "pager"\n')
    monkeypatch.setenv("KINDBREAK_CONFIG_DIR", str(cfg_dir))
    rr = tmp_path / "rr.txt"
    rr.write_text("800\n810\n")
    assert main(["analyze", str(rr)]) == 2
    assert "prompts.notifier: 'pager' is not one of" in capsys.readouterr().err


# -- remember_device ----------------------------------------------------------------------------


def test_remember_device_in_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    remember_device(path, "A0:9E:1A:7E:3A:1B", "Polar H10 7E3A1B2C")
    assert (
        path.read_text() == '[device]\naddress = "A0:9E:1A:7E:3A:1B"\nname = "Polar H10 7E3A1B2C"\n'
    )
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_settings(path).device.address == "A0:9E:1A:7E:3A:1B"


def test_remember_device_keeps_other_lines(tmp_path: Path) -> None:
    original = (
        "# my kindbreak settings\n"
        "[signal]\n"
        "window_s = 240   # shorter windows\n"
        "\n"
        "[device]\n"
        'address = "11:22:33:44:55:66"\n'
        'name = "old strap"\n'
        "\n"
        "[prompts]\n"
        'quiet_hours = ["21:00", "08:00"]\n'
        "# keep this comment\n"
    )
    path = config(tmp_path, original)
    remember_device(path, "A0:9E:1A:7E:3A:1B", "Polar H10")
    text = path.read_text()
    for line in original.splitlines():
        if "11:22" in line or "old strap" in line:
            assert line not in text
        elif line.strip():
            assert line in text.splitlines(), f"lost {line!r}"
    s = load_settings(path)
    assert (s.device.address, s.device.name) == ("A0:9E:1A:7E:3A:1B", "Polar H10")
    assert s.signal.window_s == 240.0
    assert s.prompts.quiet_hours == ("21:00", "08:00")
    assert text.count("[device]") == 1
    # Twice in a row: still one [device] table.
    remember_device(path, "AA:BB:CC:DD:EE:FF", "Polar H10 B")
    assert path.read_text().count("[device]") == 1
    assert load_settings(path).device.address == "AA:BB:CC:DD:EE:FF"


def test_remember_device_replaces_a_commented_device_header(tmp_path: Path) -> None:
    path = config(tmp_path, '[device]  # my strap\naddress = "old"\n\n[signal]\nwindow_s = 240\n')
    remember_device(path, "A0:9E:1A:7E:3A:1B", "Polar H10")
    s = load_settings(path)
    assert s.device.address == "A0:9E:1A:7E:3A:1B"
    assert s.signal.window_s == 240.0


@pytest.mark.parametrize("name", ['Polar "H10"', "back\\slash", "Pölar H10", "tab\there"])
def test_remember_device_escapes_the_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / "config.toml"
    remember_device(path, "A0:9E:1A:7E:3A:1B", name)
    assert tomllib.loads(path.read_text())["device"]["name"] == name
    assert load_settings(path).device.name == name


def test_remember_device_name_with_emoji(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    remember_device(path, "A0:9E:1A:7E:3A:1B", "Heart \U0001f493")
    assert load_settings(path).device.name == "Heart \U0001f493"


def test_a_bad_time_zone_stops_monitor_in_one_line_before_it_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config(tmp_path, '[prompts]\ntimezone = "Europe/Berln"\n')
    data = tmp_path / "data"
    rc = main(
        [
            *("monitor", "--replay", str(FIXTURES / "short.jsonl"), "--speed", "0"),
            *("--config-dir", str(tmp_path), "--data-dir", str(data), "--quiet"),
        ]
    )
    assert rc == 2
    assert capsys.readouterr().err.splitlines() == [
        f"kindbreak: {path}: prompts.timezone: 'Europe/Berln' is not a time zone this system "
        "knows; did you mean 'Europe/Berlin'?",
        '  hint: Use an IANA name such as "Europe/Berlin" or "America/New_York", or remove the '
        "setting to follow the system's time zone.",
    ]
    assert not (data / "kindbreak.sqlite3").exists()
