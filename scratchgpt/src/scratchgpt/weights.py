"""Save and load models in HuggingFace's GPT-2 layout: ``config.json`` + ``model.safetensors``.

scratchgpt names and shapes its parameters as GPT-2 does (projection weights are
``(in, out)``, HuggingFace's ``Conv1D`` layout), so converting is a key map: the files leave
out the tied head, and GPT-2's published ones also the ``transformer.`` prefix. A folder
written here loads in ``transformers.GPT2LMHeadModel.from_pretrained``, and GPT-2's
published files load here. Only safetensors are read, never pickles.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor

from scratchgpt.model import GPT, GPTConfig
from scratchgpt.tokenizer import SOURCE_KEY, GPT2Tokenizer, Tokenizer

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
# Causal-mask buffers some GPT-2 files carry; scratchgpt computes the mask instead.
_IGNORED = (".attn.bias", ".attn.masked_bias")


def config_to_hf(config: GPTConfig, eot_token: int | None = None) -> dict[str, Any]:
    """``config`` as the keys of HuggingFace's ``GPT2Config``.

    ``eot_token`` defaults to GPT-2's ``<|endoftext|>`` (50256) when the vocabulary has it.
    """
    if eot_token is None and config.vocab_size > 50256:
        eot_token = 50256
    return {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": config.vocab_size,
        "n_positions": config.context_length,
        "n_ctx": config.context_length,
        "n_embd": config.n_embd,
        "n_layer": config.n_layer,
        "n_head": config.n_head,
        "n_inner": None,
        "activation_function": "gelu_new",
        "layer_norm_epsilon": config.layer_norm_epsilon,
        "embd_pdrop": config.emb_dropout,
        "attn_pdrop": config.attn_dropout,
        "resid_pdrop": config.resid_dropout,
        "initializer_range": 0.02,
        "scale_attn_weights": True,
        "tie_word_embeddings": True,
        "use_cache": True,
        "bos_token_id": eot_token,
        "eos_token_id": eot_token,
        # Not a GPT2Config key: GPT-2 always has biases; recorded for bias-free models.
        "bias": config.bias,
    }


def config_from_hf(data: dict[str, Any]) -> GPTConfig:
    """A ``GPTConfig`` from HuggingFace GPT-2 ``config.json`` keys."""
    if data.get("model_type", "gpt2") != "gpt2":
        raise ValueError(f"model_type is {data['model_type']!r}, not 'gpt2'")
    if data.get("n_inner") not in (None, 4 * data["n_embd"]):
        raise ValueError("n_inner other than 4 * n_embd is not supported")
    if data.get("activation_function", "gelu_new") not in ("gelu_new", "gelu_pytorch_tanh"):
        raise ValueError(f"activation {data['activation_function']!r} is not GPT-2's tanh GELU")
    if data.get("scale_attn_by_inverse_layer_idx") or not data.get("scale_attn_weights", True):
        raise ValueError("only GPT-2's 1/sqrt(head_dim) attention scaling is supported")
    return GPTConfig(
        vocab_size=data["vocab_size"],
        context_length=data["n_positions"],
        n_embd=data["n_embd"],
        n_layer=data["n_layer"],
        n_head=data["n_head"],
        emb_dropout=data.get("embd_pdrop", 0.1),
        attn_dropout=data.get("attn_pdrop", 0.1),
        resid_dropout=data.get("resid_pdrop", 0.1),
        layer_norm_epsilon=data.get("layer_norm_epsilon", 1e-5),
        bias=data.get("bias", True),
    )


def state_dict_to_hf(model: GPT) -> dict[str, Tensor]:
    """The model's tensors named and shaped as in ``GPT2LMHeadModel`` (tied head omitted)."""
    return {
        name: tensor.detach().contiguous()
        for name, tensor in model.state_dict().items()
        if not name.startswith("lm_head.")  # the same tensor as transformer.wte.weight
    }


def state_dict_from_hf(tensors: dict[str, Tensor], config: GPTConfig) -> dict[str, Tensor]:
    """A ``GPT`` state dict from GPT-2-layout tensors, with or without ``transformer.``."""
    out = {}
    for name, tensor in tensors.items():
        if name.endswith(_IGNORED) or name == "lm_head.weight":
            continue
        key = name if name.startswith("transformer.") else f"transformer.{name}"
        out[key] = tensor
    if "transformer.wte.weight" not in out:
        raise ValueError("no token embedding (wte.weight) among the tensors")
    out["lm_head.weight"] = out["transformer.wte.weight"]
    expected = {k: v.shape for k, v in meta_model(config).state_dict().items()}
    missing = sorted(expected.keys() - out.keys())
    unexpected = sorted(out.keys() - expected.keys())
    if missing or unexpected:
        raise ValueError(f"weights do not fit config.json: missing {missing}, extra {unexpected}")
    for key, shape in expected.items():
        if out[key].shape != shape:
            raise ValueError(f"{key}: shape {tuple(out[key].shape)}, config needs {tuple(shape)}")
    return out


