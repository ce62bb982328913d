"""The built-in prompt library and the person's own prompts file."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kindbreak.errors import PromptFileError, UsageError
from kindbreak.prompts.library import (
    BODY_MAX_CHARS,
    KINDS,
    Prompt,
    load_builtin,
    load_library,
    word_count,
)

BUILTIN = load_builtin()


# --- the built-in library ------------------------------------------------------------------


def test_builtin_has_at_least_30_prompts_and_loads_cleanly() -> None:
    assert len(BUILTIN) >= 30
    assert BUILTIN.warnings == ()


def test_every_kind_present_at_least_four_times() -> None:
    counts = Counter(p.kind for p in BUILTIN)
    assert set(counts) == set(KINDS)
    assert min(counts.values()) >= 4, counts


def test_ids_are_unique_and_lowercase() -> None:
    ids = [p.id for p in BUILTIN]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9-]+", i) for i in ids)
    # the id names its kind, so a log line reads well on its own
    assert all(p.id.startswith(p.kind + "-") for p in BUILTIN)


def test_bodies_fit_a_notification_and_titles_are_short() -> None:
    for p in BUILTIN:
        assert 0 < len(p.body) <= BODY_MAX_CHARS, (p.id, len(p.body))
        assert 0 < len(p.title) <= 30, (p.id, p.title)
        assert "\n" not in p.body and "\n" not in p.title


def test_guided_texts_are_60_to_90_seconds_read_aloud() -> None:
    guided = [p for p in BUILTIN if p.guided]
    assert len(guided) >= 10
    for p in guided:
        assert p.guided is not None
        assert 120 <= word_count(p.guided) <= 200, (p.id, word_count(p.guided))
    # every kind has at least one longer, guided version
    assert {p.kind for p in guided} == set(KINDS)


def test_guided_text_keeps_paragraphs_but_no_stray_line_breaks() -> None:
    p = BUILTIN.get("touch-hand-on-heart")
    assert p is not None and p.guided is not None
    assert "\n\n" in p.guided  # paragraphs survive
    for para in p.guided.split("\n\n"):
        assert "\n" not in para  # lines inside a paragraph are joined
        assert "  " not in para


def test_voice_no_markup_no_orders_no_clinical_words() -> None:
    """Servers with body-markup would eat < > &; and the voice invites, it never commands."""
    banned = re.compile(
        r"\b(should|must|stressed|anxious|anxiety|calm down|relax!|patient|symptom|disorder)\b",
        re.IGNORECASE,
    )
    for p in BUILTIN:
        for text in (p.title, p.body, p.guided or ""):
            assert not set("<>&") & set(text), p.id
            m = banned.search(text.replace("patient with myself", ""))
            assert m is None, (p.id, m and m.group(0))


def test_the_classic_phrases_are_there() -> None:
    bodies = " ".join(p.body for p in BUILTIN)
    assert "This is a moment of difficulty. Difficulty is part of being human." in bodies
    assert "May I be kind to myself." in bodies
    assert "I am enough" in bodies


def test_library_lookup_helpers() -> None:
    p = BUILTIN.get("breath-longer-out")
    assert isinstance(p, Prompt) and p.kind == "breath"
    assert "breath-longer-out" in BUILTIN and "nope" not in BUILTIN
    assert BUILTIN.get("nope") is None
    assert all(q.kind == "journal" for q in BUILTIN.by_kind("journal"))
    assert BUILTIN.kinds == KINDS


# --- the user's prompts file --------------------------------------------------------------

GOOD_AND_BAD = """\
# my own prompts
[[prompt]]
id = "my-window"
kind = "body"
title = "Window"
body = "Stand up and look out of the window for a minute."

[[prompt]]
id = "too-long"
kind = "phrase"
title = "Long"
body = "{long}"

[[prompt]]
id = "odd-kind"
kind = "dance"
title = "Dance"
body = "Dance a little."

[[prompt]]
kind = "breath"
title = "No id"
body = "Breathe."

