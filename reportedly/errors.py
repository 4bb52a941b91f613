"""User-facing errors: each problem says which file, which claim, which field, and what was expected."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as we can."""

    file: str
    message: str
    claim: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.claim:
            where.append(f"claim {self.claim}")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{': '.join(where)}: {self.message}"


class ReportedlyError(Exception):
    """An error caused by the user's input or environment; the CLI prints it without a traceback."""


class InputError(ReportedlyError):
    """One or more problems in the input files, all reported at once."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A suggestion clause for a near-miss name, or an empty string."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def problems_from_validation(
    error: ValidationError, file: str, claim: str | None, allowed: Iterable[str]
) -> list[Problem]:
    """Turn a pydantic ValidationError into readable problems with 'did you mean' for unknown keys."""
    allowed = list(allowed)
    problems = []
    for detail in error.errors():
        loc = [str(part) for part in detail["loc"] if not isinstance(part, int)]
        field = ".".join(loc) or None
        if detail["type"] == "extra_forbidden":
            message = f"unknown field{did_you_mean(loc[-1], allowed)}"
        elif detail["type"] == "missing":
            message = "required field is missing"
        else:
            message = detail["msg"].removeprefix("Value error, ")
            if "input" in detail and detail["type"] not in {"value_error", "assertion_error"}:
                message += f" (got {_shortened(repr(detail['input']))})"
        problems.append(Problem(file, message, claim, field))
    return problems


def _shortened(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
