"""The ``scratchgpt`` command: one group, its commands in a module per topic."""

import click

from scratchgpt.cli import finetune_commands, model_commands, train_commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="scratchgpt")
def main() -> None:
    """A GPT-2-style language model built from scratch in PyTorch."""


for _command in (
    *model_commands.COMMANDS,
    *train_commands.COMMANDS,
    *finetune_commands.COMMANDS,
):
    main.add_command(_command)
