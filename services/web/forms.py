"""A submitted form, and the API's problem laid beside the fields it names.

A rejected form comes back with everything the person typed (``values``), an error summary at the
top (``summary``) and each message next to its field (``fields``). Which field a message belongs to
is read off the problem: Litestar's validation errors carry the path of the invalid value
(``realisations.0.value``), the services' own rules lead their message with the id of what broke
(``iki-1: -3 pasien cannot be negative``). What names no field stays in the summary.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.web.clients import ApiProblem


@dataclass
class Form:
    values: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, list[str]] = field(default_factory=dict)
    summary: list[tuple[str | None, str]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.summary)

    def error(self, name: str | None, message: str) -> None:
        """Record ``message``, beside field ``name`` when there is one."""
        if name:
            self.fields.setdefault(name, []).append(message)
        self.summary.append((name, message))

    def value(self, name: str, default: Any = "") -> Any:
        return self.values.get(name, default)


def form_of(data: Mapping[str, Any]) -> Form:
    """The submitted values, without the CSRF token."""
    values = {k: v for k, v in data.items() if k != "_csrf_token"}
    return Form(values=values)


def lay_out(
    form: Form,
    problem: ApiProblem,
    path_to_field: Callable[[str], str | None],
    ids: Sequence[tuple[str, str]] = (),
) -> Form:
    """Put ``problem`` on ``form``: a message whose path ``path_to_field`` maps, or that starts with
    one of ``ids`` (``(id, field)`` pairs), goes beside that field; the rest goes to the summary
    only. A problem without details is its detail in the summary."""
    messages = problem.field_errors()
    if not messages:
        form.error(None, problem.detail)
        return form
    for path, message in messages:
        name = path_to_field(path) if path else None
        if name is None:
            name = next(
                (f for i, f in ids if message.startswith(f"{i}:") or message.startswith(f"{i} ")), None
            )
        form.error(name, message)
    return form


def lines(text: str) -> list[str]:
    """The non-empty lines of a text area."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def number(text: str) -> float | None:
    """A number as typed in Indonesia or England (``1.234,5`` or ``1,234.5``); None when blank;
    ValueError when not a number."""
    text = text.strip().replace(" ", "")
    if not text:
        return None
    if "," in text and "." in text:
        text = (
            text.replace(".", "").replace(",", ".")
            if text.rfind(",") > text.rfind(".")
            else text.replace(",", "")
        )
    elif "," in text:
        text = text.replace(",", ".")
    return float(text)
