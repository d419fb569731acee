"""What a long-running command is doing, shown while it does it (issue 17): a spinner with the
current step (booting a board, sending a blob, running the samples) on stderr. The CLI enables
it when stderr is a terminal; otherwise (pipes, tests, scripts) every call is a no-op, so output
that is parsed stays clean."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

_console: Console | None = None


def enable(console: Console | None = None) -> None:
    """Show steps on `console`, or on stderr if it is a terminal."""
    global _console
    _console = console or (Console(stderr=True) if sys.stderr.isatty() else None)


def disable() -> None:
    global _console
    _console = None


@contextmanager
def step(message: str) -> Iterator[None]:
    """A spinner with `message` for the duration of the block; nested steps replace it."""
    if _console is None:
        yield
        return
    with _console.status(message):
        yield
