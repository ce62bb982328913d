"""``analyze --json`` as text, written a block of windows at a time.

``json.dump(analysis.to_json(), indent=1)`` builds a dict for each window and encodes it value
by value in Python (``indent`` turns the C encoder off): most of a second for a week's 20,000
windows. Here each field of a block of windows is read as a column
(:class:`~kindbreak.signal.windows.WindowColumns`), rounded and formatted in one pass, and the
block's lines are filled from one template, so the text costs a few microseconds a window and
memory holds one block. The text is the same as ``json.dumps(analysis.to_json(), indent=1)``,
byte for byte (``tests/offline/test_json_text.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from kindbreak.offline.analysis import WINDOW_FIELDS, Analysis, WindowField

FloatArray = npt.NDArray[np.float64]

#: Windows formatted together.
BLOCK_WINDOWS = 2048


def _dumps(obj: Any) -> str:
    return json.dumps(obj, indent=1, allow_nan=False)


def _numbers(x: FloatArray, digits: int) -> list[str]:
    """``round(v, digits)`` of each value as JSON writes it (the float's repr), "null" where
    it is not finite: what ``window_json`` gives, without a Python call per value.

    ``"%.Nf"`` rounds as ``round`` does (both are the correctly rounded conversion of the
    exact binary value, half to even); below ``10 ** (15 - N)`` the result has at most 15
    significant digits, so it is the shortest text of its float, i.e. its repr once the
    trailing zeros after the first decimal are gone. Larger values, or no decimals, take
    ``round`` and ``repr`` themselves."""
    finite = np.isfinite(x)
    if x.size and digits >= 1 and bool(np.all(np.abs(x[finite]) < 10.0 ** (15 - digits))):
        text = (f"%.{digits}f\n" * x.size) % tuple(x.tolist())
        for _ in range(digits - 1):
            text = text.replace("0\n", "\n")
        out = text[:-1].split("\n")
    else:
        out = list(map(float.__repr__, map(round, x.tolist(), repeat(digits))))
    for i in np.flatnonzero(~finite).tolist():
        out[i] = "null"
    return out


def _column(values: FloatArray | list[Any], f: WindowField) -> list[str]:
    """The JSON text of field ``f`` of a block of windows (``values``: the field's floats, or
    its values for a field without decimals)."""
    if f.digits is not None:
        x = np.asarray(values)
        return _numbers(f.factor * x if f.factor != 1.0 else x, f.digits)
    # ints, bools, strings and enums: few distinct values, each encoded once
    known: dict[Any, str] = {}
    out = []
    for v in values:
        t = known.get(v)
        if t is None:
            t = known[v] = json.dumps(v, allow_nan=False)
        out.append(t)
    return out


def json_chunks(a: Analysis) -> Iterator[str]:
    """The ``--json`` document of ``a`` in pieces, with its final newline."""
    head = _dumps(a.json_head())
    tail = _dumps(a.json_tail())
    yield head[: -len("\n}")] + ',\n "windows": '
    n = len(a.windows)
    if not n:
        yield "[]"
    else:
        template = (
            "  {\n" + ",\n".join(f"   {json.dumps(f.key)}: %s" for f in WINDOW_FIELDS) + "\n  }"
        )
        # Each field read once (a float array, or the values), then formatted a block at a time.
        fields = [
            a.windows.floats(f.source) if f.digits is not None else a.windows.values(f.source)
            for f in WINDOW_FIELDS
        ]
        for lo in range(0, n, BLOCK_WINDOWS):
            hi = min(lo + BLOCK_WINDOWS, n)
            columns = [_column(v[lo:hi], f) for v, f in zip(fields, WINDOW_FIELDS, strict=True)]
            rows = ",\n".join(map(template.__mod__, zip(*columns, strict=True)))
            yield ("[\n" if lo == 0 else ",\n") + rows
        yield "\n ]"
    yield ",\n" + tail[len("{\n") :] + "\n"
