"""The runtime wrapper's Go tests (capability filtering, flag parsing)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import fate_e2e.lab

SRC = Path(fate_e2e.lab.__file__).parent / "runcwrap"


@pytest.mark.skipif(shutil.which("go") is None, reason="needs the Go toolchain")
def test_runcwrap_go_tests_pass() -> None:
    result = subprocess.run(["go", "test", "./..."], cwd=SRC, capture_output=True, text=True,
                            env={**os.environ, "CGO_ENABLED": "0",
                                 "GOFLAGS": "-buildvcs=false"}, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