[[prompt]]
id = "my-tea"
kind = "touch"
title = "Warm cup"
body = "Hold a warm cup in both hands and feel its heat."
guided = "Hold the cup and feel it."
""".replace("{long}", "x" * 141)


def write(tmp_path: Path, text: str, name: str = "prompts.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_entries_become_warnings_naming_file_entry_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_AND_BAD)
    lib = load_library(path)

    # the good entries load, after the built-ins
    assert len(lib) == len(BUILTIN) + 2
    assert lib.get("my-window") == Prompt(
        "my-window", "body", "Window", "Stand up and look out of the window for a minute."
    )
    tea = lib.get("my-tea")
    assert tea is not None and tea.guided == "Hold the cup and feel it."
    assert lib.prompts[-2:] == (lib.get("my-window"), tea)
    assert lib.get("too-long") is None and lib.get("odd-kind") is None

    messages = [str(w) for w in lib.warnings]
    assert len(messages) == 3, messages
    too_long, odd_kind, no_id = messages
    assert too_long.startswith(f"{path}, line 12: prompt 'too-long': body is 141 characters")
    assert "at most 140" in too_long
    assert odd_kind.startswith(f"{path}, line 16: prompt 'odd-kind': kind 'dance' is not one of")
    assert "touch, breath, body, phrase, humanity, journal" in odd_kind
    assert no_id.startswith(f"{path}, line 20: prompt #4: missing 'id'")
    w = lib.warnings[0]
    assert (w.path, w.entry, w.line) == (path, "'too-long'", 12)


def test_unknown_key_warns_with_a_guess_but_the_entry_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[prompt]]\nid = "a"\nkind = "journal"\ntitle = "T"\nbody = "B?"\nguidded = "long"\n',
    )
    lib = load_library(path)
    a = lib.get("a")
    assert a is not None and a.guided is None
    (w,) = lib.warnings
    assert str(w) == (
        f"{path}, line 6: prompt 'a': unknown key 'guidded' (did you mean 'guided'?); "
        "known keys: id, kind, title, body, guided"
    )


def test_wrong_types_duplicates_and_unknown_top_level_keys(tmp_path: Path) -> None:
    text = (
        "colour = 'blue'\n"
        "[[prompt]]\nid = 'a'\nkind = 'body'\ntitle = 3\nbody = 'b'\n"
        "[[prompt]]\nid = 'b'\nkind = 'body'\ntitle = 'B'\nbody = '   '\n"
        "[[prompt]]\nid = 'c'\nkind = 'body'\ntitle = 'C'\nbody = 'c'\n"
        "[[prompt]]\nid = 'c'\nkind = 'body'\ntitle = 'C again'\nbody = 'c'\n"
        "[[prompt]]\nid = 'has space'\nkind = 'body'\ntitle = 'S'\nbody = 's'\n"
    )
    path = write(tmp_path, text)
    lib = load_library(path)
    assert lib.get("c") is not None and lib.get("c").title == "C"  # type: ignore[union-attr]
    got = [(w.entry, w.line, w.problem.split(";")[0]) for w in lib.warnings]
    assert got == [
        (None, 1, "unknown key 'colour' ignored"),
        ("'a'", 5, "'title' must be a non-empty text, got 3"),
        ("'b'", 11, "'body' must be a non-empty text, got '   '"),
        ("'c'", 18, "id used twice (first for entry #3)"),
        (
            "'has space'",
            23,
            "'id' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
        ),
    ]


def test_user_prompt_replaces_builtin_in_place_and_disable_removes(tmp_path: Path) -> None:
    text = (
        'disable = ["journal-heavy", "no-such-prompt"]\n'
        "[[prompt]]\n"
        'id = "phrase-i-am-enough"\nkind = "phrase"\ntitle = "Enough"\n'
        'body = "I am allowed to rest."\n'
    )
    path = write(tmp_path, text)
    lib = load_library(path)
    assert len(lib) == len(BUILTIN) - 1
    assert "journal-heavy" not in lib
    mine = lib.get("phrase-i-am-enough")
    assert mine is not None and mine.body == "I am allowed to rest."
    builtin_ids = [p.id for p in BUILTIN if p.id != "journal-heavy"]
    assert [p.id for p in lib] == builtin_ids  # same order: replaced where it stood
    (w,) = lib.warnings
    assert str(w) == f"{path}, line 1: disable: no prompt with id 'no-such-prompt'"


def test_disabling_everything_keeps_the_builtins(tmp_path: Path) -> None:
    ids = ", ".join(json.dumps(p.id) for p in BUILTIN)
    lib = load_library(write(tmp_path, f"disable = [{ids}]\n"))
    assert len(lib) == len(BUILTIN)
    assert "every prompt is disabled" in str(lib.warnings[-1])


def test_missing_user_file_gives_the_builtins(tmp_path: Path) -> None:
    lib = load_library(tmp_path / "absent.toml")
    assert lib.prompts == BUILTIN.prompts and lib.warnings == ()
    assert load_library(None).prompts == BUILTIN.prompts


def test_not_toml_raises_naming_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[[prompt]]\nid = "a"\nkind = body\ntitle = "x"\n')
    with pytest.raises(PromptFileError) as info:
        load_library(path)
    err = info.value
    assert isinstance(err, UsageError) and err.exit_status == 2
    assert err.path == path and err.line == 3
    assert str(err) == f"{path}, line 3: not valid TOML: invalid value"
    assert "prompts file" in err.hint


def test_unterminated_string_reports_the_last_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[[prompt]]\nid = "a"\nbody = """never closed\n\nmore\n')
    with pytest.raises(PromptFileError) as info:
        load_library(path)
    assert info.value.line == 5
    assert "unterminated string" in str(info.value)


