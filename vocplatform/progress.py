"""Terminal progress bars for management commands (every long job shows progress)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, cast

from django.core.management.base import OutputWrapper
from tqdm import tqdm

Progress = Callable[[int, int], None]


@contextmanager
def progress_bar(stream: OutputWrapper, *, desc: str, unit: str, verbosity: int = 1) -> Iterator[Progress]:
    """Yield a `progress(done, total)` callback drawing a bar on the command's stderr."""
    with tqdm(desc=desc, unit=unit, file=cast(IO[str], stream._out), disable=verbosity == 0) as bar:

        def update(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        yield update
