"""The prompt library: the built-in prompts (``builtin.toml``) plus the person's own.

The person may keep a ``prompts.toml`` in their config dir, in the same shape as the built-in
file::

    # Replace or add prompts. An entry with a built-in id replaces that prompt.
    [[prompt]]
    id = "my-walk"
    kind = "body"                # touch | breath | body | phrase | humanity | journal
    title = "Window"
    body = "Stand up and look out of the window for a minute."   # at most 140 characters
    guided = "..."               # optional longer version

    # Built-in prompts you would rather not see:
    disable = ["phrase-i-am-enough"]

A bad entry never stops the rest: it is skipped and described in
:attr:`PromptLibrary.warnings` (file, line where we can find it, entry, problem). Only a file
that cannot be read as TOML at all raises :class:`~kindbreak.errors.PromptFileError`.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from kindbreak.errors import PromptFileError

KINDS: tuple[str, ...] = ("touch", "breath", "body", "phrase", "humanity", "journal")
#: The kind of a notification that only informs (the end-of-day summary): no practice to take,
#: so no "Did it" / "Snooze" / "Not now" buttons.
INFO_KIND = "summary"
"""Every prompt kind, in a fixed order (the chooser iterates in this order, for determinism)."""

BODY_MAX_CHARS = 140
"""A notification body must fit a desktop notification."""

TITLE_MAX_CHARS = 60
GUIDED_MAX_CHARS = 4000
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_ENTRY_KEYS = ("id", "kind", "title", "body", "guided")
_TOP_KEYS = ("prompt", "disable")
_BUILTIN_NAME = "builtin.toml"


@dataclass(frozen=True, slots=True)
class Prompt:
    id: str
    kind: str
    title: str
    body: str
    guided: str | None = None


@dataclass(frozen=True, slots=True)
class LibraryWarning:
    """One problem found in a prompts file; the entry it names was skipped (or partly used)."""

    path: Path
    problem: str
    entry: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = str(self.path) if self.line is None else f"{self.path}, line {self.line}"
        what = f"prompt {self.entry}: " if self.entry else ""
        return f"{where}: {what}{self.problem}"


@dataclass(frozen=True, slots=True)
class PromptLibrary:
    """All prompts the chooser may pick from, in file order, plus what went wrong loading."""

    prompts: tuple[Prompt, ...]
    warnings: tuple[LibraryWarning, ...] = ()
    _by_id: Mapping[str, Prompt] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {p.id: p for p in self.prompts})

    def __len__(self) -> int:
        return len(self.prompts)

    def __iter__(self) -> Iterator[Prompt]:
        return iter(self.prompts)

    def __contains__(self, prompt_id: object) -> bool:
        return prompt_id in self._by_id

    def get(self, prompt_id: str) -> Prompt | None:
        return self._by_id.get(prompt_id)

    def by_kind(self, kind: str) -> tuple[Prompt, ...]:
        return tuple(p for p in self.prompts if p.kind == kind)

    @property
    def kinds(self) -> tuple[str, ...]:
        """Kinds that have at least one prompt, in :data:`KINDS` order."""
        present = {p.kind for p in self.prompts}
        return tuple(k for k in KINDS if k in present)


# --- parsing -----------------------------------------------------------------------------


def _decode_error_line(exc: tomllib.TOMLDecodeError, text: str) -> int | None:
    lineno = getattr(exc, "lineno", None)  # Python 3.14+
    if isinstance(lineno, int):
        return lineno
    m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
    if m:
        return int(m.group(1))
    if "end of document" in str(exc):
        return max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
    return None


def _problem_text(exc: tomllib.TOMLDecodeError) -> str:
    msg = re.sub(r"\s*\((at line \d+, column \d+|at end of document)\)\s*$", "", str(exc))
    return f"not valid TOML: {msg[:1].lower()}{msg[1:]}"


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """Parse TOML text; a syntax error raises :class:`PromptFileError` with file and line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PromptFileError(path, _problem_text(exc), line=_decode_error_line(exc, text)) from exc
    except RecursionError as exc:
        raise PromptFileError(path, "its tables or arrays are nested too deeply") from exc


