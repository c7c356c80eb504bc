"""The search index: what it holds of each post, how it is encoded, and turning it off."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from conftest import post_file, soup
from hypothesis import given
from hypothesis import strategies as st

from foldpress.build import build
from foldpress.model import Post
from foldpress.search import words

FILES = {
    "posts/2025-01-01-a.md": post_file(
        "Café culture",
        "2025-01-01",
        "Above.\n\n<!--more-->\n\nBelow: *Zebras* and $x^2$.\n",
        topics="[Travel]",
    ),
    "posts/2025-02-01-b.md": post_file("Second", "2025-02-01", "Zebras `again`.\n"),
}


def postings(index: dict, word: str) -> list[int]:
    """Decode one word's gaps in base 36 into post numbers."""
    numbers, total = [], 0
    for gap in index["words"][word].split("."):
        total += int(gap, 36)
        numbers.append(total)
    return numbers


def test_the_index_holds_titles_dates_topics_and_every_word(make_site):
    site = make_site(FILES)
    build(site)
    index = json.loads((site / "_site/search/index.json").read_text(encoding="utf-8"))
    assert index["posts"] == [
        ["Second", "/2025/02/b/", "1 February 2025", "", "Zebras `again`."],
        ["Café culture", "/2025/01/a/", "1 January 2025", "Travel", "Above."],
    ]
    assert postings(index, "zebras") == [0, 1]  # below the fold counts too
    assert postings(index, "again") == [0]
    assert postings(index, "cafe") == [1]  # accents dropped, as the script does
    assert postings(index, "travel") == [1]
    assert "x2" not in index["words"] and "x" not in index["words"]  # formulas left out
    page = soup(site / "_site/search/index.html")
    assert page.select_one('script[src="/theme/search.js"]')
    assert page.select_one("noscript a[href='/archive/']")
    assert (site / "_site/theme/search.js").is_file()


def test_words_are_split_as_the_script_splits_them():
    assert words("Top-k, top_p & Ünïcode 42") == ["top", "k", "top", "p", "unicode", "42"]
    # Text typed with decomposed accents (as macOS often stores it) gives the same words.
    assert words(unicodedata.normalize("NFD", "Ünïcode café")) == ["unicode", "cafe"]


def test_search_false_leaves_the_page_and_index_out(make_site):
    from conftest import SITE_TOML

    site = make_site(FILES, site_toml=SITE_TOML + "search = false\n")
    build(site)
    assert not (site / "_site/search").exists()
    assert not soup(site / "_site/index.html").select_one('a[href="/search/"]')


WORDS = ["alpha", "beta", "gamma", "delta", "café", "zeta", "x2"]


@given(
    start=st.lists(st.lists(st.sampled_from(WORDS), max_size=4), min_size=1, max_size=12),
    edits=st.lists(
        st.tuples(st.integers(0, 11), st.lists(st.sampled_from([*WORDS, "new"]), max_size=4)),
        max_size=8,
    ),
)
def test_an_index_made_from_the_last_one_is_the_index_made_afresh(start, edits):
    """serve makes the index after an edit from the last one (the words of the edited
    posts alone): it must be what a build from nothing makes."""
    from foldpress.search import _Postings

    def post(number: int, words: list[str], version: int) -> Post:
        date = datetime(2025, 1, 1, tzinfo=UTC)
        return Post(
            Path(f"p{number}.md"), f"T{version}", date, f"p{number}", search_words=" ".join(words)
        )

    def index(postings: _Postings, posts: list[Post]) -> tuple[dict[str, str], str]:
        postings.update(posts)
        words = {word: postings.encoded[word] for word in postings.order}
        return words, "{" + ",".join(map(postings.member, postings.order)) + "}"

    posts = [post(n, words, 0) for n, words in enumerate(start)]
    kept = _Postings()
    index(kept, posts)
    for version, (number, new_words) in enumerate(edits, 1):
        posts = list(posts)
        posts[number % len(posts)] = post(number, new_words, version)
        words, text = index(kept, posts)
        afresh = index(_Postings(), posts)[0]
        assert words == afresh and list(words) == sorted(afresh)
        assert json.loads(text) == words and text == json.dumps(
            words, ensure_ascii=False, separators=(",", ":")
        )
