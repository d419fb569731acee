"""Emulated boards for device tests: the host tools' own board support (QEMU running the
project's firmware with its serial line on a pty, driven with mpremote)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tinyml_tools.boards.devices import EMULATED, emulated

BOARDS = EMULATED


@contextmanager
def board(name: str, stock: bool = False) -> Iterator[str]:
    """Boot the board (tinyml firmware, or stock firmware without tinyml); yield its port."""
    with emulated(name, stock=stock) as dev:
        yield dev.port


def mpremote(port: str, *args: str) -> str:
    from tinyml_tools.boards.devices import Device

    return Device(port).mpremote(*args)


def send_bytes(port: str, name: str, data: bytes) -> None:
    from tinyml_tools.boards.devices import Device

    Device(port).send(name, data)
