"""``site.toml``: the site's settings, with defaults and strict key checking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class SiteConfig:
    title: str = "My blog"
    description: str = ""
    author: str = ""
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    timezone: str = "UTC"
    posts_per_page: int = 10
    smart_typography: bool = False
    # Feeds
    feed_items: int = 20
    feed_content: Literal["full", "intro"] = "full"
    # llms.txt: optional detail paragraphs under the description, and how many of the
    # newest posts are listed before the rest go into the "## Optional" section.
    llms_details: str = ""
    llms_recent_posts: int = 20

    def absolute_url(self, path: str) -> str:
        """Join a site path such as ``/2025/03/dropout/`` onto ``base_url``."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")
