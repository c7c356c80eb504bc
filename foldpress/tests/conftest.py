"""Shared fixtures: small sites written into tmp_path, and the example site built once."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from foldpress.build import build

# No build leaves a build server behind (test_buildserver.py asks for one): one per
# test site would outlive the tests.
os.environ["FOLDPRESS_BUILD_SERVER"] = "0"

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_SITE = REPO / "examples" / "site"

SITE_TOML = """\
title = "Test blog"
description = "A blog for tests."
author = "Tester"
base_url = "https://blog.example.com/"
timezone = "Europe/London"
posts_per_page = 3
"""

SiteWriter = Callable[..., Path]


def write_files(root: Path, files: dict[str, str | bytes], *, dedent: bool = True) -> Path:
    """Write ``{relative path: text or bytes}`` under ``root`` (text dedented unless
    ``dedent=False``, as another engine's files must be kept); return ``root``."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content) if dedent else content, encoding="utf-8")
    return root


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """An old site's files under ``root``, exactly as given; ``root``."""
    return write_files(root, files, dedent=False)


def post_file(title: str, date: str, body: str = "Hello.\n", **front: object) -> str:
    """A post's text: front matter (title, date and any ``front`` keys) and body."""
    lines = [f"title: {json.dumps(title)}", f"date: {date}"]  # JSON strings are YAML
    lines += [f"{key}: {value}" for key, value in front.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n" + textwrap.dedent(body)


@pytest.fixture
def make_site(tmp_path: Path) -> SiteWriter:
    """Returns ``make(files, site_toml=SITE_TOML) -> site folder`` in tmp_path."""

    def make(files: dict[str, str | bytes] | None = None, site_toml: str = SITE_TOML) -> Path:
        site = tmp_path / "site"
        site.mkdir(exist_ok=True)
        (site / "site.toml").write_text(site_toml, encoding="utf-8")
        write_files(site, files or {})
        return site

    return make


def soup(path: Path) -> BeautifulSoup:
    """A built page parsed with lxml."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


CHROMIUM = Path("/usr/bin/chromium")  # Debian's, driven by Playwright
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium for a test module; skipped (required in CI) where it is absent."""
    require_resource(CHROMIUM, "Chromium (Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def require_resource(path: Path, what: str) -> None:
    """Skip when a test resource is missing, or fail when CI says it must be there."""
    if path.exists():
        return
    message = f"{what} not found at {path}"
    if os.environ.get("REQUIRE_TEST_RESOURCES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def built_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/site built once per test session (per xdist worker); its output folder."""
    require_resource(EXAMPLE_SITE / "site.toml", "the example site (examples/site)")
    out = tmp_path_factory.mktemp("example") / "_site"
    build(EXAMPLE_SITE, out)
    return out
