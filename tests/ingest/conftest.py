"""Shared helpers for the export-reader tests: copies of fixtures/exports that a test may damage."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

EXPORTS = Path(__file__).resolve().parents[2] / "fixtures" / "exports"


@pytest.fixture
def export_copy(tmp_path: Path) -> Callable[[str], Path]:
    """Copy fixtures/exports/<name> into a temporary folder and return the copy's path."""

    def copy(name: str) -> Path:
        target = tmp_path / Path(name).name
        shutil.copytree(EXPORTS / name, target)
        return target

    return copy
