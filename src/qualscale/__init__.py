"""qualscale: pick the quality standard every delivery needs, and the test plan that follows.

The scale of quality standards is data (:func:`load_scale`); a delivery is
classified by size, risk and history (:func:`classify`) and gets a test plan
(:func:`plan`) that says which tests, how deep, where and when - and why;
:func:`verify` compares the evidence of a test run with the plan.
"""

from qualscale._version import __version__
from qualscale.classification import Classification, Reason, classify
from qualscale.delivery import Changes, Delivery, History, PastDelivery, PathChange
from qualscale.errors import (
    DeliveryError,
    GitError,
    Problem,
    QualscaleError,
    RenderError,
    ScaleError,
    UsageError,
    ValidationError,
)
from qualscale.gates import GatePolicy
from qualscale.loading import (
    bundled_scales,
    load_delivery,
    load_document,
    load_gates,
    load_history,
    load_scale,
)
from qualscale.planning import PlannedRequirement, TestPlan, plan
from qualscale.requirements import Kind, Requirement
from qualscale.scale import Scale, Standard
from qualscale.verification import Evidence, KindVerdict, Verdict, verify

__all__ = [
    "Changes",
    "Classification",
    "Delivery",
    "DeliveryError",
    "Evidence",
    "GatePolicy",
    "GitError",
    "History",
    "Kind",
    "KindVerdict",
    "PastDelivery",
    "PathChange",
    "PlannedRequirement",
    "Problem",
    "QualscaleError",
    "Reason",
    "RenderError",
    "Requirement",
    "Scale",
    "ScaleError",
    "Standard",
    "TestPlan",
    "UsageError",
    "ValidationError",
    "Verdict",
    "__version__",
    "bundled_scales",
    "classify",
    "load_delivery",
    "load_document",
    "load_gates",
    "load_history",
    "load_scale",
    "plan",
    "verify",
]


def __dir__() -> list[str]:
    return list(__all__)
