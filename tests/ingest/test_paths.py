from __future__ import annotations

import os
from pathlib import Path

import pytest

from postguard.ingest.paths import media_file, safe_join


def test_relative_paths_inside_the_root_are_joined(tmp_path: Path) -> None:
    assert safe_join(tmp_path, "media/posts/a.jpg") == tmp_path / "media" / "posts" / "a.jpg"
    assert safe_join(tmp_path, "media/../b.jpg") == tmp_path / "media" / ".." / "b.jpg"


@pytest.mark.parametrize(
    "rel",
    [
        "../secret.jpg",
        "media/../../secret.jpg",
        "/etc/passwd",
        "\\\\server\\share\\x.jpg",
        "C:\\x.jpg",
        "C:x.jpg",
        "",
        "a\x00b",
    ],
)
def test_paths_leaving_the_root_are_refused(tmp_path: Path, rel: str) -> None:
    assert safe_join(tmp_path / "export", rel) is None


def test_a_symlink_pointing_outside_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "export"
    root.mkdir()
    (tmp_path / "secret.jpg").write_bytes(b"x")
    os.symlink(tmp_path / "secret.jpg", root / "link.jpg")
    assert safe_join(root, "link.jpg") is None


def test_relative_root_stays_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "a.png").write_bytes(b"x")
    assert media_file(Path("exp"), "a.png", "f:entry 1") == (os.path.join("exp", "a.png"), None)


def test_media_file_names_the_post_and_file_when_missing(tmp_path: Path) -> None:
    path, error = media_file(tmp_path, "gone.png", "posts.json:entry 4")
    assert path is None and error is not None
    assert error.source == "posts.json:entry 4" and "gone.png" in error.message
