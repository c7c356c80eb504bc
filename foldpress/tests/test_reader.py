"""Reading posts: slugs, dates in the site's timezone, topics; and site.toml."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import post_file

from foldpress.config import SiteConfig, load_config
from foldpress.errors import BuildError
from foldpress.reader import read_post
from foldpress.slugs import slugify

LONDON = SiteConfig(timezone="Europe/London")


def read(tmp_path: Path, name: str, text: str, config: SiteConfig = LONDON):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    post, errors = read_post(path, config)
    assert errors == []
    return post


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Don't Panic!", "don-t-panic"),
        ("  Café au lait  ", "cafe-au-lait"),
        ("LLM from scratch", "llm-from-scratch"),
        ("C++ & Rust", "c-rust"),
        ("机器 学习", "机器-学习"),  # no ASCII letters at all: its own, as Hugo's urlize
        ("Ελληνικά", "ελληνικά"),
    ],
)
def test_slugify(text, slug):
    assert slugify(text) == slug


@pytest.mark.parametrize(
    ("name", "front", "slug"),
    [
        ("2025-03-19-dropout.md", {}, "dropout"),
        ("2025-03-19-dropout.md", {"slug": "Attention Dropout"}, "attention-dropout"),
        ("2025-03-19.md", {}, "my-title"),
        ("Notes On Things.md", {}, "notes-on-things"),
    ],
)
def test_slug_from_front_matter_then_file_name_then_title(tmp_path, name, front, slug):
    post = read(tmp_path, name, post_file("My title", "2025-03-19", **front))
    assert post.slug == slug
    assert post.url == f"/2025/03/{slug}/"


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2025-03-19", datetime(2025, 3, 19, 0, 0)),
        ("2025-07-01 09:30:00", datetime(2025, 7, 1, 9, 30)),
        ("2025-07-01T09:30:00+02:00", datetime(2025, 7, 1, 8, 30)),  # 07:30 UTC is 08:30 BST
        ("'2025-07-01 09:30'", datetime(2025, 7, 1, 9, 30)),
    ],
)
def test_dates_are_aware_and_in_the_site_timezone(tmp_path, date, expected):
    post = read(tmp_path, "p.md", post_file("T", date))
    assert post.date.tzinfo == ZoneInfo("Europe/London")
    assert post.date.replace(tzinfo=None) == expected


def test_an_offset_date_can_move_a_post_into_another_month(tmp_path):
    post = read(tmp_path, "p.md", post_file("T", "2025-03-31T23:30:00-05:00"))
    assert post.date.utcoffset() == timedelta(hours=1)
    assert post.url == "/2025/04/p/"


def test_topics_keep_their_names_and_get_slugs(tmp_path):
    post = read(tmp_path, "p.md", post_file("T", "2025-01-01", topics="[AI, LLM from scratch, AI]"))
    assert [(t.name, t.url) for t in post.topics] == [
        ("AI", "/topics/ai/"),
        ("LLM from scratch", "/topics/llm-from-scratch/"),
    ]


def test_body_and_key_lines_are_recorded(tmp_path):
    post = read(tmp_path, "p.md", post_file("T", "2025-01-01", body="Body.\n", summary="S"))
    assert post.body_markdown == "\nBody.\n"
    assert post.source_lines == {"title": 2, "date": 3, "summary": 4, "body": 6}


def test_site_toml_defaults_and_values(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text('title = "T"\nposts_per_page = 4\nsmart_typography = true\n')
    config = load_config(path)
    assert (config.title, config.posts_per_page, config.smart_typography) == ("T", 4, True)
    assert config.timezone == "UTC"
    assert config.absolute_url("/a/b/") == "http://localhost:8000/a/b/"


def test_site_toml_reports_every_bad_key_with_its_line(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text('title = "T"\ntitel = "x"\nposts_per_page = "5"\nfeed_content = "all"\n')
    with pytest.raises(BuildError) as caught:
        load_config(path)
    messages = [str(e) for e in caught.value.errors]
    assert messages[0] == f"{path}:2: unknown setting 'titel'; did you mean 'title'?"
    assert messages[1].startswith(f"{path}:3: 'posts_per_page' must be an integer")
    assert messages[2].startswith(f"{path}:4: 'feed_content' must be one of 'full', 'intro'")
