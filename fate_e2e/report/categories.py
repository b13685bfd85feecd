"""How a failed result is classified: infrastructure, product, bug replays.

The markers come from fate_e2e.errors ("[infra] ", "[product] ") and from the scenario
verdict ("[fixed] " when a bug scenario passes, XFAIL while it still reproduces).
Regexes are written so that Allure 2 (full match) and Allure 3 (search) agree, and each
result lands in exactly one category.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_ANY = r"[\s\S]*"
_MARKED = r"\[(?:infra|product|fixed)\]"


def _containing(marker: str) -> str:
    return f"{_ANY}{marker}{_ANY}"


@dataclass(frozen=True)
class Category:
    """One Allure category: a name, the statuses it takes and a message regex."""

    name: str
    statuses: tuple[str, ...]
    message_regex: str
    description: str

    def matches(self, status: str, message: str) -> bool:
        """Whether a result with ``status`` and ``message`` belongs here (Allure 2 semantics)."""
        return status in self.statuses and re.fullmatch(self.message_regex, message) is not None

    def to_allure(self) -> dict[str, Any]:
        """The categories.json entry (also accepted by Allure 3's config)."""
        return {"name": self.name, "description": self.description,
                "matchedStatuses": list(self.statuses), "messageRegex": self.message_regex}


CATEGORIES: tuple[Category, ...] = (
    Category("Bug no longer reproduces", ("failed",), _containing(r"\[fixed\]"),
             "A bug scenario (expect: fail) passed: the bug looks fixed; flip it to "
             "expect: pass."),
    Category("Expected failures of bug scenarios", ("skipped",), f"^XFAIL{_ANY}",
             "A bug scenario failed the way it is expected to while the bug is open."),
    Category("Infrastructure failures", ("broken", "failed"), _containing(r"\[infra\]"),
             "The test bed failed: cluster, images, commands, timeouts before FATE started."),
    Category("Product failures", ("failed",), _containing(r"\[product\]"),
             "FATE misbehaved: toy job failed, federation did not heal, checks failed."),
    Category("Unclassified assertion failures", ("failed",), f"^(?!{_ANY}{_MARKED}){_ANY}",
             "A plain assertion failed; raise ProductFailure or InfraError to classify it."),
    Category("Harness errors", ("broken",), f"^(?!{_ANY}{_MARKED}){_ANY}",
             "An unexpected exception in fate-e2e or a test (a bug in the harness)."),
)


def classify(status: str, message: str,
             categories: Sequence[Category] = CATEGORIES) -> Category | None:
    """The first category a result belongs to, or None (passed, plain skips)."""
    for category in categories:
        if category.matches(status, message):
            return category
    return None


def categories_json(categories: Sequence[Category] = CATEGORIES) -> list[dict[str, Any]]:
    """The content of categories.json."""
    return [c.to_allure() for c in categories]


def allure3_rules(entries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """categories.json entries as Allure 3 config rules (its compatibility keys only)."""
    keys = ("name", "matchedStatuses", "messageRegex", "traceRegex", "flaky")
    return [{k: e[k] for k in keys if k in e} for e in entries if e.get("name")]
