"""Working arrays kept from one batch of windows to the next. Pure (no I/O).

A batch of windows needs tens of arrays of up to a few MB (the 4 Hz grids of 128 windows, their
splines' systems). Made anew for every batch, they are handed back to the allocator after it,
which returns that memory to the system; the next batch asks for it again and the kernel maps
and zeroes every page once more. On a week's ``analyze --json`` that was about a third of the
band powers' time (a page fault per 4 KiB). A :class:`Scratch`, held by whoever runs the
batches (the pipeline), keeps them instead: each batch writes into the same memory.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt


class Scratch:
    """Named working arrays, grown when a batch needs more and reused after."""

    def __init__(self) -> None:
        self._arrays: dict[str, npt.NDArray[Any]] = {}

    def array(
        self, name: str, shape: tuple[int, ...], dtype: type[Any] = np.float64
    ) -> npt.NDArray[Any]:
        """An array of ``shape`` (its values left from before: write every element) that
        stays this name's until the next call with the same name."""
        size = shape[0] * shape[1] if len(shape) == 2 else math.prod(shape)
        held = self._arrays.get(name)
        if held is None or held.size < size or held.dtype.type is not dtype:
            held = np.empty(size, dtype=dtype)
            self._arrays[name] = held
        return held[:size].reshape(shape)

    def owners(self, name: str, counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """``np.repeat(np.arange(counts.size), counts)`` (which of consecutive groups of
        ``counts`` items each item belongs to), in this name's array."""
        total = int(counts.sum())
        out = self.array(name, (total + 1,), np.int64)
        out[:] = 0
        np.add.at(out, np.cumsum(counts)[:-1], 1)  # the next group starts here
        np.cumsum(out, out=out)
        owner: npt.NDArray[np.int64] = out[:total]
        return owner

    def ranges(
        self, name: str, starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.int64]:
        """The concatenation of ``arange(s, s + n)`` for each start and length, in this
        name's array: a running sum of steps of one, with each range's jump from the end of
        the one before."""
        total = int(lengths.sum())
        out = self.array(name, (total,), np.int64)
        if total == 0:
            return out
        some = lengths > 0
        s, n = starts[some], lengths[some]
        out[:] = 1
        heads = np.cumsum(n) - n
        out[heads[1:]] = s[1:] - (s[:-1] + n[:-1] - 1)
        out[0] = s[0]
        np.cumsum(out, out=out)
        return out

    def repeat(
        self, name: str, values: npt.NDArray[Any], counts: npt.NDArray[np.int64]
    ) -> npt.NDArray[Any]:
        """``np.repeat(values, counts)``, in this name's array."""
        owner = self.owners(name + ".owner", counts)
        out: npt.NDArray[Any] = np.take(
            values, owner, out=self.array(name, (owner.size,), values.dtype.type), mode="clip"
        )
        return out

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self._arrays.values())
