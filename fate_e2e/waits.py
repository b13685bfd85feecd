"""Every wait in fate-e2e: tenacity-driven, timed, visible, diagnosable."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

from fate_e2e.errors import InfraError
from fate_e2e.progress import progress
from fate_e2e.timing import cluster_time

T = TypeVar("T")


class NotYet(Exception):
    """Raised by a probe that is not satisfied yet; its message is what it saw."""


class WaitTimeout(InfraError):
    """A wait ran out of time; ``seen`` is the probe's last observation."""

    def __init__(self, what: str, timeout: float, seen: str) -> None:
        self.what = what
        self.timeout = timeout
        self.seen = seen
        super().__init__(f"timed out after {timeout:.0f}s waiting for {what}; last seen: {seen}")


def wait_until(what: str, probe: Callable[[], T], *, timeout: float, interval: float = 2.0,
               on_timeout: Callable[[WaitTimeout], None] | None = None,
               error: Callable[[WaitTimeout], BaseException] | None = None) -> T:
    """Call ``probe`` until it returns (instead of raising NotYet) or ``timeout`` passes.

    On timeout ``on_timeout`` gets the chance to attach diagnostics, then ``error``
    (default: the WaitTimeout itself) is raised.
    """
    last = {"seen": "nothing yet"}
    with cluster_time("wait"), progress(f"waiting for {what}", timeout) as prog:

        def _note(state: object) -> None:
            outcome = getattr(state, "outcome", None)
            if outcome is not None and outcome.failed:
                last["seen"] = str(outcome.exception())
                prog.note(last["seen"])

        retrying = Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(interval),
                            retry=retry_if_exception_type(NotYet), after=_note, reraise=False)
        try:
            return retrying(probe)
        except RetryError:
            exc = WaitTimeout(what, timeout, last["seen"])
            if on_timeout is not None:
                on_timeout(exc)
            raise (error(exc) if error else exc) from None
