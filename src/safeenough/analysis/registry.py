"""Components registered under versioned names ("rupture_markers.v1"), so pipelines can name them.

Built-in components live in `safeenough.analysis.components`, one module per component; they are
imported the first time a name is looked up, so importing the analysis package stays cheap.
"""

import difflib
import importlib
import pkgutil

from safeenough.analysis.component import Component, PipelineError, spec_of

BUILTIN_PACKAGE = "safeenough.analysis.components"


class Registry:
    def __init__(self, *, builtin_package: str | None = BUILTIN_PACKAGE) -> None:
        self._components: dict[str, Component] = {}
        self._builtin_package = builtin_package
        self._builtins_loaded = builtin_package is None

    def register(self, component: Component) -> Component:
        """Add a component; registering a second, different one under the same name is an error."""
        name = spec_of(component).versioned_name
        existing = self._components.get(name)
        if existing is not None and existing is not component and _origin(existing) != _origin(component):
            raise PipelineError(
                f"two components are registered as {name!r}: {_origin(existing)} and {_origin(component)}; "
                "give the new one another name or a higher version"
            )
        # The same function seen again (its module was imported twice) replaces the earlier copy.
        self._components[name] = component
        return component

    def unregister(self, name: str) -> None:
        self._components.pop(name, None)

    def get(self, name: str) -> Component:
        """The component registered under a versioned name, with suggestions when there is none."""
        if name not in self._components:
            self.load_builtins()
        found = self._components.get(name)
        if found is None:
            raise PipelineError(self._unknown_message(name))
        return found

    def __contains__(self, name: object) -> bool:
        self.load_builtins()
        return name in self._components

    def names(self) -> tuple[str, ...]:
        self.load_builtins()
        return tuple(sorted(self._components))

    def producers_of(self, key: str) -> tuple[str, ...]:
        """Names of the registered components that produce an annotation key."""
        self.load_builtins()
        return tuple(
            name for name, component in sorted(self._components.items()) if key in component.spec.produces
        )

    def load_builtins(self) -> None:
        """Import every module of the built-in components package once (each registers itself)."""
        if self._builtins_loaded or self._builtin_package is None:
            return
        self._builtins_loaded = True
        try:
            package = importlib.import_module(self._builtin_package)
        except ModuleNotFoundError as error:
            if error.name == self._builtin_package:
                return  # no built-in components in this installation
            raise
        for module in pkgutil.walk_packages(getattr(package, "__path__", ()), prefix=f"{package.__name__}."):
            importlib.import_module(module.name)

    def _unknown_message(self, name: str) -> str:
        known = sorted(self._components)
        message = f"no analysis component is registered as {name!r}"
        same_name = [known_name for known_name in known if known_name.rsplit(".v", 1)[0] == name]
        close = same_name or difflib.get_close_matches(name, known, n=3)
        if close:
            return f"{message}; did you mean {' or '.join(repr(c) for c in close)}?"
        if known:
            return f"{message}; the registered components are {', '.join(known)}"
        return f"{message}; no components are registered"


def _origin(component: Component) -> str:
    return f"{getattr(component, '__module__', '?')}.{getattr(component, '__qualname__', repr(component))}"


default_registry = Registry()
"""The registry `@component` adds to and `Pipeline.from_names` looks in by default."""


def register(component: Component) -> Component:
    return default_registry.register(component)


def get_component(name: str) -> Component:
    return default_registry.get(name)


def registered_names() -> tuple[str, ...]:
    return default_registry.names()
