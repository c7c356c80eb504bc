"""Ctrl-C as a request to stop at the next step boundary, with a checkpoint."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any


class CtrlC:
    """While active, the first Ctrl-C (SIGINT) only sets ``pressed``; a second one
    interrupts at once, as usual.

    The training loop looks at ``pressed`` between steps, so a run stops with its model,
    optimizer and RNG states consistent, and can checkpoint them. Under torchrun, the
    launcher passes the signal on to every process. Python takes signals in its main thread
    only; elsewhere this does nothing.
    """

    def __init__(self, announce: bool = True) -> None:
        self.announce = announce
        self.pressed = False
        self._previous: Any = None

    def __enter__(self) -> CtrlC:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _handle(self, signum: int, frame: object) -> None:
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True
        if self.announce:  # os.write: print() is not safe inside a signal handler
            os.write(
                2, b"\nCtrl-C: stopping after this step, with a checkpoint (again: quit now)\n"
            )
