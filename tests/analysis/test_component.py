import pickle

import pytest

from safeenough.analysis import ComponentError, ComponentSpec, PipelineError, component
from safeenough.analysis.component import Component, spec_of
from safeenough.domain.annotation import Annotation, AnnotationSet
from safeenough.domain.conversation import Conversation


@component(name="turn_count", version=2, produces=("turn_count",), register=False)
def turn_count(conversation: Conversation, annotations: AnnotationSet) -> tuple[Annotation, ...]:
    return (turn_count.spec.annotate(None, "turn_count", float(len(conversation.turns))),)


def test_component_decorator_returns_the_function_with_its_spec():
    assert turn_count.spec == ComponentSpec(
        name="turn_count", version=2, requires=(), produces=("turn_count",)
    )
    assert turn_count.spec.versioned_name == "turn_count.v2"
    assert isinstance(turn_count, Component)


def test_component_pickles_by_reference_so_it_can_run_in_workers():
    assert pickle.loads(pickle.dumps(turn_count)) is turn_count


def test_spec_annotate_fills_in_produced_by():
    annotation = turn_count.spec.annotate(3, "turn_count", "x", confidence=0.5, evidence=[1, 2])

    assert annotation == Annotation(3, "turn_count", "x", 0.5, (1, 2), "turn_count.v2")


def test_spec_annotate_refuses_a_key_the_component_does_not_produce():
    with pytest.raises(ComponentError, match=r"'turn_count\.v2' may only produce turn_count, not 'other'"):
        turn_count.spec.annotate(None, "other", 1.0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"name": "Bad Name", "version": 1, "produces": ("x",)}, "component name must be lower-case"),
        ({"name": "ok", "version": 0, "produces": ("x",)}, "version must be a whole number from 1"),
        ({"name": "ok", "version": 1, "produces": ()}, "must produce at least one key"),
        ({"name": "ok", "version": 1, "produces": ("Has Space",)}, "annotation key 'Has Space'"),
        (
            {"name": "ok", "version": 1, "produces": ("x",), "requires": ("x",)},
            "both requires and produces x",
        ),
    ],
)
def test_component_declarations_are_checked_when_made(arguments, message):
    with pytest.raises(PipelineError, match=message):
        component(register=False, **arguments)


def test_spec_of_explains_what_is_not_a_component():
    with pytest.raises(PipelineError, match="is not an analysis component; declare it with @component"):
        spec_of(print)


def test_component_error_survives_pickling_with_its_details():
    error = ComponentError("it broke", component="x.v1", conversation_id="12")

    copy = pickle.loads(pickle.dumps(error))

    assert (str(copy), copy.component, copy.conversation_id) == ("it broke", "x.v1", "12")
