"""The practice: the organisation whose clinicians share one safeenough installation."""

from dataclasses import dataclass

from safeenough.domain.validation import require_text


@dataclass(frozen=True, slots=True)
class Practice:
    id: int
    name: str

    def __post_init__(self) -> None:
        require_text(self.name, "practice name")
