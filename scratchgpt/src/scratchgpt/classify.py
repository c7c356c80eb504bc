"""Text classification: labelled texts, the GPT with a classifier head, and its model folder.

The classifier is the book's (chapter 6): the GPT's output head is replaced by a
``num_labels`` head that reads the hidden state of each text's last real token, the one
position that has attended to the whole text. Batches are padded on the right with the
end-of-text token, and the last real token is the rightmost one that is not padding, as in
``transformers.GPT2ForSequenceClassification``, whose folder layout the model is saved in
(``config.json`` with ``id2label``, ``label2id``, ``pad_token_id``; ``score.weight``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from scratchgpt import weights
from scratchgpt.data import DataError, read_example_file
from scratchgpt.model import GPT
from scratchgpt.tokenizer import Tokenizer

ARCHITECTURE = "GPT2ForSequenceClassification"
HEAD = "score.weight"


@dataclass
class LabelledTexts:
    """Texts and their labels as read from a file, with the file's line of each."""

    texts: list[str]
    labels: list[str]
    lines: list[int]


def read_labelled(path: str | os.PathLike[str], *, need_labels: bool = True) -> LabelledTexts:
    """Read ``text``/``label`` examples from a ``.tsv``, ``.csv`` or ``.jsonl`` file.

    A ``.tsv`` or ``.csv`` has a header naming ``text`` and ``label`` columns (others are
    ignored); a ``.tsv`` without one is read as ``LABEL<TAB>TEXT`` lines. Problems are
    ``DataError``s naming the file and line. With ``need_labels=False`` (texts to classify),
    a file without labels is accepted: one text per line, or ``text`` fields alone.
    """
    path = Path(path)
    raw = read_example_file(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        out = _read_jsonl(path, raw, need_labels)
    elif suffix in (".tsv", ".csv"):
        out = _read_table(path, raw, need_labels)
    elif need_labels:
        raise DataError(f"{path}: expected a .tsv, .csv or .jsonl file of texts and labels")
    else:  # plain text: one text per line
        pairs = [(n, line) for n, line in enumerate(raw.splitlines(), 1) if line.strip()]
        out = LabelledTexts([t for _, t in pairs], [], [n for n, _ in pairs])
    if need_labels and len(set(out.labels)) < 2:
        raise DataError(
            f"{path}: every example has the label {out.labels[0]!r}; "
            "a classifier needs at least two labels"
        )
    return out


def _read_jsonl(path: Path, raw: str, need_labels: bool) -> LabelledTexts:
    out = LabelledTexts([], [], [])
    keys = ("text", "label") if need_labels else ("text",)
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"{path}:{n}: invalid JSON: {e.msg} (column {e.colno})") from None
        if not isinstance(record, dict):
            raise DataError(f"{path}:{n}: expected a JSON object with {' and '.join(keys)}")
        for key in keys:
            if key not in record:
                has = ", ".join(map(repr, record)) or "none"
                raise DataError(f"{path}:{n}: no {key!r} field (the record has: {has})")
        out.texts.append(str(record["text"]))
        if "label" in record:
            out.labels.append(str(record["label"]))
        out.lines.append(n)
    if out.labels and len(out.labels) != len(out.texts):
        raise DataError(f"{path}: some records have a 'label' and some do not")
    _check_labels(path, out, "fields text and label")
    return out


# Delimiters a table of examples may use; the header says which (csv.Sniffer otherwise).
DELIMITERS = ",\t;|"
# A label column with more distinct values than this share of its rows (and more than
# FEW_LABELS), or with labels of more than LABEL_WORDS words, holds texts, not labels.
LABEL_SHARE, FEW_LABELS, LABEL_WORDS = 0.1, 10, 4


def _sniff(path: Path, raw: str) -> type[csv.Dialect]:
    """The table's dialect: the delimiter whose header has a ``text`` column, else what
    ``csv.Sniffer`` makes of the first lines, else the suffix's (tab for .tsv)."""
    header = raw.split("\n", 1)[0]
    sniffer = csv.Sniffer()
    for delimiter in DELIMITERS:
        cells = next(csv.reader([header], delimiter=delimiter), [])
        if "text" in (c.strip().lower() for c in cells):
            return _excel(delimiter)
    with contextlib.suppress(csv.Error):
        return _excel(sniffer.sniff("\n".join(raw.splitlines()[:20]), DELIMITERS).delimiter)
    return _excel("\t" if path.suffix.lower() == ".tsv" else ",")


def _excel(delimiter: str) -> type[csv.Dialect]:
    """The csv module's default dialect (as Excel and pandas write) with ``delimiter``."""
    return type("Table", (csv.excel,), {"delimiter": delimiter})


