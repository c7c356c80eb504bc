"""A GPT-2-style language model built from scratch in PyTorch."""
