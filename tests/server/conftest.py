"""Fixtures for the server tests: a pinned test policy, a test client, a rendered lab report."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # for `import labkit`

from labkit import TEST_POLICY, render_lab_report  # noqa: E402


@pytest.fixture(scope="session")
def test_policy():
    from postguard import load_policy

    return load_policy([str(TEST_POLICY)], builtin=False)


@pytest.fixture
def client(test_policy):
    from fastapi.testclient import TestClient

    from postguard.server import create_app

    with TestClient(create_app(test_policy), base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture(scope="session")
def lab_report(tmp_path_factory) -> Path:
    return render_lab_report(tmp_path_factory.mktemp("lab") / "lab-report.jpg")
