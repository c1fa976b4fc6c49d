"""Pure domain objects: frozen dataclasses and enums. Imports nothing else of ours."""
