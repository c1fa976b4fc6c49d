"""The pipeline the app and `safeenough analyze` run unless told otherwise."""

from functools import cache

from safeenough.analysis.pipeline import Pipeline

# In running order: each component's `requires` is produced by one before it.
DEFAULT_COMPONENTS: tuple[str, ...] = ()


@cache
def default_pipeline() -> Pipeline:
    return Pipeline.from_names(DEFAULT_COMPONENTS)