def _rows(raw: str, dialect: type[csv.Dialect]) -> list[tuple[int, list[str]]]:
    """The table's rows with the line each starts on (a quoted field may span lines)."""
    reader = csv.reader(io.StringIO(raw, newline=""), dialect)
    rows, line = [], 1
    for row in reader:
        rows.append((line, row))
        line = reader.line_num + 1
    return rows


def _read_table(path: Path, raw: str, need_labels: bool) -> LabelledTexts:
    dialect = _sniff(path, raw)
    rows = _rows(raw, dialect)
    header = [name.strip().lower() for name in rows[0][1]]
    if "text" not in header and dialect.delimiter == "\t":
        return _read_headerless_tsv(path, raw.splitlines(), need_labels)
    missing = [c for c in (("text", "label") if need_labels else ("text",)) if c not in header]
    if missing:
        raise DataError(
            f"{path}:1: the header has no {' or '.join(repr(c) for c in missing)} column "
            f"(it has: {', '.join(header)})"
        )
    out = LabelledTexts([], [], [])
    text_col = header.index("text")
    label_col = header.index("label") if "label" in header else None
    for n, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            what = "missing fields" if len(row) < len(header) else "extra fields"
            raise DataError(
                f"{path}:{n}: {len(row)} columns, the header has {len(header)} ({what}; "
                "a field holding the delimiter or a quote must be quoted)"
            )
        if label_col is not None and not row[label_col].strip():
            raise DataError(f"{path}:{n}: the label is empty")
        out.texts.append(row[text_col])
        if label_col is not None:
            out.labels.append(row[label_col].strip())
        out.lines.append(n)
    if not out.texts:
        raise DataError(f"{path}: a header but no examples")
    _check_labels(path, out, f"columns {', '.join(header)}")
    return out


def _read_headerless_tsv(path: Path, lines: list[str], need_labels: bool) -> LabelledTexts:
    out = LabelledTexts([], [], [])
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        label, tab, text = line.partition("\t")
        if not tab:
            if need_labels:
                raise DataError(
                    f"{path}:{n}: expected LABEL<TAB>TEXT (or a header naming text and label)"
                )
            label, text = "", line
        elif not label.strip():
            raise DataError(f"{path}:{n}: the label is empty")
        elif "\t" in text:
            raise DataError(
                f"{path}:{n}: {line.count(chr(9)) + 1} fields, expected 2 (LABEL<TAB>TEXT); "
                "for more columns, name them in a header with text and label"
            )
        out.texts.append(text)
        if tab:
            out.labels.append(label.strip())
        out.lines.append(n)
    if out.labels and len(out.labels) != len(out.texts):
        raise DataError(f"{path}: some lines have a label and some do not")
    _check_labels(path, out, "no header, read as LABEL<TAB>TEXT")
    return out


def _check_labels(path: Path, data: LabelledTexts, columns: str) -> None:
    """Refuse a label column that holds texts (the columns swapped, say): it would train a
    classifier of as many classes as examples."""
    distinct = sorted(set(data.labels))
    wordy = [label for label in distinct if len(label.split()) > LABEL_WORDS]
    many = len(distinct) > max(FEW_LABELS, LABEL_SHARE * len(data.labels))
    if wordy or many:
        example = (wordy or distinct)[0]
        raise DataError(
            f"{path}: the label column looks like free text ({len(distinct)} different labels "
            f"in {len(data.labels)} rows, such as {example[:50]!r}); {columns}. Are the text "
            "and label columns swapped? Name them in a header: label and text"
        )


def last_token_index(idx: Tensor, pad_token_id: int) -> Tensor:
    """Per row, the position of the rightmost token that is not padding (0 if all are)."""
    positions = torch.arange(idx.size(1), device=idx.device)
    return (positions * (idx != pad_token_id)).argmax(-1)


