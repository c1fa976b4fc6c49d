import pytest

from safeenough.analysis import PipelineError, Registry, component, default_registry
from safeenough.domain.annotation import Annotation, AnnotationSet
from safeenough.domain.conversation import Conversation


def make(name: str, version: int = 1, produces: tuple[str, ...] = ("flag",)):
    def example(conversation: Conversation, annotations: AnnotationSet) -> tuple[Annotation, ...]:
        return ()

    return component(name=name, version=version, produces=produces, register=False)(example)


def test_registry_finds_a_component_by_its_versioned_name():
    registry = Registry(builtin_package=None)
    first = registry.register(make("rupture_markers"))

    assert registry.get("rupture_markers.v1") is first
    assert "rupture_markers.v1" in registry
    assert registry.names() == ("rupture_markers.v1",)


def test_registry_keeps_versions_side_by_side():
    registry = Registry(builtin_package=None)
    registry.register(make("stance", 1))
    registry.register(make("stance", 2))

    assert registry.names() == ("stance.v1", "stance.v2")


def test_registering_another_component_under_a_taken_name_is_refused():
    registry = Registry(builtin_package=None)
    registry.register(make("stance"))

    def other(conversation: Conversation, annotations: AnnotationSet) -> tuple[Annotation, ...]:
        return ()

    duplicate = component(name="stance", version=1, produces=("flag",), register=False)(other)
    with pytest.raises(PipelineError, match=r"two components are registered as 'stance\.v1'"):
        registry.register(duplicate)


def test_unknown_name_without_version_suggests_the_versions_there_are():
    registry = Registry(builtin_package=None)
    registry.register(make("stance", 1))
    registry.register(make("stance", 2))

    with pytest.raises(
        PipelineError,
        match=r"no analysis component is registered as 'stance'; did you mean "
        r"'stance\.v1' or 'stance\.v2'\?",
    ):
        registry.get("stance")


def test_misspelt_name_suggests_the_close_one():
    registry = Registry(builtin_package=None)
    registry.register(make("rupture_markers"))

    with pytest.raises(PipelineError, match=r"did you mean 'rupture_markers\.v1'"):
        registry.get("rupture_marker.v1")


def test_registry_says_which_components_produce_a_key():
    registry = Registry(builtin_package=None)
    registry.register(make("behaviour", produces=("behaviour", "question")))
    registry.register(make("talk", produces=("talk_type",)))

    assert registry.producers_of("question") == ("behaviour.v1",)


def test_registry_without_builtin_package_installed_is_simply_empty():
    registry = Registry(builtin_package="safeenough.analysis.no_such_package")

    assert registry.names() == ()


def test_decorator_registers_in_the_default_registry():
    @component(name="test_registry_example", version=1, produces=("flag",))
    def example(conversation: Conversation, annotations: AnnotationSet) -> tuple[Annotation, ...]:
        return ()

    try:
        assert default_registry.get("test_registry_example.v1") is example
    finally:
        default_registry.unregister("test_registry_example.v1")
