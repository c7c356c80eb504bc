"""Training data: text files -> token files on disk -> random windows for the model.

``prepare`` tokenizes documents into ``train.bin`` / ``val.bin`` (flat arrays of token ids,
``uint16`` when the vocabulary fits, else ``uint32``) and ``meta.json``. Each document is
followed by ``<|endoftext|>``. The split is per document: the last ``val_fraction`` of each
document's tokens goes to ``val.bin``, the rest to ``train.bin``, so one long book and a folder
of short posts both get a validation set drawn from every source.

``TokenWindows`` reads windows of ``context_length + 1`` tokens through a memmap, so the corpus
is never loaded into memory; ``WindowSampler`` draws window starts from a seeded generator whose
state is saved in checkpoints.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from tqdm import tqdm

from scratchgpt.messages import count, warn

if TYPE_CHECKING:
    from scratchgpt.tokenizer import Tokenizer

META_FILE = "meta.json"
TEXT_SUFFIXES = (".md", ".txt")
# YAML front matter of a Markdown post: metadata, not prose the model should learn.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n.*?^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)


class DataError(Exception):
    """Input or prepared data that cannot be used, with a message for the user."""


def find_documents(inputs: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand files and folders (``*.md`` and ``*.txt`` found recursively) into a file list."""
    found: list[Path] = []
    barren: list[Path] = []  # folders without a document: said, since nothing is taken from them
    for item in map(Path, inputs):
        if item.is_dir():
            inside = [
                path
                for path in sorted(item.rglob("*"))
                if path.suffix in TEXT_SUFFIXES
                and path.is_file()
                and not any(part.startswith(".") for part in path.relative_to(item).parts)
            ]
            found.extend(inside)
            if not inside:
                barren.append(item)
        elif item.is_file():
            found.append(item)
        else:
            raise DataError(f"no such file or folder: {item}")
    if not found:
        raise DataError("no .md or .txt documents found in the given inputs")
    for folder in barren:
        warn(f"{folder} holds no .md or .txt documents: nothing taken from it")
    return found


def read_document(path: Path) -> str:
    """Read a document's text; Markdown loses its YAML front matter."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text: {exc}") from None
    if path.suffix == ".md":
        text = _FRONT_MATTER.sub("", text, count=1)
    return text


def read_example_file(path: Path) -> str:
    """A file of fine-tuning examples as text; a missing, non-UTF-8 or empty one is a
    ``DataError`` naming it."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    raw = raw.removeprefix("\ufeff")  # the byte order mark Excel and Notepad write
    if not raw.strip():
        raise DataError(f"{path}: the file is empty")
    return raw


def read_corpus(documents: Iterable[str | os.PathLike[str]]) -> str:
    """All documents' text as one string, separated by ``<|endoftext|>`` (to train a tokenizer)."""
    from scratchgpt.tokenizer import EOT

    return EOT.join(read_document(Path(p)) for p in documents)


def token_dtype(vocab_size: int) -> np.dtype:
    """The smallest unsigned dtype that holds every token id."""
    return np.dtype(np.uint16 if vocab_size <= 2**16 else np.uint32)


def prepare(
    documents: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    tokenizer: Tokenizer,
    *,
    val_fraction: float = 0.1,
    progress: bool = True,
) -> dict[str, Any]:
    """Tokenize documents into ``out_dir`` and return the metadata written to ``meta.json``.

    The tokenizer is saved into ``out_dir`` too (a no-op for GPT-2), so the folder is all
    training needs. Files are written under temporary names and renamed when complete.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise DataError(f"val_fraction must be in [0, 1), got {val_fraction}")
    paths = [Path(p) for p in documents]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dtype = token_dtype(tokenizer.vocab_size)
    eot = np.array([tokenizer.eot_token], dtype=dtype)
    counts = {"train": 0, "val": 0}
    tmp = {split: out / f".{split}.bin.tmp" for split in counts}
    with open(tmp["train"], "wb") as train_f, open(tmp["val"], "wb") as val_f:
        for path in tqdm(paths, desc="tokenizing", unit="doc", disable=not progress):
            ids = np.asarray(tokenizer.encode(read_document(path)), dtype=dtype)
            n_val = int(len(ids) * val_fraction)
            pieces = [("train", train_f, ids[: len(ids) - n_val])]
            if n_val:
                pieces.append(("val", val_f, ids[len(ids) - n_val :]))
            for split, f, piece in pieces:
                f.write(piece.tobytes())
                f.write(eot.tobytes())
                counts[split] += len(piece) + 1
    for split, path in tmp.items():
        os.replace(path, out / f"{split}.bin")
    tokenizer.save(out)
    meta = {
        "tokenizer": tokenizer.name,
        "vocab_size": tokenizer.vocab_size,
        "eot_token": tokenizer.eot_token,
        "dtype": dtype.name,
        "train_tokens": counts["train"],
        "val_tokens": counts["val"],
        "documents": len(paths),
        "val_fraction": val_fraction,
        "split": "document-tail",
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def load_meta(data_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a prepared data folder's ``meta.json``, with a clear error when it is missing."""
    path = Path(data_dir) / META_FILE
    if not path.is_file():
        raise DataError(
            f"{data_dir} is not a prepared data folder (no {META_FILE}); "
            f"make one with: scratchgpt prepare TEXT... -o {data_dir}"
        )
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DataError(f"{path} is not valid JSON ({exc}); run scratchgpt prepare again") from None
    needed = ("vocab_size", "dtype", "train_tokens", "val_tokens")
    missing = [key for key in needed if not isinstance(meta, dict) or key not in meta]
    if missing:
        raise DataError(f"{path} lacks {', '.join(missing)}; run scratchgpt prepare again")
    return meta


