"""qualscale: pick the quality standard every delivery needs, and the test plan that follows.

The scale of quality standards is data (:func:`load_scale`); a delivery is
classified by size, risk and history (:func:`classify`) and gets a test plan
(:func:`plan`) that says which tests, how deep, where and when - and why.
"""

from qualscale._loading import load_delivery, load_history, load_scale
from qualscale.classify import Classification, Reason, classify
from qualscale.delivery import Changes, Delivery, History, PastDelivery
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
from qualscale.plan import PlannedRequirement, TestPlan, plan
from qualscale.scale import Requirement, Scale, Standard

__version__ = "0.1.0"

__all__ = [
    "Changes",
    "Classification",
    "Delivery",
    "DeliveryError",
    "GitError",
    "History",
    "PastDelivery",
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
    "__version__",
    "classify",
    "load_delivery",
    "load_history",
    "load_scale",
    "plan",
]
