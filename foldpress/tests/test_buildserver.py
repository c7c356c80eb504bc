"""The build server: ``foldpress build`` leaves the site in memory behind it, and the next
build of the site, asked of that process, makes what a clean build makes, says the same
as a build in the command's own process would, and leaves no process behind that is not
wanted. The commands run as a user runs them, in processes of their own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import post_file
from test_incremental import FILES, SITE_TOML, clean_build, edit, files_of

from foldpress import buildserver

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="the build server forks: Linux only, as the build's workers"
)
FOLDPRESS = [sys.executable, "-c", "from foldpress.cli import main; main()"]


@pytest.fixture
def site(make_site) -> Iterator[Path]:
    site = make_site(FILES, site_toml=SITE_TOML)
    yield site
    buildserver.stop(site)


def run_build(site: Path, *options: str, server: str = "1", idle: str = "60"):
    """``foldpress build`` in ``site``, with the build server allowed (CI unset)."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env |= {"FOLDPRESS_BUILD_SERVER": server, "FOLDPRESS_BUILD_SERVER_IDLE": idle}
    return subprocess.run(
        [*FOLDPRESS, "build", ".", *options],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def served(result) -> bool:
    return "(by the build server, process" in result.stdout


def server_pid(site: Path) -> int | None:
    """The build server's process id, asked of the server itself (which then exits)."""
    return buildserver.stop(site)


def assert_same_as_clean(site: Path, tmp_path: Path) -> None:
    built, clean = files_of(site / "_site"), clean_build(site, tmp_path / "clean")
    assert sorted(built) == sorted(clean)
    assert [name for name in clean if built[name] != clean[name]] == []


def test_the_next_builds_are_the_servers_and_each_is_what_a_clean_build_makes(site, tmp_path):
    first = run_build(site)
    assert first.returncode == 0, first.stderr
    assert not served(first)
    assert "A build server keeps the site in memory" in first.stdout
    edits = [
        lambda: edit(site, "posts/2025-03-13-p3.md", "Intro 3", "Intro 3, edited,"),  # text
        lambda: edit(site, "posts/2025-02-12-p2.md", "[Python]", "[Python, Tools]"),  # topics
        lambda: (site / "static" / "notes.txt").write_text("Notes.\n"),
        lambda: (site / "posts" / "2025-04-14-p4.md").unlink(),
        lambda: (site / "posts" / "2025-07-17-p7.md").write_text(
            post_file("Post 7", "2025-07-17 09:00", "Seven.\n", topics="[AI]")
        ),
        lambda: edit(site, "site.toml", 'title = "Incremental"', 'title = "Renamed"'),
    ]
    for make_edit in edits:
        make_edit()
        result = run_build(site)
        assert result.returncode == 0, result.stderr
        assert served(result), result.stdout + result.stderr
        assert_same_as_clean(site, tmp_path)


def test_a_build_that_fails_in_the_server_says_what_the_commands_own_build_says(site):
    assert run_build(site).returncode == 0
    edit(site, "posts/2025-03-13-p3.md", "Intro 3", "Intro 3 with $\\frac{1}{$")
    by_server = run_build(site)
    here = run_build(site, "--no-server")
    # Built by the server: a command that built itself would have started one and said so.
    assert by_server.stdout == ""
    assert by_server.returncode == here.returncode == 1
    assert by_server.stderr == here.stderr
    assert "posts/2025-03-13-p3.md:" in here.stderr
    assert here.stderr.rstrip().endswith("Error: build failed with 1 error")


def test_an_output_file_removed_by_hand_is_made_again(site, tmp_path):
    assert run_build(site).returncode == 0
    (site / "_site" / "about" / "index.html").unlink()
    (site / "_site" / "llms.txt").write_text("changed by hand")
    result = run_build(site)
    assert served(result)
    assert_same_as_clean(site, tmp_path)


def test_a_build_by_another_process_in_between_is_not_undone(site, tmp_path):
    """The server's memory is of the site as it built it: after another process saved
    the cache, it starts again from that cache."""
    assert run_build(site).returncode == 0
    edit(site, "posts/2025-03-13-p3.md", "Intro 3", "Intro 3, edited,")
    os.environ.pop("FOLDPRESS_BUILD_SERVER_IDLE", None)
    subprocess.run(
        [*FOLDPRESS, "build", "--quiet", str(site)],
        env={**os.environ, "FOLDPRESS_BUILD_SERVER": "0"},
        check=True,
    )
    edit(site, "posts/2025-05-15-p5.md", "Intro 5", "Intro 5, edited,")
    result = run_build(site)
    assert served(result)
    assert_same_as_clean(site, tmp_path)


def test_no_server_stops_the_server_and_leaves_none(site):
    assert run_build(site).returncode == 0
    socket = buildserver.socket_path(site)
    assert socket.is_socket()
    result = run_build(site, "--no-server")
    assert result.returncode == 0 and not served(result)
    assert "A build server" not in result.stdout
    assert not socket.exists()
    assert server_pid(site) is None
    assert run_build(site, server="0").returncode == 0
    assert not socket.exists()


def test_the_server_exits_after_its_idle_time(site):
    assert run_build(site, idle="1").returncode == 0
    socket = buildserver.socket_path(site)
    deadline = time.monotonic() + 15
    while socket.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not socket.exists()


def test_what_changed_is_found_in_every_file_a_build_reads_and_nowhere_else(site):
    for name in ("_site/index.html", ".git/index", "posts/.p1.md.swp", "static/lib~"):
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text("x")
    an_hour_ago = time.time() - 3600
    for path in site.rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    before = buildserver.site_files(site)
    assert {"/site.toml", "/posts/2025-01-11-p1.md", "/static/images/logo.svg"} <= set(before)
    assert {"/posts/.p1.md.swp", "/static/lib~"} <= set(before)  # the build reads them too
    assert not [name for name in before if name.startswith(("/_site", "/.git", "/.foldpress"))]
    (site / "posts" / "2025-01-11-p1.md").write_text("changed, same size? no")
    (site / "static" / "images" / "logo.svg").unlink()
    (site / "pages" / "new.md").write_text("---\ntitle: New\n---\n")
    (site / "_site" / "index.html").write_text("not a source")
    after = buildserver.site_files(site)
    assert buildserver.changed_files(before, after, site) == {
        site / "posts/2025-01-11-p1.md",
        site / "static/images/logo.svg",
        site / "pages/new.md",
    }
    assert buildserver.changed_files(None, after, site) is None


def test_an_edit_that_keeps_size_and_time_is_seen(site):
    """Rewritten in place, same size, its modification time set back: its ctime, which no
    tool sets back, tells."""
    post = site / "posts/2025-01-11-p1.md"
    an_hour_ago = time.time() - 3600
    for path in site.rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))
    before = buildserver.site_files(site)
    time.sleep(0.01)
    text = post.read_text()
    post.write_text(text.replace("Intro 1", "Intra 1"))
    os.utime(post, (an_hour_ago, an_hour_ago))
    assert buildserver.changed_files(before, buildserver.site_files(site), site) == {post}


