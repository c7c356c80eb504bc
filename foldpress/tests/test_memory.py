"""Builds from memory, as ``foldpress serve`` makes them: only the files named as changed
are read again, only changed outputs are written, a failed build leaves the served
folder as it was, and results of the posts' own are remembered by identity.
(tests/_rebuild_machine.py checks them against clean builds after random edits.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import post_file
from test_incremental import FILES, SITE_TOML

from foldpress.build import Memory, build
from foldpress.errors import BuildError
from foldpress.model import Post
from foldpress.remember import by_identity


@pytest.fixture
def site(make_site) -> Path:
    return make_site(FILES, site_toml=SITE_TOML)


def files(out: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``out``: its inode, and its bytes."""
    found = {}
    for top, _, names in os.walk(out):
        for name in names:
            path = Path(top, name)
            found[path.relative_to(out).as_posix()] = (path.stat().st_ino, path.read_bytes())
    return found


def test_an_edit_writes_only_what_it_changes_and_reads_only_the_changed_file(site, tmp_path):
    out, memory = tmp_path / "served", Memory()
    build(site, out, memory=memory)
    before = files(out)
    edited = site / "posts/2025-01-11-p1.md"  # edited below its fold
    edited.write_text(edited.read_text() + "\nOne more line.\n")
    # A file not named as changed is not read again: what was read stays.
    unread = site / "posts/2025-03-13-p3.md"
    unread.write_text(unread.read_text().replace("Intro 3", "Changed behind serve's back"))
    memory.sources.changed = {edited}

    result = build(site, out, memory=memory)

    after = files(out)
    assert result.rendered == 1
    rewritten = {path for path in after if after[path][0] != before[path][0]}
    assert "2025/01/p1/index.html" in rewritten
    assert "about/index.html" not in rewritten and "2025/03/p3/index.html" not in rewritten
    # The pages that show no more than its intro are not made again.
    assert {p for p in rewritten if p.endswith(".html")} == {"2025/01/p1/index.html"}
    assert len(rewritten) < len(after) / 3
    assert b"One more line." in after["2025/01/p1/index.html"][1]
    assert b"Changed behind" not in after["2025/03/p3/index.html"][1]
    assert set(after) == set(before)


def test_a_failed_build_leaves_the_served_site_and_the_next_one_is_right(site, tmp_path):
    out, memory = tmp_path / "served", Memory()
    build(site, out, memory=memory)
    before = files(out)
    templates = site / "templates"
    templates.mkdir()
    broken = '{% extends "base.html" %}{% block main %}{{ post.nope.nope }}{% endblock %}'
    (templates / "post.html").write_text(broken)
    memory.sources.changed = {templates / "post.html"}
    with pytest.raises(BuildError):
        build(site, out, memory=memory)
    assert files(out) == before

    (templates / "post.html").unlink()
    new = site / "posts/2025-07-01-new.md"
    new.write_text(post_file("New", "2025-07-01 09:00", "A new post.", topics="[AI]"))
    memory.sources.changed = {templates / "post.html", new}
    build(site, out, memory=memory)
    build(site, tmp_path / "clean")  # the same sources, built from nothing
    assert {p: b for p, (_, b) in files(out).items()} == {
        p: b for p, (_, b) in files(tmp_path / "clean").items()
    }


def test_a_deleted_post_goes_with_its_outputs(site, tmp_path):
    out, memory = tmp_path / "served", Memory()
    build(site, out, memory=memory)
    gone = site / "posts/2025-05-15-p5.md"
    gone.unlink()
    memory.sources.changed = {gone}
    build(site, out, memory=memory)
    assert not (out / "2025/05/p5").exists()
    assert "2025/05/p5/index.html" not in files(out)