class TokenWindows:
    """Windows of ``context_length + 1`` tokens from a token file, as (inputs, targets)."""

    def __init__(self, path: str | os.PathLike[str], dtype: str, context_length: int) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"missing token file {self.path}; run scratchgpt prepare again")
        self.tokens = np.memmap(self.path, dtype=np.dtype(dtype), mode="r")
        self.context_length = context_length
        if len(self.tokens) <= context_length:
            raise DataError(
                f"{self.path} holds {count(len(self.tokens), 'token')}, too few for one window of "
                f"{context_length + 1}; use more text or a shorter context_length"
            )

    def __len__(self) -> int:
        """The number of distinct window starts."""
        return len(self.tokens) - self.context_length

    def batch(self, starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and targets (inputs shifted by one token) for the windows at ``starts``."""
        span = self.context_length + 1
        rows = np.stack([self.tokens[s : s + span] for s in starts.tolist()]).astype(np.int64)
        windows = torch.from_numpy(rows)
        return windows[:, :-1], windows[:, 1:]

    def sampler(self, seed: int) -> WindowSampler:
        """Training windows are drawn at random, with replacement, from every start."""
        return WindowSampler(len(self), seed)

    @property
    def disjoint_windows(self) -> int:
        """How many windows fit side by side, each token a target once."""
        return (len(self.tokens) - 1) // self.context_length

    def eval_starts(self, count: int, seed: int) -> torch.Tensor:
        """The same window starts at every evaluation, so val losses compare: ``count`` at
        random, or, when no more fit side by side, those that do (never more than exist)."""
        if count >= self.disjoint_windows:
            return torch.arange(self.disjoint_windows) * self.context_length
        generator = torch.Generator().manual_seed(seed)
        return torch.randint(len(self), (count,), generator=generator)


class WindowSampler:
    """Random window starts for each optimizer step, from one seeded generator.

    Every process draws the same global batch and takes its own slice, so a run on N processes
    sees exactly the windows a one-process run with the same global batch sees.
    """

    def __init__(self, num_windows: int, seed: int) -> None:
        self.num_windows = num_windows
        self.generator = torch.Generator().manual_seed(seed)

    def draw(self, count: int) -> torch.Tensor:
        """``count`` window starts, drawn uniformly with replacement."""
        return torch.randint(self.num_windows, (count,), generator=self.generator)

    def state_dict(self) -> dict[str, Any]:
        return {"num_windows": self.num_windows, "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state["num_windows"] != self.num_windows:
            raise DataError(
                f"the training data changed since the checkpoint ({state['num_windows']} "
                f"windows then, {self.num_windows} now); resume with the same data"
            )
        self.generator.set_state(state["generator"])


class EpochSampler:
    """Example indices, epoch after epoch: each epoch a permutation of all the examples, drawn
    from the seed and the epoch's number, so each example is seen once per epoch.

    Draws run on across epoch boundaries: a step that ends one epoch takes the first examples
    of the next. Every process draws the same global batch and runs its own share of it (as
    ``torch.utils.data.DistributedSampler`` shards an epoch), so N processes see exactly the
    examples one process sees. The state is a position, so a resumed run draws the same.
    """

    def __init__(self, num_examples: int, seed: int) -> None:
        self.num_examples = num_examples
        self.seed = seed
        self.position = 0  # examples drawn so far, over all epochs
        self._order: tuple[int, torch.Tensor] = (-1, torch.empty(0, dtype=torch.long))

    def epoch_order(self, epoch: int) -> torch.Tensor:
        """Epoch ``epoch``'s permutation of the examples (0-based)."""
        if self._order[0] != epoch:
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._order = (epoch, torch.randperm(self.num_examples, generator=generator))
        return self._order[1]

    def draw(self, count: int) -> torch.Tensor:
        """The next ``count`` example indices."""
        out = []
        while count:
            epoch, offset = divmod(self.position, self.num_examples)
            take = min(count, self.num_examples - offset)
            out.append(self.epoch_order(epoch)[offset : offset + take])
            self.position += take
            count -= take
        return torch.cat(out)

    def state_dict(self) -> dict[str, Any]:
        return {"num_examples": self.num_examples, "seed": self.seed, "position": self.position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "num_examples" not in state or state["num_examples"] != self.num_examples:
            raise DataError(
                f"the training examples changed since the checkpoint "
                f"({state.get('num_examples', 'another sampler')} then, {self.num_examples} "
                "now); resume with the same data"
            )
        self.seed, self.position = state["seed"], state["position"]
