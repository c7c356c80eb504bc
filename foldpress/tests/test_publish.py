"""Publishing: the new site replaces the old in one step, a killed build leaves the
published site as it was, and the next build removes what the killed one left."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import post_file, write_files

from foldpress.build import build
from foldpress.cache import CACHE_DIR
from foldpress.publish import swap


def files_of(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def many_posts(site: Path, n: int, words: str = "text") -> None:
    write_files(
        site,
        {
            f"posts/2025-01-01-p{i}.md": post_file(f"Post {i}", "2025-01-01", f"{words} {i}\n")
            for i in range(n)
        },
    )


@pytest.mark.skipif(sys.platform != "linux", reason="the exchange is Linux's renameat2")
def test_a_reader_of_the_output_folder_never_finds_it_missing(tmp_path):
    out, new = tmp_path / "_site", tmp_path / "new"
    for folder, text in ((out, "old"), (new, "new")):
        folder.mkdir()
        (folder / "index.html").write_text(text)
    missing = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                (out / "index.html").read_text()
            except FileNotFoundError:
                missing.append(1)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(2000):
            assert swap(new, out)  # the old site goes to new's name: swap back and forth
    finally:
        stop.set()
        reader.join()
    assert missing == []
    assert (out / "index.html").read_text() == "old"  # an even number of swaps


KILLER = """\
import os, signal, sys
from pathlib import Path
from foldpress.build import build

def progress(p):
    if p.written >= 40:  # half-way through writing the new site
        os.kill(os.getpid(), signal.SIGKILL)

build(Path(sys.argv[1]), jobs=int(sys.argv[2]), on_progress=progress)
"""


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_build_killed_half_way_leaves_the_site_and_no_leftovers_after_the_next(
    make_site, tmp_path, jobs
):
    site = make_site()
    many_posts(site, 60)
    build(site)
    published = files_of(site / "_site")
    many_posts(site, 60, words="changed")
    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    for _ in range(2):  # the second kill takes the spare: the first one's work is left
        killed = subprocess.run([sys.executable, str(script), str(site), str(jobs)])
        assert killed.returncode == -9
        assert files_of(site / "_site") == published
    leftovers = [p.name for p in (site / CACHE_DIR).iterdir() if ".work-" in p.name]
    assert leftovers, "the killed build should have left its work folder"

    build(site)
    assert sorted(p.name for p in site.iterdir()) == sorted(
        [".foldpress-cache", "_site", "posts", "site.toml"]
    )
    assert sorted(p.name for p in (site / CACHE_DIR).iterdir()) == [
        ".gitignore",
        "build.msgpack",
        "site",  # the spare: the site this build replaced
    ]
    assert "changed 3" in (site / "_site/2025/01/p3/index.html").read_text()


def test_a_killed_build_beside_the_output_is_cleaned_up_too(make_site, tmp_path):
    site = make_site()
    many_posts(site, 60)
    out = tmp_path / "public"
    build(site, out)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)
    left = tmp_path / f"public.new-{pid}-abc123"
    (left / "2025").mkdir(parents=True)
    running = tmp_path / f"public.new-{os.getppid()}-def456"  # a live process's: kept
    running.mkdir()
    build(site, out)
    assert not left.exists()
    assert running.exists()