def test_an_edit_of_a_posts_text_visits_only_the_outputs_made_from_it(site, tmp_path, monkeypatch):
    from foldpress import outputs

    out, memory = tmp_path / "served", Memory()
    build(site, out)  # a cache on disk, as an earlier session leaves it
    build(site, out, memory=memory)
    edited = site / "posts/2025-03-13-p3.md"  # in a series, above its fold this time
    edited.write_text(edited.read_text().replace("Intro 3", "Intro three"))
    memory.sources.changed = {edited}
    visited: list[str] = []
    for writer in outputs.WRITERS:  # no writer goes through the whole site again
        monkeypatch.setattr(writer, "write", lambda *args: visited.append("writer"))
    monkeypatch.setattr("foldpress.build.build_index", lambda *args: visited.append("index"))

    result = build(site, out, memory=memory)

    assert visited == []
    assert result.rendered == 1 and result.files == len(files(out))
    assert 0 < result.written < result.files / 2
    monkeypatch.undo()
    build(site, tmp_path / "clean")
    assert {p: b for p, (_, b) in files(out).items()} == {
        p: b for p, (_, b) in files(tmp_path / "clean").items()
    }
    # The listings, the series page and the feeds show the new intro.
    for shown in ("page/2/index.html", "series/basics/index.html", "feed/rss.xml", "llms.txt"):
        assert b"Intro three" in (out / shown).read_bytes(), shown


def test_edits_of_the_text_of_one_post_then_another_are_right(site, tmp_path):
    # The second post's page, left alone by the first edit, still holds the index of
    # the build before: it is made again with this build's.
    out, memory = tmp_path / "served", Memory()
    build(site, out)
    build(site, out, memory=memory)
    for name in ("posts/2025-01-11-p1.md", "posts/2025-03-13-p3.md", "posts/2025-03-13-p3.md"):
        edited = site / name
        edited.write_text(edited.read_text().replace("Intro", "Intro, edited,"))
        memory.sources.changed = {edited}
        build(site, out, memory=memory)
    build(site, tmp_path / "clean")
    assert {p: b for p, (_, b) in files(out).items()} == {
        p: b for p, (_, b) in files(tmp_path / "clean").items()
    }


def same_as_clean(site: Path, out: Path, clean: Path, **options: object) -> None:
    build(site, clean, **options)  # the same sources, built from nothing (no cache)
    assert {p: b for p, (_, b) in files(out).items()} == {
        p: b for p, (_, b) in files(clean).items()
    }


def edit_text(path: Path) -> set[Path]:
    path.write_text(path.read_text().replace("Intro", "Intro, edited,"))
    return {path}


@pytest.mark.parametrize(
    "broken",
    [
        ("aliases: [/old/p4/, /p4.html]", "aliases: [/2025/03/p3/]"),  # an address in use
        ("Intro 5", "Intro 5 with $\\frac{1}{$"),  # LaTeX that does not parse
    ],
)
def test_a_text_edit_after_a_failed_build_fails_as_a_clean_build_does(site, tmp_path, broken):
    out, memory = tmp_path / "served", Memory()
    build(site, out)
    build(site, out, memory=memory)
    victim = next(p for p in (site / "posts").iterdir() if broken[0] in p.read_text())
    victim.write_text(victim.read_text().replace(*broken))
    memory.sources.changed = {victim}
    with pytest.raises(BuildError) as first:
        build(site, out, memory=memory)
    # Another post's text, edited: the error is still there, and said again.
    memory.sources.changed = edit_text(site / "posts/2025-01-11-p1.md")
    with pytest.raises(BuildError) as second:
        build(site, out, memory=memory)
    assert [str(e) for e in second.value.errors] == [str(e) for e in first.value.errors]
    victim.write_text(victim.read_text().replace(broken[1], broken[0]))
    memory.sources.changed = {victim}
    build(site, out, memory=memory)
    same_as_clean(site, out, tmp_path / "clean")


def test_drafts_shown_in_one_build_and_not_the_next_from_one_memory(site, tmp_path):
    out, memory = tmp_path / "served", Memory()
    build(site, out)
    build(site, out, memory=memory)
    memory.sources.changed = edit_text(site / "posts/2025-06-16-draft.md")
    build(site, out, memory=memory, drafts=True)
    same_as_clean(site, out, tmp_path / "clean", drafts=True)


