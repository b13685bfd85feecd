"""A toy job running in the background, so a fault can strike while it runs."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from fate_e2e.checks.flow_cli import FlowCli
from fate_e2e.checks.toy_output import parse_job_query
from fate_e2e.run.context import RunContext
from fate_e2e.timing import cluster_time
from fate_e2e.waits import NotYet, wait_until

if TYPE_CHECKING:
    from fate_e2e.checks.toy import ToyResult


class BackgroundToy:
    """Starts the toy in a thread and tells when its job is running on the guest."""

    def __init__(self, ctx: RunContext, guest: int, host: int, timeout: float) -> None:
        self.ctx = ctx
        self.guest = guest
        self.host = host
        self.timeout = timeout
        self.result: ToyResult | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from fate_e2e.checks.toy import run_toy

        try:
            self.result = run_toy(self.ctx, guest=self.guest, host=self.host,
                                  timeout=self.timeout)
        except BaseException as exc:  # reported by join()
            self.error = exc

    def _running_jobs(self) -> set[str]:
        cli = FlowCli(self.ctx.kube, self.ctx.party(self.guest))
        _, _, jobs = parse_job_query(cli.flow("job query -r guest -s running"))
        return {j.job_id for j in jobs if j.job_id}

    def start_and_wait_running(self, timeout: float = 180.0) -> str:
        """Start the toy; return the id of its job once the guest reports it running."""
        before = self._running_jobs()
        self._thread.start()

        def _running() -> str:
            fresh = self._running_jobs() - before
            if not fresh:
                if not self.is_running():
                    raise RuntimeError("the toy ended before its job was seen running")
                raise NotYet("toy job not running yet")
            return sorted(fresh)[-1]

        return wait_until(f"the toy job {self.guest}->{self.host} to be running", _running,
                          timeout=timeout, interval=1.0)

    def is_running(self) -> bool:
        """Whether the toy command has not returned yet."""
        return self._thread.is_alive()

    def join(self) -> ToyResult:
        """Wait for the toy to end; return its verdict (re-raise a harness error)."""
        with cluster_time("wait"):
            self._thread.join(self.timeout + 60)
        if self.error is not None:
            raise self.error
        if self.result is None:
            raise RuntimeError("the background toy did not finish")
        return self.result
