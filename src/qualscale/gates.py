"""The gating policy: decision points a delivery passes, each with its review and artifacts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from qualscale._validators import ident
from qualscale.errors import Problem, ScaleError

__all__ = ["Gate", "GatePolicy"]


@attrs.frozen
class Gate:
    """A decision point of the gating policy; scales list gates in the order they are passed."""

    id: str = attrs.field(validator=ident)
    name: str = ""
    description: str = ""
    objectives: tuple[str, ...] = ()
    review_team: tuple[str, ...] = ()
    artifacts: tuple[str, ...] = ()


@attrs.frozen
class GatePolicy:
    """A gates file: the gating policy's decision points, in the order a project passes them."""

    gates: tuple[Gate, ...]
    policy: str = ""
    description: str = ""

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        problems = []
        for i, gate in enumerate(self.gates):
            if gate.id in seen:
                problems.append(Problem(f"duplicate gate id {gate.id!r}", path=("gates", i, "id")))
            seen.add(gate.id)
        if problems:
            raise ScaleError(problems)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, file: str | None = None) -> GatePolicy:
        """Build a gating policy from plain data (the gates file format).

        Raises:
            ScaleError: naming the key path of every problem.
        """
        from qualscale._convert import structure_located

        return structure_located(data, cls, ScaleError, file=file)


def __dir__() -> list[str]:
    return list(__all__)
