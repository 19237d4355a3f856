"""qualscale: pick the quality standard every delivery needs, and the test plan that follows.

The scale of quality standards is data (:func:`load_scale`); a delivery is
classified by size, risk and history (:func:`classify`) and gets a test plan
(:func:`plan`) that says which tests, how deep, where and when - and why;
:func:`verify` tallies a test run's outcomes per kind beside the plan (deprecated as a
verdict: :func:`qualscale.judgement.judge` judges each activity).
"""

from qualscale._version import __version__

# Not typing's: ``qualscale.__main__`` catches an interrupt only once this package is
# imported, so the package imports nothing it can do without (mypy takes any name
# TYPE_CHECKING as true).
TYPE_CHECKING = False

if TYPE_CHECKING:
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

#: Where each public name lives: modules are imported on first use of a name, so that
#: ``import qualscale`` (and the command line, which needs few of them) starts fast.
_HOMES = {
    "Changes": "qualscale.delivery",
    "Classification": "qualscale.classification",
    "Delivery": "qualscale.delivery",
    "DeliveryError": "qualscale.errors",
    "Evidence": "qualscale.verification",
    "GatePolicy": "qualscale.gates",
    "GitError": "qualscale.errors",
    "History": "qualscale.delivery",
    "Kind": "qualscale.requirements",
    "KindVerdict": "qualscale.verification",
    "PastDelivery": "qualscale.delivery",
    "PathChange": "qualscale.delivery",
    "PlannedRequirement": "qualscale.planning",
    "Problem": "qualscale.errors",
    "QualscaleError": "qualscale.errors",
    "Reason": "qualscale.classification",
    "RenderError": "qualscale.errors",
    "Requirement": "qualscale.requirements",
    "Scale": "qualscale.scale",
    "ScaleError": "qualscale.errors",
    "Standard": "qualscale.scale",
    "TestPlan": "qualscale.planning",
    "UsageError": "qualscale.errors",
    "ValidationError": "qualscale.errors",
    "Verdict": "qualscale.verification",
    "bundled_scales": "qualscale.loading",
    "classify": "qualscale.classification",
    "load_delivery": "qualscale.loading",
    "load_document": "qualscale.loading",
    "load_gates": "qualscale.loading",
    "load_history": "qualscale.loading",
    "load_scale": "qualscale.loading",
    "plan": "qualscale.planning",
    "verify": "qualscale.verification",
}

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


#: The public modules: ``qualscale.loading`` works after a plain ``import qualscale``.
_MODULES = frozenset(
    {
        "calibration",
        "classification",
        "cli",
        "compiled",
        "delivery",
        "errors",
        "evidence",
        "gates",
        "git",
        "judgement",
        "loading",
        "planning",
        "records",
        "render",
        "replay",
        "requirements",
        "rules",
        "scale",
        "stores",
        "strategies",
        "verification",
    }
)


def __getattr__(name: str) -> object:
    import importlib

    if name in _MODULES:
        return importlib.import_module(f"qualscale.{name}")  # binds itself here
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'qualscale' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
