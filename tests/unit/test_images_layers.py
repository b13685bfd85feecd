"""Unit tests of layer helpers, smoke helpers and the images CLI (no daemon needed)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from fate_e2e.cli import build_parser
from fate_e2e.errors import CommandError, InfraError
from fate_e2e.images import layers, smoke
from fate_e2e.images.entry import run_flow


def test_report_facts_reads_only_fact_lines() -> None:
    out = ("Collecting x\nfate-e2e-fact venv_bytes 123456\nnoise fate-e2e-fact x 1\n"
           "fate-e2e-fact python 3.11.2\n")
    assert layers.report_facts(out) == {"venv_bytes": 123456, "python": "3.11.2"}


def test_container_names_are_docker_safe_and_carry_the_pid() -> None:
    name = layers.container_name("fate-e2e/fate-flow:2.2.0")
    assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+", name)
    assert name.startswith(layers.CONTAINER_PREFIX)
    assert f"-{os.getpid()}-" in name


class FakeDaemon:
    """Answers `docker ps` and `docker top` from canned text; records every call."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, ...]] = []

    def docker(self, *args: str, **_: Any) -> str:
        self.calls.append(args)
        return self.answers.get(args[0], "")


def test_stale_containers_of_dead_processes_are_removed() -> None:
    alive = f"{layers.CONTAINER_PREFIX}smoke-flow-{os.getpid()}-12"
    dead = f"{layers.CONTAINER_PREFIX}fate-e2e-fate-flow-2.2.0-999999999-34"
    daemon = FakeDaemon({"ps": f"{alive}\n{dead}\n"})
    assert layers.remove_stale_containers(daemon) == [dead]  # type: ignore[arg-type]
    assert ("rm", "-f", "-v", dead) in daemon.calls
    assert not any(alive in call for call in daemon.calls if call[0] == "rm")


SERVER = "/opt/fate/venv/lib/python3.11/site-packages/fate_flow/fate_flow_server.py"
TOP = f"""PID PPID UID CMD
4101 4080 0 /usr/bin/tini -- /opt/fate/bin/run-flow
4130 4101 1000 /opt/fate/venv/bin/python {SERVER}
4200 4130 1000 /opt/fate/venv/bin/python -m fate.components worker
"""


def test_foreground_process_is_the_child_of_tini() -> None:
    daemon = FakeDaemon({"top": TOP})
    main = smoke.foreground_process(daemon, "c")  # type: ignore[arg-type]
    assert main == f"1000: /opt/fate/venv/bin/python {SERVER}"


def test_foreground_process_without_tini_is_an_infra_error() -> None:
    daemon = FakeDaemon({"top": "PID PPID UID CMD\n1 0 0 sleep infinity\n"})
    with pytest.raises(InfraError, match="tini"):
        smoke.foreground_process(daemon, "c")  # type: ignore[arg-type]


def test_smoke_result_line() -> None:
    line = smoke.SmokeResult("img:1", True, 3.25, {"toy": "success"}).line()
    assert line == "img:1: ok in 3.2s (toy=success)"


@pytest.mark.parametrize("argv", [
    ["images", "build", "--fate-version", "2.2.0", "--fate-version", "2.1"],
    ["images", "verify", "--fate-version", "2.2.0", "--flow-only", "--spark"],
    ["images", "list", "--json"],
])
def test_cli_registers_images_commands(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert callable(args.func)
    if "--fate-version" in argv:
        assert args.fate_versions == [argv[i + 1] for i, a in enumerate(argv)
                                      if a == "--fate-version"]


def test_cli_build_requires_a_version() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["images", "build"])


@pytest.mark.skipif(os.getuid() != 0, reason="chown needs root")
def test_prepare_home_hands_root_owned_dirs_to_the_run_user(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "logs" / "old").mkdir(parents=True)
    (home / "logs" / "old" / "x.log").write_text("x")
    run_flow.prepare_home(home, 4321, 4321)
    for path in [home, *home.rglob("*")]:
        assert path.stat().st_uid == 4321, path
    assert sorted(p.name for p in home.iterdir()) == sorted(run_flow.HOME_SUBDIRS)


