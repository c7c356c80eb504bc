"""Commands that use a model or tokenizer: generate, attention, tokenize, train-tokenizer."""

from __future__ import annotations

import time
from pathlib import Path

import click
import torch

from scratchgpt.classify import is_classifier
from scratchgpt.distributed import pick_device
from scratchgpt.generation import stream, stream_text
from scratchgpt.hub import resolve_model
from scratchgpt.instruct import respond
from scratchgpt.messages import count, warn
from scratchgpt.model import GPT
from scratchgpt.tokenizer import BPETokenizer, Tokenizer, load_tokenizer, load_tokenizer_for_model
from scratchgpt.weights import load_pretrained, read_config, resolve_model_dir

MODEL_ARG = click.argument("model")
VIEW_WARN_BYTES = 20 * 2**20  # an attention view larger than this is slow in a browser


def load_model(spec: str, device: str = "cpu") -> tuple[GPT, Tokenizer]:
    """Model and tokenizer of a model folder (a run folder: its latest) or a hub id, with
    problems as one-line errors."""
    try:
        model_dir = resolve_model_dir(resolve_model(spec))
        read_config(model_dir)  # a bad config.json is said first
        if is_classifier(model_dir):
            raise click.ClickException(
                f"{spec} is a text classifier, not a text generator; "
                f"classify texts with: scratchgpt classify {spec} TEXT..."
            )
        tokenizer = load_tokenizer_for_model(model_dir)
        model = load_pretrained(model_dir, device=pick_device(device))
    except (OSError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    return model, tokenizer


def _tokenizer(spec: str) -> Tokenizer:
    try:
        return load_tokenizer(spec)
    except (OSError, ValueError) as e:
        raise click.ClickException(str(e)) from None


@click.command(short_help="Continue a prompt with a trained or published model.")
@MODEL_ARG
@click.option("--prompt", "-p", default="", help="Text to continue (empty: start a new text).")
@click.option(
    "--instruction",
    "-i",
    help="Ask an instruction-tuned model: print only its response (Alpaca prompt).",
)
@click.option("--input", "input_text", default="", help="The instruction's input, if any.")
@click.option(
    "--max-new-tokens",
    "-n",
    default=100,
    show_default=True,
    type=click.IntRange(0),
    help="Stop after this many new tokens (or earlier, at end-of-text).",
)
@click.option(
    "--temperature",
    "-t",
    default=0.8,
    show_default=True,
    type=click.FloatRange(0),
    help="0 is greedy; higher is more random.",
)
@click.option("--top-k", type=click.IntRange(1), help="Sample only from the k likeliest tokens.")
@click.option(
    "--top-p",
    type=click.FloatRange(0, 1, min_open=True),
    help="Sample only from the likeliest tokens whose probabilities add up to P (nucleus).",
)
@click.option("--seed", type=int, help="Seed for reproducible sampling.")
@click.option("--no-cache", is_flag=True, help="Recompute every position each step (slower).")
@click.option("--device", default="auto", show_default=True, help="cpu, cuda, mps or auto.")
def generate(
    model: str,
    prompt: str,
    instruction: str | None,
    input_text: str,
    max_new_tokens: int,
    temperature: float,
    top_k: int | None,
    top_p: float | None,
    seed: int | None,
    no_cache: bool,
    device: str,
) -> None:
    """Continue --prompt with the model in folder MODEL, streaming the text as it comes.

    MODEL is a folder in HuggingFace's GPT-2 layout (config.json + model.safetensors), as
    written by `scratchgpt train` (RUN_DIR/latest; a run folder means its latest) or
    published for GPT-2, or a hub id (gpt2, found in Hugging Face's cache; see `scratchgpt
    download`). The tokenizer saved beside the model is used; a folder without one must
    have GPT-2's vocabulary. Generation stops at end-of-text or after --max-new-tokens.
    With --instruction (a model from `scratchgpt finetune instruct`), the prompt is the
    Alpaca format's and only the response is printed.

    \b
    Examples:
      scratchgpt generate runs/blog/latest --prompt "The attention" --seed 1
      scratchgpt generate gpt2/ -p "Hello, I'm a language model," -t 0 -n 40
      scratchgpt generate runs/inst/latest --instruction "Rewrite in passive voice." \\
          --input "The cat chased the mouse." -t 0
    """
    gpt, tokenizer = load_model(model, device)
    dev = gpt.transformer.wte.weight.device
    if input_text and instruction is None:
        raise click.UsageError("--input is the input of an --instruction: give --instruction too")
    if instruction is not None:
        if prompt:
            raise click.UsageError("give --prompt or --instruction, not both")
        generator = torch.Generator(dev).manual_seed(seed) if seed is not None else None
        for piece in respond(
            gpt,
            tokenizer,
            instruction,
            input_text,
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            generator=generator,
        ):
            click.echo(piece, nl=False)
        click.echo()
        return
    prompt_ids = tokenizer.encode(prompt) or [tokenizer.eot_token]
    _say_what_generation_ignores(gpt, prompt_ids, max_new_tokens, temperature, top_k, top_p, seed)
    generator = torch.Generator(dev).manual_seed(seed) if seed is not None else None
    click.echo(prompt, nl=False)
    tokens = stream(
        gpt,
        torch.tensor([prompt_ids], device=dev),
        max_new_tokens,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        eos_token=tokenizer.eot_token,
        use_cache=not no_cache,
        generator=generator,
    )
    for piece in stream_text(tokens, tokenizer.decode, tokenizer.eot_token):
        click.echo(piece, nl=False)
    click.echo()


def _say_what_generation_ignores(
    gpt: GPT,
    prompt_ids: list[int],
    max_new_tokens: int,
    temperature: float,
    top_k: int | None,
    top_p: float | None,
    seed: int | None,
) -> None:
    """A warning for each crop, and for each option that the others make meaningless."""
    context = gpt.config.context_length
    if len(prompt_ids) > context:
        warn(
            f"the prompt is {count(len(prompt_ids), 'token')}, longer than the model's context "
            f"of {context}: the model sees only its last {context}"
        )
    elif len(prompt_ids) + max_new_tokens > context:
        warn(
            f"the prompt and {count(max_new_tokens, 'new token')} exceed the model's context of "
            f"{context}: past it, each new token sees only the last {context}"
        )
    if temperature == 0:
        given = {"--top-k": top_k, "--top-p": top_p, "--seed": seed}
        ignored = [name for name, value in given.items() if value is not None]
        if ignored:
            warn(f"{' and '.join(ignored)} ignored: --temperature 0 is greedy decoding")
    elif top_k is not None and top_k >= gpt.config.vocab_size:
        warn(f"--top-k {top_k} keeps every token of the {gpt.config.vocab_size}-token vocabulary")


@click.command(short_help="Draw a model's attention weights on a text: heatmaps or a view.")
@MODEL_ARG
@click.argument("text")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="PNG file of heatmaps to write (attention.png when neither --html nor --json).",
)
@click.option(
    "--html",
    type=click.Path(path_type=Path),
    help="Interactive view to write: one self-contained HTML file, opened offline.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path),
    help="The view's data alone (what a foldpress post's attention shortcode reads).",
)
@click.option("--layer", "-l", "layers", type=int, multiple=True, help="Only this layer (repeat).")
@click.option(
    "--dropout",
    type=click.FloatRange(0, 1, max_open=True),
    help="The p the view's dropout panel starts from [default: the model's attention dropout].",
)
def attention(
    model: str,
    text: str,
    output: Path | None,
    html: Path | None,
    json_path: Path | None,
    layers: tuple[int, ...],
    dropout: float | None,
) -> None:
    """Draw the attention weights of MODEL on TEXT, per layer and head.

    As heatmaps in a PNG (-o): each heatmap's rows are the tokens attending (queries) and
    its columns the tokens attended to (keys); the blank upper triangle is the causal mask.
    As an interactive view (--html): one HTML file that needs no network or server, with
    the weights rounded to thousandths. Hover or focus a token to see the lines to the
    tokens it attends to, for one or several heads; see every layer and head at once; see
    the causal mask, and dropout as in training. --json writes the view's data alone, for a
    post's {{< attention src="FILE.json" >}}.

    \b
    Examples:
      scratchgpt attention runs/blog/latest "the fat cat sat on the mat" -o attention.png
      scratchgpt attention gpt2 "The cat sat on the mat because it was tired" --html view.html
      scratchgpt attention runs/blog/latest "the cat" --json cat.json -o cat.png
    """
    # Imported here: matplotlib is slow to import and only this command needs it.
    from scratchgpt import attention_view
    from scratchgpt.visualize import attention_weights, plot_attention

    if output is None and html is None and json_path is None:
        output = Path("attention.png")
    targets = {
        "--output": (output, "a PNG"),
        "--html": (html, "an HTML"),
        "--json": (json_path, "a JSON"),
    }
    for option, (path, kind) in targets.items():
        if path is not None and path.is_dir():
            raise click.ClickException(f"{option} {path} is a folder; name {kind} file to write")
    if output is not None and not output.suffix:
        output = output.with_suffix(".png")
    gpt, tokenizer = load_model(model, "cpu")
    ids = tokenizer.encode(text)
    if not ids:
        raise click.ClickException("TEXT is empty")
    context = gpt.config.context_length
    if len(ids) > context:
        warn(
            f"TEXT is {count(len(ids), 'token')}, longer than the model's context of {context}: "
            f"drawing its first {context}"
        )
        ids = ids[:context]
    bad = [n for n in layers if not 0 <= n < gpt.config.n_layer]
    if bad:
        raise click.ClickException(
            f"--layer {bad[0]}: the model has layers 0..{gpt.config.n_layer - 1}"
        )
    weights = attention_weights(gpt, torch.tensor(ids))
    pieces = [tokenizer.decode([i]) for i in ids]
    drawn = f"{count(len(ids), 'token')}, {count(len(set(layers)) or gpt.config.n_layer, 'layer')}"
    if output is not None:
        path = plot_attention(weights, pieces, output, layers=layers or None)
        click.echo(f"wrote {path} ({drawn})")
    if html is None and json_path is None:
        return
    data = attention_view.view_data(
        weights,
        pieces,
        layers=layers or None,
        dropout=gpt.config.attn_dropout if dropout is None else dropout,
        model=model,
        text=text,
    )
    for path, write in ((json_path, attention_view.write_json), (html, attention_view.write_html)):
        if path is not None:
            try:
                written = write(data, path)
            except OSError as e:
                raise click.ClickException(f"cannot write {path}: {e.strerror}") from None
            size = written.stat().st_size
            click.echo(f"wrote {written} ({drawn}, {size / 1024:,.0f} KiB)")
            if size > VIEW_WARN_BYTES:
                warn(
                    f"{written} is {size / 2**20:,.0f} MiB: a browser opens it slowly; a "
                    "shorter TEXT or fewer --layer makes it smaller (it grows as tokens squared)"
                )