class _Lines:
    """Find where ``[[prompt]]`` entries and their keys sit in the text (tomllib has no lines)."""

    _HEADER = re.compile(r"^\s*\[\[\s*prompt\s*\]\]\s*(#.*)?$")

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()
        self._headers = [i for i, ln in enumerate(self._lines) if self._HEADER.match(ln)]

    def entry(self, index: int) -> int | None:
        """1-based line of the index-th ``[[prompt]]`` header, if written as a table array."""
        return self._headers[index] + 1 if index < len(self._headers) else None

    def key(self, index: int, key: str) -> int | None:
        """1-based line of ``key = ...`` inside the index-th entry; else the entry's line."""
        if index >= len(self._headers):
            return None
        start = self._headers[index] + 1
        end = self._headers[index + 1] if index + 1 < len(self._headers) else len(self._lines)
        pat = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
        for i in range(start, end):
            if pat.match(self._lines[i]):
                return i + 1
        return self._headers[index] + 1

    def top_key(self, key: str) -> int | None:
        pat = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
        for i, ln in enumerate(self._lines):
            if pat.match(ln):
                return i + 1
        return None


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Control characters (ESC starts ANSI/OSC sequences; C1 controls; bidi overrides) that would
reach a terminal or a notification raw. Line breaks and tabs are text."""


def _clean(value: str) -> str:
    return value.strip()


def _validate_entry(
    raw: object, index: int, path: Path, lines: _Lines, warnings: list[LibraryWarning]
) -> Prompt | None:
    """Turn one raw entry into a :class:`Prompt`, or record why not and return None."""
    if not isinstance(raw, dict):
        warnings.append(
            LibraryWarning(
                path,
                "must be a table with id, kind, title and body",
                f"#{index + 1}",
                lines.entry(index),
            )
        )
        return None
    raw_id = raw.get("id")
    name = repr(raw_id) if isinstance(raw_id, str) and raw_id.strip() else f"#{index + 1}"

    def fail(key: str | None, problem: str) -> None:
        line = lines.key(index, key) if key else lines.entry(index)
        warnings.append(LibraryWarning(path, problem, name, line))

    for key in raw:
        if key not in _ENTRY_KEYS:
            close = [k for k in _ENTRY_KEYS if _similar(key, k)]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            fail(key, f"unknown key {key!r}{hint}; known keys: {', '.join(_ENTRY_KEYS)}")
    values = _required_texts(raw, fail)
    if values is None or not _fits(values, fail):
        return None
    guided_raw = raw.get("guided")
    guided: str | None = None
    if guided_raw is not None:
        guided = _guided_text(guided_raw, fail)
        if guided is None:
            return None
    return Prompt(values["id"], values["kind"], values["title"], values["body"], guided)


_Fail = Callable[[str | None, str], None]


def _required_texts(raw: dict[str, object], fail: _Fail) -> dict[str, str] | None:
    """id, kind, title and body: present, non-empty texts without control characters."""
    values: dict[str, str] = {}
    for key in ("id", "kind", "title", "body"):
        value = raw.get(key)
        if value is None:
            fail(None, f"missing {key!r}; each prompt needs id, kind, title and body")
            return None
        if not isinstance(value, str) or not value.strip():
            fail(key, f"{key!r} must be a non-empty text, got {repr(value)[:60]}")
            return None
        if _CONTROL.search(value):
            fail(key, f"{key!r} holds control characters (terminal escape sequences?)")
            return None
        values[key] = _clean(value)
    return values


def _fits(values: dict[str, str], fail: _Fail) -> bool:
    """A valid id, a known kind, and a title and body a notification can show."""
    if not _ID_RE.fullmatch(values["id"]):
        fail(
            "id",
            "'id' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
        return False
    if values["kind"] not in KINDS:
        fail("kind", f"kind {values['kind']!r} is not one of: {', '.join(KINDS)}")
        return False
    if len(values["title"]) > TITLE_MAX_CHARS:
        fail("title", f"title is {len(values['title'])} characters; at most {TITLE_MAX_CHARS} fit")
        return False
    if len(values["body"]) > BODY_MAX_CHARS:
        fail(
            "body",
            f"body is {len(values['body'])} characters; a notification fits at most "
            f"{BODY_MAX_CHARS} (put the longer text in 'guided')",
        )
        return False
    return True


def _guided_text(guided_raw: object, fail: _Fail) -> str | None:
    """The optional longer text, or None (with the reason recorded) when it is not usable."""
    if not isinstance(guided_raw, str) or not guided_raw.strip():
        fail("guided", f"'guided' must be a non-empty text, got {repr(guided_raw)[:60]}")
        return None
    if _CONTROL.search(guided_raw):
        fail("guided", "'guided' holds control characters (terminal escape sequences?)")
        return None
    guided = _clean(guided_raw)
    if len(guided) > GUIDED_MAX_CHARS:
        fail("guided", f"guided text is {len(guided)} characters; at most {GUIDED_MAX_CHARS}")
        return None
    return guided


def _similar(a: str, b: str) -> bool:
    """A cheap typo check: same letters give or take one."""
    a, b = a.lower(), b.lower()
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    common = sum(min(a.count(c), b.count(c)) for c in set(a))
    return common >= max(len(a), len(b)) - 1


@dataclass(slots=True)
class _Parsed:
    prompts: list[Prompt]
    disable: list[str]
    warnings: list[LibraryWarning]


def parse_prompts(data: Mapping[str, Any], text: str, path: Path) -> _Parsed:
    """Validate a parsed prompts file; bad entries become warnings, the rest is returned."""
    lines = _Lines(text)
    warnings: list[LibraryWarning] = []
    for key in data:
        if key not in _TOP_KEYS:
            warnings.append(
                LibraryWarning(
                    path,
                    f"unknown key {key!r} ignored; a prompts file has [[prompt]] entries "
                    "and an optional disable = [...] list",
                    line=lines.top_key(key) or lines.entry(0),
                )
            )
    raw_prompts = data.get("prompt", [])
    if not isinstance(raw_prompts, list):
        warnings.append(
            LibraryWarning(
                path,
                "'prompt' must be an array of tables, written [[prompt]]",
                line=lines.top_key("prompt"),
            )
        )
        raw_prompts = []
    prompts: list[Prompt] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_prompts):
        prompt = _validate_entry(raw, index, path, lines, warnings)
        if prompt is None:
            continue
        if prompt.id in seen:
            warnings.append(
                LibraryWarning(
                    path,
                    f"id used twice (first for entry #{seen[prompt.id] + 1}); this one was skipped",
                    repr(prompt.id),
                    lines.key(index, "id"),
                )
            )
            continue
        seen[prompt.id] = index
        prompts.append(prompt)
    disable: list[str] = []
    raw_disable = data.get("disable", [])
    if isinstance(raw_disable, list) and all(isinstance(x, str) for x in raw_disable):
        disable = [x.strip() for x in raw_disable]
    else:
        warnings.append(
            LibraryWarning(
                path,
                "'disable' must be a list of prompt ids, like [\"journal-heavy\"]",
                line=lines.top_key("disable"),
            )
        )
    return _Parsed(prompts, disable, warnings)


MAX_FILE_BYTES = 1024 * 1024


def _read_text(path: Path) -> str:
    import os
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise PromptFileError(path, "is not a plain file")
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise PromptFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if len(data) > MAX_FILE_BYTES:
        raise PromptFileError(path, f"is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PromptFileError(path, "is not UTF-8 text", line=line) from exc


def builtin_text() -> str:
    return resources.files("kindbreak.prompts").joinpath(_BUILTIN_NAME).read_text("utf-8")


@functools.cache
def load_builtin() -> PromptLibrary:
    """The built-in prompts (parsed once; the library is immutable)."""
    text = builtin_text()
    path = Path(f"<kindbreak>/{_BUILTIN_NAME}")
    parsed = parse_prompts(parse_toml(text, path), text, path)
    return PromptLibrary(tuple(parsed.prompts), tuple(parsed.warnings))


def load_library(user_file: Path | None = None) -> PromptLibrary:
    """The built-in prompts plus, if ``user_file`` exists, the person's own.

    A user entry whose id matches a built-in one replaces it (in place); new ids are appended.
    ``disable = [...]`` removes built-in (or user) prompts by id. Problems in the user file are
    returned in :attr:`PromptLibrary.warnings`, never raised, except a file that is not TOML
    (or not readable, or not UTF-8), which raises :class:`PromptFileError` naming file and line.
    A missing ``user_file`` is not an error: defaults work with no file at all.
    """
    builtin = load_builtin()
    if user_file is None or not user_file.exists():
        return builtin
    text = _read_text(user_file)
    parsed = parse_prompts(parse_toml(text, user_file), text, user_file)
    warnings = list(builtin.warnings) + parsed.warnings
    merged: dict[str, Prompt] = {p.id: p for p in builtin.prompts}
    for p in parsed.prompts:
        merged[p.id] = p  # dicts keep first-insertion order: a replacement stays in place
    lines = _Lines(text)
    for pid in parsed.disable:
        if pid in merged:
            del merged[pid]
        else:
            warnings.append(
                LibraryWarning(
                    user_file, f"disable: no prompt with id {pid!r}", line=lines.top_key("disable")
                )
            )
    if not merged:
        warnings.append(
            LibraryWarning(user_file, "every prompt is disabled; using the built-in prompts")
        )
        return PromptLibrary(builtin.prompts, tuple(warnings))
    return PromptLibrary(tuple(merged.values()), tuple(warnings))


def word_count(text: str) -> int:
    return len(text.split())


__all__: Sequence[str] = (
    "BODY_MAX_CHARS",
    "KINDS",
    "LibraryWarning",
    "Prompt",
    "PromptLibrary",
    "load_builtin",
    "load_library",
    "parse_prompts",
    "word_count",
)
