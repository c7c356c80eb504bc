"""The import ledger: every file of the old site has one row saying what it became,
the summary's numbers are counted from those rows, and a file the import neither
brought nor skipped makes the import fail instead of vanishing."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_tree

from foldpress.build import build
from foldpress.cli import main
from foldpress.importers._ledger import old_site_files

FIXTURES = Path(__file__).parent / "fixtures"


def import_(src: Path, dest: Path):
    return CliRunner().invoke(main, ["import", str(src), str(dest)])


def ledger(dest: Path) -> list[dict[str, str]]:
    with (dest / "import-ledger.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


@pytest.mark.parametrize("engine", ["hugo", "jekyll", "pelican"])
def test_every_file_of_the_old_site_has_one_row_saying_what_it_became(engine, tmp_path):
    src = FIXTURES / engine
    result = import_(src, tmp_path / "new")
    assert result.exit_code == 0, result.output
    rows = ledger(tmp_path / "new")
    sources = [row["source"] for row in rows]
    assert sorted(sources) == sorted(p.relative_to(src).as_posix() for p in old_site_files(src))
    assert len(set(sources)) == len(sources)
    for row in rows:
        if row["outcome"] in ("post", "page", "static"):
            assert (tmp_path / "new" / row["target"]).is_file(), row
        else:
            assert row["outcome"] in ("skipped", "ignored") and row["why"], row
    # What the summary says is what the ledger holds, and what was written.
    posts = sum(row["outcome"] == "post" for row in rows)
    pages = sum(row["outcome"] == "page" for row in rows)
    assert posts == len(list((tmp_path / "new" / "posts").rglob("*.md")))
    assert pages == len(list((tmp_path / "new" / "pages").rglob("*.md")))
    found = re.search(
        r"Source posts and pages: (\d+) = (\d+) published \(\d+ of them drafts\) \+ (\d+) skipped",
        result.stdout,
    )
    assert found, result.stdout
    total, published, skipped = map(int, found.groups())
    assert total == published + skipped and published == posts + pages
    assert f"Old files: {len(rows)} = " in result.stdout
    assert "+ 0 unaccounted for" in result.stdout
    assert build(tmp_path / "new").posts == posts


def test_two_files_that_would_become_one_post_both_arrive(tmp_path):
    # Hugo docs: a page is a single file (posts/a.md) or a leaf bundle (posts/a/index.md);
    # both in one site map onto the same foldpress file name.
    src = write_tree(
        tmp_path / "old",
        {
            "hugo.toml": 'title = "Two"\n',
            "content/posts/a.md": "---\ntitle: Single\ndate: 2020-01-01\nslug: single\n---\nOne.\n",
            "content/posts/a/index.md": "---\ntitle: Bundle\ndate: 2020-01-02\n---\nTwo.\n",
        },
    )
    result = import_(src, tmp_path / "new")
    assert result.exit_code == 0, result.output
    targets = {row["source"]: row["target"] for row in ledger(tmp_path / "new")}
    assert targets["content/posts/a.md"] != targets["content/posts/a/index.md"]
    assert "2 posts" in result.stdout
    assert build(tmp_path / "new").posts == 2


RECIPES = {
    "_config.yml": (
        "title: Recipes\ncollections:\n  recipes:\n    output: true\n"
        "    permalink: /cooking/:path/\n"
    ),
    "_posts/2020-01-01-hello.md": "---\ntitle: Hello\n---\nHi.\n",
    "_recipes/bread.md": "---\ntitle: Bread\n---\nFlour.\n",
    "_layouts/default.html": "{{ content }}\n",
}


def test_a_collection_jekyll_writes_pages_for_arrives_at_its_addresses(tmp_path):
    # Jekyll docs, collections: `output: true` makes a page of each document, at the
    # collection's permalink.
    src = write_tree(tmp_path / "old", RECIPES)
    result = import_(src, tmp_path / "new")
    assert result.exit_code == 0, result.output
    rows = {row["source"]: row for row in ledger(tmp_path / "new")}
    assert rows["_recipes/bread.md"]["outcome"] == "page"
    assert rows["_recipes/bread.md"]["address"] == "/cooking/bread/"
    assert rows["_layouts/default.html"]["outcome"] == "ignored"
    build(tmp_path / "new")
    assert (tmp_path / "new/_site/cooking/bread/index.html").is_file()


def test_a_file_that_is_neither_brought_nor_skipped_fails_the_import(tmp_path, monkeypatch):
    # An importer that loses a file without a word (here, made to) cannot pass unseen:
    # the walk of the old site finds it, and the import exits 1.
    from foldpress.importers import jekyll

    monkeypatch.setattr(jekyll, "_document", lambda *args: None)
    src = write_tree(tmp_path / "old", RECIPES)
    result = import_(src, tmp_path / "new")
    assert result.exit_code == 1
    assert f"{src / '_recipes/bread.md'}: the import neither brought nor skipped it" in (
        result.stderr
    )
    assert "+ 1 unaccounted for" in result.stdout
    rows = {row["source"]: row for row in ledger(tmp_path / "new")}
    assert rows["_recipes/bread.md"]["outcome"] == "unaccounted"
    assert rows["_posts/2020-01-01-hello.md"]["outcome"] == "post"


def test_a_section_s_own_files_in_hugo_content_are_published(tmp_path):
    # Hugo docs, page resources: files beside a branch bundle's _index.md.
    src = write_tree(
        tmp_path / "old",
        {
            "config.toml": 'title = "S"\n',
            "content/posts/_index.md": "---\ntitle: Posts\n---\n",
            "content/posts/diagram.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n",
            "content/posts/p.md": "---\ntitle: P\ndate: 2021-02-03\n---\nSee it.\n",
        },
    )
    result = import_(src, tmp_path / "new")
    assert result.exit_code == 0, result.output
    rows = {row["source"]: row for row in ledger(tmp_path / "new")}
    assert rows["content/posts/diagram.svg"]["address"] == "/posts/diagram.svg"
    build(tmp_path / "new")
    assert (tmp_path / "new/_site/posts/diagram.svg").is_file()


def test_a_page_at_an_address_foldpress_makes_itself_is_skipped_with_the_reason(tmp_path):
    # PaperMod's docs: content/search.md with `layout: search` is the search page, and
    # a numeric slug in YAML is a number.
    src = write_tree(
        tmp_path / "old",
        {
            "hugo.toml": 'title = "S"\n',
            "content/search.md": '---\ntitle: "Search"\nlayout: "search"\n---\n',
            "content/posts/n.md": "---\ntitle: N\ndate: 2022-01-01\nslug: 6550187\n---\nN.\n",
        },
    )
    result = import_(src, tmp_path / "new")
    assert result.exit_code == 0, result.output
    rows = {row["source"]: row for row in ledger(tmp_path / "new")}
    assert rows["content/search.md"]["outcome"] == "skipped"
    assert "/search/, which foldpress makes itself" in rows["content/search.md"]["why"]
    assert build(tmp_path / "new").posts == 1
    assert (tmp_path / "new/_site/posts/6550187/index.html").is_file()
