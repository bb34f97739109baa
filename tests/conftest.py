from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def builtin_policy():
    from postguard import load_policy

    return load_policy()


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[bytes]]:
    """Run the real CLI in a subprocess: exit codes, stdout and stderr exactly as a user sees them."""

    def run(*args: str, input: bytes | None = None, cwd: Path | None = None, env: dict | None = None):
        import os

        full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
        full_env.pop("GITHUB_ACTIONS", None)
        return subprocess.run([sys.executable, "-m", "postguard", *args], input=input, capture_output=True,
                              cwd=cwd or REPO, env=full_env)

    return run
