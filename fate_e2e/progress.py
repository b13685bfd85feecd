"""One progress line per wait: what, elapsed, timeout.

On a TTY the line updates in place; elsewhere (CI logs) it prints a start line,
a heartbeat every ``heartbeat`` seconds and an end line, never carriage returns.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO


class _Sink:
    """Where progress lines go when something (the pytest plugin) redirects them."""

    write: Callable[[str], None] | None = None
    tty: bool = False


def set_sink(write: Callable[[str], None] | None, *, tty: bool = False) -> None:
    """Send progress lines to ``write`` (e.g. around pytest's output capture); None resets."""
    _Sink.write, _Sink.tty = write, tty


class _SinkStream:
    """A minimal TextIO-like adapter over the sink function."""

    def __init__(self, write: Callable[[str], None], tty: bool) -> None:
        self._write, self._tty = write, tty

    def write(self, text: str) -> int:
        self._write(text)
        return len(text)

    def flush(self) -> None:
        """Writes are flushed by the sink."""

    def isatty(self) -> bool:
        return self._tty


def _stream() -> TextIO:
    if _Sink.write is not None:
        return _SinkStream(_Sink.write, _Sink.tty)  # type: ignore[return-value]
    return sys.__stderr__ or sys.stderr


def _fmt(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Progress:
    """A single wait's progress line; ``note`` sets the latest observation."""

    def __init__(self, what: str, timeout: float | None, stream: TextIO, tty: bool,
                 heartbeat: float) -> None:
        self.what = what
        self.timeout = timeout
        self.stream = stream
        self.tty = tty
        self.heartbeat = heartbeat
        self.started = time.monotonic()
        self.detail = ""
        self._stop = threading.Event()
        self._lock = threading.Lock()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def note(self, detail: str) -> None:
        """Record what the wait saw last (shown on the next refresh)."""
        self.detail = detail.replace("\n", " ")[:120]

    def line(self) -> str:
        limit = f"/{_fmt(self.timeout)}" if self.timeout else ""
        detail = f" - {self.detail}" if self.detail else ""
        return f"[fate-e2e] {self.what}: {_fmt(self.elapsed)}{limit}{detail}"

    def _write(self, text: str, final: bool = False) -> None:
        with self._lock:
            if self.tty:
                self.stream.write("\r\x1b[2K" + text + ("\n" if final else ""))
            else:
                self.stream.write(text + "\n")
            self.stream.flush()

    def _run(self) -> None:
        interval = 1.0 if self.tty else self.heartbeat
        while not self._stop.wait(interval):
            self._write(self.line())

    def start(self) -> None:
        if not self.tty:
            self._write(f"[fate-e2e] {self.what}: started"
                        + (f" (timeout {_fmt(self.timeout)})" if self.timeout else ""))
        threading.Thread(target=self._run, daemon=True).start()

    def finish(self, outcome: str) -> None:
        self._stop.set()
        self._write(f"{self.line()} [{outcome}]", final=True)


@contextmanager
def progress(what: str, timeout: float | None = None, *, stream: TextIO | None = None,
             heartbeat: float = 30.0) -> Iterator[Progress]:
    """Show progress for a wait or a long command until the block ends."""
    out = stream or _stream()
    tty = bool(getattr(out, "isatty", lambda: False)())
    prog = Progress(what, timeout, out, tty, heartbeat)
    prog.start()
    try:
        yield prog
    except BaseException:
        prog.finish("failed")
        raise
    prog.finish("done")