def test_files_a_watcher_leaves_out_are_published_as_a_clean_build_does(site, tmp_path):
    (site / "static/js/node_modules/lib").mkdir(parents=True)
    (site / "static/js/node_modules/lib/a.js").write_text("v1")
    (site / "static/notes~").write_text("v1")
    assert run_build(site).returncode == 0
    (site / "static/js/node_modules/lib/a.js").write_text("v2")
    (site / "static/notes~").write_text("v2")
    assert served(run_build(site))
    assert_same_as_clean(site, tmp_path)
    assert (site / "_site/js/node_modules/lib/a.js").read_text() == "v2"


def test_a_file_added_by_hand_to_the_output_goes_as_in_a_clean_build(site, tmp_path):
    assert run_build(site).returncode == 0
    (site / "_site/junk.html").write_text("junk")
    (site / "_site/extra").mkdir()
    assert served(run_build(site))
    assert_same_as_clean(site, tmp_path)
    assert not (site / "_site/extra").exists()


def test_the_server_writes_nothing_while_no_command_asks(make_site, tmp_path):
    """A first build keys its outputs in worker processes; the server does not make up
    for it by building in the background, which would publish edits made since."""
    files = {
        f"posts/2025-01-{n:02}-p{n}.md": post_file(f"P{n}", f"2025-01-{n:02}") for n in range(1, 29)
    }
    files |= {
        f"posts/2025-02-{n:02}-q{n}.md": post_file(f"Q{n}", f"2025-02-{n:02}") for n in range(1, 29)
    }
    site = make_site(files, site_toml=SITE_TOML)
    try:
        assert run_build(site, "--jobs", "2").returncode == 0
        published = files_of(site / "_site")
        edit(site, "site.toml", 'title = "Incremental"', 'title = "Renamed"')
        time.sleep(3)
        assert files_of(site / "_site") == published
        assert served(run_build(site))
        assert_same_as_clean(site, tmp_path)
    finally:
        buildserver.stop(site)


def test_a_file_changed_just_before_a_look_is_read_again_at_the_next(site):
    """Changed twice within one tick of the file system's clock, keeping its size, a
    file looks the same both times: one changed moments before a look counts as changed
    at the next look."""
    post = site / "posts/2025-01-11-p1.md"
    same = buildserver.site_files(site)
    assert buildserver.changed_files(same, buildserver.site_files(site), site) >= {post}
    an_hour_ago = time.time() - 3600
    os.utime(post, (an_hour_ago, an_hour_ago))
    settled = buildserver.site_files(site)
    assert post not in buildserver.changed_files(settled, buildserver.site_files(site), site)


def test_a_server_of_another_foldpress_steps_aside(site, monkeypatch):
    """A command from another virtual environment (or after an upgrade) is refused: it
    builds itself, and the old server exits."""
    assert run_build(site).returncode == 0
    socket = buildserver.socket_path(site)
    elsewhere = {"python": "/elsewhere/bin/python", "package": "/elsewhere/foldpress"}
    monkeypatch.setattr(buildserver, "_whoami", lambda: elsewhere)
    request = buildserver.Request(str(site), str(site), None, False, None, True)
    assert buildserver.request_build(request) is None
    deadline = time.monotonic() + 10
    while socket.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not socket.exists()
