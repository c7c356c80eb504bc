"""The foldpress command: new, build, post, --help and exit codes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner
from conftest import soup

from foldpress.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_new_site_builds(tmp_path):
    site = tmp_path / "blog"
    created = run("new", str(site))
    assert created.exit_code == 0, created.output
    built = run("build", str(site))
    assert built.exit_code == 0, built.output
    assert f"written to {site / '_site'}" in built.output
    front = soup(site / "_site/index.html")
    summary = front.find("article", class_="summary")
    assert summary.h2.get_text() == "Welcome to foldpress"
    post = soup(
        site / "_site" / summary.find("p", class_="read-more").a["href"].strip("/") / "index.html"
    )
    assert post.find("math") is not None and post.find("pre", class_="highlight") is not None
    assert (site / "_site/about/index.html").exists()


def test_new_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "x.txt").write_text("mine")
    result = run("new", str(tmp_path))
    assert result.exit_code == 1
    assert "not empty" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_post_creates_a_dated_post_that_builds(make_site):
    site = make_site()
    result = run(
        "post", "Hello, World: Part 2", "--site", str(site), "--topics", "AI, Python", "-t", "Tools"
    )
    assert result.exit_code == 0, result.output
    today = datetime.now(ZoneInfo("Europe/London"))
    path = site / "posts" / f"{today:%Y-%m-%d}-hello-world-part-2.md"
    assert f"Created {path}" in result.output
    front = yaml.safe_load(path.read_text().split("---\n")[1])
    assert front["title"] == "Hello, World: Part 2"
    assert front["topics"] == ["AI", "Python", "Tools"]
    assert "draft" not in front
    out = site / "_site"
    assert run("build", str(site)).exit_code == 0
    assert (out / f"{today:%Y/%m}/hello-world-part-2/index.html").exists()
    again = run("post", "Hello, World: Part 2", "--site", str(site))
    assert again.exit_code == 1 and "already exists" in again.output


def test_post_draft_is_left_out_of_the_build(make_site):
    site = make_site()
    assert run("post", "Not yet", "--site", str(site), "--draft").exit_code == 0
    built = run("build", str(site))
    assert "0 posts" in built.output
    assert "1 post" in run("build", str(site), "--drafts").output


def test_post_needs_a_site(tmp_path):
    result = run("post", "Lost", "--site", str(tmp_path))
    assert result.exit_code == 1
    assert "site.toml: not found" in result.output


@pytest.mark.parametrize("command", [[], ["new"], ["build"], ["post"]])
def test_help(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output and len(result.output.splitlines()) > 4


def test_usage_errors_exit_2():
    assert run("build", "--no-such-option").exit_code == 2
    assert run("post").exit_code == 2