def test_a_sites_own_404_page_does_not_keep_text_edits_from_their_way(
    make_site, tmp_path, monkeypatch
):
    site = make_site(
        {**FILES, "pages/404.md": "---\ntitle: Lost\n---\n\nNothing here.\n"}, site_toml=SITE_TOML
    )
    out, memory = tmp_path / "served", Memory()
    build(site, out)
    build(site, out, memory=memory)
    indexed: list[object] = []
    monkeypatch.setattr("foldpress.build.build_index", lambda *args: indexed.append(args))
    memory.sources.changed = edit_text(site / "posts/2025-03-13-p3.md")
    build(site, out, memory=memory)
    assert indexed == []  # the way of text edits, not the whole build
    monkeypatch.undo()
    same_as_clean(site, out, tmp_path / "clean")


@pytest.mark.parametrize(
    "old, new",
    [('"Post 3"', '"Post three"'), ("[AI, Math]", "[AI]"), ("2025-03-13", "2025-03-14")],
)
def test_an_edit_of_the_front_matter_goes_through_the_whole_build(
    site, tmp_path, monkeypatch, old, new
):
    from foldpress import build as build_module

    out, memory = tmp_path / "served", Memory()
    build(site, out)
    build(site, out, memory=memory)
    edited = site / "posts/2025-03-13-p3.md"
    assert old in edited.read_text()
    edited.write_text(edited.read_text().replace(old, new))
    memory.sources.changed = {edited}
    indexed: list[object] = []
    build_index = build_module.build_index
    monkeypatch.setattr(
        build_module, "build_index", lambda *a: indexed.append(a) or build_index(*a)
    )
    build(site, out, memory=memory)
    assert len(indexed) == 1
    build(site, tmp_path / "clean")
    assert {p: b for p, (_, b) in files(out).items()} == {
        p: b for p, (_, b) in files(tmp_path / "clean").items()
    }


def test_results_are_remembered_by_the_identity_of_kept_arguments():
    calls: list[object] = []

    @by_identity
    def title_of(post: Post, suffix: object) -> str:
        calls.append(post)
        return f"{post.title}{suffix}"

    post = Post(Path("posts/a.md"), "A", _date(), "a")
    twin = Post(Path("posts/a.md"), "A", _date(), "a")  # equal, but another object
    assert title_of(post, 1) == title_of(post, 1) == "A1"
    assert len(calls) == 1
    assert title_of(twin, 1) == "A1" and len(calls) == 2
    assert title_of(post, True) == "ATrue"  # True is not 1
    assert title_of(post, [1]) == title_of(post, [1]) == "A[1]"  # a list: never remembered
    assert len(calls) == 5


def test_a_remembered_result_does_not_keep_its_arguments_alive():
    # serve edits make new posts all day: the old ones must not pile up in memory.
    import gc
    import weakref

    @by_identity
    def title_of(post: Post) -> str:
        return post.title.upper()

    post = Post(Path("posts/a.md"), "A", _date(), "a")
    assert title_of(post) == "A"
    gone = weakref.ref(post)
    del post
    gc.collect()
    assert gone() is None


def _date():
    from datetime import UTC, datetime

    return datetime(2025, 1, 1, tzinfo=UTC)


def test_a_build_that_only_derives_keys_writes_nothing(site, tmp_path):
    """What the build server does between builds: every output keyed in this process,
    nothing written; and if some output would change, nothing either."""
    from foldpress.build import WouldWrite, prepare_for_text_edits

    out, memory = tmp_path / "out", Memory()
    build(site, out, memory=memory, jobs=2)
    before = files(out)
    memory.sources.changed = set()
    build(site, out, memory=memory, key_only=True)
    assert files(out) == before
    assert prepare_for_text_edits(memory)
    (site / "static" / "images" / "logo.svg").write_text("<svg>changed</svg>\n")
    memory.sources.changed = set()
    with pytest.raises(WouldWrite):
        build(site, out, memory=memory, key_only=True)
    assert files(out) == before
