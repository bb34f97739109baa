from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from postguard.ingest import weibo
from postguard.ingest.exports import ReaderOptions, detect_export
from postguard.model import InputError, Post

EXPORTS = Path(__file__).resolve().parents[2] / "fixtures" / "exports"
USER_DIR = EXPORTS / "weibo" / "李医生说健康"
CSV = USER_DIR / "1669879401.csv"


def split(items: Iterable[Post | InputError]) -> tuple[list[Post], list[InputError]]:
    items = list(items)
    return [i for i in items if isinstance(i, Post)], [i for i in items if isinstance(i, InputError)]


def test_fixture_has_the_crawler_header_and_bom() -> None:
    raw = CSV.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,bid,") and "正文,头条文章url,原始图片url".encode() in raw


def test_crawler_csv_is_read_with_pictures_account_and_links() -> None:
    posts, errors = split(weibo.read(CSV, ReaderOptions()))
    assert errors == []
    assert [p.id for p in posts] == ["4999123456789012", "4999234567890123", "4999345678901234"]
    second = posts[1]
    assert second.text.startswith("今天给3床的王某某")
    assert second.account == "李医生说健康"  # the crawler names the folder after the screen name
    assert second.platform == "weibo"
    assert second.published_at == "2024-03-06"
    assert second.url == "https://weibo.com/1669879401/O9bCdEfGh"
    assert second.source == f"{CSV}:3"
    assert [Path(p).name for p in second.images] == [
        "20240306_4999234567890123_1.jpg",
        "20240306_4999234567890123_2.jpg",
    ]
    assert second.meta["location"] == "上海·某某医院"
    assert len(posts[2].images) == 1 and posts[0].images == ()


def test_user_folder_is_read_like_its_csv() -> None:
    posts, errors = split(weibo.read(USER_DIR, ReaderOptions()))
    assert not errors and len(posts) == 3


def test_missing_picture_is_reported_on_the_post(export_copy: Callable[[str], Path]) -> None:
    folder = export_copy("weibo/李医生说健康")
    (folder / "img" / "原创微博图片" / "20240306_4999234567890123_2.jpg").unlink()
    posts, errors = split(weibo.read(folder / CSV.name, ReaderOptions()))
    assert errors == []
    post = posts[1]
    assert len(post.images) == 1
    assert len(post.errors) == 1 and post.errors[0].source.endswith("1669879401.csv:3")
    assert "1 of 2 pictures" in post.errors[0].message


def test_without_downloaded_pictures_posts_are_read_and_one_notice_says_so(
    export_copy: Callable[[str], Path],
) -> None:
    folder = export_copy("weibo/李医生说健康")
    shutil.rmtree(folder / "img")
    posts, errors = split(weibo.read(folder / CSV.name, ReaderOptions()))
    assert len(posts) == 3 and all(p.images == () and p.errors == () for p in posts)
    assert (
        len(errors) == 1 and "2 posts" in errors[0].message and "original_pic_download" in errors[0].message
    )


def test_folder_named_by_user_id_takes_the_name_from_users_csv(tmp_path: Path) -> None:
    folder = tmp_path / "weibo" / "1669879401"
    shutil.copytree(USER_DIR, folder)
    (tmp_path / "weibo" / "users.csv").write_text(
        "\ufeff用户id,昵称,性别\n1669879401,李医生说健康,m\n", encoding="utf-8"
    )
    posts, _ = split(weibo.read(folder, ReaderOptions()))
    assert {p.account for p in posts} == {"李医生说健康"}


def test_retweet_keeps_the_source_text_as_context_only(tmp_path: Path) -> None:
    csv_path = tmp_path / "123.csv"
    csv_path.write_text(
        "\ufeffid,bid,正文,头条文章url,原始图片url,视频url,位置,日期,工具,点赞数,评论数,转发数,话题,@用户,"
        "是否原创,源用户id,源用户昵称,源微博id,源微博bid,源微博正文\n"
        "1,AbC,转发微博,,,,,2024-03-01 08:30:00,,0,0,0,,,False,9,某医院,2,XyZ,某医院招聘护士\n",
        encoding="utf-8",
    )
    posts, errors = split(weibo.read(csv_path, ReaderOptions()))
    assert not errors
    assert posts[0].text == "转发微博" and posts[0].meta["retweeted_text"] == "某医院招聘护士"
    assert posts[0].published_at == "2024-03-01T08:30:00"


def test_wrong_field_count_row_is_an_error_and_the_rest_is_read(tmp_path: Path) -> None:
    csv_path = tmp_path / "5.csv"
    csv_path.write_text(
        "\ufeffid,bid,正文,日期\n1,a,第一条,2024-01-01\n2,b,第二条,多余,2024-01-02\n3,c,第三条,2024-01-03\n",
        encoding="utf-8",
    )
    posts, errors = split(weibo.read(csv_path, ReaderOptions()))
    assert [p.id for p in posts] == ["1", "3"]
    assert errors[0].source == f"{csv_path}:3" and "5 fields" in errors[0].message


def test_detect_export_for_the_csv_and_the_user_folder() -> None:
    assert detect_export(CSV) == "weibo"
    assert detect_export(USER_DIR) == "weibo"


def test_the_crawlers_users_csv_is_not_taken_for_posts(tmp_path: Path) -> None:
    users = tmp_path / "users.csv"
    users.write_text("\ufeff用户id,昵称,性别\n1669879401,李医生说健康,m\n", encoding="utf-8")
    assert detect_export(users) is None
