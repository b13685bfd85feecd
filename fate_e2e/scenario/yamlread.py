"""Read one YAML document into plain data plus a {field path: line} index.

Stricter than ``yaml.safe_load``: duplicate keys, non-string keys, unknown tags,
recursive or exploding aliases, huge integers and deep nesting are problems
reported with their line, never exceptions of another type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from fate_e2e.scenario.errors import Problem, ScenarioError, YamlPath, format_path

MAX_CHARS = 1_000_000
MAX_VALUES = 20_000
MAX_DEPTH = 32
_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
INT_LIMIT = 2**63

_T = "tag:yaml.org,2002:"
_MAP, _SEQ, _MERGE = _T + "map", _T + "seq", _T + "merge"
_STR, _TIMESTAMP = _T + "str", _T + "timestamp"
_SCALARS = {_T + "null": "null", _T + "bool": "boolean", _T + "int": "integer",
            _T + "float": "number"}


def line_count(text: str) -> int:
    """Lines as YAML counts them (CR, LF, CRLF, NEL, LS and PS end a line); at least 1."""
    breaks = _LINE_BREAK.findall(text)
    ends_with_break = bool(breaks) and text.endswith(breaks[-1])
    return max(1, len(breaks) + (0 if ends_with_break else 1))


def kind_of(value: Any) -> str:
    """How a YAML value reads to a human: 'a string', 'an integer', 'null', 'a list'..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


@dataclass
class YamlDocument:
    """The document's data and the line of every mapping key and sequence item."""

    data: Any
    lines: dict[YamlPath, int] = field(default_factory=dict)
    root_line: int = 1

    def line_of(self, path: YamlPath) -> int:
        """Line of ``path``, else of its nearest parent present in the file."""
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, self.root_line)


class _TooBig(Exception):
    """The alias-expanded document exceeds MAX_VALUES."""


class _Builder:
    """Turns a composed node graph into Python data, recording lines and problems."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.lines: dict[YamlPath, int] = {}
        self.problems: list[Problem] = []
        self.values = 0
        self.active: set[int] = set()
        self.constructor = SafeConstructor()

    def problem(self, path: YamlPath, line: int, message: str) -> None:
        self.problems.append(Problem(self.filename, line, format_path(path), message))

    def build(self, node: Node, path: YamlPath, depth: int) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise _TooBig
        line = node.start_mark.line + 1
        if depth > MAX_DEPTH:
            self.problem(path, line, f"nested more than {MAX_DEPTH} levels deep")
            return None
        if id(node) in self.active:
            self.problem(path, line, "recursive alias: an anchor is used inside itself")
            return None
        if isinstance(node, ScalarNode):
            return self.scalar(node, path, line)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                if node.tag != _SEQ:
                    self.problem(path, line, f"unsupported YAML tag {_short(node.tag)}")
                    return None
                return [self.item(child, (*path, i), depth) for i, child in
                        enumerate(node.value)]
            if isinstance(node, MappingNode):
                if node.tag != _MAP:
                    self.problem(path, line, f"unsupported YAML tag {_short(node.tag)}")
                    return None
                result: dict[str, Any] = {}
                self.fill(node, path, depth, result, {}, explicit=True)
                return result
        finally:
            self.active.discard(id(node))
        self.problem(path, line, "unsupported YAML node")
        return None

    def item(self, node: Node, path: YamlPath, depth: int) -> Any:
        self.lines[path] = node.start_mark.line + 1
        return self.build(node, path, depth + 1)

    def fill(self, node: MappingNode, path: YamlPath, depth: int, result: dict[str, Any],
             key_lines: dict[str, int], *, explicit: bool) -> None:
        """Add ``node``'s entries to ``result``; explicit keys first, then ``<<`` merges."""
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            key = self.key(key_node, path)
            if key is None:
                continue
            line = key_node.start_mark.line + 1
            if key in result:
                if explicit and key in key_lines:
                    self.problem((*path, key), line,
                                 f"duplicate key '{key}' (first at line {key_lines[key]})")
                continue
            if explicit:
                key_lines[key] = line
            self.lines[(*path, key)] = line
            result[key] = self.build(value_node, (*path, key), depth + 1)
        for merge in merges:
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for source in sources:
                self.values += 1
                if self.values > MAX_VALUES:
                    raise _TooBig
                line = source.start_mark.line + 1
                if not isinstance(source, MappingNode):
                    self.problem(path, line, "a merge key (<<) needs a mapping or a list of "
                                             "mappings")
                    continue
                if id(source) in self.active:
                    self.problem(path, line, "recursive alias: an anchor is merged into itself")
                    continue
                self.active.add(id(source))
                try:
                    self.fill(source, path, depth, result, key_lines, explicit=False)
                finally:
                    self.active.discard(id(source))

    def key(self, node: Node, path: YamlPath) -> str | None:
        line = node.start_mark.line + 1
        if not isinstance(node, ScalarNode):
            self.problem(path, line, "mapping keys must be plain strings, not lists or mappings")
            return None
        if node.tag == _STR:
            return str(node.value)
        value = self.scalar(node, path, line)
        if node.tag in _SCALARS:
            self.problem((*path, str(node.value)), line,
                         f"mapping keys must be strings; {node.value!r} reads as "
                         f"{kind_of(value)} (quote it)")
        return None

    def scalar(self, node: ScalarNode, path: YamlPath, line: int) -> Any:
        if node.tag in (_STR, _TIMESTAMP):  # dates stay text: YAML 1.2 has no timestamps
            return str(node.value)
        if node.tag not in _SCALARS:
            self.problem(path, line, f"unsupported YAML tag {_short(node.tag)}")
            return None
        try:
            value = self.constructor.construct_object(node)
        except (ValueError, OverflowError):
            value = INT_LIMIT
        self.constructor.constructed_objects.clear()
        if isinstance(value, int) and not isinstance(value, bool) and \
                not -INT_LIMIT <= value < INT_LIMIT:
            self.problem(path, line, f"number {_clip(node.value)} is out of range")
            return None
        return value


