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
        size = math.prod(shape)
        held = self._arrays.get(name)
        if held is None or held.size < size or held.dtype != dtype:
            held = np.empty(size, dtype=dtype)
            self._arrays[name] = held
        return held[:size].reshape(shape)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self._arrays.values())
