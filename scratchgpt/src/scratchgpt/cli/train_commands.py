"""Commands that make data and train: prepare, train."""

COMMANDS: list = []
