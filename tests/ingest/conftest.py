"""Shared helpers for the export-reader tests: copies of fixtures/exports that a test may damage.

fixtures/exports holds tiny, fictional exports in the real shape of each platform's download (names,
handles and addresses are invented; no README there, since a scan of the folder would read it as a post):
  twitter-archive/   data/tweets.js (window.YTD.tweets.part0 = [...]), data/account.js,
                     data/tweets_media/<tweet id>-<media name>
  instagram-export/  your_instagram_activity/content/posts_1.json, media/posts/..., personal_information/...;
                     strings carry Meta's byte-escaped UTF-8 (mojibake)
  facebook-export/   your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json,
                     personal_information/profile_information/...; the same encoding quirk
  weibo/李医生说健康/  weibo-crawler output: <user id>.csv (UTF-8 with BOM), img/原创微博图片/<yyyymmdd>_<id>[_<n>].jpg
  csv/, json/        a generic CSV and a JSON array of post objects
Images are 24x16 placeholders (< 2 KB), PNG or JPEG as each platform names them. Damaged variants
(truncated tweets.js, missing media, ../ paths) are made by the tests in temporary copies.
"""

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