def test_not_utf8_raises_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "prompts.toml"
    path.write_bytes(b'[[prompt]]\nid = "a"\ntitle = "caf\xe9"\n')
    with pytest.raises(PromptFileError) as info:
        load_library(path)
    assert info.value.line == 3 and "not UTF-8" in str(info.value)


def test_unreadable_path_raises(tmp_path: Path) -> None:
    with pytest.raises(PromptFileError) as info:
        load_library(tmp_path)  # a directory
    assert str(tmp_path) in str(info.value) and "cannot be read" in str(info.value)


def test_inline_array_entries_load_without_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'prompt = [{id = "x", kind = "touch", title = "X", body = "x"}, {id = "y", kind = "?"}]\n',
    )
    lib = load_library(path)
    assert lib.get("x") is not None
    (w,) = lib.warnings
    assert w.entry == "'y'" and w.line is None


# --- property: any file that is TOML loads; every loaded prompt is valid ------------------

_text = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=0, max_size=160)
_entry = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True), _text),
        "kind": st.one_of(st.sampled_from(KINDS), _text),
        "title": _text,
        "body": _text,
        "guided": _text,
        "extra": _text,
    },
)


def _toml_entry(entry: dict[str, str]) -> str:
    lines = ["[[prompt]]"]
    lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in entry.items()]
    return "\n".join(lines) + "\n"


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(entries=st.lists(_entry, max_size=6))
def test_any_toml_prompts_file_loads_with_valid_prompts_or_warnings(
    tmp_path: Path, entries: list[dict[str, str]]
) -> None:
    path = write(tmp_path, "".join(_toml_entry(e) for e in entries))
    lib = load_library(path)
    for p in lib:
        assert p.kind in KINDS
        assert 0 < len(p.body) <= BODY_MAX_CHARS
        assert p.title.strip() == p.title and p.title
        assert p.guided is None or p.guided.strip()
    assert len({p.id for p in lib}) == len(lib)
    # every entry either loaded or is named by a warning
    named = {w.entry for w in lib.warnings}
    for index, e in enumerate(entries):
        raw_id = e.get("id")
        loaded = lib.get(raw_id.strip()) if isinstance(raw_id, str) else None
        if loaded is not None and loaded.body == e.get("body", "").strip():
            continue
        name = repr(raw_id) if isinstance(raw_id, str) and raw_id.strip() else f"#{index + 1}"
        assert name in named, (e, [str(w) for w in lib.warnings])
