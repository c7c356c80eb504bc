"""Rendering posts in worker processes gives the same site, and the same errors, as
rendering them in the build's own process. ``jobs=2`` asks for two workers however
few posts there are."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from conftest import post_file
from test_incremental import FILES, SITE_TOML, files_of

from foldpress.build import build
from foldpress.errors import BuildError
from foldpress.parallel import can_fork


@pytest.fixture
def forks(monkeypatch) -> list[int]:
    """The processes forked from now on (workers are forked on Linux only)."""
    if not can_fork():
        pytest.skip("worker processes are only forked on Linux, from one thread")
    forked: list[int] = []
    fork = os.fork
    monkeypatch.setattr(os, "fork", lambda: forked.append(1) or fork())
    return forked


def test_workers_build_the_same_site_as_one_process(make_site, tmp_path, forks):
    site = make_site(FILES, site_toml=SITE_TOML)
    serial = build(site, tmp_path / "serial", jobs=1)
    assert forks == []
    shutil.rmtree(site / ".foldpress-cache")
    workers = build(site, tmp_path / "workers", jobs=2)
    assert len(forks) >= 2  # posts rendered, and files written, in workers
    assert (serial.rendered, workers.rendered) == (7, 7)
    assert serial.written == workers.written == serial.files == workers.files
    assert files_of(tmp_path / "workers") == files_of(tmp_path / "serial")


def test_errors_found_in_workers_name_their_file_and_line(make_site, forks):
    broken = post_file("Broken", "2025-01-01", "Fine.\n\nBad $\\alpah$ math.\n")
    site = make_site({**FILES, "posts/2025-01-01-broken.md": broken}, site_toml=SITE_TOML)
    with pytest.raises(BuildError) as caught:
        build(site, jobs=2)
    [error] = caught.value.errors
    assert error.path == site / "posts/2025-01-01-broken.md"
    assert error.line == 8 and "unknown LaTeX command \\alpah" in error.message


def test_a_template_error_in_a_worker_is_reported_at_its_line(make_site, forks):
    broken = (
        "{% extends 'base.html' %}\n{% block main %}\n{{ post.nothing_here }}\n{% endblock %}\n"
    )
    files = {**FILES, "templates/post.html": broken}
    site = make_site(files, site_toml=SITE_TOML)
    with pytest.raises(BuildError) as caught:
        build(site, jobs=2)
    [error] = caught.value.errors
    assert error.path.name == "post.html" and error.line == 3
    assert "nothing_here" in error.message


def test_workers_write_only_what_changed(make_site, forks):
    site = make_site(FILES, site_toml=SITE_TOML)
    build(site, jobs=1)
    (site / "posts/2025-05-15-p5.md").write_text(
        FILES["posts/2025-05-15-p5.md"].replace("print(5)", "print(55)"), encoding="utf-8"
    )
    forks.clear()
    edited = build(site, jobs=2)
    assert forks and edited.rendered == 1
    assert edited.written + edited.reused == edited.files and 0 < edited.written < edited.files // 2
    assert 'print</span><span class="p">(</span><span class="mi">55' in (
        site / "_site/2025/05/p5/index.html"
    ).read_text(encoding="utf-8")


SMALL_PIPES = """
import fcntl, os, sys
from foldpress import parallel

pipe = os.pipe
def small_pipe():  # what a user with many pipes open gets: 4 KiB, one page
    reader, writer = pipe()
    fcntl.fcntl(writer, fcntl.F_SETPIPE_SZ, 4096)
    return reader, writer
os.pipe = small_pipe

def run(task, here):
    return task * 2, "x" * (task % 100)  # results many times what a pipe holds

results = parallel.run_tasks(run, range(20_000), 3)
assert results == [run(task, True) for task in range(20_000)], "wrong results"
print("done")
"""


def test_twenty_thousand_tasks_through_small_pipes_finish(tmp_path):
    if not can_fork():
        pytest.skip("worker processes are only forked on Linux, from one thread")
    script = tmp_path / "small_pipes.py"
    script.write_text(SMALL_PIPES)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )  # a deadlock would end in TimeoutExpired
    assert (done.returncode, done.stdout, done.stderr) == (0, "done\n", "")
