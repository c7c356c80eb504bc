"""Tokenizers: GPT-2's BPE (through tiktoken) and a byte-level BPE trained from scratch.

Both turn any Unicode text into ids and back exactly, and both treat the literal text
``<|endoftext|>`` as their end-of-text token. A tokenizer saves itself into a folder as
``scratchgpt-tokenizer.json`` (``TOKENIZER_FILE``): the full merge table for a trained
BPE, or just ``{"type": "gpt2"}`` for GPT-2's, whose files are not ours to copy.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import regex
import tiktoken
import tiktoken.load

from scratchgpt import bpe

EOT = "<|endoftext|>"
TOKENIZER_FILE = "scratchgpt-tokenizer.json"
GPT2_FILES = ("vocab.bpe", "encoder.json")
GPT2_VOCAB_SIZE = 50257
MODEL_CONFIG_FILE = "config.json"  # a model folder's; see scratchgpt.weights
# The key of a model's config.json that names the file its tokenizer was saved from.
SOURCE_KEY = "scratchgpt_tokenizer_source"


@runtime_checkable
class Tokenizer(Protocol):
    """What the model, data preparation and generation need from a tokenizer."""

    name: str
    vocab_size: int
    eot_token: int
    source: str | None  # the file it was read from, if any

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: list[int]) -> str: ...

    def save(self, folder: str | os.PathLike[str]) -> Path: ...


class GPT2Tokenizer:
    """GPT-2's byte-level BPE (50257 tokens, ``<|endoftext|>`` = 50256), run by tiktoken."""

    name = "gpt2"
    source: str | None = None

    def __init__(self, encoding: tiktoken.Encoding) -> None:
        self.encoding = encoding
        self.vocab_size: int = encoding.n_vocab
        self.eot_token: int = encoding.eot_token

    @classmethod
    def from_folder(cls, folder: str | os.PathLike[str]) -> GPT2Tokenizer:
        """Build from OpenAI's ``vocab.bpe`` and ``encoder.json`` in ``folder``; no network."""
        folder = Path(folder)
        missing = [f for f in GPT2_FILES if not (folder / f).is_file()]
        if missing:
            raise FileNotFoundError(f"{folder} lacks GPT-2's {' and '.join(missing)}")
        ranks = tiktoken.load.data_gym_to_mergeable_bpe_ranks(
            vocab_bpe_file=str(folder / "vocab.bpe"), encoder_json_file=str(folder / "encoder.json")
        )
        encoding = tiktoken.Encoding(
            name="gpt2",
            pat_str=bpe.GPT2_PATTERN,
            mergeable_ranks=ranks,
            special_tokens={EOT: len(ranks)},
            explicit_n_vocab=50257,
        )
        return cls(encoding)

    @classmethod
    def from_tiktoken(cls) -> GPT2Tokenizer:
        """tiktoken's ``gpt2`` encoding: offline when ``TIKTOKEN_CACHE_DIR`` holds it."""
        try:
            return cls(tiktoken.get_encoding("gpt2"))
        except OSError as e:  # not cached, and the download failed (requests' errors too)
            raise OSError(
                "GPT-2's BPE files are not in tiktoken's cache and could not be downloaded; "
                "set TIKTOKEN_CACHE_DIR to a cache that holds them, or name a folder with "
                f"vocab.bpe and encoder.json instead ({type(e).__name__})"
            ) from None

    def encode(self, text: str) -> list[int]:
        return self.encoding.encode(text, allowed_special={EOT})

    def decode(self, ids: list[int]) -> str:
        return self.encoding.decode(list(ids))

    def save(self, folder: str | os.PathLike[str]) -> Path:
        return _write_json(Path(folder) / TOKENIZER_FILE, {"type": "gpt2"})


