"""LoRA: frozen base weights, trainable adapters only, merging, and PEFT's adapter format."""

import pytest
import torch

from scratchgpt import lora
from scratchgpt.classify import GPTClassifier, save_classifier
from scratchgpt.model import GPT, GPTConfig
from scratchgpt.weights import save_pretrained

transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")


def _train_a_little(model: torch.nn.Module, steps: int = 3) -> None:
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-2)
    idx = torch.randint(0, 512, (4, 16), generator=torch.Generator().manual_seed(1))
    for _ in range(steps):
        _, loss = model(idx, idx)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()


def test_lora_trains_only_the_adapters_and_leaves_the_base_byte_identical():
    torch.manual_seed(0)
    model = GPT(GPTConfig.from_preset("test"))
    base = {name: p.detach().clone() for name, p in model.named_parameters()}
    wrapped = lora.add_lora(model, rank=4, alpha=8, targets=("c_attn", "c_fc"))
    assert wrapped == [
        f"transformer.h.{i}.{m}" for i in (0, 1) for m in ("attn.c_attn", "mlp.c_fc")
    ]
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.endswith(("lora_A", "lora_B")) for n in trainable)
    _train_a_little(model)
    for name, param in model.named_parameters():
        if not param.requires_grad:
            original = base[name.replace(".base.", ".")]
            assert param.dtype == original.dtype and torch.equal(param, original), name
    assert any(m.lora_B.abs().sum() > 0 for m in lora.lora_modules(model).values())


def test_merged_model_equals_the_model_with_adapters():
    torch.manual_seed(1)
    model = GPT(GPTConfig.from_preset("test"))
    lora.add_lora(model, rank=2)
    _train_a_little(model)
    merged = lora.merge_lora(model)
    assert not lora.lora_modules(merged)
    idx = torch.randint(0, 512, (2, 20))
    with torch.no_grad():
        torch.testing.assert_close(merged(idx)[0], model(idx)[0], atol=1e-5, rtol=0)


def test_adapter_loads_in_peft_on_the_base_and_gives_the_merged_logits(tmp_path):
    torch.manual_seed(2)
    model = GPT(GPTConfig.from_preset("test"))
    save_pretrained(model, tmp_path / "base")
    lora.add_lora(model, rank=4, alpha=16)
    _train_a_little(model)
    save_pretrained(lora.merge_lora(model), tmp_path / "merged")
    lora.save_adapter(
        model, tmp_path / "merged" / "adapter", base_model=str(tmp_path / "base"),
        task_type="CAUSAL_LM",
    )  # fmt: skip
    hf_base = transformers.GPT2LMHeadModel.from_pretrained(tmp_path / "base")
    with_adapter = peft.PeftModel.from_pretrained(hf_base, tmp_path / "merged" / "adapter").eval()
    hf_merged = transformers.GPT2LMHeadModel.from_pretrained(tmp_path / "merged").eval()
    idx = torch.randint(0, 512, (3, 24))
    with torch.no_grad():
        expected = model.eval()(idx)[0]
        torch.testing.assert_close(with_adapter(idx).logits, expected, atol=1e-4, rtol=0)
        torch.testing.assert_close(hf_merged(idx).logits, expected, atol=1e-4, rtol=0)


def test_classifier_adapter_loads_in_peft_with_its_head(tmp_path):
    torch.manual_seed(3)
    gpt = GPT(GPTConfig.from_preset("test"))
    save_pretrained(gpt, tmp_path / "base")
    model = GPTClassifier(gpt, ["ham", "spam"], pad_token_id=0)
    lora.add_lora(model, rank=2, targets=("c_attn",))
    model.score.requires_grad_(True)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-2)
    idx = torch.randint(1, 512, (4, 12))
    for _ in range(3):
        _, loss = model(idx, torch.tensor([0, 1, 0, 1]))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    save_classifier(lora.merge_lora(model), tmp_path / "merged")
    lora.save_adapter(
        model, tmp_path / "merged" / "adapter", base_model=str(tmp_path / "base"),
        task_type="SEQ_CLS", rename={"gpt.": ""},
        modules_to_save={"score.weight": model.score.weight},
    )  # fmt: skip
    hf_base = transformers.GPT2ForSequenceClassification.from_pretrained(
        tmp_path / "base", num_labels=2, pad_token_id=0
    )
    with_adapter = peft.PeftModel.from_pretrained(hf_base, tmp_path / "merged" / "adapter").eval()
    hf_merged = transformers.GPT2ForSequenceClassification.from_pretrained(tmp_path / "merged")
    batch = torch.tensor([[5, 6, 7, 0, 0], [1, 2, 3, 4, 9]])
    with torch.no_grad():
        expected = model.eval()(batch)[0]
        torch.testing.assert_close(with_adapter(batch).logits, expected, atol=1e-4, rtol=0)
        torch.testing.assert_close(hf_merged.eval()(batch).logits, expected, atol=1e-4, rtol=0)


def test_unknown_targets_are_refused():
    with pytest.raises(ValueError, match="unknown LoRA target"):
        lora.add_lora(GPT(GPTConfig.from_preset("test")), rank=2, targets=("q_proj",))
