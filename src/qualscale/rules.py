"""The classification rules of a scale: size bands, risk, components, the matrix, modifiers.

Plain, immutable data; :func:`qualscale.classify` applies them to a delivery.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import attrs

from qualscale._commit_rules import CommitPattern, CommitRules
from qualscale._validators import globs, ident, metrics, nonneg, positive
from qualscale.requirements import ModifierRequirement

__all__ = [
    "CONTENT_ORDER",
    "COUNTED_CONTENT",
    "CommitPattern",
    "CommitRules",
    "ComponentRule",
    "Condition",
    "Content",
    "HistoryRule",
    "MetricBound",
    "Modifier",
    "RiskRules",
    "Rules",
    "Score",
    "SizeBand",
    "SizeRules",
]

Content = Literal["docs", "test", "config", "data", "code"]
#: What a changed file is, from the least to the most risky; a delivery's
#: content is the riskiest of its files.
CONTENT_ORDER: tuple[Content, ...] = ("docs", "test", "config", "data", "code")


@attrs.frozen
class SizeBand:
    """A size band; a delivery is in the first band whose every limit it stays within.

    A missing limit is no limit, so the last band usually has none.
    """

    id: str = attrs.field(validator=ident)
    max_lines: int | None = attrs.field(default=None, validator=nonneg)
    max_files: int | None = attrs.field(default=None, validator=nonneg)
    max_components: int | None = attrs.field(default=None, validator=nonneg)
    description: str = ""


#: The content that counts toward size unless a scale says otherwise: writing tests
#: or docs never makes a delivery bigger.
COUNTED_CONTENT: tuple[Content, ...] = ("code", "config", "data")


@attrs.frozen
class SizeRules:
    """Size bands (smallest first), the band assumed without figures, what counts.

    ``counts`` names the content whose files, lines and components count toward the
    size figures; lines of other content are left out when the delivery gives lines
    per path (``changes.by_path``), its files and components whenever its paths say
    what they are.
    """

    bands: tuple[SizeBand, ...]
    unknown: str
    counts: tuple[Content, ...] = COUNTED_CONTENT


@attrs.frozen
class ComponentRule:
    """Maps changed paths to a component with a criticality (a risk class).

    ``paths`` are globs (``src/rating/**``, ``tariffs/*.csv``); ``content`` says
    what such files are, so docs-only and config-only changes are recognised;
    ``flags`` are risk flags every change of the component carries. A path
    belongs to the first component that matches it, trying higher ``priority``
    first and, at equal priority, in the order the scale lists them (so an
    overlay's new component can win over a shipped one with a broader glob).
    """

    id: str = attrs.field(validator=ident)
    criticality: str
    paths: tuple[str, ...] = attrs.field(default=(), validator=globs)
    content: Content = "code"
    flags: tuple[str, ...] = ()
    priority: int = 0
    description: str = ""


@attrs.frozen
class RiskRules:
    """Risk classes (lowest first) and what puts a delivery in each."""

    classes: tuple[str, ...]
    flags: Mapping[str, str] = attrs.field(factory=dict)
    types: Mapping[str, str] = attrs.field(factory=dict)
    unknown_type: str | None = None
    unmapped_paths: str | None = None


@attrs.frozen
class MetricBound:
    """The bounds a change metric must stay within: ``{at_least: 200}``, ``{at_most: 3}``.

    Both bounds are inclusive; give at least one.
    """

    at_least: float | None = None
    at_most: float | None = None

    def holds(self, value: float | None) -> bool:
        """Whether ``value`` is given and within the bounds (a missing metric never holds)."""
        if value is None:
            return False
        if self.at_least is not None and value < self.at_least:
            return False
        return self.at_most is None or value <= self.at_most

    def describe(self) -> str:
        """``at least 200``, ``at most 3``, or both joined with ``and``."""
        parts = [f"at least {_number(self.at_least)}"] if self.at_least is not None else []
        if self.at_most is not None:
            parts.append(f"at most {_number(self.at_most)}")
        return " and ".join(parts)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@attrs.frozen
class Condition:
    """When a modifier applies: every part given must hold (an empty one always holds).

    ``type``, ``flags``, ``components`` and ``content`` hold when the delivery
    has any of the listed values; ``min_size``/``max_size`` and
    ``min_risk``/``max_risk`` compare with the scale's order of bands and classes;
    ``breaking`` holds when the delivery's ``breaking`` is the same (a commit marked
    ``feat!:`` or ``BREAKING CHANGE``, see :class:`CommitRules`).
    ``metrics`` holds when every named change metric of the delivery
    (``Delivery.metrics``) is given and within its bounds.
    """

    type: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    content: tuple[Content, ...] = ()
    min_size: str | None = None
    max_size: str | None = None
    min_risk: str | None = None
    max_risk: str | None = None
    breaking: bool | None = None
    metrics: Mapping[str, MetricBound] = attrs.field(factory=dict, hash=False)

    def describe(self) -> str:
        """A short human description, for the rationale."""
        parts = []
        for name in ("type", "flags", "components", "content"):
            values: tuple[str, ...] = getattr(self, name)
            if values:
                parts.append(f"{name} in [{', '.join(values)}]")
        for name in ("min_size", "max_size", "min_risk", "max_risk"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name} {value}")
        if self.breaking is not None:
            parts.append("breaking" if self.breaking else "not breaking")
        parts += [f"{name} {bound.describe()}" for name, bound in self.metrics.items()]
        return " and ".join(parts) or "always"

    def metrics_hold(self, metrics: Mapping[str, float]) -> bool:
        """Whether every metric bound holds for these metrics of a delivery."""
        return all(bound.holds(metrics.get(name)) for name, bound in self.metrics.items())


@attrs.frozen
class Modifier:
    """A rule that adjusts the standard or single requirements after the matrix.

    Actions, applied in this order across all modifiers: ``raise_by`` (levels
    up; history rules raise next), ``ceiling`` (at most that standard; only for
    conditions that cannot grow with risk), ``floor`` (at least that standard:
    a floor always wins), and ``requires`` (requirements made at least as strong
    as given, whatever the standard; each resolved like a cell of the table, so
    it takes its depth's environment, gate, criteria and checklist unless it
    gives its own).
    """

    id: str = attrs.field(validator=ident)
    when: Condition = Condition()
    floor: str | None = None
    ceiling: str | None = None
    raise_by: int = attrs.field(default=0, validator=nonneg)
    requires: tuple[ModifierRequirement, ...] = ()
    message: str = ""


@attrs.frozen
class HistoryRule:
    """Raises the standard when the project's recent deliveries went badly.

    Fires when the ``measure`` summed over the last ``window`` past deliveries
    (of the same project, when the delivery names one) is at least ``at_least``.
    """

    id: str = attrs.field(validator=ident)
    measure: Literal["escaped_defects", "incidents"]
    window: int = attrs.field(validator=positive)
    at_least: int = attrs.field(validator=positive)
    raise_by: int = attrs.field(default=1, validator=positive)
    message: str = ""


@attrs.frozen
class Score:
    """A metric the scale derives from the delivery's change metrics: a weighted sum.

    Each weighted metric counts as ``log2(1 + value)`` (0 for values of 0 or less), so a
    weight is what one doubling of the metric adds to the score; a negative weight lowers
    it. Modifiers test a score by its name, like any metric (``when: {metrics: {risk_points:
    {at_least: 2.5}}}``); a delivery that lacks one of the weighted metrics has no score,
    and a bound on a missing metric never holds. ``qualscale calibrate`` fits scores.
    """

    weights: Mapping[str, float] = attrs.field(validator=metrics)

    @staticmethod
    def feature(value: float) -> float:
        """How a metric counts: ``log2(1 + value)``, and 0 for values of 0 or less."""
        return math.log2(1.0 + value) if value > 0 else 0.0

    def of(self, values: Mapping[str, float]) -> float | None:
        """The score of these metrics, ``None`` when one of the weighted metrics is missing."""
        total = 0.0
        for name, weight in self.weights.items():
            value = values.get(name)
            if value is None:
                return None
            total += weight * self.feature(value)
        return total


@attrs.frozen
class Rules:
    """The classification rules of a scale.

    ``scores`` are metrics derived from the delivery's own (see :class:`Score`), by name.
    """

    size: SizeRules
    risk: RiskRules
    matrix: Mapping[str, Mapping[str, str]]
    components: tuple[ComponentRule, ...] = ()
    modifiers: tuple[Modifier, ...] = ()
    history: tuple[HistoryRule, ...] = ()
    commits: CommitRules = attrs.field(factory=CommitRules)
    scores: Mapping[str, Score] = attrs.field(factory=dict, hash=False)

    def metrics_of(self, given: Mapping[str, float]) -> Mapping[str, float]:
        """A delivery's metrics with the scale's scores added (a score takes a given one's place).

        A score the delivery cannot have (a weighted metric missing) is left out.
        """
        if not self.scores:
            return given
        out = dict(given)
        for name, score in self.scores.items():
            value = score.of(given)
            if value is None:
                out.pop(name, None)
            else:
                out[name] = value
        return out


def __dir__() -> list[str]:
    return list(__all__)
