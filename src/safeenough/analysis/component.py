"""Analysis components: what they are, and the decorator that declares one.

A component is a function (or callable object) called with the conversation and the annotations of
the keys it `requires`, returning new Annotations for the keys it `produces`:

    @component(name="question_share", version=1, requires=("behaviour",), produces=("question_share",))
    def question_share(conversation: Conversation, annotations: AnnotationSet) -> tuple[Annotation, ...]:
        behaviours = annotations.by_turn("behaviour")
        share = sum(value == "question" for value in behaviours.values()) / max(len(behaviours), 1)
        return (question_share.spec.annotate(None, "question_share", share),)

The decorator returns the function itself with a `spec` attribute, so a component defined at module
level pickles by reference and can run in worker processes. Heavy resources (models, tokenizers)
belong in a module-level cache that each component loads lazily on first call, once per process.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, cast, runtime_checkable

from safeenough.domain.annotation import KEY, MAX_NAME_LENGTH, Annotation, AnnotationSet, AnnotationValue
from safeenough.domain.conversation import Conversation
from safeenough.errors import InvalidInput, SafeEnoughError

NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class PipelineError(InvalidInput):
    """A pipeline that cannot be built: an unknown component, or one placed before what it needs."""


class ComponentError(SafeEnoughError):
    """A component failed while analysing a conversation, or returned annotations it may not."""

    def __init__(self, message: str, component: str = "", conversation_id: str = "") -> None:
        super().__init__(message)
        self.component = component
        self.conversation_id = conversation_id

    def __reduce__(self) -> tuple[type["ComponentError"], tuple[str, str, str]]:
        # Rebuilt from its parts, so that it survives the trip back from a worker process.
        return (type(self), (str(self), self.component, self.conversation_id))


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    """What a component is called, which version it is, and which annotation keys it needs and gives."""

    name: str
    version: int
    requires: tuple[str, ...]
    produces: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "requires", tuple(self.requires))
        object.__setattr__(self, "produces", tuple(self.produces))
        if not NAME.match(self.name):
            raise PipelineError(
                f"component name must be lower-case letters, digits and '_' (got {self.name!r})"
            )
        if len(self.name) > MAX_NAME_LENGTH - 5:
            raise PipelineError(f"component name {self.name!r} is too long (at most {MAX_NAME_LENGTH - 5})")
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise PipelineError(f"component {self.name!r}: version must be a whole number from 1")
        if not self.produces:
            raise PipelineError(f"component {self.versioned_name!r} must produce at least one key")
        for key in self.requires + self.produces:
            if not isinstance(key, str) or not KEY.match(key) or len(key) > MAX_NAME_LENGTH:
                raise PipelineError(
                    f"component {self.versioned_name!r}: annotation key {key!r} must be lower-case "
                    f"words joined by '_' or '.', at most {MAX_NAME_LENGTH} characters"
                )
        both = sorted(set(self.requires) & set(self.produces))
        if both:
            raise PipelineError(
                f"component {self.versioned_name!r} both requires and produces {', '.join(both)}; "
                "a component adds new keys and never rewrites what another component found"
            )

    @property
    def versioned_name(self) -> str:
        """The name pipelines and stored annotations use: "rupture_markers.v1"."""
        return f"{self.name}.v{self.version}"

    def annotate(
        self,
        target_turn: int | None,
        key: str,
        value: AnnotationValue,
        *,
        confidence: float | None = None,
        evidence: Iterable[int] = (),
    ) -> Annotation:
        """An annotation by this component, with `produced_by` filled in and the key checked."""
        if key not in self.produces:
            raise ComponentError(
                f"component {self.versioned_name!r} may only produce {', '.join(self.produces)}, not {key!r}",
                component=self.versioned_name,
            )
        return Annotation(
            target_turn=target_turn,
            key=key,
            value=value,
            confidence=confidence,
            evidence=tuple(evidence),
            produced_by=self.versioned_name,
        )


ComponentFunction = Callable[[Conversation, AnnotationSet], Iterable[Annotation]]


@runtime_checkable
class Component(Protocol):
    """A callable with a `spec`; what `@component` returns and what a pipeline runs."""

    @property
    def spec(self) -> ComponentSpec: ...

    def __call__(self, conversation: Conversation, annotations: AnnotationSet, /) -> Iterable[Annotation]: ...


def component(
    *,
    name: str,
    version: int,
    produces: Iterable[str],
    requires: Iterable[str] = (),
    register: bool = True,
) -> Callable[[ComponentFunction], Component]:
    """Declare a component and (by default) register it under "name.vN" in the default registry."""
    spec = ComponentSpec(name=name, version=version, requires=tuple(requires), produces=tuple(produces))

    def declare(function: ComponentFunction) -> Component:
        if not callable(function):
            raise PipelineError(f"@component({spec.versioned_name!r}) must decorate a function")
        # The function itself is returned (not a wrapper), so pickle finds it by its module and name.
        function.spec = spec  # type: ignore[attr-defined]
        declared = cast(Component, function)
        if register:
            from safeenough.analysis.registry import (
                default_registry,
            )  # here, not at the top: registry imports this module

            default_registry.register(declared)
        return declared

    return declare


def spec_of(candidate: object) -> ComponentSpec:
    """The spec of a declared component, or a clear error for anything else."""
    spec = getattr(candidate, "spec", None)
    if not isinstance(spec, ComponentSpec) or not callable(candidate):
        raise PipelineError(
            f"{candidate!r} is not an analysis component; declare it with @component(name=..., version=...)"
        )
    return spec
