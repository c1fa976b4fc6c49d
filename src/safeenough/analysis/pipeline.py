"""Pipelines: components in an order where each finds what it requires, run over conversations.

A pipeline is checked when it is built, not when it runs: every key a component requires must be
produced by a component before it. Running never changes the conversation (it is immutable); it
collects the annotations of all components into an AnalysisResult.
"""

import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from dataclasses import dataclass

from safeenough.analysis.component import Component, ComponentError, PipelineError, spec_of
from safeenough.analysis.registry import Registry, default_registry
from safeenough.domain.annotation import Annotation, AnnotationSet
from safeenough.domain.conversation import Conversation
from safeenough.errors import InvalidInput

Progress = Callable[[int, int], object]
"""Called as progress(done, total) after each conversation (or chunk of them) is analysed."""

# Below these sizes starting worker processes (each imports the models) costs more than it saves.
PARALLEL_MIN_CONVERSATIONS = 8
PARALLEL_MIN_TURNS = 2000
# Several chunks per worker keep both cores busy when conversation lengths differ, while keeping
# the number of round trips (and progress updates) small.
CHUNKS_PER_WORKER = 4


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """A conversation and everything the pipeline's components said about it."""

    conversation: Conversation
    annotations: AnnotationSet
    pipeline: tuple[str, ...]
    """The versioned names of the components that ran, in order: what produced these annotations."""


class Pipeline:
    """Components in a checked order. Build from names with `Pipeline.from_names([...])`."""

    __slots__ = ("_components",)

    def __init__(self, components: Iterable[Component]) -> None:
        self._components = tuple(components)
        _check_order(self._components)

    @classmethod
    def from_names(cls, names: Iterable[str], *, registry: Registry | None = None) -> "Pipeline":
        """A pipeline of registered components, e.g. `["therapist_behaviour.v1", "quality.v1"]`."""
        lookup = registry or default_registry
        return cls(lookup.get(name) for name in names)

    @property
    def components(self) -> tuple[Component, ...]:
        return self._components

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(component.spec.versioned_name for component in self._components)

    @property
    def produces(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(key for component in self._components for key in component.spec.produces))

    def __repr__(self) -> str:
        return f"Pipeline({list(self.names)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pipeline) and self._components == other._components

    def __hash__(self) -> int:
        return hash(self._components)

    def __getstate__(self) -> tuple[Component, ...]:
        return self._components

    def __setstate__(self, components: tuple[Component, ...]) -> None:
        self._components = components

    def run(self, conversation: Conversation) -> AnalysisResult:
        return AnalysisResult(conversation, self.annotate(conversation), self.names)

    def annotate(self, conversation: Conversation) -> AnnotationSet:
        """All annotations of all components for one conversation, in pipeline order."""
        found: list[Annotation] = []
        for component in self._components:
            spec = component.spec
            required = AnnotationSet(tuple(item for item in found if item.key in spec.requires))
            try:
                produced = tuple(component(conversation, required))
            except (ComponentError, InvalidInput):
                raise  # already says what is wrong, for whom it is meant
            except Exception as error:
                raise ComponentError(
                    f"component {spec.versioned_name!r} failed on conversation {conversation.id!r}: "
                    f"{type(error).__name__}: {error}",
                    component=spec.versioned_name,
                    conversation_id=conversation.id,
                ) from error
            for annotation in produced:
                _check_output(component, conversation, annotation)
            found.extend(produced)
        return AnnotationSet(tuple(found))


def _check_order(components: Sequence[Component]) -> None:
    available: dict[str, str] = {}  # key → versioned name of the first component producing it
    seen: set[str] = set()
    for position, candidate in enumerate(components, start=1):
        spec = spec_of(candidate)
        name = spec.versioned_name
        if name in seen:
            raise PipelineError(f"component {name!r} appears twice in the pipeline; keep one")
        seen.add(name)
        missing = [key for key in spec.requires if key not in available]
        if missing:
            producers = {key: default_registry.producers_of(key) for key in missing}
            hints = [
                f"{key!r} (produced by {', '.join(repr(p) for p in producers[key])})"
                if producers[key]
                else f"{key!r} (no registered component produces it)"
                for key in missing
            ]
            raise PipelineError(
                f"component {name!r} (step {position}) requires {', '.join(hints)}, which no earlier "
                "component in the pipeline produces; put a component that produces it before "
                f"{name!r}"
            )
        for key in spec.produces:
            available.setdefault(key, name)


