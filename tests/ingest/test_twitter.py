from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from postguard.ingest import twitter
from postguard.ingest.exports import ReaderOptions, detect_export
from postguard.model import InputError, Post

EXPORTS = Path(__file__).resolve().parents[2] / "fixtures" / "exports"

ARCHIVE = EXPORTS / "twitter-archive"


def split(items: Iterable[Post | InputError]) -> tuple[list[Post], list[InputError]]:
    items = list(items)
    return [i for i in items if isinstance(i, Post)], [i for i in items if isinstance(i, InputError)]


def test_archive_tweets_are_read_with_account_url_date_and_photo() -> None:
    posts, errors = split(twitter.read(ARCHIVE, ReaderOptions()))
    assert errors == []
    assert [p.id for p in posts] == [
        "1711234567890123456",
        "1712345678901234567",
        "1713456789012345678",
        "1714567890123456789",
    ]
    photo_post = posts[1]
    assert photo_post.account == "DrAmyLee"  # from data/account.js
    assert photo_post.platform == "twitter"
    assert photo_post.url == "https://x.com/DrAmyLee/status/1712345678901234567"
    assert photo_post.published_at == "2023-10-13T17:42:05+00:00"
    assert photo_post.source.endswith("tweets.js:entry 2")
    assert photo_post.source_path is not None and photo_post.source_path.endswith("tweets.js")
    assert len(photo_post.images) == 1 and Path(photo_post.images[0]).is_file()
    assert Path(photo_post.images[0]).name == "1712345678901234567-F8xQz1aWkAAbCdE.png"


def test_chinese_text_and_html_entities_are_decoded() -> None:
    posts, _ = split(twitter.read(ARCHIVE, ReaderOptions()))
    assert posts[2].text.startswith("今天门诊遇到一位咳嗽两周的患者")
    assert "100% guaranteed & no side effects" in posts[3].text  # the archive stores &amp;


def test_reading_the_tweets_js_file_finds_the_archive_around_it() -> None:
    posts, errors = split(twitter.read(ARCHIVE / "data" / "tweets.js", ReaderOptions()))
    assert not errors and len(posts) == 4 and posts[1].images and posts[0].account == "DrAmyLee"


def test_truncated_tweets_js_reads_the_whole_entries_and_reports_the_cut(
    export_copy: Callable[[str], Path],
) -> None:
    root = export_copy("twitter-archive")
    js = root / "data" / "tweets.js"
    text = js.read_text(encoding="utf-8")
    cut = text.index('"full_text"', text.index("1713456789012345678"))
    js.write_text(text[:cut], encoding="utf-8")
    posts, errors = split(twitter.read(root, ReaderOptions()))
    assert [p.id for p in posts] == ["1711234567890123456", "1712345678901234567"]
    assert len(errors) == 1
    line = text[:cut].count("\n") + 1
    assert errors[0].source == f"{js}:{line}"
    assert "entry 3" in errors[0].message and "truncated" in errors[0].message


def test_a_damaged_entry_is_skipped_and_later_tweets_are_still_read(
    export_copy: Callable[[str], Path],
) -> None:
    root = export_copy("twitter-archive")
    js = root / "data" / "tweets.js"
    text = js.read_text(encoding="utf-8")
    start = text.index('"full_text"', text.index("1713456789012345678"))
    js.write_text(text[:start] + '"full_text" : "unterminated,\n' + text[start:], encoding="utf-8")
    posts, errors = split(twitter.read(root, ReaderOptions()))
    assert [p.id for p in posts] == ["1711234567890123456", "1712345678901234567", "1714567890123456789"]
    assert len(errors) == 1 and "entry 3" in errors[0].message


def test_missing_photo_is_an_error_on_the_post_which_is_still_read(
    export_copy: Callable[[str], Path],
) -> None:
    root = export_copy("twitter-archive")
    (root / "data" / "tweets_media" / "1712345678901234567-F8xQz1aWkAAbCdE.png").unlink()
    posts, errors = split(twitter.read(root, ReaderOptions()))
    assert errors == [] and len(posts) == 4
    post = posts[1]
    assert post.images == ()
    assert len(post.errors) == 1
    assert post.errors[0].source.endswith("tweets.js:entry 2")
    assert "1712345678901234567-F8xQz1aWkAAbCdE.png" in post.errors[0].message


def test_account_defaults_to_the_folder_name_and_the_option_wins(export_copy: Callable[[str], Path]) -> None:
    root = export_copy("twitter-archive")
    (root / "data" / "account.js").unlink()
    posts, _ = split(twitter.read(root, ReaderOptions()))
    assert posts[0].account == "twitter-archive"
    assert posts[0].url == "https://x.com/i/status/1711234567890123456"
    posts, _ = split(twitter.read(ARCHIVE, ReaderOptions(account="clinic-main")))
    assert {p.account for p in posts} == {"clinic-main"}


def test_split_archives_read_every_part_in_order(export_copy: Callable[[str], Path]) -> None:
    root = export_copy("twitter-archive")
    (root / "data" / "tweets-part1.js").write_text(
        'window.YTD.tweets.part1 = [\n  {\n    "tweet" : {\n      "id_str" : "99",\n'
        '      "created_at" : "Mon Jan 01 00:00:00 +0000 2024",\n      "full_text" : "part one"\n    }\n  }\n]',
        encoding="utf-8",
    )
    posts, errors = split(twitter.read(root, ReaderOptions()))
    assert not errors and [p.id for p in posts][-1] == "99" and len(posts) == 5


def test_detect_export_recognises_the_archive_its_data_folder_and_tweets_js() -> None:
    assert detect_export(ARCHIVE) == "twitter"
    assert detect_export(ARCHIVE / "data") == "twitter"
    assert detect_export(ARCHIVE / "data" / "tweets.js") == "twitter"
    assert detect_export(ARCHIVE / "data" / "account.js") is None
