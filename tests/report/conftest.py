from __future__ import annotations

from pathlib import Path

import pytest

from support.report_store import Built, build_store


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Two synthetic days imported through the pipeline, with prompts and practices (built
    once; tests must not write to it: copy it with ``store_copy``)."""
    return build_store(tmp_path_factory.mktemp("report-store"))


@pytest.fixture()
def store_copy(built: Built, tmp_path: Path) -> Path:
    import sqlite3

    dst = tmp_path / "kindbreak.sqlite3"
    src = sqlite3.connect(built.db)
    out = sqlite3.connect(dst)
    src.backup(out)
    src.close()
    out.close()
    return dst
