"""Data preparation and the window dataset: what goes into the token files comes back out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchgpt.data import (
    DataError,
    EpochSampler,
    TokenWindows,
    WindowSampler,
    find_documents,
    load_meta,
    prepare,
    read_document,
)
from scratchgpt.tokenizer import EOT, BPETokenizer, GPT2Tokenizer

DOCS = {
    "a.txt": "The first document, with some words in it.\nAnd a second line.\n",
    "b.md": "---\ntitle: Post\ntags: [x]\n---\nA post about causal masks, in Markdown.\n",
    "sub/c.txt": "Ünïcödé survives: naïve café, 東京, emoji 🙂, and more text after it.\n",
}


def write_docs(root: Path) -> Path:
    for name, text in DOCS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def split_at_eot(ids: np.ndarray, eot: int) -> list[list[int]]:
    pieces, current = [], []
    for token in ids.tolist():
        if token == eot:
            pieces.append(current)
            current = []
        else:
            current.append(token)
    assert current == [], "every piece ends with <|endoftext|>"
    return pieces


def test_find_documents_takes_md_and_txt_recursively_in_order(tmp_path: Path) -> None:
    write_docs(tmp_path)
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "notes.txt").write_text("private")
    found = find_documents([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.txt", "b.md", "sub/c.txt"]


def test_find_documents_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file or folder"):
        find_documents([tmp_path / "missing"])
    with pytest.raises(DataError, match=r"no \.md or \.txt"):
        find_documents([tmp_path])


def test_markdown_front_matter_is_stripped_but_text_files_are_kept_whole(tmp_path: Path) -> None:
    write_docs(tmp_path)
    assert read_document(tmp_path / "b.md") == "A post about causal masks, in Markdown.\n"
    (tmp_path / "d.txt").write_text("---\nnot: front matter\n---\nbody\n")
    assert read_document(tmp_path / "d.txt").startswith("---\nnot:")


def test_prepare_round_trips_every_document(tmp_path: Path) -> None:
    write_docs(tmp_path / "docs")
    documents = find_documents([tmp_path / "docs"])
    texts = [read_document(p) for p in documents]
    tokenizer = BPETokenizer.train(EOT.join(texts), 320)
    meta = prepare(documents, tmp_path / "data", tokenizer, val_fraction=0.2, progress=False)
    assert meta == load_meta(tmp_path / "data")
    assert meta["dtype"] == "uint16" and meta["documents"] == 3
    train = np.fromfile(tmp_path / "data" / "train.bin", dtype=np.uint16)
    val = np.fromfile(tmp_path / "data" / "val.bin", dtype=np.uint16)
    assert (len(train), len(val)) == (meta["train_tokens"], meta["val_tokens"])
    heads = split_at_eot(train, tokenizer.eot_token)
    tails = split_at_eot(val, tokenizer.eot_token)
    # Each document's head is in train.bin and its tail (about 20%) in val.bin, in order.
    assert len(heads) == len(tails) == 3
    for head, tail, text in zip(heads, tails, texts, strict=True):
        assert tokenizer.decode(head + tail) == text
        assert len(tail) == int((len(head) + len(tail)) * 0.2)


def test_prepare_with_gpt2_uses_uint16_and_decodes_back(shared_data: Path, tmp_path: Path) -> None:
    tokenizer = GPT2Tokenizer.from_folder(shared_data / "gpt2")
    corpus = shared_data / "corpora" / "the-verdict.txt"
    meta = prepare([corpus], tmp_path, tokenizer, val_fraction=0.0, progress=False)
    assert (meta["tokenizer"], meta["vocab_size"], meta["val_tokens"]) == ("gpt2", 50257, 0)
    ids = np.fromfile(tmp_path / "train.bin", dtype=np.uint16)
    assert ids[-1] == 50256
    assert tokenizer.decode(ids[:-1].tolist()) == corpus.read_text(encoding="utf-8")


class WideTokenizer:
    """A stand-in with a vocabulary beyond uint16: ids are code points + 65536."""

    name = "wide"
    vocab_size = 70_000
    eot_token = 69_999

    def encode(self, text: str) -> list[int]:
        return [65_536 + ord(c) for c in text]

    def save(self, folder: Path) -> Path:
        return Path(folder)


def test_large_vocabularies_use_uint32(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text("abc")
    meta = prepare([tmp_path / "t.txt"], tmp_path / "d", WideTokenizer(), val_fraction=0.0)
    assert meta["dtype"] == "uint32"
    ids = np.fromfile(tmp_path / "d" / "train.bin", dtype=np.uint32).tolist()
    assert ids == [65_536 + 97, 65_536 + 98, 65_536 + 99, 69_999]


def test_windows_are_contiguous_slices_with_targets_shifted_by_one(tmp_path: Path) -> None:
    path = tmp_path / "t.bin"
    np.arange(100, dtype=np.uint16).tofile(path)
    windows = TokenWindows(path, "uint16", context_length=8)
    assert len(windows) == 92
    x, y = windows.batch(torch.tensor([0, 91, 40]))
    assert x.dtype == torch.int64 and x.shape == y.shape == (3, 8)
    assert x[1].tolist() == list(range(91, 99)) and y[1].tolist() == list(range(92, 100))
    assert torch.equal(x[:, 1:], y[:, :-1])


def test_too_short_token_file_is_a_clear_error(tmp_path: Path) -> None:
    np.arange(8, dtype=np.uint16).tofile(tmp_path / "t.bin")
    with pytest.raises(DataError, match="too few for one window of 9"):
        TokenWindows(tmp_path / "t.bin", "uint16", context_length=8)


def test_sampler_state_restores_the_same_windows() -> None:
    sampler = WindowSampler(1000, seed=7)
    sampler.draw(16)
    state = sampler.state_dict()
    expected = [sampler.draw(16) for _ in range(3)]
    restored = WindowSampler(1000, seed=0)
    restored.load_state_dict(state)
    assert all(torch.equal(restored.draw(16), e) for e in expected)
    assert not torch.equal(WindowSampler(1000, seed=8).draw(16), WindowSampler(1000, 7).draw(16))
    with pytest.raises(DataError, match="training data changed"):
        WindowSampler(999, seed=7).load_state_dict(state)


def test_load_meta_explains_how_to_make_a_data_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="scratchgpt prepare"):
        load_meta(tmp_path)


def test_meta_is_json_that_names_the_tokenizer(gpt_data: Path) -> None:
    meta = json.loads((gpt_data / "meta.json").read_text())
    assert meta["tokenizer"] == "bpe" and meta["split"] == "document-tail"
    assert (gpt_data / "scratchgpt-tokenizer.json").is_file()


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 40), st.integers(1, 17), st.integers(0, 2**31))
def test_an_epoch_sees_each_example_once_and_resumes_where_it_stopped(
    n: int, per_step: int, seed: int
) -> None:
    sampler = EpochSampler(n, seed)
    drawn = torch.cat([sampler.draw(per_step) for _ in range(3 * n // per_step + 3)])
    for epoch in range(len(drawn) // n):
        assert sorted(drawn[epoch * n : (epoch + 1) * n].tolist()) == list(range(n))
    resumed = EpochSampler(n, 0)
    resumed.load_state_dict(sampler.state_dict())
    assert torch.equal(resumed.draw(2 * n), sampler.draw(2 * n))
    assert not torch.equal(EpochSampler(n, seed).draw(n), drawn[n : 2 * n]) or n < 6  # reshuffled
    with pytest.raises(DataError, match="changed since the checkpoint"):
        EpochSampler(n + 1, seed).load_state_dict(sampler.state_dict())
