"""Builds from memory, as ``foldpress serve`` makes them, on a real site: copies SITE,
builds it once keeping the build in memory, then applies a sequence of edits that a
writer makes (a post's body and intro, its title, its date, its topics, a new post, a
deleted post, a page, ``site.toml``), rebuilding from memory after each (told which files
changed, as ``serve`` is) and comparing every output file with a clean build's. Prints
each edit's rebuild time and the differing files (none, when all is well).

    .venv/bin/python bench/migration_corpus.py ...   # imports real blogs (see README)
    .venv/bin/python bench/memory_edits.py /tmp/corpusrun/sites2/karpathy__karpathy.github.io
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from foldpress.build import Memory, build
from foldpress.cache import CACHE_DIR


def files(out: Path) -> dict[str, bytes]:
    paths = [path for path in out.rglob("*") if path.is_file()]
    return {path.relative_to(out).as_posix(): path.read_bytes() for path in paths}


def edits(site: Path) -> list[tuple[str, Callable[[], set[Path]]]]:
    """Named edits of the site's own files, each returning the paths it changed."""
    posts = sorted((site / "posts").rglob("*.md"))
    first, second, last = posts[0], posts[len(posts) // 2], posts[-1]

    def replace(path: Path, old: str, new: str, count: int = 1) -> set[Path]:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(old, new, count), encoding="utf-8")
        return {path}

    def front(path: Path, key: str, value: str) -> set[Path]:
        text = path.read_text(encoding="utf-8")
        head, sep, body = text[4:].partition("\n---\n")
        lines = [line for line in head.splitlines() if not line.startswith(f"{key}:")]
        path.write_text("---\n" + "\n".join([*lines, f"{key}: {value}"]) + sep + body)
        return {path}

    def body(path: Path) -> set[Path]:
        with path.open("a", encoding="utf-8") as f:
            f.write("\nOne more paragraph, with $x^2$ in it.\n")
        return {path}

    def intro(path: Path) -> set[Path]:
        """A sentence at the start of the post's text: above its fold, if it has one."""
        text = path.read_text(encoding="utf-8")
        head, sep, rest = text[4:].partition("\n---\n")
        path.write_text(f"---\n{head}{sep}A first sentence, with $y$ in it.\n\n{rest}")
        return {path}

    def new_post() -> set[Path]:
        copy = second.with_name("2031-01-01-a-new-post" + second.suffix)
        shutil.copyfile(second, copy)
        front(copy, "title", '"A new post"')
        front(copy, "date", "2031-01-01")
        return {copy}

    def delete() -> set[Path]:
        first.unlink()
        return {first}

    def settings() -> set[Path]:
        toml = site / "site.toml"
        text = toml.read_text(encoding="utf-8")
        toml.write_text(re.sub(r'(?m)^title = ".*"$', 'title = "Renamed"', text, count=1))
        return {toml}

    pages = sorted((site / "pages").rglob("*.md"))
    page_edit = [("a page's text", lambda: body(pages[0]))] if pages else []
    return [
        ("a post's body, below everything", lambda: body(last)),
        # Edits of a post's text alone, the usual save while writing: serve takes them
        # from the post to what it shows (foldpress.update).
        ("another post's body", lambda: body(second)),
        ("a post's intro", lambda: intro(second)),
        ("the first post's intro", lambda: intro(first)),
        ("the last post's body again", lambda: body(last)),
        ("a post's title", lambda: front(last, "title", '"Retitled"')),
        ("a post's topics", lambda: front(second, "topics", "[Edited, Python]")),
        ("a post's date", lambda: front(second, "date", "2030-06-01")),
        ("a new post", new_post),
        ("a deleted post", delete),
        *page_edit,
        ("site.toml's title", settings),
        ("a post's body again", lambda: replace(last, "One more", "One further")),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="foldpress-memory-edits-"))
    site = work / "site"
    shutil.copytree(args.site, site, ignore=shutil.ignore_patterns(CACHE_DIR, "_site"))
    served, memory = work / "served", Memory()
    build(site, served, memory=memory)
    failed = False
    for name, edit in edits(site):
        memory.sources.changed = edit()
        started = time.perf_counter()
        result = build(site, served, memory=memory)
        seconds = time.perf_counter() - started
        clean = work / "clean"
        shutil.rmtree(clean, ignore_errors=True)
        shutil.copytree(site, clean, ignore=shutil.ignore_patterns(CACHE_DIR, "_site"))
        build(clean, clean / "_site")
        a, b = files(served), files(clean / "_site")
        differing = sorted(p for p in a.keys() | b.keys() if a.get(p) != b.get(p))
        failed |= bool(differing)
        print(
            f"{name}: rebuilt from memory in {seconds * 1000:.0f} ms "
            f"({result.written} written, {result.reused} unchanged); "
            f"differing from a clean build: {differing or 'none'}"
        )
    shutil.rmtree(work)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
