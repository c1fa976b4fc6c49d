"""Transcript analysis: components declared with `@component`, registered by versioned name, and
run in a checked order by a `Pipeline`. Models and the components that use them live in
`analysis/models/` and `analysis/components/`.
"""

from safeenough.analysis.component import (
    Component,
    ComponentError,
    ComponentSpec,
    PipelineError,
    component,
)
from safeenough.analysis.pipeline import AnalysisResult, Pipeline, analyse_many
from safeenough.analysis.registry import Registry, default_registry, get_component, registered_names

__all__ = [
    "AnalysisResult",
    "Component",
    "ComponentError",
    "ComponentSpec",
    "Pipeline",
    "PipelineError",
    "Registry",
    "analyse_many",
    "component",
    "default_registry",
    "get_component",
    "registered_names",
]
