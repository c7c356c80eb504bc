"""Byte-level byte-pair encoding, learned from a corpus.

Text is split into pre-tokens by a GPT-2-style regex (words with their leading space,
numbers, punctuation runs, whitespace), and every pre-token is a sequence of byte ids
0..255. Training repeatedly finds the most frequent adjacent pair of ids and merges it into
a new id; encoding applies the learned merges, earliest first. Merges never cross a
pre-token boundary, so a word's tokens do not depend on its neighbours.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable

import regex

# GPT-2's pre-tokenizer: contractions, letters, numbers, other symbols, then whitespace
# (a run of spaces gives its last space to the word that follows). This is the form
# tiktoken uses, with possessive quantifiers.
GPT2_PATTERN = (
    r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
)

Pair = tuple[int, int]


def pretokenize(text: str, pattern: regex.Pattern[str]) -> list[str]:
    """Split ``text`` into pre-tokens; joined back they give ``text`` exactly."""
    return pattern.findall(text)


def _pairs(word: tuple[int, ...]) -> Iterable[Pair]:
    return itertools.pairwise(word)


def _merge(word: tuple[int, ...], pair: Pair, new_id: int) -> tuple[int, ...]:
    out: list[int] = []
    i = 0
    while i < len(word):
        if i + 1 < len(word) and word[i] == pair[0] and word[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def train_merges(pretoken_counts: Counter[str], n_merges: int) -> list[Pair]:
    """Learn up to ``n_merges`` merges from pre-tokens and their frequencies.

    Pairs are counted over the *unique* pre-tokens, weighted by frequency, and after each
    merge only the pre-tokens that contained the merged pair are recounted. A max-heap of
    counts finds the best pair; stale heap entries are skipped when popped. Ties go to the
    pair with the smaller ids, so training is deterministic. Training stops early when no
    pair occurs twice.
    """
    words = [tuple(w.encode("utf-8")) for w in pretoken_counts]
    freqs = list(pretoken_counts.values())
    counts: Counter[Pair] = Counter()
    where: defaultdict[Pair, set[int]] = defaultdict(set)
    for i, word in enumerate(words):
        for pair in _pairs(word):
            counts[pair] += freqs[i]
            where[pair].add(i)
    heap = [(-c, pair) for pair, c in counts.items()]
    heapq.heapify(heap)

    merges: list[Pair] = []
    while len(merges) < n_merges and heap:
        neg, pair = heapq.heappop(heap)
        if counts.get(pair, 0) != -neg:
            continue  # stale entry: the count changed after it was pushed
        if -neg < 2:
            break
        new_id = 256 + len(merges)
        merges.append(pair)
        changed: set[Pair] = set()
        for i in where.pop(pair):
            old = words[i]
            new = _merge(old, pair, new_id)
            if new == old:
                continue
            for p in _pairs(old):
                counts[p] -= freqs[i]
                changed.add(p)
            for p in _pairs(new):
                counts[p] += freqs[i]
                where[p].add(i)
                changed.add(p)
            words[i] = new
        del counts[pair]
        changed.discard(pair)
        for p in changed:
            if counts[p] > 0:
                heapq.heappush(heap, (-counts[p], p))
            else:
                del counts[p]
    return merges


def apply_merges(data: bytes, ranks: dict[Pair, int]) -> list[int]:
    """Encode one pre-token's bytes: repeatedly merge the adjacent pair learned earliest."""
    word = tuple(data)
    while len(word) > 1:
        best = min(_pairs(word), key=lambda p: ranks.get(p, len(ranks)))
        if best not in ranks:
            break
        word = _merge(word, best, 256 + ranks[best])
    return list(word)
