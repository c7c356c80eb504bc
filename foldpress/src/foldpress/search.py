"""The search index that ``/search/`` loads: every post's title, date, topics and words.

It is one JSON file, small enough to load at once: each post's title, URL, date,
topics and one-line summary, and an inverted index from each word to the posts that
use it, as gaps between post numbers in base 36 (``"ab": "0.3.1z"`` is posts 0, 3 and
74). The page's script (``themes/default/static/search.js``) splits text into words
the same way as :func:`words`: lower case, accents dropped, runs of letters and digits.
"""

from __future__ import annotations

import html
import operator
import re
import unicodedata
from collections.abc import Iterable

from foldpress.dates import long_date
from foldpress.model import Post
from foldpress.remember import by_identity

INDEX_VERSION = 1
_WORD = re.compile(r"[^\W_]+")
_TAG = re.compile(r"<[^>]*>")
_MATH = re.compile(r"<math\b.*?</math>", re.DOTALL)
_LONGEST = 40  # longer "words" are hashes and base64, which nobody searches for


def words(text: str) -> list[str]:
    """``text``'s words: lower case, accents dropped, letters and digits only."""
    return _words(text, distinct=False)


def _words(text: str, *, distinct: bool) -> list[str]:
    """:func:`words`; with ``distinct``, each word found is looked at once (a word may
    still come twice: with and without its accents)."""
    text = text.lower()
    if text.isascii():
        found = _WORD.findall(text)
        return list(dict.fromkeys(found)) if distinct else found
    # Composed, a letter and its accents are one word; accents are then dropped word by
    # word: going through every character of a whole post took a fifth of a cold
    # build's time, and all but a few words are ASCII.
    found = _WORD.findall(unicodedata.normalize("NFC", text))
    if distinct:
        found = list(dict.fromkeys(found))
    return [
        part
        for word in found
        for part in ((word,) if word.isascii() else _WORD.findall(_without_accents(word)))
    ]


def _without_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words_of_html(body: str) -> list[str]:
    """The distinct words of an HTML body's text, in order of first use; formulas left
    out (their MathML is symbols), one-letter words too."""
    text = html.unescape(_TAG.sub(" ", _MATH.sub(" ", body)))
    # Each word once before looking at it: a post uses a few hundred words, many times.
    # (Taking the first of each word, then of each word it becomes without accents,
    # keeps the order of first use.)
    distinct = dict.fromkeys(_words(text, distinct=True))
    return [w for w in distinct if 1 < len(w) <= _LONGEST]


def search_index(posts: list[Post], summaries: Iterable[str]) -> dict[str, object]:
    """The index of ``posts`` (ids are their positions) with their one-line summaries."""
    entries = [
        [post.title, post.url, long_date(post.date), ", ".join(t.name for t in post.topics), line]
        for post, line in zip(posts, summaries, strict=True)
    ]
    postings: dict[str, list[int]] = {}
    for number, post in enumerate(posts):
        for word in _post_words(post):
            found = postings.get(word)
            if found is None:
                postings[word] = [number]
            else:
                found.append(number)
    # Every gap is a post number or a difference of two: each is written in base 36
    # once, not once per word that has it (a build that changes any post makes the
    # whole index again: a 10,000-post site has a million postings).
    digits = [_base36(n) for n in range(len(posts))]
    index = {
        word: ".".join(map(digits.__getitem__, map(operator.sub, numbers, [0, *numbers])))
        for word, numbers in sorted(postings.items())
    }
    return {"version": INDEX_VERSION, "posts": entries, "words": index}


@by_identity  # a rebuild in memory takes them again from the posts that changed alone
def _post_words(post: Post) -> set[str]:
    title_and_topics = " ".join([post.title, *(t.name for t in post.topics)])
    return {*post.search_words.split(), *words(title_and_topics)}


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out
