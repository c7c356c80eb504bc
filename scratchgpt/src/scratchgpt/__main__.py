"""``python -m scratchgpt``; torchrun starts it this way: ``torchrun -m scratchgpt train``."""

from scratchgpt.cli import main

if __name__ == "__main__":
    main()
