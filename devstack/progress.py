"""Progress lines for a start of the local stack: what is being done and how far it is, printed when
it changes step and at least every few seconds while a step runs, so a first start never looks hung."""

from __future__ import annotations

import threading
import time
from typing import Callable

EVERY_SECONDS = 4.0  # at most this long without a line (the promise is one every 5 s)


class Progress:
    """The current step (`what`, optionally `done`/`total` of a `unit`), printed with the seconds since
    the start. `update` prints at once when the step changes; a ticker thread prints the current
    step again whenever EVERY_SECONDS have passed without a line."""

    def __init__(self, out: Callable[[str], None] | None = None, every: float = EVERY_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.out = out or (lambda line: print(line, flush=True))
        self.every = every
        self.clock = clock
        self.started = clock()
        self.what = "starting"
        self.done: int | None = None
        self.total: int | None = None
        self.unit = ""
        self._last_line = self.started
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def line(self) -> str:
        text = self.what
        if self.done is not None and self.total:
            text += f": {self.done}/{self.total}" + (f" {self.unit}" if self.unit else "")
        return f"[{self.clock() - self.started:5.1f}s] {text}"

    def _emit(self) -> None:
        self.out(self.line())
        self._last_line = self.clock()

    def update(self, what: str, done: int | None = None, total: int | None = None, unit: str = "") -> None:
        with self._lock:
            changed = what != self.what
            self.what, self.done, self.total, self.unit = what, done, total, unit
            if changed or self.clock() - self._last_line >= self.every:
                self._emit()

    def say(self, text: str) -> None:
        """A line of its own (a result, a warning), which also counts as a progress line."""
        with self._lock:
            self.out(f"[{self.clock() - self.started:5.1f}s] {text}")
            self._last_line = self.clock()

    def tick(self) -> None:
        with self._lock:
            if self.clock() - self._last_line >= self.every:
                self._emit()

    def start(self) -> Progress:
        def run() -> None:
            while not self._stop.wait(0.25):
                self.tick()

        self._thread = threading.Thread(target=run, name="progress", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
