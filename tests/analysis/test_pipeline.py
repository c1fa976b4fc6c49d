"""The example components below stand in for the real models: they count words and questions."""

import copy

import pytest

from safeenough.analysis import (
    AnalysisResult,
    ComponentError,
    Pipeline,
    PipelineError,
    Registry,
    analyse_many,
    component,
)
from safeenough.domain.annotation import Annotation, AnnotationSet
from safeenough.domain.conversation import Conversation, SpeakerRole, Turn
from safeenough.errors import InvalidInput


@component(name="is_question", version=1, produces=("is_question",), register=False)
def is_question(conversation: Conversation, annotations: AnnotationSet) -> tuple[Annotation, ...]:
    return tuple(
        is_question.spec.annotate(turn.index, "is_question", turn.text.rstrip().endswith("?"))
        for turn in conversation.turns
    )


@component(
    name="question_share", version=1, requires=("is_question",), produces=("question_share",), register=False
)
def question_share(conversation: Conversation, annotations: AnnotationSet) -> tuple[Annotation, ...]:
    flags = annotations.by_turn("is_question")
    questions = [turn for turn, flag in flags.items() if flag]
    share = len(questions) / len(flags) if flags else 0.0
    return (question_share.spec.annotate(None, "question_share", share, evidence=questions),)


@component(name="sees_inputs", version=1, requires=("is_question",), produces=("seen",), register=False)
def sees_inputs(conversation: Conversation, annotations: AnnotationSet) -> tuple[Annotation, ...]:
    # Reports which keys it was given, so a test can check it gets only what it requires.
    return (sees_inputs.spec.annotate(None, "seen", ",".join(annotations.keys())),)


@component(name="word_count", version=1, produces=("words",), register=False)
def word_count(conversation: Conversation, annotations: AnnotationSet) -> list[Annotation]:
    return [
        word_count.spec.annotate(t.index, "words", float(len(t.text.split()))) for t in conversation.turns
    ]


def conversation(*lines: str, conversation_id: str = "c") -> Conversation:
    turns = []
    for index, line in enumerate(lines):
        speaker, text = line.split(": ", 1)
        role = SpeakerRole.THERAPIST if speaker == "T" else SpeakerRole.CLIENT
        turns.append(Turn(index=index, speaker=speaker, role=role, text=text))
    return Conversation(id=conversation_id, turns=tuple(turns))


SESSION = conversation("T: What brings you here?", "C: My wife sent me.", "T: She sent you.")


def registry_with(*components):
    registry = Registry(builtin_package=None)
    for item in components:
        registry.register(item)
    return registry


def test_pipeline_runs_components_in_order_and_passes_what_they_require():
    pipeline = Pipeline([is_question, question_share])

    result = pipeline.run(SESSION)

    assert result.annotations.by_turn("is_question") == {0: True, 1: False, 2: False}
    share = result.annotations.session_level().with_key("question_share")
    assert [(a.value, a.evidence, a.produced_by) for a in share] == [(1 / 3, (0,), "question_share.v1")]
    assert result.pipeline == ("is_question.v1", "question_share.v1")


def test_pipeline_is_built_from_versioned_names():
    pipeline = Pipeline.from_names(
        ["is_question.v1", "question_share.v1"], registry=registry_with(is_question, question_share)
    )

    assert pipeline.names == ("is_question.v1", "question_share.v1")
    assert pipeline.produces == ("is_question", "question_share")


def test_pipeline_with_a_component_before_what_it_requires_says_what_to_move():
    with pytest.raises(PipelineError) as raised:
        Pipeline([question_share, is_question])

    assert str(raised.value).startswith("component 'question_share.v1' (step 1) requires 'is_question'")
    assert "which no earlier component in the pipeline produces" in str(raised.value)


def test_pipeline_error_is_an_invalid_input_for_the_cli_and_web():
    with pytest.raises(InvalidInput):
        Pipeline.from_names(["nope.v1"], registry=registry_with())


def test_pipeline_refuses_the_same_component_twice():
    with pytest.raises(PipelineError, match=r"'is_question\.v1' appears twice"):
        Pipeline([is_question, is_question])


