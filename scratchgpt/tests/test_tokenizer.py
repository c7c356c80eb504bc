"""Tokenizers: GPT-2's ids from tiktoken or its files, and the from-scratch BPE."""

import functools
import itertools
import json
from collections import Counter

import pytest
import tiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchgpt import bpe
from scratchgpt.tokenizer import (
    EOT,
    TOKENIZER_FILE,
    BPETokenizer,
    GPT2Tokenizer,
    Tokenizer,
    load_tokenizer,
    load_tokenizer_for_model,
)

CORPUS = (
    "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs.\n"
    "Numbers like 1234 and 2024 appear, and so do naïve cafés and 東京.\n"
) * 20


@functools.cache
def trained() -> BPETokenizer:
    return BPETokenizer.train(CORPUS, vocab_size=300)


def test_gpt2_known_ids(tiktoken_cache):
    tokenizer = load_tokenizer("gpt2")
    assert isinstance(tokenizer, Tokenizer)
    assert tokenizer.encode("Hello world") == [15496, 995]
    assert (tokenizer.vocab_size, tokenizer.eot_token) == (50257, 50256)
    assert tokenizer.encode(f"a{EOT}b") == [64, 50256, 65]


def test_gpt2_from_files_equals_tiktoken(shared_data, tiktoken_cache):
    text = (shared_data / "corpora" / "the-verdict.txt").read_text(encoding="utf-8")[:5000]
    from_files = load_tokenizer(shared_data / "gpt2")
    assert isinstance(from_files, GPT2Tokenizer)
    ids = from_files.encode(text)
    assert ids == GPT2Tokenizer.from_tiktoken().encode(text)
    assert from_files.decode(ids) == text
    assert from_files.eot_token == 50256


def test_bpe_learns_frequent_words():
    tokenizer = trained()
    assert tokenizer.vocab_size == 300
    assert tokenizer.eot_token == 299
    assert len(tokenizer.encode(" fox")) == 1
    assert len(tokenizer.encode(CORPUS)) < len(CORPUS.encode()) / 1.8


def _replace(word: tuple, pair: tuple, new_id: int) -> tuple:
    out, i = [], 0
    while i < len(word):
        if word[i : i + 2] == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def _naive_merges(counts: Counter, n_merges: int) -> list[tuple[int, int]]:
    """Textbook BPE: recount every pair after every merge."""
    words = {tuple(w.encode()): c for w, c in counts.items()}
    merges = []
    for new_id in range(256, 256 + n_merges):
        pairs = Counter()
        for word, c in words.items():
            for pair in itertools.pairwise(word):
                pairs[pair] += c
        if not pairs or max(pairs.values()) < 2:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        words = {_replace(w, best, new_id): c for w, c in words.items()}
    return merges


def test_incremental_training_equals_recounting():
    counts = Counter(bpe.pretokenize(CORPUS, bpe.regex.compile(bpe.GPT2_PATTERN)))
    assert bpe.train_merges(counts, 150) == _naive_merges(counts, 150)


def test_training_stops_when_no_pair_repeats():
    tokenizer = BPETokenizer.train("abc", vocab_size=1000)
    assert tokenizer.vocab_size == 257


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_bpe_round_trips_any_unicode(text):
    tokenizer = trained()
    ids = tokenizer.encode(text)
    assert all(0 <= i < tokenizer.vocab_size for i in ids)
    assert tokenizer.decode(ids) == text


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["fox", " the", EOT, "é", "\n", "  "]), max_size=12).map("".join))
def test_bpe_round_trips_end_of_text(text):
    tokenizer = trained()
    ids = tokenizer.encode(text)
    assert ids.count(tokenizer.eot_token) == text.count(EOT)
    assert tokenizer.decode(ids) == text


def test_bpe_save_and_load(tmp_path):
    tokenizer = trained()
    path = tokenizer.save_file(tmp_path / "tok.json")
    assert json.loads(path.read_text())["type"] == "bpe"
    again = load_tokenizer(path)
    assert again.encode(CORPUS) == tokenizer.encode(CORPUS)
    tokenizer.save(tmp_path / "model")
    assert load_tokenizer_for_model(tmp_path / "model").encode("fox") == tokenizer.encode("fox")


def test_model_folder_without_tokenizer_falls_back_to_gpt2(tmp_path, tiktoken_cache):
    assert load_tokenizer_for_model(tmp_path).encode("Hello world") == [15496, 995]
    GPT2Tokenizer.from_tiktoken().save(tmp_path / "m")
    assert (tmp_path / "m" / TOKENIZER_FILE).is_file()
    assert isinstance(load_tokenizer(tmp_path / "m"), GPT2Tokenizer)


def test_bad_specs_fail_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="no tokenizer"):
        load_tokenizer(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="holds no tokenizer"):
        load_tokenizer(tmp_path)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a scratchgpt tokenizer"):
        load_tokenizer(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="at least 257"):
        BPETokenizer.train("abc", vocab_size=100)


def test_gpt2_without_cache_or_network_says_what_to_do(monkeypatch):
    import requests

    def offline(name):
        raise requests.ConnectionError("Failed to resolve 'openaipublic.blob.core.windows.net'")

    monkeypatch.setattr(tiktoken, "get_encoding", offline)
    with pytest.raises(OSError, match="set TIKTOKEN_CACHE_DIR"):
        load_tokenizer("gpt2")
