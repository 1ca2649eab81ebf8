"""What the program says of one module's functions, as that module's lint reads it.

Every fact a rule reads is recorded with the answer it got, so that once the whole
program is known a run can tell whether a file's findings could change: only when a fact
it read has another answer now (``agrees``). A file whose helpers a router elsewhere
reaches is linted again; one whose functions no rule asked about is not.
"""

from __future__ import annotations

from typing import Any

from pglint.drivers import DRIVERS, ObjectKind
from pglint.program.graph import Program

# (qualname, field of FunctionFacts) -> the answer the lint got
Read = dict[tuple[str, str], Any]


class ReverseView:
    def __init__(self, program: Program, path: str) -> None:
        self._program = program
        self._path = path
        self.read: Read = {}

    def get(self, qualname: str, field: str) -> Any:
        key = (qualname, field)
        if key in self.read:
            return self.read[key]
        value = self.read[key] = self._program.fact(self._path, qualname, field)
        return value

    def callee_text(self, reference: str) -> str:
        """What the function a call names returns as SQL text (``FunctionEntry.text``)."""
        return self.get(reference, "callee_text")

    def method_text(self, name: str, prop: bool) -> str:
        """What every method (or property) of that name in the program's classes returns
        as SQL text, when they all agree; for an object whose class cannot be told."""
        return self.get(name, "property_text" if prop else "method_text")

    def passes_on(self, reference: str, slot: int | str) -> bool:
        """Whether the function a call names may keep what the call passes at ``slot``
        (an argument's position, or its keyword): True when the program cannot tell."""
        return self.get(f"{reference}#{slot}", "keeps") is not False

    def param_kind(self, qualname: str, param: str) -> ObjectKind | None:
        for name, driver, role in self.get(qualname, "param_kinds"):
            if name == param and driver in DRIVERS:
                return ObjectKind(driver, role)
        return None

    def safe_param(self, qualname: str, param: str) -> bool:
        return param in self.get(qualname, "safe_params")


def agrees(read: Read, program: Program, path: str) -> bool:
    """Whether every fact a lint of the module at ``path`` read has the same answer in
    ``program``."""
    return all(
        program.fact(path, qualname, field) == value for (qualname, field), value in read.items()
    )


# --- JSON ----------------------------------------------------------------------------------


def read_to_json(read: Read) -> list:
    from pglint.program.graph import _reached_json

    out = []
    for (qualname, field), value in read.items():
        if field == "reached":
            value = _reached_json(value)
        elif field == "safe_params":
            value = sorted(value)
        elif field == "param_kinds":
            value = [list(k) for k in value]
        elif field == "guards":
            value = sorted(value)
        out.append([qualname, field, value])
    return out


def read_of_json(data: list) -> Read:
    from pglint.program.graph import _reached_of

    read: Read = {}
    for qualname, field, value in data:
        if field == "reached":
            value = _reached_of(value)
        elif field == "safe_params":
            value = frozenset(value)
        elif field == "param_kinds":
            value = tuple((str(p), str(d), str(r)) for p, d, r in value)
        elif field in ("callee_text", "method_text", "property_text"):
            value = str(value)
        elif field == "keeps":
            value = None if value is None else bool(value)
        elif field == "guards":
            value = frozenset(value)
        elif field not in ("dependency", "once"):
            raise ValueError(f"unknown program fact {field!r}")
        else:
            value = bool(value)
        read[(str(qualname), str(field))] = value
    return read
