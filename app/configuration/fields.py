"""Reading form values the way every configuration form does, with French messages."""

from __future__ import annotations

from dataclasses import dataclass, field


def one_line(value: str) -> str:
    """Control characters and surrounding spaces removed, inner runs of spaces collapsed."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def multiline(value: str) -> str:
    """A text area's value: line breaks kept (as \\n), other control characters removed."""
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(
        "".join(ch for ch in line if ch.isprintable() or ch == "\t").rstrip() for line in lines
    ).strip("\n")


@dataclass
class Errors:
    """Field name → French message, in the order they were found (the form's order)."""

    messages: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.messages.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.messages)


def integer(
    errors: Errors,
    values: dict[str, str],
    name: str,
    label: str,
    *,
    minimum: int,
    maximum: int,
) -> int:
    """The whole number typed in `name`, between `minimum` and `maximum`; 0 and an error
    otherwise."""
    raw = values.get(name, "").strip().replace("\u202f", "").replace(" ", "")
    if not raw:
        errors.add(name, f"Saisissez {label}.")
        return 0
    if not raw.isdecimal():
        errors.add(name, f"Saisissez {label} en chiffres (un nombre entier).")
        return 0
    number = int(raw)
    if not minimum <= number <= maximum:
        errors.add(name, f"Saisissez {label} entre {minimum} et {maximum}.")
        return 0
    return number


def checked(values: dict[str, str], name: str) -> bool:
    return values.get(name, "") in ("1", "on", "true", "oui")