def _short(tag: str) -> str:
    return "!!" + tag[len(_T):] if tag.startswith(_T) else tag


def _clip(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _yaml_error(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    """(line, message) of a PyYAML error, worded for people."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = line_count(text[:max(0, exc.position)] + "x")
        char = exc.character if isinstance(exc.character, int) else 0
        return line, f"invalid YAML: control character U+{char:04X} is not allowed"
    if not isinstance(exc, yaml.MarkedYAMLError):
        return 1, f"invalid YAML: {exc}"
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    problem = exc.problem or "syntax error"
    if "'\\t'" in problem:
        return line, "invalid YAML: tab character; YAML indents with spaces only"
    if exc.context == "expected a single document in the stream":
        return line, "a scenario file holds a single YAML document; found a second one (---)"
    if problem.startswith("found unexpected end of stream") and exc.context and \
            exc.context_mark is not None:
        hint = " (unclosed quote?)" if "quoted" in exc.context else ""
        return exc.context_mark.line + 1, f"invalid YAML: the file ends {exc.context}{hint}"
    context = ""
    if exc.context and exc.context_mark is not None and exc.context_mark is not mark:
        context = f" ({exc.context} at line {exc.context_mark.line + 1})"
    elif exc.context:
        context = f" ({exc.context})"
    return line, f"invalid YAML: {problem}{context}"


def read_yaml(text: str, filename: str) -> YamlDocument:
    """Parse ``text`` (one YAML document); ScenarioError for anything not plain YAML data."""
    last_line = line_count(text)

    def fail(line: int, message: str, path: YamlPath = ()) -> ScenarioError:
        line = min(max(1, line), last_line)
        return ScenarioError([Problem(filename, line, format_path(path), message)])

    if len(text) > MAX_CHARS:
        raise fail(1, f"file is larger than {MAX_CHARS // 1000} kB; a scenario is a short file")
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        raise fail(*_yaml_error(exc, text)) from None
    except RecursionError:
        raise fail(1, "invalid YAML: nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        raise fail(1, "the file holds no YAML document; expected a scenario mapping")
    builder = _Builder(filename)
    root_line = node.start_mark.line + 1
    try:
        data = builder.build(node, (), 0)
    except _TooBig:
        raise fail(root_line, f"the document expands to more than {MAX_VALUES} values "
                              "(anchors/aliases?)") from None
    if builder.problems:
        raise ScenarioError(builder.problems)
    return YamlDocument(data, builder.lines, root_line)
