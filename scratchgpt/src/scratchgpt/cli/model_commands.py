"""Commands that use a model or tokenizer: generate, attention, tokenize, train-tokenizer."""

COMMANDS: list = []
