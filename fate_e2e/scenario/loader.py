"""Load a scenario file: YAML -> plain data -> Scenario model -> cross-field checks.

Every failure is a ScenarioError whose lines read ``file:line: field.path: message``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fate_e2e.scenario.errors import ROOT, Problem, ScenarioError, format_path
from fate_e2e.scenario.messages import describe, validation_problems
from fate_e2e.scenario.schema import API_VERSION, Scenario
from fate_e2e.scenario.semantics import check_scenario
from fate_e2e.scenario.yamlread import YamlDocument, kind_of, line_count, read_yaml


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Load and validate the scenario file at ``path``."""
    filename = os.fspath(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ScenarioError([Problem(filename, 1, ROOT, f"cannot read the file: {reason}")]) \
            from None
    return load_scenario_bytes(data, filename)


def load_scenario_bytes(data: bytes, filename: str = "<bytes>") -> Scenario:
    """Load a scenario from UTF-8 bytes (a leading BOM is allowed)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = line_count(data[:exc.start].decode("utf-8", "replace") + "x")
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ScenarioError([Problem(filename, line, ROOT, f"not UTF-8 text: byte "
                                     f"0x{data[exc.start]:02x} in column {column}")]) from None
    return load_scenario_text(text, filename)


def load_scenario_text(text: str, filename: str = "<string>") -> Scenario:
    """Load a scenario from YAML text; ``filename`` only labels the error lines."""
    try:
        return _load(text.removeprefix("\ufeff"), filename)
    except ScenarioError:
        raise
    except Exception as exc:  # a loader bug must still read as a located error, not a traceback
        raise ScenarioError([Problem(filename, 1, ROOT, f"internal error while loading "
                                     f"({type(exc).__name__}: {exc}); please report it")]) \
            from exc


def _header_problems(data: dict[str, Any], doc: YamlDocument, filename: str) -> list[Problem]:
    """apiVersion and kind first: with the wrong ones nothing else can be judged."""
    problems = []
    for key, expected in (("apiVersion", API_VERSION), ("kind", "Scenario")):
        if key not in data:
            message = f"required field is missing (expected {key}: {expected})"
        elif data[key] == expected:
            continue
        elif key == "apiVersion" and isinstance(data[key], str) and \
                data[key].startswith("fate-e2e/"):
            message = f"unsupported version {data[key]!r}; this fate-e2e reads {expected}"
        else:
            message = f"must be {expected!r}, got {describe(data[key])}"
        problems.append(Problem(filename, doc.line_of((key,)), key, message))
    return problems


def _load(text: str, filename: str) -> Scenario:
    doc = read_yaml(text, filename)
    if not isinstance(doc.data, dict):
        raise ScenarioError([Problem(filename, doc.root_line, ROOT,
                                     "a scenario is a mapping (apiVersion, kind, metadata, ...), "
                                     f"got {kind_of(doc.data)}")])
    problems = _header_problems(doc.data, doc, filename)
    if problems:
        raise ScenarioError(problems)
    try:
        scenario = Scenario.model_validate(doc.data, by_alias=True, by_name=False,
                                           context={"yaml": True})
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, doc, filename)) from None
    findings = check_scenario(scenario)
    if findings:
        raise ScenarioError(sorted(
            (Problem(filename, doc.line_of(path), format_path(path), message)
             for path, message in findings), key=lambda p: p.line))
    return scenario
