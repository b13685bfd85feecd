"""Step dispatch: each step kind has one handler; every step runs with a timeout."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any

from fate_e2e.errors import InfraError
from fate_e2e.run.context import RunContext
from fate_e2e.scenario.schema import Step

Handler = Callable[[RunContext, Any, float], None]

_HANDLERS: dict[str, Handler] = {}
# Modules whose import registers handlers (kept lazy: they pull in heavier deps).
_HANDLER_MODULES = ("fate_e2e.run.basic_steps", "fate_e2e.checks.steps", "fate_e2e.chaos.steps")

DEFAULT_TIMEOUTS = {
    "toy": 600.0,
    "podKill": 1200.0,
    "scale": 1800.0,
    "upgrade": 2400.0,
    "wait": 600.0,
    "exec": 300.0,
    "assert": 900.0,
}


def handles(kind: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of step ``kind``."""

    def register(func: Handler) -> Handler:
        _HANDLERS[kind] = func
        return func

    return register


def handler_for(kind: str) -> Handler:
    """The handler of ``kind``; InfraError when this build has none."""
    if not _HANDLERS:
        for name in _HANDLER_MODULES:
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise InfraError(f"step kind {kind!r} has no handler in this build") from None


def step_timeout(ctx: RunContext, step: Step) -> float:
    """The step's own timeout, else the default of its kind (deploy: fate.timeout)."""
    if step.timeout is not None:
        return step.timeout
    if step.kind == "deploy":
        return ctx.scenario.fate.timeout
    return DEFAULT_TIMEOUTS[step.kind]


def execute_step(ctx: RunContext, step: Step) -> float:
    """Run one step through its handler; return how long it took."""
    handler = handler_for(step.kind)
    started = time.monotonic()
    handler(ctx, step.args, step_timeout(ctx, step))
    return time.monotonic() - started