@click.command(short_help="Show how a tokenizer splits a text.")
@click.argument("text")
@click.option(
    "--tokenizer",
    "spec",
    default="gpt2",
    show_default=True,
    help="'gpt2', a tokenizer file, or a model, run or data folder.",
)
def tokenize(text: str, spec: str) -> None:
    """Show the token ids of TEXT and the piece of text each stands for."""
    tokenizer = _tokenizer(spec)
    ids = tokenizer.encode(text)
    click.echo(f"{count(len(ids), 'token')} ({tokenizer.name}, vocabulary {tokenizer.vocab_size})")
    click.echo(f"ids:    {ids}")
    click.echo(f"pieces: {[tokenizer.decode([i]) for i in ids]}")


@click.command("train-tokenizer", short_help="Learn a byte-level BPE tokenizer from texts.")
@click.argument("corpus", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--output", "-o", required=True, type=click.Path(path_type=Path), help="JSON file to write."
)
@click.option(
    "--vocab-size",
    default=2048,
    show_default=True,
    type=click.IntRange(257),
    help="Tokens in all: 256 bytes, the learned merges, and <|endoftext|>.",
)
def train_tokenizer(corpus: tuple[Path, ...], output: Path, vocab_size: int) -> None:
    """Learn a byte-level BPE tokenizer from CORPUS files or folders and save it as JSON.

    CORPUS is read as `scratchgpt prepare` reads its inputs: folders are searched
    recursively for .md and .txt files, Markdown loses its YAML front matter, and each
    document is separated from the next by <|endoftext|>. Use the file with
    `scratchgpt tokenize --tokenizer FILE` or `scratchgpt prepare --tokenizer FILE`.

    \b
    Example:
      scratchgpt train-tokenizer posts/ -o blog-tokenizer.json --vocab-size 1024
    """
    from scratchgpt import data

    if output.is_dir():
        raise click.ClickException(f"--output {output} is a folder; name a JSON file to write")
    try:
        files = data.find_documents(corpus)
        text = data.read_corpus(files)
    except data.DataError as e:
        raise click.ClickException(str(e)) from None
    start = time.perf_counter()
    tokenizer = train_bpe(text, vocab_size)
    seconds = time.perf_counter() - start
    try:
        tokenizer.save_file(output)
    except OSError as e:
        raise click.ClickException(f"cannot write {output}: {e.strerror}") from None
    ratio = len(text.encode()) / max(1, len(tokenizer.encode(text)))
    click.echo(
        f"wrote {output}: vocabulary {tokenizer.vocab_size} from {count(len(files), 'file')}, "
        f"{len(text):,} characters in {seconds:.1f}s; {ratio:.2f} bytes per token"
    )


def train_bpe(text: str, vocab_size: int) -> BPETokenizer:
    """``BPETokenizer.train``, with a warning when the text runs out of pairs to merge."""
    if not text.strip():
        raise click.ClickException("the documents hold no text to learn a tokenizer from")
    tokenizer = BPETokenizer.train(text, vocab_size)
    if tokenizer.vocab_size < vocab_size:
        warn(
            f"the text ran out of pairs to merge: vocabulary {tokenizer.vocab_size}, not "
            f"{vocab_size} (more text gives more)"
        )
    return tokenizer


COMMANDS: list[click.Command] = [generate, attention, tokenize, train_tokenizer]
