"""The errors qualscale raises.

Every error is a :class:`QualscaleError`; the subclasses also inherit the
builtin they are, so ``except ValueError`` keeps working for callers that do
not know qualscale.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeAlias

import attrs

__all__ = [
    "DeliveryError",
    "EvidenceError",
    "GitError",
    "KeyPath",
    "Problem",
    "QualscaleError",
    "RenderError",
    "ScaleError",
    "StoreError",
    "UsageError",
    "ValidationError",
    "format_path",
]

#: Where a value sits inside a document: mapping keys and list indexes from the root.
KeyPath: TypeAlias = tuple[str | int, ...]


def format_path(path: KeyPath) -> str:
    """``("standards", 2, "kind")`` as ``$.standards[2].kind``, the way every message shows it."""
    out = "$"
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif step.replace("-", "").replace("_", "").isalnum() and step[:1].isalpha():
            out += f".{step}"
        else:
            out += f"[{step!r}]"
    return out


@attrs.frozen
class Problem:
    """One located problem in an input file.

    Attributes:
        message: What was expected and what was found.
        file: The file the problem is in, or ``None`` for data given in memory.
        line: The 1-based line, when known.
        path: The key path inside the document, such as ``("rules", "modifiers", 2)``;
            :attr:`key` shows it as ``$.rules.modifiers[2]``.
    """

    message: str
    file: str | None = None
    line: int | None = None
    path: KeyPath = ()

    @property
    def key(self) -> str:
        """The key path as written in messages: ``$.rules.modifiers[2]``."""
        return format_path(self.path)

    def __str__(self) -> str:
        where = self.file or "<data>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.key}: {self.message}"


class QualscaleError(Exception):
    """The root of every error qualscale raises on purpose."""


class ValidationError(QualscaleError, ValueError):
    """An input document is invalid; :attr:`problems` lists every problem found.

    ``str(error)`` gives one ``file:line: key: message`` line per problem.
    """

    #: The object built once the values with a wrong type or an unknown key were left
    #: out, when that worked: later checks (a delivery's flags against a scale) can still
    #: run on it, so that one bad value does not hide the problems behind it.
    partial: object | None = None

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(
        cls,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        path: KeyPath = (),
    ) -> ValidationError:
        """Build an error with a single problem."""
        return cls([Problem(message, file, line, path)])

    @property
    def messages(self) -> Sequence[str]:
        """One formatted line per problem."""
        return [str(p) for p in self.problems]


class ScaleError(ValidationError):
    """A scale file (or a scale built in memory) is invalid."""


class DeliveryError(ValidationError):
    """A delivery or history document is invalid."""


class StoreError(ValidationError):
    """A history store cannot be used: unreadable, foreign, of an unknown schema version, ...

    The problem names the store (its file or URL, without a password).
    """


class EvidenceError(ValidationError):
    """An evidence file (JUnit XML, a plugin report, a sign-off file) is invalid or refused."""


class GitError(QualscaleError, RuntimeError):
    """Reading a delivery from git failed (not a repository, unknown revision, ...)."""


class RenderError(QualscaleError, ValueError):
    """A template could not be loaded or rendered; the message names file and line."""


class UsageError(QualscaleError, ValueError):
    """A caller passed arguments that cannot work together or an unknown name."""


def __dir__() -> list[str]:
    return list(__all__)
