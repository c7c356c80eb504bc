"""Models from the Hugging Face hub: ``gpt2``, ``openai-community/gpt2-medium``, ...

Only what a GPT-2 model folder needs is fetched (``config.json`` and safetensors weights;
never pickles) through ``huggingface_hub``, into its cache or a folder of your choice. A
MODEL argument that is not a local folder is taken as a hub id and resolved through the
cache; with ``HF_HUB_OFFLINE=1`` the cache alone is used, and a model already there needs
no network.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

FILES = ["config.json", "*.safetensors", "scratchgpt-tokenizer.json"]
_REPO_ID = re.compile(r"^[\w.-]+(/[\w.-]+)?$")


class HubError(OSError):
    """A model could not be found locally or fetched from the hub; says why in one line."""


def looks_like_repo_id(spec: str) -> bool:
    return bool(_REPO_ID.match(spec)) and not spec.startswith((".", "-"))


def download(repo_id: str, out: str | os.PathLike[str] | None = None) -> Path:
    """Fetch ``repo_id``'s config and safetensors weights; returns the model folder.

    The files go to Hugging Face's cache (``HF_HUB_CACHE``), where hub ids resolve, and
    the snapshot folder there is returned; with ``out``, plain copies of them go there
    too, and ``out`` is returned (from the cache alone when offline).
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        snapshot = snapshot_download(repo_id, allow_patterns=FILES)
    except LocalEntryNotFoundError:
        raise HubError(
            f"{repo_id}: not in the Hugging Face cache, and the hub cannot be reached "
            "(or HF_HUB_OFFLINE=1); download it where there is a network: "
            f"scratchgpt download {repo_id}"
        ) from None
    except (HfHubHTTPError, OSError, ValueError) as e:
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise HubError(f"{repo_id}: {first_line}") from None
    folder = Path(snapshot)
    if not any(folder.glob("*.safetensors")):
        raise HubError(f"{repo_id} has no safetensors weights (only those are read)")
    if out is None:
        return folder
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for file in folder.iterdir():
        shutil.copyfile(file, out / file.name)  # the blob, not the cache's link to it
    return out


def resolve_model(spec: str | os.PathLike[str]) -> Path:
    """A local model folder for ``spec``: the folder itself, or a hub id's cached snapshot.

    A name goes to the hub only when no such local path exists and it has the form of a hub
    id whose owner is not a local folder: a mistyped ``runs/rnu`` stays a (missing) path.
    """
    path = Path(spec)
    local_parent = len(path.parts) > 1 and path.parent.is_dir()
    if path.exists() or local_parent or not looks_like_repo_id(str(spec)):
        return path
    return download(str(spec))
