"""Allure steps, attachments, environment.properties and categories.json.

Everything is redacted before it leaves the process. Without allure-pytest
(no --alluredir) steps and attachments are only logged.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import mimetypes
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import allure
import allure_commons

from fate_e2e.report.categories import categories_json
from fate_e2e.report.redact import redact

log = logging.getLogger("fate_e2e.report")

MAX_ATTACHMENT_CHARS = 2_000_000
ENVIRONMENT_FILE = "environment.properties"
CATEGORIES_FILE = "categories.json"

_EXTENSIONS = {
    "text/plain": "txt", "application/json": "json", "application/yaml": "yaml",
    "text/yaml": "yaml", "text/x-yaml": "yaml", "text/html": "html", "text/csv": "csv",
    "application/xml": "xml", "text/xml": "xml", "image/png": "png", "text/uri-list": "uri",
}


def active_results_dir() -> Path | None:
    """The --alluredir of the running pytest session, or None when allure is not active."""
    for plugin in allure_commons.plugin_manager.get_plugins():
        report_dir = getattr(plugin, "_report_dir", None)
        if isinstance(report_dir, Path):
            return report_dir
    return None


@contextlib.contextmanager
def step(title: str) -> Iterator[None]:
    """An Allure step (a no-op without allure) whose title is also logged."""
    title = redact(title)
    log.info("step: %s", title)
    with allure.step(title):
        yield


def _clip(text: str) -> str:
    if len(text) <= MAX_ATTACHMENT_CHARS:
        return text
    cut = len(text) - MAX_ATTACHMENT_CHARS
    return f"[... {cut} characters cut, the end follows ...]\n" + text[-MAX_ATTACHMENT_CHARS:]


def attach_text(name: str, text: str, kind: str = "text/plain") -> None:
    """Attach ``text`` (redacted, tail-clipped) to the current Allure test or step."""
    name, body = redact(name), _clip(redact(text))
    log.info("attachment %r (%d chars)", name, len(body))
    log.debug("attachment %r:\n%s", name, body)
    allure.attach(body, name=name, attachment_type=kind, extension=_EXTENSIONS.get(kind, "txt"))


def _kind(path: Path) -> str | None:
    if path.suffix in (".yaml", ".yml"):
        return "application/yaml"
    return mimetypes.guess_type(path.name)[0]


def _is_text(path: Path) -> bool:
    kind = _kind(path)
    if kind and (kind.startswith("text/") or kind in _EXTENSIONS):
        return not kind.startswith("image/")
    with path.open("rb") as f:
        head = f.read(4096)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\0" not in head


def attach_file(path: Path, name: str | None = None) -> None:
    """Attach a file; text files are redacted first, binary files (screenshots) go as they are."""
    path = Path(path)
    title = name or path.name
    kind = _kind(path)
    if _is_text(path):
        text = path.read_text(encoding="utf-8", errors="replace")
        attach_text(title, text, kind if kind in _EXTENSIONS else "text/plain")
        return
    log.info("attachment %r (file %s, %d bytes)", title, path, path.stat().st_size)
    allure.attach.file(str(path), name=redact(title), attachment_type=kind,  # type: ignore[no-untyped-call]
                       extension=path.suffix.lstrip(".") or None)


# --- environment.properties -------------------------------------------------------------

def _escape(text: str, key: bool) -> str:
    out = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    out = out.replace("\f", "\\f")
    if key:
        out = out.replace("=", "\\=").replace(":", "\\:").replace(" ", "\\ ")
    if out[:1] in ("#", "!", " "):
        out = "\\" + out
    return out


def format_properties(facts: Mapping[str, str]) -> str:
    """Java .properties text, keys sorted."""
    return "".join(f"{_escape(k, True)}={_escape(v, False)}\n" for k, v in sorted(facts.items()))


_UNESCAPES = {"n": "\n", "r": "\r", "t": "\t", "f": "\f"}


def parse_properties(text: str) -> dict[str, str]:
    """Parse the .properties subset format_properties writes (plus ``key: value`` lines)."""
    facts: dict[str, str] = {}
    for raw in text.split("\n"):
        line = raw.removesuffix("\r").lstrip(" \t\f")
        if not line or line[0] in "#!":
            continue
        key, value, i, escaped = [], "", 0, False
        while i < len(line):
            ch = line[i]
            if escaped:
                key.append(_UNESCAPES.get(ch, ch))
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch in "=:":
                value = line[i + 1:].lstrip(" \t\f")
                break
            else:
                key.append(ch)
            i += 1
        facts["".join(key).strip()] = _unescape(value)
    return facts


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            i += 1
            out.append(_UNESCAPES.get(text[i], text[i]))
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def merge_fact(old: str | None, new: str) -> str:
    """One value for a fact several scenarios reported: the sorted set, comma-separated."""
    values = {v.strip() for v in (old or "").split(",") if v.strip()}
    values.update(v.strip() for v in new.split(",") if v.strip())
    return ", ".join(sorted(values))


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def write_environment(results_dir: Path, facts: Mapping[str, str]) -> Path:
    """Merge ``facts`` (FATE version, Kubernetes version, provider, image IDs) into the run's
    environment.properties; values differing between scenarios are kept side by side."""
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / ENVIRONMENT_FILE
    with _locked(results_dir):
        current = parse_properties(path.read_text(encoding="utf-8")) if path.exists() else {}
        for key, value in facts.items():
            clean = redact(" ".join(str(value).split()))
            if clean:
                current[key] = merge_fact(current.get(key), clean)
        tmp = path.with_name(f".{ENVIRONMENT_FILE}.tmp")
        tmp.write_text(format_properties(current), encoding="utf-8")
        tmp.replace(path)
    log.info("environment: %s", ", ".join(f"{k}={v}" for k, v in sorted(facts.items())))
    return path


def record_environment(facts: Mapping[str, str]) -> Path | None:
    """write_environment into the running session's --alluredir; only logs without allure."""
    results_dir = active_results_dir()
    if results_dir is None:
        log.info("environment (allure not active): %s",
                 ", ".join(f"{k}={redact(str(v))}" for k, v in sorted(facts.items())))
        return None
    return write_environment(results_dir, facts)


def write_categories(results_dir: Path) -> Path:
    """Write categories.json (infrastructure / product / bug-replay categories)."""
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / CATEGORIES_FILE
    tmp = path.with_name(f".{CATEGORIES_FILE}.tmp")
    tmp.write_text(json.dumps(categories_json(), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