def meta_model(config: GPTConfig) -> GPT:
    """A ``GPT`` of ``config`` without storage (on the ``meta`` device): its shapes, or a
    frame for tensors loaded with ``load_state_dict(..., assign=True)``."""
    with torch.device("meta"):
        return GPT(config)


def save_pretrained(
    model: GPT,
    folder: str | os.PathLike[str],
    tokenizer: Tokenizer | None = None,
    *,
    extra_config: dict[str, Any] | None = None,
    extra_tensors: dict[str, Tensor] | None = None,
) -> Path:
    """Write ``config.json`` and ``model.safetensors`` into ``folder`` (created if needed).

    A tokenizer other than GPT-2's is saved beside them, so the folder is self-contained, and
    ``config.json`` names the file it came from (``scratchgpt_tokenizer_source``), so that a
    copy of the folder that lost it can say where to find it again. ``extra_config`` and
    ``extra_tensors`` add to the files what a model built on the GPT has (a classifier's
    labels and head).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    eot = tokenizer.eot_token if tokenizer is not None else None
    config = config_to_hf(model.config, eot_token=eot)
    config["torch_dtype"] = str(model.transformer.wte.weight.dtype).removeprefix("torch.")
    own = None if isinstance(tokenizer, GPT2Tokenizer) else tokenizer
    if own is not None and own.source:
        config[SOURCE_KEY] = own.source
    config.update(extra_config or {})
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    tensors = {k: v.cpu() for k, v in state_dict_to_hf(model).items()}
    tensors.update({k: v.detach().cpu().contiguous() for k, v in (extra_tensors or {}).items()})
    weights_path = folder / WEIGHTS_FILE
    save_file(tensors, str(weights_path), metadata={"format": "pt"})
    follow_umask(weights_path)
    if own is not None:
        own.save(folder)
    return folder


def follow_umask(path: Path) -> None:
    """Give a file the mode the umask gives new files: safetensors writes 0600."""
    mask = os.umask(0o022)  # reading the umask means setting it; it is set straight back
    os.umask(mask)
    path.chmod(0o666 & ~mask)


def resolve_model_dir(path: str | os.PathLike[str]) -> Path:
    """The model folder ``path`` names: itself, or for a run folder its ``latest``.

    Anything else is a ``FileNotFoundError`` that says what the folder is and what would do.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model folder not found: {path}")
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is a file; a model is a folder with {CONFIG_FILE}")
    if (path / CONFIG_FILE).is_file():
        return path
    if (path / "latest" / CONFIG_FILE).is_file():
        return path / "latest"
    if (path / "config.toml").is_file():
        raise FileNotFoundError(f"{path} is a run folder without a checkpoint yet (no latest)")
    raise FileNotFoundError(
        f"{path} has no {CONFIG_FILE}: neither a model folder nor a run folder with a latest"
    )


def read_config(folder: str | os.PathLike[str]) -> GPTConfig:
    """The ``GPTConfig`` of a model folder, with a clear error when it is missing or bad."""
    path = resolve_model_dir(folder) / CONFIG_FILE
    try:
        return config_from_hf(json.loads(path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON: {e}") from None
    except (KeyError, TypeError) as e:
        raise ValueError(f"{path} lacks a GPT-2 setting: {e}") from None


def read_tensors(
    folder: str | os.PathLike[str], device: torch.device | str | None = None
) -> dict[str, Tensor]:
    """The tensors of a folder's ``model.safetensors``, with a clear error when unreadable."""
    path = resolve_model_dir(folder) / WEIGHTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{folder} has no {WEIGHTS_FILE}")
    try:
        return load_file(str(path), device=str(device or "cpu"))
    except SafetensorError as e:
        raise ValueError(f"{path} is not a readable safetensors file: {e}") from None


def load_pretrained(
    folder: str | os.PathLike[str],
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> GPT:
    """Load a model saved by ``save_pretrained`` or published in GPT-2's HF layout (or the
    ``latest`` model of a run folder).

    The model is built on the ``meta`` device and takes the file's tensors as they are, so
    no time goes into a random initialisation that would be overwritten. It is returned in
    eval mode.
    """
    config = read_config(folder)
    state = state_dict_from_hf(read_tensors(folder, device), config)
    model = meta_model(config)
    model.load_state_dict(state, assign=True)
    model.tie_weights()
    if dtype is not None:
        model.to(dtype=dtype)
    return model.eval()