def test_component_gets_only_the_annotations_it_requires():
    result = Pipeline([word_count, is_question, sees_inputs]).run(SESSION)

    assert result.annotations.value("seen") == "is_question"


def test_running_never_changes_the_conversation():
    before = copy.deepcopy(SESSION)

    result = Pipeline([is_question, question_share, word_count]).run(SESSION)

    assert before == SESSION
    assert result.conversation is SESSION


def test_components_may_return_any_iterable_of_annotations():
    assert len(Pipeline([word_count]).run(SESSION).annotations) == 3


def test_a_failing_component_is_named_with_the_conversation():
    @component(name="broken", version=1, produces=("x",), register=False)
    def broken(conversation: Conversation, annotations: AnnotationSet) -> tuple[Annotation, ...]:
        raise ZeroDivisionError("division by zero")

    with pytest.raises(
        ComponentError, match=r"component 'broken\.v1' failed on conversation 'c': ZeroDivision"
    ):
        Pipeline([broken]).run(SESSION)


def test_an_annotation_claiming_another_producer_is_refused():
    @component(name="liar", version=1, produces=("x",), register=False)
    def liar(conversation: Conversation, annotations: AnnotationSet) -> tuple[Annotation, ...]:
        return (Annotation(None, "x", 1.0, None, (), "someone_else.v1"),)

    with pytest.raises(ComponentError, match=r"produced_by 'someone_else\.v1'; expected 'liar\.v1'"):
        Pipeline([liar]).run(SESSION)


def test_an_undeclared_key_is_refused():
    @component(name="sneaky", version=1, produces=("x",), register=False)
    def sneaky(conversation: Conversation, annotations: AnnotationSet) -> tuple[Annotation, ...]:
        return (Annotation(None, "y", 1.0, None, (), "sneaky.v1"),)

    with pytest.raises(
        ComponentError, match=r"returned key 'y', which it does not declare in produces \(x\)"
    ):
        Pipeline([sneaky]).run(SESSION)


def test_an_annotation_pointing_past_the_last_turn_is_refused():
    @component(name="overreach", version=1, produces=("x",), register=False)
    def overreach(conversation: Conversation, annotations: AnnotationSet) -> tuple[Annotation, ...]:
        return (overreach.spec.annotate(0, "x", True, evidence=(7,)),)

    with pytest.raises(ComponentError, match="points at turn 7, but the conversation has 3 turns"):
        Pipeline([overreach]).run(SESSION)


def test_analyse_many_in_this_process_keeps_order_and_reports_progress():
    sessions = [conversation("T: Why?", "C: Because.", conversation_id=str(n)) for n in range(3)]
    seen = []

    results = analyse_many(
        sessions, Pipeline([is_question]), progress=lambda done, total: seen.append((done, total))
    )

    assert [result.conversation.id for result in results] == ["0", "1", "2"]
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_analyse_many_with_worker_processes_gives_the_same_results_in_order():
    sessions = [
        conversation(*(["T: Why?", "C: Because."] * (n + 1)), conversation_id=str(n)) for n in range(10)
    ]
    pipeline = Pipeline([is_question, question_share])
    seen = []

    results = analyse_many(sessions, pipeline, processes=2, progress=lambda done, total: seen.append(done))

    assert results == [pipeline.run(session) for session in sessions]
    assert all(isinstance(result, AnalysisResult) for result in results)
    assert seen[-1] == 10
    assert seen == sorted(seen)


def test_analyse_many_brings_a_worker_failure_back_named():
    sessions = [conversation("T: Why?", conversation_id=str(n)) for n in range(4)]

    with pytest.raises(ComponentError, match=r"failed on conversation '\d'"):
        analyse_many(sessions, Pipeline([explodes]), processes=2)


@component(name="explodes", version=1, produces=("x",), register=False)
def explodes(conversation: Conversation, annotations: AnnotationSet) -> tuple[Annotation, ...]:
    raise RuntimeError("model file missing")


def test_analyse_many_refuses_zero_processes():
    with pytest.raises(PipelineError, match="processes must be 1 or more"):
        analyse_many([SESSION], Pipeline([is_question]), processes=0)


def test_analyse_many_of_nothing_is_nothing():
    assert analyse_many([], Pipeline([is_question])) == []
