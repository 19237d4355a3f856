"""qualscale: pick the quality standard every delivery needs, and the test plan that follows.

The scale of quality standards is data (:func:`load_scale`); a delivery is
classified by size, risk and history (:func:`classify`) and gets a test plan
(:func:`plan`) that says which tests, how deep, where and when - and why.
"""

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from qualscale.requirements import Requirement
    from qualscale.scale import Scale, Standard

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


# The names are imported from their modules on first use. pytest imports this
# package in every session (the plugin's entry point is qualscale.pytest_plugin),
# and the core's imports (attrs, cattrs, yaml) would slow down every session that
# does not use the plugin.
_HOME = {
    "Changes": "delivery",
    "Classification": "classify",
    "Delivery": "delivery",
    "DeliveryError": "errors",
    "GitError": "errors",
    "History": "delivery",
    "PastDelivery": "delivery",
    "PlannedRequirement": "plan",
    "Problem": "errors",
    "QualscaleError": "errors",
    "Reason": "classify",
    "RenderError": "errors",
    "Requirement": "requirements",
    "Scale": "scale",
    "ScaleError": "errors",
    "Standard": "scale",
    "TestPlan": "plan",
    "UsageError": "errors",
    "ValidationError": "errors",
    "classify": "classify",
    "load_delivery": "_loading",
    "load_history": "_loading",
    "load_scale": "_loading",
    "plan": "plan",
}


class _Package(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        home = _HOME.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
        super().__setattr__(name, value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing the submodule qualscale.plan binds it on the package, where it
        # would hide the function plan (likewise classify); the function wins, as
        # it did when this module imported everything eagerly.
        if name in _HOME and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *__all__})


sys.modules[__name__].__class__ = _Package
