"""Run external commands with progress and the output tail on failure."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path

from fate_e2e.errors import CommandError
from fate_e2e.progress import progress

TAIL_LINES = 40


def run(cmd: Sequence[str | os.PathLike[str]], *, what: str | None = None,
        env: Mapping[str, str] | None = None, cwd: Path | None = None,
        input: bytes | None = None, timeout: float | None = None,
        log: Path | None = None, check: bool = True) -> str:
    """Run ``cmd``; return its combined output. Raise CommandError with the tail on failure.

    With ``what`` a progress line is shown; with ``log`` the full output is also written there.
    """
    argv = [os.fspath(c) for c in cmd]
    full_env = {**os.environ, **env} if env is not None else None
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    chunks: list[str] = []

    def _exec() -> int:
        with subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None else
                              subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env=full_env, cwd=cwd,
                              start_new_session=timeout is not None) as proc:
            if input is not None:
                stdin = proc.stdin
                assert stdin is not None

                def _feed() -> None:
                    try:
                        stdin.write(input)
                    except BrokenPipeError:
                        pass
                    finally:
                        stdin.close()

                threading.Thread(target=_feed, daemon=True).start()
            assert proc.stdout is not None
            logf = log.open("a", encoding="utf-8") if log else None
            timed_out = threading.Event()

            def _kill() -> None:
                timed_out.set()
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

            killer = threading.Timer(timeout, _kill) if timeout else None
            if killer:
                killer.start()
            try:
                for raw in proc.stdout:
                    text = raw.decode("utf-8", "replace")
                    chunks.append(text)
                    tail.append(text.rstrip("\n"))
                    if logf:
                        logf.write(text)
            except BaseException:
                # Ctrl-C/SIGTERM reached us, not necessarily the child: stop it before
                # teardown starts, so nothing keeps creating what teardown deletes.
                _stop(proc, own_group=timeout is not None)
                raise
            finally:
                if logf:
                    logf.close()
                if killer:
                    killer.cancel()
            rc = proc.wait()
            if timed_out.is_set():
                raise subprocess.TimeoutExpired(argv, timeout or 0)
            return rc

    try:
        if what:
            with progress(what, timeout):
                rc = _exec()
        else:
            rc = _exec()
    except subprocess.TimeoutExpired as exc:
        raise CommandError(argv, -1, "\n".join(tail) + f"\n(timed out after {timeout}s)") from exc
    except FileNotFoundError as exc:
        raise CommandError(argv, 127, f"{argv[0]}: not found") from exc
    if check and rc != 0:
        raise CommandError(argv, rc, "\n".join(tail))
    return "".join(chunks)


def _stop(proc: subprocess.Popen[bytes], *, own_group: bool, grace: float = 20.0) -> None:
    """Terminate a child (its process group when it has one), killing it after ``grace``."""
    def _signal(sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            if own_group:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)

    _signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _signal(signal.SIGKILL)
        proc.wait()
