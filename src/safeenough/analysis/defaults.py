"""The pipeline the app and `safeenough analyze` run unless told otherwise."""

from functools import cache

from safeenough.analysis.pipeline import Pipeline

# In running order: each component's `requires` is produced by one before it.
DEFAULT_COMPONENTS: tuple[str, ...] = (
    "therapist_behaviour.v1",
    "client_talk.v1",
    "session_quality.v2",
    "rupture_markers.v4",
    "anticipated_judgement.v2",
    "therapist_stance.v1",
    "check_in.v2",
    "repair.v7",
)


@cache
def default_pipeline() -> Pipeline:
    return Pipeline.from_names(DEFAULT_COMPONENTS)
