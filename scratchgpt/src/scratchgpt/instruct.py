"""Instruction following: Alpaca-style records, their prompts, and the response-only loss.

A record is ``{"instruction", "input", "output"}`` (``input`` may be empty). The model sees
the Alpaca prompt, then the response, then one end-of-text token; it is trained on the
response and that end-of-text alone (the book's chapter 7): the prompt's targets and the
padding are ``-100``, which the loss ignores, so the model learns to answer and to stop.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from scratchgpt.data import DataError, read_example_file
from scratchgpt.generation import stream, stream_text
from scratchgpt.messages import count, warn
from scratchgpt.model import GPT
from scratchgpt.tokenizer import Tokenizer

IGNORE = -100
PREAMBLE = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request."
)


@dataclass
class Record:
    instruction: str
    input: str = ""
    output: str = ""


def format_prompt(instruction: str, input: str = "") -> str:
    """The Alpaca prompt, up to and including the response header."""
    text = f"{PREAMBLE}\n\n### Instruction:\n{instruction}"
    if input:
        text += f"\n\n### Input:\n{input}"
    return text + "\n\n### Response:\n"


def read_records(path: str | os.PathLike[str]) -> list[Record]:
    """Records from a JSON list (``.json``) or one object per line (``.jsonl``).

    Problems are ``DataError``s naming the file and line.
    """
    path = Path(path)
    raw = read_example_file(path)
    if path.suffix.lower() == ".jsonl":
        objects = []
        for n, line in enumerate(raw.splitlines(), 1):
            if line.strip():
                objects.append((n, _decode(path, line, 0, n)))
    else:
        objects = _json_list(path, raw)
    records = [_record(path, n, obj) for n, obj in objects]
    if not records:
        raise DataError(f"{path}: no records")
    return records


def _decode(path: Path, text: str, start: int, first_line: int) -> object:
    try:
        obj, end = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError as e:
        line = first_line + text.count("\n", 0, e.pos)
        raise DataError(f"{path}:{line}: invalid JSON: {e.msg}") from None
    if text[end:].strip() and first_line:  # a .jsonl line with more after the object
        raise DataError(f"{path}:{first_line}: invalid JSON: extra data after the object")
    return obj


def _json_list(path: Path, raw: str) -> list[tuple[int, object]]:
    """The items of a JSON list with the line each starts on (for error messages)."""
    decoder = json.JSONDecoder()
    ws = " \t\n\r"

    def skip(i: int) -> int:
        while i < len(raw) and raw[i] in ws:
            i += 1
        return i

    def fail(i: int, msg: str) -> DataError:
        return DataError(f"{path}:{raw.count(chr(10), 0, i) + 1}: invalid JSON: {msg}")

    i = skip(0)
    if raw[i] != "[":
        raise fail(i, "expected a list of records ([...])")
    items: list[tuple[int, object]] = []
    i = skip(i + 1)
    if i < len(raw) and raw[i] == "]":
        return items
    while True:
        try:
            obj, end = decoder.raw_decode(raw, i)
        except json.JSONDecodeError as e:
            raise fail(e.pos, e.msg) from None
        items.append((raw.count("\n", 0, i) + 1, obj))
        i = skip(end)
        if i < len(raw) and raw[i] == ",":
            i = skip(i + 1)
        elif i < len(raw) and raw[i] == "]":
            if raw[i + 1 :].strip():
                raise fail(i + 1, "extra data after the list")
            return items
        else:
            raise fail(i, "expected ',' or ']'")


def _record(path: Path, line: int, obj: object) -> Record:
    if not isinstance(obj, dict):
        raise DataError(f"{path}:{line}: expected an object with instruction, input, output")
    for key in ("instruction", "output"):
        if not isinstance(obj.get(key), str):
            problem = "no" if key not in obj else "a non-string"
            raise DataError(f"{path}:{line}: {problem} {key!r} field")
    if not isinstance(obj.get("input", ""), str):
        raise DataError(f"{path}:{line}: 'input' must be a string")
    return Record(obj["instruction"], obj.get("input", ""), obj["output"])


def encode_example(
    record: Record, tokenizer: Tokenizer, max_tokens: int
) -> tuple[list[int], list[int]]:
    """Inputs and targets of one record: prompt + response + end-of-text, shifted by one.

    The prompt's targets are ``-100``; the response's and the one end-of-text are kept.
    The prompt and the response are tokenized apart, as generation sees them. A record
    longer than ``max_tokens`` inputs is cut at the end.
    """
    prompt = tokenizer.encode(format_prompt(record.instruction, record.input))
    ids = prompt + tokenizer.encode(record.output) + [tokenizer.eot_token]
    inputs, targets = ids[:-1], ids[1:]
    targets[: len(prompt) - 1] = [IGNORE] * (len(prompt) - 1)
    return inputs[:max_tokens], targets[:max_tokens]


def collate(examples: list[tuple[list[int], list[int]]], eot_token: int) -> tuple[Tensor, Tensor]:
    """A batch padded to its longest example: inputs with end-of-text, targets with -100."""
    longest = max(len(x) for x, _ in examples)
    inputs = [x + [eot_token] * (longest - len(x)) for x, _ in examples]
    targets = [y + [IGNORE] * (longest - len(y)) for _, y in examples]
    return torch.tensor(inputs), torch.tensor(targets)


def respond(
    model: GPT,
    tokenizer: Tokenizer,
    instruction: str,
    input: str = "",
    *,
    max_new_tokens: int = 256,
    temperature: float = 0.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
    say_crops: bool = True,
) -> Iterator[str]:
    """Yield the response's text as it is generated, piece by piece, up to end-of-text.

    The prompt keeps its end when it is longer than the context allows, and the response
    stops where the context ends; each crop is a warning unless ``say_crops`` is false.
    """
    context = model.config.context_length
    prompt = tokenizer.encode(format_prompt(instruction, input))
    if len(prompt) > context - 1 and say_crops:
        warn(
            f"the prompt is {count(len(prompt), 'token')}, more than the context of {context} "
            f"leaves room for: only its last {context - 1} are read"
        )
    prompt = prompt[-(context - 1) :]
    if max_new_tokens > context - len(prompt) and say_crops:
        warn(
            f"the response is cut to {count(context - len(prompt), 'token')}: the prompt and "
            f"the response fit in the context of {context}"
        )
    max_new_tokens = min(max_new_tokens, context - len(prompt))
    device = model.transformer.wte.weight.device
    tokens = stream(
        model,
        torch.tensor([prompt], device=device),
        max_new_tokens,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        eos_token=tokenizer.eot_token,
        generator=generator,
    )
    yield from stream_text(tokens, tokenizer.decode, tokenizer.eot_token)
