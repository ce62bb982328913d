"""Closed windows: :class:`WindowResult`, and many of them as columns, :class:`WindowColumns`.

The pipeline closes windows in batches and computes each field of a batch as one array
(markers, quality), so it hands them on as columns: a ``WindowColumns`` of the batch, read
as a list of ``WindowResult`` by whoever wants objects (the live session, the importer) and
appended column by column by whoever keeps them (an analysis).

An analysis keeps every window it closes (20,000 for a week). As objects (a ``WindowResult``
and its ``Markers``, each number a Python float) they take about 900 bytes each, more than
the beats they come from; kept as one array per field they take 8 bytes a number. The store
reads like a list of ``WindowResult`` (indexing, iteration, ``len``, equality, ``repr``),
rebuilding each window when it is read; one field of every window reads as one array or list
(:meth:`WindowColumns.floats`, :meth:`WindowColumns.values`) without rebuilding any.

Fields are laid out from the dataclasses' own type hints, so a field added to
``WindowResult`` or ``Markers`` is kept too: numbers (``float``, ``int``, ``bool``, and ``None``
where allowed) as arrays, a ``StrEnum`` as its value's index, a nested dataclass field by field,
and anything else as the object itself.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from kindbreak.signal.hrv import Markers


class Quality(StrEnum):
    GOOD = "good"
    POOR = "poor"


@dataclass(frozen=True, slots=True)
class WindowResult:
    start_s: float
    end_s: float
    n_beats: int
    artifact_share: float
    coverage: float
    quality: Quality
    markers: Markers
    recent_hr_bpm: float
    score: float | None
    stressed: bool
    calibrating: bool = False
    #: Heart rate of the window's last ``latest_hr_s`` (30 s): is a rise still there?
    latest_hr_bpm: float = math.nan
    #: The recent calm state the window was scored against (``signal.reference``), the
    #: person's spread of calm heart rate, and the load in spreads behind the score
    #: (``signal.score``); None when the window has no score.
    ref_hr_bpm: float | None = None
    ref_rmssd_ms: float | None = None
    spread_bpm: float | None = None
    load_sd: float | None = None
    #: Whether the stress stage reads the window: good, or poor for the HRV markers while its
    #: last minute's heart rate is reliable (``PipelineSettings.min_hr_beats``), in which case
    #: it is scored on heart rate alone.
    hr_reliable: bool = False
    #: NN intervals in the last ``recent_hr_s`` (what ``recent_hr_bpm`` rests on), and the
    #: share of their successive intervals that change by more than 20 % (windows poor for
    #: HRV only; NaN otherwise)
    recent_beats: int = 0
    recent_jump_share: float = math.nan

    @property
    def mean_hr_bpm(self) -> float:
        return self.markers.mean_hr_bpm


class _Column:
    """One field: ``append`` a value, ``get(i)`` it back."""

    def __init__(self, kind: type | None, optional: bool) -> None:
        self.kind = kind
        self.optional = optional
        self.values: array[float] | array[int] | list[Any]
        if kind is float:
            self.values = array("d")
        elif kind in (int, bool) or (isinstance(kind, type) and issubclass(kind, enum.Enum)):
            self.values = array("q")
        else:
            self.values = []
        self.none = array("b") if optional else None
        self.members: list[Any] = (
            list(kind) if isinstance(kind, type) and issubclass(kind, enum.Enum) else []
        )

    def extend(self, values: list[Any]) -> None:
        if self.none is not None:
            self.none.extend([v is None for v in values])
        if isinstance(self.values, list):
            self.values.extend(values)
        elif self.members:
            self.values.extend([0 if v is None else self.members.index(v) for v in values])
        elif self.none is not None:
            self.values.extend([0 if v is None else v for v in values])
        else:
            self.values.extend(values)

    def extend_array(self, values: npt.NDArray[Any]) -> None:
        """Values of a number, bool or enum field as an array (an enum's as member indices);
        none of them None."""
        if self.none is not None:
            self.none.frombytes(bytes(values.size))
        if isinstance(self.values, list):
            self.values.extend(values.tolist())
        else:
            dtype = np.float64 if self.values.typecode == "d" else np.int64
            self.values.frombytes(np.ascontiguousarray(values, dtype=dtype).tobytes())

    def extend_column(self, other: _Column) -> None:
        self.values.extend(other.values)  # type: ignore[arg-type]  # the same kind of column
        if self.none is not None and other.none is not None:
            self.none.extend(other.none)

    def append(self, value: Any) -> None:
        if self.none is not None:
            self.none.append(value is None)
        if isinstance(self.values, list):
            self.values.append(value)
        elif value is None:
            self.values.append(0)
        elif self.members:
            self.values.append(self.members.index(value))
        else:
            self.values.append(value)

    def get(self, i: int) -> Any:
        if self.none is not None and self.none[i]:
            return None
        v = self.values[i]
        if self.members:
            return self.members[int(v)]
        if self.kind is bool:
            return bool(v)
        return v

    def floats(self) -> npt.NDArray[np.float64]:
        """Every value as a float array, nan where it is None (numbers only)."""
        if isinstance(self.values, list) or self.members:
            raise TypeError("not a number column")
        if self.kind is float:
            out = np.frombuffer(self.values, dtype=np.float64).copy()
        else:
            out = np.frombuffer(self.values, dtype=np.int64).astype(np.float64)
        if self.none is not None:
            out[np.frombuffer(self.none, dtype=np.int8).astype(bool)] = np.nan
        return out

    def items(self) -> list[Any]:
        """Every value, as ``get`` gives them."""
        if isinstance(self.values, list):
            out = list(self.values)
        elif self.members:
            out = [self.members[int(v)] for v in self.values]
        elif self.kind is bool:
            out = [bool(v) for v in self.values]
        else:
            out = self.values.tolist()
        if self.none is not None:
            for i in np.flatnonzero(np.frombuffer(self.none, dtype=np.int8)).tolist():
                out[i] = None
        return out


def _plain(hint: Any) -> tuple[Any, bool]:
    """The type behind a hint, and whether ``None`` is allowed (``X | None``)."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else None), True
    return hint, False


@dataclass(frozen=True, slots=True)
class _Field:
    """How one field of a dataclass is stored (worked out once from its type hints)."""

    name: str
    kind: type | None  # float, int, bool or an enum (an array); None: the object itself
    optional: bool
    nested: tuple[type, tuple[_Field, ...]] | None  # a dataclass field, flattened


def _fields_of(cls: type) -> tuple[_Field, ...]:
    out = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        kind, optional = _plain(hints[f.name])
        if dataclasses.is_dataclass(kind) and not optional and isinstance(kind, type):
            out.append(_Field(f.name, None, False, (kind, _fields_of(kind))))
        else:
            known = kind in (float, int, bool) or (
                isinstance(kind, type) and issubclass(kind, enum.Enum)
            )
            out.append(_Field(f.name, kind if known else None, optional, None))
    return tuple(out)


class _Layout:
    """How a dataclass is stored: one column per field, nested dataclasses flattened."""

    def __init__(self, cls: type, fields: tuple[_Field, ...]) -> None:
        self.cls = cls
        self.parts: list[tuple[str, _Layout | _Column]] = [
            (f.name, _Layout(*f.nested) if f.nested else _Column(f.kind, f.optional))
            for f in fields
        ]

    def append(self, obj: Any) -> None:
        for name, part in self.parts:
            part.append(getattr(obj, name))

    def extend(self, objs: list[Any]) -> None:
        """Field by field: one list and one array extension per field, not one per value."""
        for name, part in self.parts:
            part.extend([getattr(o, name) for o in objs])

    def get(self, i: int) -> Any:
        return self.cls(*[part.get(i) for _, part in self.parts])

    def leaves(self, prefix: str = "") -> Iterator[tuple[str, _Column]]:
        """Every column with its path (``"markers.rmssd_ms"``)."""
        for name, part in self.parts:
            if isinstance(part, _Layout):
                yield from part.leaves(prefix + name + ".")
            else:
                yield prefix + name, part

    def column(self, path: str) -> _Column:
        """The column of a field, ``"markers.rmssd_ms"`` for a nested one."""
        name, _, rest = path.partition(".")
        for part_name, part in self.parts:
            if part_name == name:
                if isinstance(part, _Layout):
                    return part.column(rest)
                if rest:
                    break
                return part
        raise KeyError(path)


_WINDOW_FIELDS = _fields_of(WindowResult)


class WindowColumns(Sequence[WindowResult]):
    """A list-like, compact store of :class:`WindowResult` (see the module docstring)."""

    def __init__(self, windows: Iterable[WindowResult] = ()) -> None:
        self._layout = _Layout(WindowResult, _WINDOW_FIELDS)
        self._n = 0
        self.extend(windows)

    @classmethod
    def of_columns(
        cls, n: int, columns: Mapping[str, npt.NDArray[Any] | list[Any]]
    ) -> WindowColumns:
        """``n`` windows given field by field, every field by its path (``"markers.sdnn_ms"``):
        an array (numbers, bools, an enum's member indices; no None) or a list of values."""
        out = cls()
        for path, column in out._layout.leaves():
            values = columns[path]
            if len(values) != n:
                raise ValueError(f"{path}: {len(values)} values for {n} windows")
            if isinstance(values, list):
                column.extend(values)
            else:
                column.extend_array(values)
        out._n = n
        return out

    def append(self, w: WindowResult) -> None:
        self._layout.append(w)
        self._n += 1

    def extend(self, windows: Iterable[WindowResult]) -> None:
        if isinstance(windows, WindowColumns):  # column by column
            theirs = dict(windows._layout.leaves())
            for path, column in self._layout.leaves():
                column.extend_column(theirs[path])
            self._n += windows._n
            return
        batch = list(windows)
        self._layout.extend(batch)
        self._n += len(batch)

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> WindowResult: ...

    @overload
    def __getitem__(self, i: slice) -> list[WindowResult]: ...

    def __getitem__(self, i: int | slice) -> WindowResult | list[WindowResult]:
        if isinstance(i, slice):
            return [self._layout.get(k) for k in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError("window index out of range")
        result: WindowResult = self._layout.get(i)
        return result

    def __iter__(self) -> Iterator[WindowResult]:
        get: Callable[[int], WindowResult] = self._layout.get
        for i in range(self._n):
            yield get(i)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, WindowColumns | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))

    # -- a field of every window, without rebuilding the windows ----------------------------

    def floats(self, path: str) -> npt.NDArray[np.float64]:
        """A number field of every window (``"score"``, ``"markers.rmssd_ms"``) as a float
        array, nan where it is None."""
        return self._layout.column(path).floats()

    def values(self, path: str) -> list[Any]:
        """A field of every window as a list of the values the windows hold."""
        return self._layout.column(path).items()
