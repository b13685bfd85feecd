"""Keep secrets out of logs and reports: registered values plus pattern-based masking."""

from __future__ import annotations

import base64
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable

MASK = "<redacted>"
MIN_SECRET_LENGTH = 3

_lock = threading.Lock()
_secrets: set[str] = set()
_literal: re.Pattern[str] | None = None

# Key names whose values are secret (matched anywhere inside a key: MYSQL_ROOT_PASSWORD).
_SECRET_WORD = (r"(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key"
                r"|private[_-]?key|credentials?|authorization|cookie"
                r"|(?<![a-z])pass(?![a-z])|(?<![a-z])pw(?![a-z]))")
# Keys that merely *name* a secret (secretName, tokenFile, passwordRef) are not secret.
_KEY = rf"[\w.-]*{_SECRET_WORD}[\w.-]*(?<!name)(?<!ref)(?<!file)(?<!path)(?<!dir)(?<!kind)"
_QUOTED = r"\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'"
# Values that reveal nothing: shell/env references, templates, masks.
_REFERENCE = re.compile(r"^[\"']?(?:\$\{|\$\(|\$[A-Z_][A-Z0-9_]*\b|\{\{|<redacted>)")


def register_secret(value: str | None) -> None:
    """Mask ``value`` (and its base64 / URL-encoded forms) in everything redacted from now on."""
    if value is None:
        return
    value = str(value)
    if len(value.strip()) < MIN_SECRET_LENGTH:
        return
    forms = {value, value.strip(), urllib.parse.quote(value, safe=""),
             base64.b64encode(value.encode()).decode()}
    global _literal
    with _lock:
        if forms <= _secrets:
            return
        _secrets.update(f for f in forms if len(f) >= MIN_SECRET_LENGTH)
        # Longest first, so a secret that contains another is masked whole.
        ordered = sorted(_secrets, key=len, reverse=True)
        # MASK first: an already masked text stays as it is (redaction is idempotent).
        _literal = re.compile("|".join(re.escape(s) for s in [MASK, *ordered]))


def registered_count() -> int:
    """How many secret forms are registered (for diagnostics, never their values)."""
    with _lock:
        return len(_secrets)


def clear_secrets() -> None:
    """Forget every registered secret (tests only)."""
    global _literal
    with _lock:
        _secrets.clear()
        _literal = None


def _mask_value(raw: str) -> str:
    """MASK in place of ``raw``, keeping its quotes; references and masks stay as they are."""
    if not raw or _REFERENCE.match(raw) or MASK in raw:
        return raw
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[0] + MASK + raw[0]
    return MASK


def _rule(pattern: str, flags: int = re.IGNORECASE) -> Callable[[str], str]:
    """A masking rule: group ``value`` of each match is masked, the rest is kept."""
    compiled = re.compile(pattern, flags)

    def repl(m: re.Match[str]) -> str:
        whole, base = m.group(0), m.start(0)
        start, end = m.start("value") - base, m.end("value") - base
        return whole[:start] + _mask_value(m.group("value")) + whole[end:]

    return lambda text: compiled.sub(repl, text)


_EOL_VALUE = rf"(?P<value>{_QUOTED}|[^\s|>#][^\n]*?|[|>][^\s\n][^\n]*?)"
_TOKEN_VALUE = (rf"(?!(?:bearer|basic|digest)\s)(?P<value>{_QUOTED}|\$\{{[^}}\s]*\}}|\$\([^)\n]*\)"
                rf"|[^\s\"',;&|{{}}\[\]]+)")

_RULES: tuple[Callable[[str], str], ...] = (
    # PEM private keys, wherever they appear.
    _rule(r"(?P<value>-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----)"),
    # URL credentials: amqp://user:pass@host -> amqp://user:<redacted>@host
    _rule(r"\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]+:(?P<value>[^\s@/'\"]+)@"),
    # Authorization headers, any scheme, anywhere on a line; bare bearer tokens; JWTs.
    _rule(r"\bauthorization[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic|token|digest)\s+)?"
          r"(?P<value>[^\s\"',;]+)"),
    _rule(r"\bbearer\s+(?P<value>[a-z0-9._~+/=-]{8,})"),
    _rule(r"(?P<value>\beyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]+)"),
    # Env lists: `- name: MYSQL_PASSWORD` + `value: x` (YAML), "name": .., "value": .. (JSON).
    _rule(rf"\bname[\"']?\s*[:=]\s*[\"']?{_KEY}[\"']?\s*,?\s*[\"']?value[\"']?\s*[:=][ \t]*"
          rf"(?P<value>{_QUOTED}|[^\s,}}\]][^,}}\]\n]*?)(?=[ \t]*(?:$|[,}}\]]))",
          re.IGNORECASE | re.MULTILINE),
    # YAML lines: `  password: x`, `- "token": 'x'  # comment`
    _rule(rf"^[ \t]*(?:-[ \t]+)?[\"']?{_KEY}[\"']?[ \t]*:[ \t]+{_EOL_VALUE}(?:[ \t]+#[^\n]*)?"
          r"[ \t]*$", re.IGNORECASE | re.MULTILINE),
    # Quoted or bare keys mid-line (JSON, Python reprs, logs): "password": "x", token: x
    _rule(rf"[\"']{_KEY}[\"']\s*[:=]\s*{_TOKEN_VALUE}"),
    _rule(rf"\b{_KEY}\s*[:=]\s*{_TOKEN_VALUE}"),
    # Command-line flags with a separate value: --password x
    _rule(rf"\s--{_KEY}\s+(?P<value>[^\s-]\S*)"),
    # mysql -pSECRET / mysqladmin -pSECRET
    _rule(r"\bmysql\w*\b[^\n]*?\s-p(?P<value>[^\s$]\S*)"),
)