class BPETokenizer:
    """A byte-level BPE learned from your own text with ``BPETokenizer.train``.

    Ids 0..255 are the bytes, then one id per learned merge, then ``<|endoftext|>`` last.
    Every byte has an id, so any text encodes, and decoding the ids gives the text back.
    """

    name = "bpe"
    source: str | None = None
    _CACHE_LIMIT: ClassVar[int] = 100_000

    def __init__(self, merges: list[tuple[int, int]], pattern: str = bpe.GPT2_PATTERN) -> None:
        self.merges = [(a, b) for a, b in merges]
        self.pattern = pattern
        self._regex = regex.compile(pattern)
        self._ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        self._vocab = [bytes([b]) for b in range(256)]
        for a, b in self.merges:
            self._vocab.append(self._vocab[a] + self._vocab[b])
        self.eot_token: int = len(self._vocab)
        self.vocab_size: int = self.eot_token + 1
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def train(cls, text: str, vocab_size: int, pattern: str = bpe.GPT2_PATTERN) -> BPETokenizer:
        """Learn ``vocab_size - 257`` merges from ``text`` (fewer if the text runs out of pairs).

        ``<|endoftext|>`` in ``text`` separates documents and is not learned from.
        """
        if vocab_size < 257:
            raise ValueError(
                f"vocab_size must be at least 257 (256 bytes + <|endoftext|>): {vocab_size}"
            )
        compiled = regex.compile(pattern)
        counts: Counter[str] = Counter()
        for doc in text.split(EOT):
            counts.update(bpe.pretokenize(doc, compiled))
        return cls(bpe.train_merges(counts, vocab_size - 257), pattern)

    def token_bytes(self, token: int) -> bytes:
        """The bytes a token id stands for."""
        return EOT.encode() if token == self.eot_token else self._vocab[token]

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for i, doc in enumerate(text.split(EOT)):
            if i:
                ids.append(self.eot_token)
            for piece in bpe.pretokenize(doc, self._regex):
                ids.extend(self._encode_piece(piece))
        return ids

    def _encode_piece(self, piece: str) -> list[int]:
        # Text is Zipfian: a small cache of pre-tokens catches most of the work.
        ids = self._cache.get(piece)
        if ids is None:
            ids = bpe.apply_merges(piece.encode("utf-8"), self._ranks)
            if len(self._cache) < self._CACHE_LIMIT:
                self._cache[piece] = ids
        return ids

    def decode(self, ids: list[int]) -> str:
        data = b"".join(self.token_bytes(int(t)) for t in ids)
        # A slice of ids may end inside a multi-byte character; show it as U+FFFD.
        return data.decode("utf-8", errors="replace")

    def save(self, folder: str | os.PathLike[str]) -> Path:
        return self.save_file(Path(folder) / TOKENIZER_FILE)

    def save_file(self, path: str | os.PathLike[str]) -> Path:
        """Write the tokenizer as one JSON file at ``path``."""
        return _write_json(Path(path), self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "bpe",
            "version": 1,
            "pattern": self.pattern,
            "special_tokens": {EOT: self.eot_token},
            "merges": [list(m) for m in self.merges],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BPETokenizer:
        tokenizer = cls([tuple(m) for m in data["merges"]], data["pattern"])
        if data.get("special_tokens", {}).get(EOT, tokenizer.eot_token) != tokenizer.eot_token:
            raise ValueError("tokenizer file's <|endoftext|> id does not follow its merges")
        return tokenizer


def _write_json(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")
    return path


def _read_file(path: Path) -> Tokenizer:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        kind = data["type"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path} is not a scratchgpt tokenizer file: {e}") from None
    if kind == "gpt2":
        folder = path.parent
        has_files = all((folder / f).is_file() for f in GPT2_FILES)
        return GPT2Tokenizer.from_folder(folder) if has_files else GPT2Tokenizer.from_tiktoken()
    if kind == "bpe":
        tokenizer = BPETokenizer.from_dict(data)
        tokenizer.source = str(path.resolve())
        return tokenizer
    raise ValueError(f"{path}: unknown tokenizer type {kind!r}")


def load_tokenizer(spec: str | os.PathLike[str]) -> Tokenizer:
    """A tokenizer from ``"gpt2"``, a tokenizer file, or a folder.

    A folder may hold ``scratchgpt-tokenizer.json`` (a data folder) or GPT-2's
    ``vocab.bpe`` and ``encoder.json``, or be a model folder (``load_tokenizer_for_model``) or a
    run folder (its ``latest`` model). ``"gpt2"`` uses tiktoken's cache (set
    ``TIKTOKEN_CACHE_DIR`` to work offline).
    """
    if str(spec) == "gpt2":
        return GPT2Tokenizer.from_tiktoken()
    path = Path(spec)
    if path.is_file():
        return _read_file(path)
    if path.is_dir():
        if (path / MODEL_CONFIG_FILE).is_file():
            return load_tokenizer_for_model(path)
        if (path / "latest" / MODEL_CONFIG_FILE).is_file():
            return load_tokenizer_for_model(path / "latest")
        if (path / TOKENIZER_FILE).is_file():
            return _read_file(path / TOKENIZER_FILE)
        if all((path / f).is_file() for f in GPT2_FILES):
            return GPT2Tokenizer.from_folder(path)
        raise FileNotFoundError(
            f"{path} holds no tokenizer ({TOKENIZER_FILE}, or GPT-2's {' and '.join(GPT2_FILES)})"
        )
    raise FileNotFoundError(f"no tokenizer at {spec!r} (expected 'gpt2', a file or a folder)")


def load_tokenizer_for_model(model_dir: str | os.PathLike[str]) -> Tokenizer:
    """The tokenizer of a model folder, checked against the model's ``config.json``.

    A folder without a tokenizer file uses GPT-2's when its vocabulary is GPT-2's; for any
    other vocabulary a missing file is an error that says which file and where it came from.
    """
    folder = Path(model_dir)
    config = _model_config(folder)
    vocab_size, eos = config.get("vocab_size"), config.get("eos_token_id")
    has_file = (folder / TOKENIZER_FILE).is_file()
    if has_file or all((folder / f).is_file() for f in GPT2_FILES):
        tokenizer = load_tokenizer(folder / TOKENIZER_FILE if has_file else folder)
    elif not isinstance(vocab_size, int) or (
        vocab_size >= GPT2_VOCAB_SIZE and eos in (None, GPT2_VOCAB_SIZE - 1)
    ):
        tokenizer = GPT2Tokenizer.from_tiktoken()
    else:
        source = config.get(SOURCE_KEY)
        where = (
            f"it was saved with the tokenizer from {source}: copy that file into {folder}"
            if source
            else "it was saved without one: copy the scratchgpt-tokenizer.json of the data "
            "folder it was trained on (written by scratchgpt prepare) into it"
        )
        raise FileNotFoundError(
            f"{folder} lacks {TOKENIZER_FILE}, which its {vocab_size}-token vocabulary (not "
            f"GPT-2's) needs; {where}"
        )
    if isinstance(vocab_size, int) and (
        tokenizer.vocab_size > vocab_size or eos not in (None, tokenizer.eot_token)
    ):
        raise ValueError(
            f"{folder}: the tokenizer ({tokenizer.name}, {tokenizer.vocab_size} tokens, "
            f"<|endoftext|> = {tokenizer.eot_token}) does not fit the model's config.json "
            f"(vocab_size {vocab_size}, eos_token_id {eos})"
        )
    return tokenizer


def _model_config(folder: Path) -> dict[str, Any]:
    """A model folder's ``config.json`` as a dict (empty when absent or unreadable)."""
    try:
        data = json.loads((folder / MODEL_CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
