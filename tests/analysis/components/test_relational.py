"""The relational components on the demo's session 3, read with the committed models."""

from functools import cache

from safeenough.analysis import keys
from safeenough.analysis.defaults import default_pipeline
from safeenough.analysis.pipeline import AnalysisResult
from safeenough.storage.fixtures import DEMO_TRANSCRIPTS
from safeenough.transcripts.reader import read_transcript

# Mara, session 3: after advice about a sleep diary (turn 10) Mara defers, "Okay. Sure. If you think
# it's best, I'll do it." (turn 11). The therapist goes on with the plan (turns 12 and 14) and only later
# stops to ask how it landed (turn 20).
DEFERS, PRINTS_THE_FORM, KEEP_TO_THE_TIMES, STOPS_TO_ASK = 11, 12, 14, 20


@cache
def mara_session_3() -> AnalysisResult:
    demo = DEMO_TRANSCRIPTS[0]
    (conversation,) = read_transcript(demo.read(), demo.filename, therapist=demo.therapist)
    return default_pipeline().run(conversation)


def repair_at(turn: int) -> object:
    return mara_session_3().annotations.by_turn(keys.REPAIR)[turn]


def test_going_on_with_the_plan_after_a_deferential_yes_is_not_a_repair() -> None:
    assert mara_session_3().annotations.by_turn(keys.MARKER)[DEFERS] == "withdrawal"
    assert repair_at(PRINTS_THE_FORM) == "none"
    assert repair_at(KEEP_TO_THE_TIMES) == "none"


def test_stopping_to_ask_how_the_suggestion_landed_is_still_a_repair() -> None:
    assert repair_at(STOPS_TO_ASK) == "metacommunication"


def test_a_turn_that_states_an_assumption_as_fact_is_no_repair() -> None:
    text = (
        b"Dana: I think you need to stop drinking so much.\n"
        b"Sam: I'm not an alcoholic, so don't make me out to be some kind of drunk.\n"
        b"Dana: You're clearly someone who can't handle criticism, people like you always take things "
        b"personally.\n"
    )
    (conversation,) = read_transcript(text, "assuming.txt", therapist="Dana")
    annotations = default_pipeline().run(conversation).annotations
    assert annotations.by_turn(keys.MARKER)[1] != "none"
    assert annotations.by_turn(keys.STANCE)[2] == "assuming"
    assert annotations.by_turn(keys.REPAIR)[2] == "none"


def test_in_a_couple_a_turn_answering_the_partner_who_spoke_last_is_no_repair_of_the_others_marker() -> None:
    text = (
        b"Dana: I think you should both stop arguing about money.\n"
        b"Morgan: I'm not the one who started it, so don't put this on me.\n"
        b"Alex: Yes. We agreed to look at the bank statements together on Sunday evenings.\n"
        b"Dana: That makes a lot of sense, wanting to face it together.\n"
        b"Dana: Morgan, I may have sounded as if I blamed you. What was that like to hear?\n"
    )
    (conversation,) = read_transcript(text, "couple.txt", therapist="Dana")
    annotations = default_pipeline().run(conversation).annotations
    assert annotations.by_turn(keys.MARKER)[1] != "none"
    assert annotations.by_turn(keys.MARKER)[2] == "none"
    assert annotations.by_turn(keys.REPAIR)[3] == "n/a"  # Dana turns to Alex, who has no marker
    assert annotations.by_turn(keys.REPAIR)[4] != "n/a"  # Dana names Morgan: an opportunity for repair
