"""The cache's data format: posts and pages read back as they were, and nothing else
is made or run when reading."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import msgpack
import pytest

from foldpress import serial
from foldpress.errors import ContentWarning
from foldpress.model import Page, Post, PostMarkdown, Topic


def a_post(site: Path) -> Post:
    london = ZoneInfo("Europe/London")
    post = Post(
        source=site / "posts" / "2025-03-30-clocks.md",
        title="Clocks <go> forward",
        date=datetime(2025, 3, 30, 0, 30, tzinfo=london),
        slug="clocks",
        topics=[Topic("Time", "time")],
        updated=datetime(2025, 4, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5))),
        summary=None,
        body_markdown="Body with `code` and $x$.\n",
        body_html="<p>Body</p>\n",
        source_lines={"title": 2, "body": 6},
        warnings=[ContentWarning(site / "posts" / "2025-03-30-clocks.md", 3, "a warning")],
        markdown=PostMarkdown("body", "intro", "summary line"),
    )
    return post


def test_a_post_reads_back_equal_with_its_cached_properties(tmp_path):
    post = a_post(tmp_path)
    back = serial.loads(serial.dumps(post, tmp_path), tmp_path)
    assert back == post
    assert vars(back) == vars(post)
    assert back.date.tzinfo == ZoneInfo("Europe/London")
    assert back.updated.utcoffset() == timedelta(hours=-5)
    assert back.warnings[0].path == post.source


def test_paths_in_the_site_follow_the_site_folder_as_now_spelled(tmp_path):
    post = a_post(Path("blog"))
    back = serial.loads(serial.dumps(post, Path("blog")), Path("."))
    assert back.source == Path("posts/2025-03-30-clocks.md")
    assert back.warnings[0].path == back.source
    there = serial.loads(serial.dumps(back, Path(".")), Path("/srv/blog"))
    assert there.source == Path("/srv/blog/posts/2025-03-30-clocks.md")
    outside = Path("/elsewhere/file.md")
    assert serial.loads(serial.dumps(outside, Path("blog")), Path(".")) == outside
    assert serial.loads(serial.dumps(outside, Path(".")), Path("blog")) == outside


def test_fields_added_to_the_model_need_no_change_here(tmp_path):
    page = Page(source=tmp_path / "pages/about.md", title="About", slug="about")
    # What another feature might add: free-form front matter, dates inside it, tuples.
    page.extra = {"when": datetime(2025, 1, 2, tzinfo=UTC), "tags": ("a", "b"), "n": [1, 2.5]}  # type: ignore[attr-defined]
    back = serial.loads(serial.dumps(page, tmp_path), tmp_path)
    assert back.extra == page.extra  # type: ignore[attr-defined]


def test_an_object_of_another_class_is_not_stored():
    with pytest.raises(TypeError):
        serial.dumps({"x": object()})


@pytest.mark.parametrize("name", ["Popen", "ContentErrorX", "BuildError", "SiteConfig"])
def test_only_data_model_classes_are_made_when_reading(name):
    data = msgpack.packb(msgpack.ExtType(5, msgpack.packb([name, {}])))
    with pytest.raises(serial.FormatError, match="not a data model class"):
        serial.loads(data)


def test_a_pickle_is_a_format_error():
    with pytest.raises(serial.FormatError):
        serial.loads(pickle.dumps(print))
