"""What a long-running command is doing, shown while it does it (issue 17), on stderr: a
progress bar for work of known size (bytes copied to a board, samples run, a benchmark's steps,
files written into an image) and a spinner row for a step of unknown length (booting a board).
Rows stack in one live display and go away when their work ends. The CLI enables it when stderr
is a terminal; otherwise (pipes, tests, scripts) every call is a no-op, so output that is parsed
stays clean."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.filesize import decimal
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

_console: Console | None = None
_live: Progress | None = None


class _Amount(ProgressColumn):
    """How much is done of how much: "12.3/30.1 kB" for bytes, "3/10 samples" otherwise;
    nothing for a step of unknown length."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("")
        unit = task.fields.get("unit", "")
        if unit == "B":
            done, total = decimal(int(task.completed)), decimal(int(task.total))
            return Text(f"{done.split()[0]}/{total}", style="progress.download")
        tail = f" {unit}" if unit else ""
        return Text(f"{int(task.completed)}/{int(task.total)}{tail}", style="progress.download")


class _Remaining(TimeRemainingColumn):
    """Time left for work of known size; time spent for a step of unknown length."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return TimeElapsedColumn().render(task)
        return super().render(task)


def enable(console: Console | None = None) -> None:
    """Show progress on `console`, or on stderr if it is a terminal."""
    global _console
    _console = console or (Console(stderr=True) if sys.stderr.isatty() else None)


def disable() -> None:
    global _console, _live
    if _live is not None:
        _live.stop()
    _console = _live = None


@contextmanager
def _row(description: str, total: float | None, unit: str) -> Iterator[tuple[Progress, TaskID]]:
    """A row in the live display for the duration of the block (the display starts with its
    first row and stops with its last)."""
    global _live
    assert _console is not None
    if _live is None:
        _live = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                         _Amount(), _Remaining(), console=_console, transient=True)
        _live.start()
    live = _live
    task = live.add_task(description, total=total, unit=unit)
    try:
        yield live, task
    finally:
        live.remove_task(task)
        if not live.tasks:
            live.stop()
            _live = None


@contextmanager
def step(message: str) -> Iterator[None]:
    """A spinner row with `message` and the time spent, for a step of unknown length."""
    if _console is None:
        yield
        return
    with _row(message, None, ""):
        yield


@contextmanager
def progress(description: str, total: float,
             unit: str = "") -> Iterator[Callable[..., None]]:
    """A progress bar for work of known size (`unit`: "B" shows bytes); yields advance(n=1,
    description=None), which moves the bar on by n and may rename the row."""
    if _console is None:
        yield lambda n=1, description=None: None
        return
    with _row(description, total, unit) as (live, task):

        def advance(n: float = 1, description: str | None = None) -> None:
            if description is None:
                live.update(task, advance=n)
            else:
                live.update(task, advance=n, description=description)

        yield advance
        live.refresh()  # the row as it ends (the display redraws only ten times a second)
