import pytest

from safeenough.domain.conversation import Conversation, SpeakerRole, Turn
from safeenough.domain.validation import DomainError


def test_assigning_roles_returns_a_new_conversation_and_leaves_the_old_one_alone() -> None:
    original = Conversation(
        "s1",
        (
            Turn(0, "Dana", SpeakerRole.OTHER, "What brings you here?"),
            Turn(1, "Sam", SpeakerRole.OTHER, "My wife sent me."),
        ),
    )
    assigned = original.with_roles({"Dana": SpeakerRole.THERAPIST, "Sam": SpeakerRole.CLIENT})
    assert [turn.role for turn in assigned.turns] == [SpeakerRole.THERAPIST, SpeakerRole.CLIENT]
    assert original.turns[0].role is SpeakerRole.OTHER
    assert assigned.speakers == ("Dana", "Sam")


def test_turns_must_be_numbered_in_order() -> None:
    with pytest.raises(DomainError, match="numbered"):
        Conversation("s1", (Turn(1, "Dana", SpeakerRole.THERAPIST, "Hello"),))