class GPTClassifier(nn.Module):
    """The GPT's blocks and final LayerNorm, then a ``num_labels`` head on the last token."""

    def __init__(self, gpt: GPT, labels: list[str], pad_token_id: int) -> None:
        super().__init__()
        self.gpt = gpt
        self.config = gpt.config
        self.labels = list(labels)
        self.pad_token_id = pad_token_id
        # float32 whatever the GPT's dtype: it trains (beside LoRA adapters, say) in full
        # precision; the hidden state is cast to it.
        device = gpt.transformer.wte.weight.device
        self.score = nn.Linear(gpt.config.n_embd, len(labels), bias=False, device=device)
        nn.init.normal_(self.score.weight, std=0.02)

    def forward(self, idx: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """Logits ``(batch, num_labels)``; with ``targets`` (label ids), the mean
        cross-entropy as the loss."""
        hidden = self.gpt.hidden_states(idx)
        rows = torch.arange(idx.size(0), device=idx.device)
        last = hidden[rows, last_token_index(idx, self.pad_token_id)]
        logits = self.score(last.to(self.score.weight.dtype))
        loss = F.cross_entropy(logits, targets) if targets is not None else None
        return logits, loss

    def num_parameters(self) -> int:
        return sum(p.numel() for p in {id(p): p for p in self.parameters()}.values())


def hf_config(model: GPTClassifier) -> dict[str, Any]:
    """What ``transformers.GPT2ForSequenceClassification`` adds to a GPT-2 ``config.json``."""
    return {
        "architectures": [ARCHITECTURE],
        "id2label": dict(enumerate(model.labels)),
        "label2id": {label: i for i, label in enumerate(model.labels)},
        "pad_token_id": model.pad_token_id,
    }


def save_classifier(
    model: GPTClassifier, folder: str | os.PathLike[str], tokenizer: Tokenizer | None = None
) -> Path:
    """Write the classifier in ``GPT2ForSequenceClassification``'s layout."""
    return weights.save_pretrained(
        model.gpt,
        folder,
        tokenizer,
        extra_config=hf_config(model),
        extra_tensors={HEAD: model.score.weight},
    )


def is_classifier(folder: str | os.PathLike[str]) -> bool:
    """Whether a model folder holds a classifier (its config has ``id2label``)."""
    path = Path(folder) / weights.CONFIG_FILE
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return ARCHITECTURE in config.get("architectures", [])


def load_classifier(
    folder: str | os.PathLike[str], device: torch.device | str | None = None
) -> GPTClassifier:
    """A classifier saved by ``save_classifier`` or by ``transformers`` (in eval mode)."""
    folder = Path(folder)
    config = weights.read_config(folder)
    data = json.loads((folder / weights.CONFIG_FILE).read_text(encoding="utf-8"))
    if "id2label" not in data or data.get("pad_token_id") is None:
        raise ValueError(f"{folder} is not a classifier (config.json lacks id2label or pad)")
    labels = [data["id2label"][str(i)] for i in range(len(data["id2label"]))]
    tensors = weights.read_tensors(folder, device)
    head = tensors.pop(HEAD, None)
    if head is None or head.shape != (len(labels), config.n_embd):
        raise ValueError(f"{folder}: no {HEAD} of shape ({len(labels)}, {config.n_embd})")
    gpt = weights.meta_model(config)
    gpt.load_state_dict(weights.state_dict_from_hf(tensors, config), assign=True)
    gpt.tie_weights()
    model = GPTClassifier(gpt, labels, data["pad_token_id"])
    model.score.weight = nn.Parameter(head)
    return model.eval()


def pad_batch(sequences: list[list[int]], pad_token_id: int) -> Tensor:
    """Token id lists as one ``(batch, longest)`` tensor, padded on the right."""
    longest = max(len(s) for s in sequences)
    return torch.tensor([s + [pad_token_id] * (longest - len(s)) for s in sequences])


@torch.no_grad()
def predict(model: GPTClassifier, sequences: list[list[int]], batch_size: int = 32) -> Tensor:
    """Class probabilities ``(len(sequences), num_labels)`` of tokenized texts."""
    was_training = model.training
    model.eval()
    device = model.score.weight.device
    out = []
    for start in range(0, len(sequences), batch_size):
        batch = pad_batch(sequences[start : start + batch_size], model.pad_token_id)
        logits, _ = model(batch.to(device))
        out.append(torch.softmax(logits.float(), dim=-1).cpu())
    model.train(was_training)
    return torch.cat(out) if out else torch.empty(0, len(model.labels))


def confusion_matrix(labels: list[str], truth: list[str], predicted: list[str]) -> str:
    """A text table: one row per true label, one column per predicted label."""
    corner = "true \\ predicted"
    first = max(len(x) for x in [*labels, corner]) + 2
    width = max(len(x) for x in [*labels, str(len(truth))]) + 2
    lines = [corner.ljust(first) + "".join(x.rjust(width) for x in labels)]
    for row in labels:
        pairs = list(zip(truth, predicted, strict=True))
        counts = [sum(t == row and p == col for t, p in pairs) for col in labels]
        lines.append(row.ljust(first) + "".join(str(c).rjust(width) for c in counts))
    return "\n".join(lines)
