"""Helpers for the prompt, notifier and practice tests (at the root of tests/, on the path, so
every test folder imports the same module)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

SCENARIO_TIMEOUT_S = 10.0  # a safety net only; scenarios take a fraction of a second


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one async scenario on a fresh event loop, with a safety-net timeout."""

    async def guarded() -> T:
        return await asyncio.wait_for(coro, SCENARIO_TIMEOUT_S)

    return asyncio.run(guarded())
