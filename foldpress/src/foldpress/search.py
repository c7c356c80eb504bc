"""The search index that ``/search/`` loads: every post's title, date, topics and words.

It is one JSON file, small enough to load at once: each post's title, URL, date,
topics and one-line summary, and an inverted index from each word to the posts that
use it, as gaps between post numbers in base 36 (``"ab": "0.3.1z"`` is posts 0, 3 and
74). The page's script (``themes/default/static/search.js``) splits text into words
the same way as :func:`words`: lower case, accents dropped, runs of letters and digits.
"""

from __future__ import annotations

import bisect
import html
import itertools
import json
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
    entries = [search_entry(post, line) for post, line in zip(posts, summaries, strict=True)]
    return {"version": INDEX_VERSION, "posts": entries, "words": index_words(posts)}


def search_entry(post: Post, summary: str) -> list[str]:
    """What the index holds of ``post`` besides its words."""
    return [
        post.title,
        post.url,
        long_date(post.date),
        ", ".join(t.name for t in post.topics),
        summary,
    ]


def index_words(posts: list[Post]) -> dict[str, str]:
    """Each word of ``posts`` -> the gaps between the numbers of the posts that use it,
    in base 36 (``"0.3.1z"`` is posts 0, 3 and 74), sorted by word (made from the last
    index made, where it can be)."""
    _LAST.update(posts)
    return {word: _LAST.encoded[word] for word in _LAST.order}


def index_words_json(posts: list[Post]) -> str:
    """:func:`index_words` as a JSON object, written as ``json.dumps`` writes it with
    ``ensure_ascii=False`` and no spaces: each word's member written once and kept."""
    _LAST.update(posts)
    return "{" + ",".join(map(_LAST.member, _LAST.order)) + "}"


class _Postings:
    """Each word's posts, by number, as the last index was made: the next index, of
    the same posts but a few (a rebuild in memory after an edit), is made from it by
    going through the words of the posts that differ alone."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.ids: list[int] = []
        self.numbers: dict[str, list[int]] = {}
        # Every gap is a post number or a difference of two, in base 36.
        self.encoded: dict[str, str] = {}
        self.order: list[str] = []  # the words, sorted
        self.members: dict[str, str] = {}  # '"word":"gaps"', as written when asked for

    def update(self, posts: list[Post]) -> None:
        """Make the postings those of ``posts``."""
        ids = list(map(id, posts))
        differ = None
        if len(ids) == len(self.ids):  # the places where the posts differ, found in C
            differ = list(itertools.compress(itertools.count(), map(operator.ne, ids, self.ids)))
        try:
            if differ is None or len(differ) > 1 + len(posts) // 8:
                self._make(posts)
            elif differ:
                self._update(posts, differ)
            self.ids = ids
        except BaseException:
            self.__init__()  # type: ignore[misc]
            raise

    def member(self, word: str) -> str:
        found = self.members.get(word)
        if found is None:
            found = self.members[word] = f"{_json(word)}:{_json(self.encoded[word])}"
        return found

    def _make(self, posts: list[Post]) -> None:
        numbers: dict[str, list[int]] = {}
        for number, post in enumerate(posts):
            for word in _post_words(post):
                found = numbers.get(word)
                if found is None:
                    numbers[word] = [number]
                else:
                    found.append(number)
        # Each number is written in base 36 once, not once per word that has it (a
        # 10,000-post site has a million postings).
        digits = [_base36(n) for n in range(len(posts))]
        self.posts, self.numbers, self.order = list(posts), numbers, sorted(numbers)
        self.encoded = {word: _gaps(found, digits) for word, found in numbers.items()}
        self.members = {}

    def _update(self, posts: list[Post], differ: list[int]) -> None:
        changed: set[str] = set()
        words_before = len(self.numbers)
        for number in differ:
            old, new = _post_words(self.posts[number]), _post_words(posts[number])
            for word in old - new:
                found = self.numbers[word]
                found.remove(number)
                if not found:
                    del self.numbers[word], self.encoded[word]
                    self.members.pop(word, None)
            for word in new - old:
                bisect.insort(self.numbers.setdefault(word, []), number)
            changed |= old ^ new
            self.posts[number] = posts[number]
        if len(self.numbers) != words_before or any(w not in self.encoded for w in changed):
            self.order = sorted(self.numbers)  # a word came or went
        for word in changed & self.numbers.keys():
            numbers = self.numbers[word]
            self.encoded[word] = ".".join(map(_base36, map(operator.sub, numbers, [0, *numbers])))
            self.members.pop(word, None)


def _gaps(numbers: list[int], digits: list[str]) -> str:
    return ".".join(map(digits.__getitem__, map(operator.sub, numbers, [0, *numbers])))


_LAST = _Postings()
_json = json.JSONEncoder(ensure_ascii=False).encode


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
