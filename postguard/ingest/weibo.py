"""Weibo posts as saved by weibo-crawler (github.com/dataabc/weibo-crawler).

Layout read here:
  weibo/<昵称 or user id>/<user id>.csv   UTF-8 with BOM; header id, bid, 正文, 头条文章url, 原始图片url,
                                          视频url, 位置, 日期, 工具, 点赞数, 评论数, 转发数, 话题, @用户
                                          [, 是否原创, 源用户id, 源用户昵称, 源微博id, 源微博正文, ...]
  weibo/<...>/img/原创微博图片/<yyyymmdd>_<id>[_<n>].<ext>   downloaded pictures (n counts from 1
                                          when a post has several); older versions wrote img/ directly
  weibo/users.csv                         用户id, 昵称, ... (names the account when the folder is the id)
原始图片url lists the picture URLs comma-separated; the local files are found by post id.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postguard.ingest.csvfile import normalise_date, read_rows, unique_id
from postguard.model import InputError, Post

if TYPE_CHECKING:
    from postguard.ingest.exports import ReaderOptions

REQUIRED = ("bid", "正文")
_IMG_NAME = re.compile(r"^(\d{8}) ?_(\d+)(?:_(\d+))?\.[A-Za-z0-9]+$")
_IMG_DIRS = ("原创微博图片", ".")


def is_weibo_header(header: list[str]) -> bool:
    return all(col in header for col in REQUIRED)


def weibo_csvs(folder: Path) -> list[Path]:
    """The crawler's result files in a user's folder: `<user id>.csv` with the weibo header."""
    out = []
    for p in sorted(folder.glob("*.csv")):
        if p.stem.isdigit() and header_matches(p):
            out.append(p)
    return out


def header_matches(path: Path, columns: tuple[str, ...] = REQUIRED) -> bool:
    """True when the first line of a CSV file names these columns (reads 4 KB only)."""
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    first = head.decode("utf-8-sig", errors="replace").split("\n", 1)[0]
    cells = [c.strip() for c in first.replace('"', "").split(",")]
    return all(col in cells for col in columns)


def image_index(folder: Path) -> dict[str, list[str]] | None:
    """Post id -> its downloaded pictures in order; None when no img/ folder exists."""
    img = folder / "img"
    if not img.is_dir():
        return None
    index: dict[str, list[tuple[int, str]]] = {}
    for sub in _IMG_DIRS:
        d = img / sub
        if not d.is_dir():
            continue
        for p in d.iterdir():
            m = _IMG_NAME.match(p.name)
            if m and p.is_file():
                index.setdefault(m.group(2), []).append((int(m.group(3) or 1), os.fspath(p)))
    return {k: [p for _, p in sorted(v)] for k, v in index.items()}


def account_name(csv_path: Path) -> str:
    folder = csv_path.parent
    if not folder.name.isdigit():
        return folder.resolve().name  # the crawler names the folder after the screen name
    users = read_rows(folder.parent / "users.csv") if (folder.parent / "users.csv").is_file() else None
    if users is not None and not isinstance(users, InputError):
        for row in users[1]:
            if not isinstance(row, InputError) and row.values.get("用户id") == folder.name:
                return row.values.get("昵称") or folder.name
    return folder.name


def read(path: Path, options: ReaderOptions) -> Iterator[Post | InputError]:
    files = weibo_csvs(path) if path.is_dir() else [path]
    if not files:
        yield InputError(
            os.fspath(path), "no weibo-crawler <user id>.csv here; point at the user's folder or file"
        )
        return
    for file in files:
        yield from _read_file(file, options)


def _read_file(path: Path, options: ReaderOptions) -> Iterator[Post | InputError]:
    name = os.fspath(path)
    opened = read_rows(path)
    if isinstance(opened, InputError):
        yield opened
        return
    header, rows = opened
    if "正文" not in header:
        yield InputError(f"{name}:1", "no 正文 column; this is not a weibo-crawler file (try --format csv)")
        return
    account = options.account or account_name(path)
    uid = path.stem if path.stem.isdigit() else None
    images_by_id = image_index(path.parent)
    not_downloaded = 0
    seen: set[str] = set()
    for row in rows:
        if isinstance(row, InputError):
            yield row
            continue
        where = f"{name}:{row.line}"
        v = row.values
        weibo_id, bid = v.get("id", "").strip(), v.get("bid", "").strip()
        pic_urls = [u for u in v.get("原始图片url", "").split(",") if u.strip()]
        images: list[str] = []
        errors: list[InputError] = []
        if pic_urls and images_by_id is None:
            not_downloaded += 1
        elif pic_urls and images_by_id is not None:
            images = images_by_id.get(weibo_id, [])[: len(pic_urls)]
            if len(images) < len(pic_urls):
                errors.append(
                    InputError(
                        where,
                        f"{len(pic_urls) - len(images)} of {len(pic_urls)} pictures of post {weibo_id} not found "
                        f"in {path.parent / 'img' / '原创微博图片'}; the post was read without them",
                    )
                )
        raw_date = v.get("日期", "")
        published = normalise_date(raw_date)
        if raw_date.strip() and published is None:
            errors.append(InputError(where, f"date {raw_date!r} not understood"))
        meta: dict[str, Any] = {
            k: v[col]
            for k, col in (
                ("location", "位置"),
                ("topics", "话题"),
                ("at_users", "@用户"),
                ("tool", "工具"),
                ("article_url", "头条文章url"),
                ("video_url", "视频url"),
            )
            if v.get(col, "").strip()
        }
        if v.get("是否原创", "").strip().lower() == "false":
            meta["retweet"] = True
            # the reposted post is someone else's words: kept for context, not scanned as the author's
            if v.get("源微博正文", "").strip():
                meta["retweeted_text"] = v["源微博正文"]
        text = v.get("正文", "")
        if not text.strip() and not images:
            yield InputError(where, "post without 正文 or pictures; skipped")
            continue
        url = (
            f"https://weibo.com/{uid}/{bid}"
            if uid and bid
            else (f"https://m.weibo.cn/detail/{weibo_id}" if weibo_id else None)
        )
        yield Post(
            id=unique_id(weibo_id or bid or f"{path.stem}-{row.line}", seen),
            text=text,
            images=tuple(images),
            account=account,
            platform="weibo",
            published_at=published,
            url=url,
            source=where,
            source_path=name,
            meta=meta,
            errors=tuple(errors),
        )
    if not_downloaded:
        yield InputError(
            name,
            f"no img/ folder beside this file: the pictures of {not_downloaded} posts were not downloaded "
            "and are not scanned (run weibo-crawler with original_pic_download: 1)",
        )
