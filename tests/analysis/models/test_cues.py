"""The cue-phrase lexicons fire on the annotation guide's own examples, and `using_predictor` is scoped."""

from __future__ import annotations

import pytest

from safeenough.analysis.components import _shared
from safeenough.analysis.models import Predictor, cues, stack
from safeenough.domain.conversation import Conversation, SpeakerRole, Turn


def flags(text: str) -> set[str]:
    return {name for name, on in zip(cues.NAMES, cues.cue_flags(text), strict=True) if on}


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("You probably think I'm lazy.", "aj_you_think"),
        ("I know you're going to tell me to quit.", "aj_know_you_going"),
        ("Sorry, I know it sounds bad.", "aj_sounds_bad"),
        ("How is this for you to hear?", "ci_landing"),
        ("Did I get that right?", "ci_understanding"),
        ("Is it okay if we talk about your drinking?", "ci_permission"),
        ("I noticed you went quiet when I said that.", "ci_noticing"),
        ("I may have come on too strong.", "ci_own_part"),
        ("That makes sense.", "r_validation"),
        ("Let's leave that for now.", "r_change_task"),
        ("People like you always say that.", "s_category"),
        ("You need to stop drinking.", "s_pressing"),
        ("Why are we talking about this?", "c_activity"),
        ("Nothing is going to help.", "w_hopeless"),
    ],
)
def test_guide_phrases(text: str, cue: str) -> None:
    assert cue in flags(text)


def test_plain_turns_have_few_cues() -> None:
    assert not flags("We went to the beach on Saturday with my sister.")


def test_stack_block_shape() -> None:
    turns = tuple(
        Turn(
            index=i,
            speaker="T" if i % 2 == 0 else "C",
            role=SpeakerRole.THERAPIST if i % 2 == 0 else SpeakerRole.CLIENT,
            text=t,
        )
        for i, t in enumerate(["How are you?", "Fine.", "You need to quit."])
    )
    assert cues.turn_cues(turns).shape == (3, cues.N_TURN)
    assert stack.OWN_DIM * len(stack.OFFSETS) + cues.N_TURN + cues.N_CUES == stack.DIM


def test_using_predictor_is_scoped() -> None:
    turn = Turn(index=0, speaker="T", role=SpeakerRole.THERAPIST, text="What brings you here today?")
    conv = Conversation(id="scoped", turns=(turn,))
    predictor = Predictor()
    with _shared.using_predictor(predictor) as active:
        assert active is predictor
        assert _shared._override == [predictor]
        assert _shared.prediction(conv).turns[0].behaviour is not None
    assert _shared._override == []
    assert _shared.prediction.cache_info().currsize == 0
