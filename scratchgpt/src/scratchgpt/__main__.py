"""``python -m scratchgpt``, which is also how torchrun starts it: ``torchrun -m scratchgpt train``."""

from scratchgpt.cli import main

if __name__ == "__main__":
    main()
