"""The material in ../shared beside the repo (real beat data, the Kubios reference): tests that
need it skip on a laptop without it, and fail on CI (``CI=true``), where it must be there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def shared_or_skip(*parts: str) -> Path:
    """A path in ../shared: skipped when it is missing on a laptop, a failure on CI."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing; CI must have ../shared beside the repo")
        pytest.skip(f"{path} is missing (../shared is not beside the repo)")
    return path