_SECRET_DOC = re.compile(r"^[ \t]*(?:-[ \t]+)?kind:[ \t]*[\"']?Secret[\"']?[ \t]*$",
                         re.MULTILINE)
_DOC_SPLIT = re.compile(r"(^---[^\n]*$)", re.MULTILINE)
_DATA_KEY = re.compile(r"^([ \t]*(?:-[ \t]+)?)(data|stringData):[ \t]*(.*)$")
_ENTRY = re.compile(r"^([ \t]*[^:\s#][^:]*:)[ \t]*(.*)$")
_BLOCK_KEY = re.compile(rf"^[ \t]*(?:-[ \t]+)?[\"']?{_KEY}[\"']?[ \t]*:[ \t]*[|>][-+0-9]*[ \t]*$",
                        re.IGNORECASE | re.MULTILINE)
_JSON_SECRET = re.compile(r"\"kind\"\s*:\s*\"Secret\"")
_JSON_DATA = re.compile(r"(\"(?:data|stringData)\"\s*:\s*\{)([^{}]*)(\})")
_JSON_VALUE = re.compile(r"(\"[^\"]*\"\s*:\s*)\"(?:[^\"\\]|\\.)*\"")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _mask_yaml_blocks(text: str, opens_block: Callable[[str], bool],
                      mask_entries: bool) -> str:
    """Mask the lines nested under every line ``opens_block`` accepts.

    ``mask_entries``: the nested lines are ``key: value`` entries (Secret data) whose values
    are masked; otherwise the nested lines are a block scalar, masked whole.
    """
    out: list[str] = []
    owner: int | None = None     # indent of the line that opened the block
    scalar: int | None = None    # indent of an entry whose value is a block scalar
    for line in text.split("\n"):
        stripped = line.strip()
        indent = _indent(line)
        if owner is not None and stripped and indent <= owner:
            owner = scalar = None
        if owner is None:
            out.append(line)
            if opens_block(line):
                owner = _indent(line)
            continue
        if not stripped:
            out.append(line)
            continue
        if not mask_entries:
            out.append(line[:indent] + MASK)
            continue
        if scalar is not None and indent > scalar:
            out.append(line[:indent] + MASK)
            continue
        scalar = None
        m = _ENTRY.match(line)
        if m is None:
            out.append(line[:indent] + MASK)
        elif m.group(2)[:1] in ("|", ">"):
            scalar = indent
            out.append(line)
        elif m.group(2):
            out.append(f"{m.group(1)} {_mask_value(m.group(2).strip())}")
        else:
            out.append(line)
    return "\n".join(out)


def _opens_secret_data(line: str) -> bool:
    m = _DATA_KEY.match(line)
    return m is not None and not m.group(3)


def _mask_inline_data(line: str) -> str:
    m = _DATA_KEY.match(line)
    if m is None or not m.group(3).startswith("{"):
        return line
    return line[:m.start(3)] + re.sub(r"(:\s*)([^,}]+)", rf"\1{MASK}", m.group(3))


def _mask_secret_data(text: str) -> str:
    """Mask the values of Kubernetes Secrets' ``data``/``stringData`` (YAML and JSON)."""
    if _SECRET_DOC.search(text):
        parts = _DOC_SPLIT.split(text)
        for i, doc in enumerate(parts):
            if _SECRET_DOC.search(doc):
                doc = "\n".join(_mask_inline_data(line) for line in doc.split("\n"))
                parts[i] = _mask_yaml_blocks(doc, _opens_secret_data, mask_entries=True)
        text = "".join(parts)
    if _JSON_SECRET.search(text):
        text = _JSON_DATA.sub(
            lambda m: m.group(1) + _JSON_VALUE.sub(rf'\1"{MASK}"', m.group(2)) + m.group(3),
            text)
    return text


def _mask_block_scalars(text: str) -> str:
    """Mask multi-line values of secret keys (``private_key: |`` and the lines under it)."""
    if not _BLOCK_KEY.search(text):
        return text
    return _mask_yaml_blocks(text, lambda line: _BLOCK_KEY.match(line) is not None,
                             mask_entries=False)


def redact(text: str) -> str:
    """``text`` with every registered secret and every secret-looking value masked."""
    if not text:
        return text
    with _lock:
        literal = _literal
    if literal is not None:
        text = literal.sub(MASK, text)
    text = _mask_secret_data(text)
    text = _mask_block_scalars(text)
    for apply in _RULES:
        text = apply(text)
    return text


def redact_all(texts: Iterable[str]) -> list[str]:
    """Redact several texts."""
    return [redact(t) for t in texts]
