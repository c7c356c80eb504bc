"""Keys of posts: a post's description covers every value it holds, in any folder."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from foldpress.config import SiteConfig
from foldpress.errors import ContentWarning
from foldpress.index import build_index
from foldpress.keys import Keys
from foldpress.model import Post, Topic


def _post(site: Path, **changes: object) -> Post:
    post = Post(
        source=site / "posts" / "a.md",
        title="A",
        date=dt.datetime(2025, 1, 2, 3, 4, tzinfo=ZoneInfo("Europe/Paris")),
        slug="a",
        topics=[Topic("Python", "python")],
        body_html="<p>Hi.</p>",
        extra={"cover": {"src": "a.png", "sizes": [1, 2]}},
        warnings=[ContentWarning(site / "posts" / "a.md", 3, "odd")],
    )
    return dataclasses.replace(post, **changes)


def _digest(site: Path, post: Post) -> object:
    return Keys(build_index(SiteConfig(), [post], [], site)).whole(post)


def test_a_post_is_described_the_same_wherever_the_site_is(tmp_path: Path) -> None:
    assert _digest(tmp_path / "one", _post(tmp_path / "one")) == _digest(
        tmp_path / "two", _post(tmp_path / "two")
    )


@pytest.mark.parametrize(
    "change",
    [
        {"body_html": "<p>Ho.</p>"},
        {"topics": [Topic("Python", "py")]},
        {"extra": {"cover": {"src": "a.png", "sizes": [1, 3]}}},
        {"date": dt.datetime(2025, 1, 2, 3, 4, tzinfo=ZoneInfo("Europe/Berlin"))},
        {"warnings": [ContentWarning(Path("elsewhere.md"), 3, "odd")]},
        {"draft": True},
    ],
)
def test_any_change_to_a_post_changes_its_description(
    tmp_path: Path, change: dict[str, object]
) -> None:
    assert _digest(tmp_path, _post(tmp_path)) != _digest(tmp_path, _post(tmp_path, **change))