class RmiDaemon:
    """`docker rmi` refuses an image while a child of it (per ``children``) still exists."""

    def __init__(self, children: dict[str, str]) -> None:
        self.children = children
        self.present = set(children) | set(children.values())

    def docker(self, *args: str, **_: Any) -> str:
        image = args[1]
        if any(parent == image and child in self.present
               for child, parent in self.children.items()):
            raise CommandError(["docker", *args], 1, "conflict: image has dependent child images")
        self.present.discard(image)
        return ""


def test_prune_replaced_removes_children_before_parents(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layers, "REPLACED", ["old-torch", "old-venv", "old-flow"])
    daemon = RmiDaemon({"old-venv": "old-torch", "old-flow": "old-venv", "in-use": "x"})
    daemon.present.add("old-torch")
    removed = layers.prune_replaced(daemon)  # type: ignore[arg-type]
    assert removed == ["old-flow", "old-venv", "old-torch"]
    assert layers.REPLACED == []


def test_prune_replaced_keeps_images_still_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layers, "REPLACED", ["parent"])
    daemon = RmiDaemon({"live-child": "parent"})
    assert layers.prune_replaced(daemon) == []  # type: ignore[arg-type]
    assert layers.REPLACED == ["parent"]


class BuildDaemon:
    """Plays `docker run/commit/rm/image inspect` for commit_layer; can fail the run."""

    def __init__(self, label: str = "", fail_run: bool = False) -> None:
        self.label = label
        self.fail_run = fail_run
        self.calls: list[tuple[str, ...]] = []
        self.committed = False

    def docker(self, *args: str, **_: Any) -> str:
        self.calls.append(args)
        if args[:2] == ("image", "inspect"):
            fmt = args[args.index("--format") + 1]
            if "Labels" in fmt:
                return self.label
            if "{{.Id}}" in fmt:
                return "sha256:new" if self.committed else "sha256:old"
            return "1234"
        if args[0] == "run" and self.fail_run:
            raise CommandError(["docker", *args], 1, "pip failed")
        if args[0] == "run":
            return "fate-e2e-fact venv_bytes 99\n"
        if args[0] == "commit":
            self.committed = True
        return ""


def commit(daemon: BuildDaemon, tmp_path: Path) -> layers.Built:
    return layers.commit_layer(daemon, base="b:1", tag="fate-e2e/x:1",  # type: ignore[arg-type]
                               key={"k": 1}, script="true", mounts={tmp_path: "/w"},
                               changes=["USER root"])


def test_matching_label_is_reused_without_a_container(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FATE_E2E_CACHE", str(tmp_path))
    from fate_e2e.cache import key_digest

    daemon = BuildDaemon(label=key_digest({"k": 1}))
    built = commit(daemon, tmp_path)
    assert built.reused
    assert not any(call[0] in ("run", "commit") for call in daemon.calls)


def test_build_runs_offline_read_only_commits_labels_and_removes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FATE_E2E_CACHE", str(tmp_path))
    monkeypatch.setattr(layers, "REPLACED", [])
    daemon = BuildDaemon(label="other")
    built = commit(daemon, tmp_path)
    run = next(c for c in daemon.calls if c[0] == "run")
    assert run[run.index("--network") + 1] == "none"
    assert f"{tmp_path}:/w:ro" in run
    commit_call = next(c for c in daemon.calls if c[0] == "commit")
    assert any(a.startswith("LABEL fate-e2e.digest=") for a in commit_call)
    assert "USER root" in commit_call
    name = run[run.index("--name") + 1]
    assert daemon.calls.index(("rm", "-f", "-v", name)) > daemon.calls.index(commit_call)
    assert (built.reused, built.image_id, built.facts["venv_bytes"]) == (False, "sha256:new", 99)
    assert layers.REPLACED == ["sha256:old"]


def test_failed_build_removes_its_container_and_keeps_the_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FATE_E2E_CACHE", str(tmp_path))
    daemon = BuildDaemon(label="other", fail_run=True)
    with pytest.raises(CommandError, match="pip failed"):
        commit(daemon, tmp_path)
    assert any(c[0] == "rm" for c in daemon.calls)
    assert not any(c[0] == "commit" for c in daemon.calls)
