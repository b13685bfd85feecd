"""Pydantic validation errors -> Problems with YAML paths, lines and human wording."""

from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from fate_e2e.scenario.errors import Problem, YamlPath, format_path
from fate_e2e.scenario.schema import Scenario
from fate_e2e.scenario.yamlread import YamlDocument, kind_of

_EXPECTS = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
    "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "a string",
    "model_type": "a mapping", "model_attributes_type": "a mapping", "dict_type": "a mapping",
    "list_type": "a list",
}
_BOUNDS = {"greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "greater than"),
           "less_than_equal": ("le", "at most"), "less_than": ("lt", "less than")}


def describe(value: Any) -> str:
    """A short rendering of an input value for 'got ...'."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "...")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return kind_of(value)


def _unwrap(tp: Any) -> Any:
    """Strip Annotated[...] and Optional[...] down to the interesting type."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _field(model: type[BaseModel], key: str) -> Any:
    for name, info in model.model_fields.items():
        if (info.alias or name) == key:
            return info.annotation
    return None


def type_at(path: YamlPath, root: Any = Scenario) -> Any:
    """The schema type at a YAML path (aliases as keys), or None when there is none."""
    tp = root
    for part in path:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
            tp = _field(tp, part)
        elif get_origin(tp) is list and isinstance(part, int):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict and isinstance(part, str):
            tp = get_args(tp)[1]
        else:
            return None
        if tp is None:
            return None
    return _unwrap(tp)


def allowed_keys(model: type[BaseModel]) -> list[str]:
    """The YAML spellings of a model's fields, in declaration order."""
    return [info.alias or name for name, info in model.model_fields.items()]


def suggest(word: str, choices: list[str]) -> str | None:
    """The likely intended choice for a misspelt ``word``, if any."""
    folded = {c.lower().replace("_", "").replace("-", ""): c for c in choices}
    key = word.lower().replace("_", "").replace("-", "")
    if key in folded:
        return folded[key]
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def _literal_values(tp: Any) -> list[Any]:
    return list(get_args(tp)) if get_origin(tp) is Literal else []


def _yaml_path(loc: tuple[int | str, ...], data: Any) -> tuple[YamlPath, bool]:
    """Map a pydantic loc onto the data: drop union tags; (path, is-a-dict-key error)."""
    path: list[int | str] = []
    current = data
    for part in loc:
        if part == "[key]":
            return tuple(path), True
        if isinstance(current, dict) and isinstance(part, str):
            path.append(part)
            if part not in current:
                break  # a missing field (or a field of a missing block)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            current = current[part]
        # anything else is a union branch tag such as 'int' or "literal['all']": skip it
    return tuple(path), False


def _unknown_field(path: YamlPath) -> str:
    key = str(path[-1])
    model = type_at(path[:-1])
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return f"unknown field '{key}'"
    allowed = allowed_keys(model)
    hint = suggest(key, allowed)
    did = f"; did you mean '{hint}'?" if hint else ""
    return f"unknown field '{key}'{did} (allowed: {', '.join(allowed)})"


def _one_of(values: list[Any], got: Any) -> str:
    if len(values) == 1:
        return f"must be {values[0]!r}, got {describe(got)}"
    text = f"must be one of {', '.join(str(v) for v in values)}; got {describe(got)}"
    if isinstance(got, str):
        hint = suggest(got, [str(v) for v in values])
        if hint:
            text += f" (did you mean '{hint}'?)"
    return text


def _message(error: ErrorDetails, path: YamlPath, key_error: bool) -> str:
    kind, got, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return _unknown_field(path)
    if kind == "literal_error":
        tp = type_at(path[:-1]) if key_error else type_at(path)
        if key_error and get_origin(tp) is dict:
            tp = _unwrap(get_args(tp)[0])
        values = _literal_values(tp)
        if values and key_error:
            names = [str(v) for v in values]
            hint = suggest(str(got), names)
            did = f"; did you mean '{hint}'?" if hint else ""
            return f"unknown key {describe(got)}{did} (allowed: {', '.join(names)})"
        if values:
            return _one_of(values, got)
        return f"{error['msg']}, got {describe(got)}"
    if kind in ("value_error", "assertion_error"):
        message = str(error["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        return message
    if kind in _EXPECTS:
        text = f"expected {_EXPECTS[kind]}, got {describe(got)}"
        if kind == "string_type" and isinstance(got, int | float):
            text += " (quote it)"
        model = type_at(path)
        if kind == "model_type" and isinstance(got, str) and isinstance(model, type) and \
                issubclass(model, BaseModel) and got in allowed_keys(model):
            text += f" (did you mean '{got}: {{}}'?)"
        return text
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return f"must be {words} {ctx.get(key)}, got {describe(got)}"
    if kind in ("too_short", "too_long") and isinstance(got, list | dict):
        bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        words = "at least" if kind == "too_short" else "at most"
        noun = "item" if bound == 1 else "items"
        return f"needs {words} {bound} {noun}, got {len(got)}"
    return str(error["msg"])


def _merged(errors: list[ErrorDetails]) -> str | None:
    """One 'expected A or B' message for the branches of a union, when all are type errors."""
    phrases: list[str] = []
    for error in errors:
        if error["type"] in _EXPECTS:
            phrases.append(_EXPECTS[error["type"]])
        elif error["type"] == "literal_error":
            phrases.append(str((error.get("ctx") or {}).get("expected", "")))
        else:
            return None
    unique = list(dict.fromkeys(phrases))
    return f"expected {' or '.join(unique)}, got {describe(errors[0].get('input'))}"


def validation_problems(exc: ValidationError, doc: YamlDocument,
                        filename: str) -> list[Problem]:
    """Every pydantic error of ``exc`` as a Problem on the most precise line."""
    groups: dict[YamlPath, list[tuple[ErrorDetails, bool]]] = {}
    for error in exc.errors(include_url=False):
        path, key_error = _yaml_path(tuple(error["loc"]), doc.data)
        groups.setdefault(path, []).append((error, key_error))
    problems: list[Problem] = []
    for path, items in groups.items():
        branches = [e for e, key_error in items if len(e["loc"]) > len(path) and not key_error]
        merged = _merged(branches) if len(branches) > 1 else None
        messages = [_message(e, path, k) for e, k in items if not (merged and e in branches)]
        if merged:
            messages.insert(0, merged)
        for message in dict.fromkeys(messages):
            problems.append(Problem(filename, doc.line_of(path), format_path(path), message))
    return sorted(problems, key=lambda p: p.line)