def _check_output(component: Component, conversation: Conversation, annotation: object) -> None:
    spec = component.spec
    name = spec.versioned_name

    def broken(problem: str) -> ComponentError:
        return ComponentError(
            f"component {name!r} on conversation {conversation.id!r}: {problem}",
            component=name,
            conversation_id=conversation.id,
        )

    if not isinstance(annotation, Annotation):
        raise broken(f"returned {type(annotation).__name__}; expected Annotation objects")
    if annotation.produced_by != name:
        raise broken(f"returned an annotation produced_by {annotation.produced_by!r}; expected {name!r}")
    if annotation.key not in spec.produces:
        raise broken(
            f"returned key {annotation.key!r}, which it does not declare in produces "
            f"({', '.join(spec.produces)})"
        )
    outside = [turn for turn in annotation.turns_referenced if turn >= len(conversation.turns)]
    if outside:
        raise broken(
            f"annotation {annotation.key!r} points at turn {outside[0]}, but the conversation has "
            f"{len(conversation.turns)} turns"
        )


# --- many conversations ---------------------------------------------------------------------------

_worker_pipeline: Pipeline | None = None


def _start_worker(pipeline: Pipeline) -> None:
    global _worker_pipeline  # one pipeline per worker process, set once at start
    _worker_pipeline = pipeline


def _annotate_chunk(conversations: Sequence[Conversation]) -> list[AnnotationSet]:
    assert _worker_pipeline is not None, "worker started without a pipeline"
    return [_worker_pipeline.annotate(conversation) for conversation in conversations]


def analyse_many(
    conversations: Iterable[Conversation],
    pipeline: Pipeline,
    *,
    processes: int | None = None,
    progress: Progress | None = None,
) -> list[AnalysisResult]:
    """Analyse many conversations, in worker processes when the batch is large; results keep input order.

    `processes=None` uses one process per CPU for large batches (at least
    8 conversations and 2,000 turns together) and this process
    otherwise; `processes=1` never starts workers. `progress(done, total)` is called as work starts (0) and as
    it finishes.
    """
    batch = list(conversations)
    total = len(batch)
    workers = _worker_count(processes, batch)
    if workers <= 1:
        results = []
        if progress is not None:
            progress(0, total)
        for done, conversation in enumerate(batch, start=1):
            results.append(pipeline.run(conversation))
            if progress is not None:
                progress(done, total)
        return results
    annotations = _annotate_in_workers(batch, pipeline, workers, progress)
    return [
        AnalysisResult(conversation, found, pipeline.names)
        for conversation, found in zip(batch, annotations, strict=True)
    ]


def _worker_count(processes: int | None, batch: Sequence[Conversation]) -> int:
    if processes is not None:
        if processes < 1:
            raise PipelineError(f"processes must be 1 or more (got {processes})")
        return min(processes, max(len(batch), 1))
    turns = sum(len(conversation.turns) for conversation in batch)
    if len(batch) < PARALLEL_MIN_CONVERSATIONS or turns < PARALLEL_MIN_TURNS:
        return 1
    return min(os.cpu_count() or 1, len(batch))


def _annotate_in_workers(
    batch: Sequence[Conversation], pipeline: Pipeline, workers: int, progress: Progress | None
) -> list[AnnotationSet]:
    total = len(batch)
    chunk_size = max(1, -(-total // (workers * CHUNKS_PER_WORKER)))
    chunks = [range(start, min(start + chunk_size, total)) for start in range(0, total, chunk_size)]
    found: list[AnnotationSet | None] = [None] * total
    # forkserver, not fork: forking a parent that holds ONNX runtime threads can deadlock the child.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_start_worker,
        initargs=(pipeline,),
    ) as pool:
        pending = {pool.submit(_annotate_chunk, [batch[i] for i in chunk]): chunk for chunk in chunks}
        done_count = 0
        while pending:
            finished, _ = wait(pending, return_when=FIRST_EXCEPTION)
            for future in finished:
                chunk = pending.pop(future)
                error = future.exception()
                if error is not None:
                    for other in pending:
                        other.cancel()
                    raise error
                for index, annotations in zip(chunk, future.result(), strict=True):
                    found[index] = annotations
                done_count += len(chunk)
                if progress is not None:
                    progress(done_count, total)
    return [annotations for annotations in found if annotations is not None]
