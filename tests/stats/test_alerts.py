"""Alert rules pinned to worked cases, and their properties checked with hypothesis."""

import dataclasses
import itertools
import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeenough.domain.alert import Alert, AlertKind, AlertSeverity
from safeenough.domain.checkin import ScoredCheckIn
from safeenough.domain.instrument import Instrument
from safeenough.errors import InvalidInput
from safeenough.stats.alerts import (
    case_alerts,
    client_alerts,
    couple_alerts,
    missing_checkin_alerts,
    split_alliance_alert,
)
from safeenough.stats.expected_response import PracticeReference
from safeenough.stats.suggestions import suggest_next_step
from tests.stats.helpers import (
    assert_keeps_the_partners_answers_private,
    check_in,
    even_answers,
    history,
    phq9,
    safety,
    said_with_everyone_there,
    sessions,
)

SAFETY = safety()
PHQ9 = phq9()


def kinds(alerts: tuple[object, ...]) -> list[AlertKind]:
    return [alert.kind for alert in alerts]  # type: ignore[attr-defined]


def test_alert_fires_when_alliance_drops_below_cutoff() -> None:
    alerts = client_alerts(history(SAFETY, [48, 44]), SAFETY)
    (alert,) = [a for a in alerts if a.kind is AlertKind.BELOW_CUTOFF]
    assert alert.rule == "total 44 ≤ cut-off 45 (possible alliance concern; provisional)"
    assert alert.client_ids == (1,)
    assert alert.session_id == 2
    assert alert.instrument_id == "safeenough-safety"
    assert alert.check_in_ids == (1002,)
    assert alert.evidence[0].value == 44
    assert alert.evidence[0].submitted_at is not None
    assert alert.suggested_next_step


def test_no_alert_when_the_alliance_is_above_the_cutoff() -> None:
    assert client_alerts(history(SAFETY, [48, 46]), SAFETY) == ()


def test_a_low_safe_to_speak_answer_raises_an_item_alert_with_an_invitation_to_talk() -> None:
    entry = check_in(SAFETY, {"heard": 10, "safe_to_speak": 6, "goals": 10, "approach": 10, "overall": 10})
    (alert,) = client_alerts([entry], SAFETY)
    assert alert.kind is AlertKind.LOW_ITEM
    assert alert.item_id == "safe_to_speak"
    assert alert.rule == (
        "“I felt safe enough to say what really mattered to me” scored 6 (at or below item threshold 7)"
    )
    assert alert.evidence[0].item_id == "safe_to_speak"
    assert alert.evidence[0].value == 6
    assert "what made it harder" in alert.suggested_next_step


def test_a_drop_of_the_reliable_change_value_since_last_time_raises_a_reliable_drop() -> None:
    alerts = client_alerts(history(SAFETY, [50, 46, 50, 45]), SAFETY)
    (drop,) = [a for a in alerts if a.kind is AlertKind.RELIABLE_DROP]
    assert (
        drop.rule
        == "total fell from 50 to 45 (−5) since the previous check-in; a change of 5 or more is reliable"
    )
    assert drop.check_in_ids == (1003, 1004)
    assert drop.severity is AlertSeverity.HIGH
    assert [e.value for e in drop.evidence] == [50, 45]
    assert AlertKind.RELIABLE_DROP not in kinds(client_alerts(history(SAFETY, [50, 46]), SAFETY))


def test_a_slow_slide_below_the_clients_own_baseline_raises_a_baseline_alert() -> None:
    alerts = client_alerts(history(SAFETY, [49, 48, 50, 47, 46, 44]), SAFETY)
    assert AlertKind.RELIABLE_DROP not in kinds(alerts)
    (alert,) = [a for a in alerts if a.kind is AlertKind.BELOW_BASELINE]
    assert alert.rule.startswith("total 44 is 5 lower than the client's baseline 49 (mean of the first three")
    assert alert.check_in_ids == (1001, 1002, 1003, 1006)
    assert any(e.label.startswith("baseline (mean") and e.value == 49 for e in alert.evidence)


def test_phq_9_raises_a_cutoff_alert_only_when_a_client_crosses_into_caseness() -> None:
    assert kinds(client_alerts(history(PHQ9, [12]), PHQ9)) == []
    assert kinds(client_alerts(history(PHQ9, [12, 13]), PHQ9)) == []
    (alert,) = client_alerts(history(PHQ9, [8, 10]), PHQ9)
    assert alert.rule == "total 10 ≥ cut-off 10 (clinical range); the previous check-in (8) was not"
    assert alert.check_in_ids == (1002, 1001)


def test_phq_9_rising_by_six_is_a_reliable_deterioration() -> None:
    alerts = client_alerts(history(PHQ9, [2, 8]), PHQ9)
    (drop,) = [a for a in alerts if a.kind is AlertKind.RELIABLE_DROP]
    assert drop.rule.startswith("total rose from 2 to 8 (+6)")
    assert "suggest the last couple of weeks have been harder" in drop.suggested_next_step


def test_any_answer_above_not_at_all_on_phq_9_item_9_is_a_high_severity_alert() -> None:
    answers = {str(n): 0.0 for n in range(1, 10)} | {"9": 1.0}
    (alert,) = client_alerts([check_in(PHQ9, answers)], PHQ9)
    assert alert.kind is AlertKind.LOW_ITEM
    assert alert.item_id == "9"
    assert alert.severity is AlertSeverity.HIGH
    assert alert.rule == (
        "item 9 “Thoughts that you would be better off dead or of hurting yourself in some way” scored 1 "
        "(at or above item threshold 1)"
    )
    assert "risk procedure" in alert.suggested_next_step


def test_a_client_who_does_not_improve_as_expected_is_not_on_track() -> None:
    # Default curve from intake 15: expected 11 at check-in 4; 18 is 7 worse (≥ 6 points).
    alerts = client_alerts(history(PHQ9, [15, 15, 16, 18]), PHQ9)
    (alert,) = [a for a in alerts if a.kind is AlertKind.NOT_ON_TRACK]
    assert alert.rule.startswith("total 18 at check-in 4 is 7 higher than the expected 11")
    assert "provisional default curve" in alert.rule
    assert alert.check_in_ids == (1001, 1004)


def test_not_on_track_uses_the_practices_own_similar_clients_when_there_are_thirty() -> None:
    slow_practice = PracticeReference(tuple((15, 16, 17, 17) for _ in range(30)))
    alerts = client_alerts(history(PHQ9, [15, 15, 16, 18]), PHQ9, reference=slow_practice)
    assert AlertKind.NOT_ON_TRACK not in kinds(alerts)


def test_alliance_measures_are_not_judged_against_an_expected_treatment_response() -> None:
    alerts = client_alerts(history(SAFETY, [20, 20, 20, 20, 20, 20, 20, 20]), SAFETY, latest_only=False)
    assert AlertKind.NOT_ON_TRACK not in kinds(alerts)


def test_a_free_text_answer_raises_a_client_comment_alert() -> None:
    answers = even_answers(SAFETY, 50)
    (alert,) = client_alerts([check_in(SAFETY, answers, free_text="You checked your watch a lot.")], SAFETY)
    assert alert.kind is AlertKind.CLIENT_COMMENT
    assert alert.item_id == "didnt_sit_right"
    assert "You checked your watch" not in alert.rule  # the words stay with the check-in, not the alert
    assert client_alerts([check_in(SAFETY, answers, free_text="  \n")], SAFETY) == ()


def test_an_unscorable_check_in_raises_no_score_alerts_but_still_item_and_comment_alerts() -> None:
    answers = {"heard": 2, "safe_to_speak": None, "goals": None}
    entry = check_in(SAFETY, answers, session=2, free_text="Too fast.")
    assert not entry.score.scorable
    alerts = client_alerts([*history(SAFETY, [50]), entry], SAFETY)
    assert kinds(alerts) == [AlertKind.LOW_ITEM, AlertKind.CLIENT_COMMENT]


def test_a_history_must_be_one_clients_check_ins_on_the_instrument() -> None:
    mixed = history(SAFETY, [40]) + history(SAFETY, [41], client_id=2)
    with pytest.raises(InvalidInput, match="one client's"):
        client_alerts(mixed, SAFETY)
    with pytest.raises(InvalidInput, match="cannot be judged against"):
        client_alerts(history(PHQ9, [3]), SAFETY)


def test_a_couple_where_one_partner_scores_low_shows_a_split_alliance() -> None:
    first = check_in(SAFETY, even_answers(SAFETY, 48), session=3, client_id=1)
    second = check_in(SAFETY, even_answers(SAFETY, 40), session=3, client_id=2)
    alert = split_alliance_alert([first, second], SAFETY)
    assert alert is not None
    assert alert.kind is AlertKind.SPLIT_ALLIANCE
    assert alert.client_ids == (1, 2)
    assert alert.severity is AlertSeverity.HIGH
    assert alert.rule == (
        "partners' totals differ by 8 (40 and 48); a difference of 5 or more is a split; "
        "one partner's total (40) is ≤ cut-off 45 (possible alliance concern; provisional) "
        "and the other's (48) is not"
    )
    assert alert.check_in_ids == (1003, 2003)
    assert "both views matter" in alert.suggested_next_step


def test_partners_who_both_rate_the_session_low_together_are_not_split() -> None:
    first = check_in(SAFETY, even_answers(SAFETY, 42), session=3, client_id=1)
    second = check_in(SAFETY, even_answers(SAFETY, 40), session=3, client_id=2)
    assert split_alliance_alert([first, second], SAFETY) is None


def test_couple_alerts_look_at_the_latest_session_both_partners_answered() -> None:
    partner_a = history(SAFETY, [50, 50, 50], client_id=1)
    partner_b = history(SAFETY, [50, 40], client_id=2)
    (alert,) = couple_alerts([partner_a, partner_b], SAFETY)
    assert alert.session_id == 2
    assert couple_alerts([partner_a, history(SAFETY, [40, 50], client_id=2)], SAFETY) == ()
    assert (
        len(couple_alerts([partner_a, history(SAFETY, [40, 50], client_id=2)], SAFETY, latest_only=False))
        == 1
    )


def test_split_alliance_is_about_alliance_measures_only() -> None:
    first = check_in(PHQ9, even_answers(PHQ9, 3), session=1, client_id=1)
    second = check_in(PHQ9, even_answers(PHQ9, 20), session=1, client_id=2)
    assert split_alliance_alert([first, second], PHQ9) is None


def test_two_check_ins_in_a_row_not_returned_raise_one_alert() -> None:
    (alert,) = missing_checkin_alerts(1, sessions([True, False, False]), instrument_id="safeenough-safety")
    assert alert.kind is AlertKind.MISSING_CHECKINS
    assert alert.session_id == 3
    assert alert.rule == "2 check-ins in a row not returned (sessions of 12 Jan 2026 and 19 Jan 2026)"
    assert [e.session_number for e in alert.evidence] == [2, 3]
    assert alert.evidence[0].held_on is not None
    assert missing_checkin_alerts(1, sessions([False, True, False])) == ()


def test_a_growing_run_of_missed_check_ins_keeps_the_same_alert_key() -> None:
    (two,) = missing_checkin_alerts(1, sessions([True, False, False]))
    (three,) = missing_checkin_alerts(1, sessions([True, False, False, False]))
    assert two.key == three.key
    assert three.rule == "3 check-ins in a row not returned (sessions of 12 Jan 2026–26 Jan 2026)"
    assert missing_checkin_alerts(1, sessions([False, False, True])) == ()
    assert (
        len(missing_checkin_alerts(1, sessions([False, False, True, False, False]), latest_only=False)) == 2
    )


def test_case_alerts_put_the_most_urgent_first() -> None:
    partner_a = history(SAFETY, [50, 50], client_id=1)
    partner_b = [
        check_in(SAFETY, even_answers(SAFETY, 50), session=1, client_id=2),
        check_in(SAFETY, even_answers(SAFETY, 40), session=2, client_id=2, free_text="I felt blamed."),
    ]
    alerts = case_alerts({1: partner_a, 2: partner_b}, SAFETY, sessions={1: sessions([False, False])})
    assert [a.severity for a in alerts] == sorted((a.severity for a in alerts), key=lambda s: -s.rank)
    assert set(kinds(alerts)) == {
        AlertKind.RELIABLE_DROP,
        AlertKind.SPLIT_ALLIANCE,
        AlertKind.BELOW_CUTOFF,
        AlertKind.CLIENT_COMMENT,
        AlertKind.MISSING_CHECKINS,
    }
    assert alerts[-1].kind is AlertKind.MISSING_CHECKINS


# --- properties ---------------------------------------------------------------------------------------

safety_totals = st.lists(st.integers(0, 50), min_size=1, max_size=12)
phq_totals = st.lists(st.integers(0, 27), min_size=1, max_size=12)


@given(totals=safety_totals)
def test_no_drop_alert_when_alliance_scores_never_fall(totals: list[int]) -> None:
    rising = sorted(totals)
    alerts = client_alerts(history(SAFETY, rising), SAFETY, latest_only=False)
    assert not {AlertKind.RELIABLE_DROP, AlertKind.BELOW_BASELINE} & set(kinds(alerts))


@given(totals=phq_totals)
def test_no_deterioration_or_crossing_alert_when_symptoms_never_rise(totals: list[int]) -> None:
    # "Not on track" is left out on purpose: it is about too little improvement, which symptoms that
    # never rise can still show (see the next test).
    falling = sorted(totals, reverse=True)
    alerts = client_alerts(history(PHQ9, falling), PHQ9, latest_only=False)
    assert not {
        AlertKind.RELIABLE_DROP,
        AlertKind.BELOW_BASELINE,
        AlertKind.BELOW_CUTOFF,
    } & set(kinds(alerts))


def test_symptoms_that_stay_where_they_started_for_eight_check_ins_are_not_on_track() -> None:
    # Default curve from intake 10: about 6 points better by check-in 8, so 10 is 6 short of it.
    alerts = client_alerts(history(PHQ9, [10] * 8), PHQ9, latest_only=False)
    assert AlertKind.NOT_ON_TRACK in kinds(alerts)
    assert AlertKind.RELIABLE_DROP not in kinds(alerts)


@given(totals=safety_totals)
def test_a_reliable_drop_fires_exactly_where_a_total_falls_by_five_or_more(totals: list[int]) -> None:
    alerts = client_alerts(history(SAFETY, totals), SAFETY, latest_only=False)
    dropped_at = {a.session_id for a in alerts if a.kind is AlertKind.RELIABLE_DROP}
    expected = {i + 2 for i, (a, b) in enumerate(itertools.pairwise(totals)) if a - b >= 5}
    assert dropped_at == expected


@given(totals=safety_totals)
def test_every_alert_points_at_check_ins_of_the_history_and_explains_itself(totals: list[int]) -> None:
    entries = history(SAFETY, totals)
    ids = {e.id for e in entries}
    for alert in client_alerts(entries, SAFETY, latest_only=False):
        assert set(alert.check_in_ids) <= ids
        assert alert.check_in_ids
        assert alert.rule
        assert alert.suggested_next_step
        assert alert.evidence


@given(totals=safety_totals)
def test_latest_only_alerts_are_the_full_historys_alerts_for_the_last_check_in(totals: list[int]) -> None:
    entries = history(SAFETY, totals)
    latest = client_alerts(entries, SAFETY)
    everything = client_alerts(entries, SAFETY, latest_only=False)
    assert latest == tuple(a for a in everything if a.session_id == len(totals))


@given(totals=safety_totals, data=st.data())
def test_alerts_since_a_check_in_are_the_full_historys_alerts_for_every_later_one(
    totals: list[int], data: st.DataObject
) -> None:
    entries = history(SAFETY, totals)
    seen = data.draw(st.integers(0, len(entries)), label="check-ins already evaluated")
    new_after = entries[seen - 1].id if seen else 0
    everything = client_alerts(entries, SAFETY, latest_only=False)
    assert client_alerts(entries, SAFETY, new_after=new_after) == tuple(
        a for a in everything if a.session_id > seen
    )


@given(a=st.integers(0, 50), b=st.integers(0, 50))
def test_a_split_alliance_alert_is_symmetric_in_the_partners(a: int, b: int) -> None:
    first = check_in(SAFETY, even_answers(SAFETY, a), session=4, client_id=1)
    second = check_in(SAFETY, even_answers(SAFETY, b), session=4, client_id=2)
    assert split_alliance_alert([first, second], SAFETY) == split_alliance_alert([second, first], SAFETY)


@given(a=st.integers(0, 50), b=st.integers(0, 50))
def test_a_split_alliance_fires_exactly_on_a_big_gap_and_is_high_when_the_cutoff_lies_between(
    a: int, b: int
) -> None:
    first = check_in(SAFETY, even_answers(SAFETY, a), session=4, client_id=1)
    second = check_in(SAFETY, even_answers(SAFETY, b), session=4, client_id=2)
    alert = split_alliance_alert([first, second], SAFETY)
    assert (alert is not None) == (abs(a - b) >= 5)
    if alert is not None:
        across = (a <= 45) != (b <= 45)
        assert (alert.severity is AlertSeverity.HIGH) == across


def test_partners_a_point_apart_on_either_side_of_the_cutoff_are_not_a_split_alliance() -> None:
    first = check_in(SAFETY, even_answers(SAFETY, 45), session=2, client_id=1)
    second = check_in(SAFETY, even_answers(SAFETY, 46), session=2, client_id=2)
    assert split_alliance_alert([first, second], SAFETY) is None
    # The partner at the cut-off still has their own alert.
    assert AlertKind.BELOW_CUTOFF in kinds(client_alerts([first], SAFETY))


def test_partners_both_beyond_the_cutoff_and_partners_across_it_are_judged_by_the_same_gap() -> None:
    both_low = [
        check_in(SAFETY, even_answers(SAFETY, total), session=2, client_id=client)
        for client, total in ((1, 40), (2, 44))
    ]
    across = [
        check_in(SAFETY, even_answers(SAFETY, total), session=2, client_id=client)
        for client, total in ((1, 44), (2, 48))
    ]
    assert split_alliance_alert(both_low, SAFETY) is None
    assert split_alliance_alert(across, SAFETY) is None


def test_without_a_split_threshold_or_reliable_change_the_cutoff_between_partners_is_the_split() -> None:
    bare = dataclasses.replace(SAFETY, split_threshold=None, reliable_change=None)
    first = check_in(bare, even_answers(bare, 45), session=2, client_id=1)
    second = check_in(bare, even_answers(bare, 46), session=2, client_id=2)
    alert = split_alliance_alert([first, second], bare)
    assert alert is not None
    assert alert.severity is AlertSeverity.HIGH


@given(returned=st.lists(st.booleans(), max_size=20))
def test_one_missing_alert_for_each_run_of_two_or_more_unreturned_check_ins(returned: list[bool]) -> None:
    runs = sum(1 for missed, group in itertools.groupby(returned) if not missed and len(list(group)) >= 2)
    assert len(missing_checkin_alerts(1, sessions(returned), latest_only=False)) == runs
    ongoing = len(returned) >= 2 and not returned[-1] and not returned[-2]
    assert len(missing_checkin_alerts(1, sessions(returned))) == (1 if ongoing else 0)


@given(totals=safety_totals)
def test_evaluating_the_same_history_twice_gives_the_same_alerts(totals: list[int]) -> None:
    entries = history(SAFETY, totals)
    assert client_alerts(entries, SAFETY, latest_only=False) == client_alerts(
        list(reversed(entries)), SAFETY, latest_only=False
    )


def test_several_low_items_make_one_alert_led_by_the_lowest() -> None:
    entry = check_in(SAFETY, {"heard": 5, "safe_to_speak": 3, "goals": 10, "approach": 6, "overall": 10})
    items = [alert for alert in client_alerts([entry], SAFETY) if alert.kind is AlertKind.LOW_ITEM]
    assert len(items) == 1
    assert items[0].item_id == "safe_to_speak"
    assert {evidence.item_id for evidence in items[0].evidence} == {"heard", "safe_to_speak", "approach"}


# --- couples and families -----------------------------------------------------------------------------


def couple_with_every_kind_of_single_partner_alert() -> tuple[Alert, ...]:
    """Partner 1 slides and stops returning check-ins; partner 2 scores an item low and writes a comment;
    on PHQ-9, partner 1 is not on track."""
    sliding = history(SAFETY, [50, 50, 50, 44], client_id=1)
    low_item = check_in(
        SAFETY,
        {"heard": 10, "safe_to_speak": 5, "goals": 10, "approach": 10, "overall": 10},
        session=4,
        client_id=2,
        free_text="I could not say it with him there.",
    )
    alliance = case_alerts(
        {1: sliding, 2: [*history(SAFETY, [50, 50, 50], client_id=2), low_item]},
        SAFETY,
        sessions={1: sessions([True, True, True, True, False, False])},
        latest_only=False,
    )
    symptoms = case_alerts(
        {1: history(PHQ9, [15, 15, 16, 18]), 2: history(PHQ9, [5, 5, 5, 5], client_id=2)}, PHQ9
    )
    return alliance + symptoms


def test_in_a_couple_every_alert_about_one_partner_suggests_raising_it_with_them_alone() -> None:
    alerts = couple_with_every_kind_of_single_partner_alert()
    single = [alert for alert in alerts if alert.kind is not AlertKind.SPLIT_ALLIANCE]
    assert {alert.kind for alert in single} == set(AlertKind) - {AlertKind.SPLIT_ALLIANCE}
    for alert in single:
        assert len(alert.client_ids) == 1
        assert_keeps_the_partners_answers_private(alert.suggested_next_step)


def test_in_a_couple_the_below_cutoff_and_comment_openers_are_not_for_the_joint_session() -> None:
    alerts = couple_with_every_kind_of_single_partner_alert()
    for kind, opener in (
        (AlertKind.BELOW_CUTOFF, "Your answers told me our last session didn't quite work for you"),
        (AlertKind.CLIENT_COMMENT, "Thank you for writing that"),
    ):
        for alert in (a for a in alerts if a.kind is kind):
            text = alert.suggested_next_step
            assert not text.startswith("Before anything else next time")
            assert opener not in said_with_everyone_there(text)


def test_a_case_with_one_partner_who_has_not_answered_yet_is_still_shared_when_the_case_says_so() -> None:
    (cutoff,) = case_alerts({1: history(SAFETY, [48, 44])}, SAFETY, shared_case=True)
    assert_keeps_the_partners_answers_private(cutoff.suggested_next_step)
    (missing,) = missing_checkin_alerts(1, sessions([False, False]), shared_case=True)
    assert_keeps_the_partners_answers_private(missing.suggested_next_step)


def test_a_family_of_three_gets_the_private_suggestions_too() -> None:
    histories = {client_id: history(SAFETY, [50], client_id=client_id) for client_id in (1, 2)}
    histories[3] = history(SAFETY, [44], client_id=3)
    cutoff = next(a for a in case_alerts(histories, SAFETY) if a.kind is AlertKind.BELOW_CUTOFF)
    assert_keeps_the_partners_answers_private(cutoff.suggested_next_step)


def test_an_individual_case_keeps_the_individual_suggestions() -> None:
    entries = history(SAFETY, [50, 50, 50, 44])
    alone = case_alerts({1: entries}, SAFETY, sessions={1: sessions([True, False, False])})
    assert {alert.kind for alert in alone} >= {AlertKind.BELOW_CUTOFF, AlertKind.MISSING_CHECKINS}
    for alert in alone:
        assert alert.suggested_next_step == suggest_next_step(alert.kind, SAFETY, alert.item_id)
        assert "partner" not in alert.suggested_next_step
    assert client_alerts(entries, SAFETY) == client_alerts(entries, SAFETY, shared_case=False)


# --- what the evidence and rules say ------------------------------------------------------------------


def test_check_in_evidence_carries_its_sessions_date_when_the_case_knows_it() -> None:
    held_on = {1: date(2026, 1, 5), 2: date(2026, 1, 12)}
    (alert,) = case_alerts({1: history(SAFETY, [48, 44])}, SAFETY, session_dates=held_on)
    (evidence,) = alert.evidence
    assert evidence.held_on == date(2026, 1, 12)
    assert evidence.submitted_at is not None  # the day it came back stays, for "returned …"
    (undated,) = case_alerts({1: history(SAFETY, [48, 44])}, SAFETY)
    assert undated.evidence[0].held_on is None


def test_a_baseline_or_expected_value_gets_no_session_date() -> None:
    held_on = {n: date(2026, 1, 5) + timedelta(weeks=n - 1) for n in range(1, 7)}
    alerts = case_alerts({1: history(SAFETY, [49, 48, 50, 47, 46, 44])}, SAFETY, session_dates=held_on)
    baseline = next(a for a in alerts if a.kind is AlertKind.BELOW_BASELINE)
    mean = next(e for e in baseline.evidence if e.label.startswith("baseline (mean"))
    assert mean.held_on is None
    assert all(e.held_on is not None for e in baseline.evidence if e.check_in_id is not None)


def test_a_low_item_rule_names_items_by_their_words_not_their_ids() -> None:
    entry = check_in(SAFETY, {"heard": 6, "safe_to_speak": 5, "goals": 10, "approach": 10, "overall": 10})
    (alert,) = [a for a in client_alerts([entry], SAFETY) if a.kind is AlertKind.LOW_ITEM]
    assert alert.rule == (
        "“I felt safe enough to say what really mattered to me” scored 5, "
        "“In this session I felt listened to and understood” scored 6 (at or below item threshold 7)"
    )
    assert "safe_to_speak" not in alert.rule
    assert [e.label for e in alert.evidence] == [
        "I felt safe enough to say what really mattered to me",
        "In this session I felt listened to and understood",
    ]


def long_item_instrument(count: int, threshold: Callable[[int], float] = lambda n: 7) -> Instrument:
    items = tuple(
        dataclasses.replace(
            SAFETY.items[0],
            id=f"long_{n}",
            text=f"Question {n}: during this session I could say what mattered most to me, at my own pace.",
            alert_threshold=threshold(n),
            theme=None,
        )
        for n in range(count)
    )
    return dataclasses.replace(SAFETY, id="long-items", items=items, cutoff=None, reliable_change=None)


def low_items_rule(instrument: Instrument) -> str:
    entry = check_in(instrument, dict.fromkeys((item.id for item in instrument.items), 3.0))
    (alert,) = client_alerts([entry], instrument)
    return alert.rule


def test_long_item_words_are_cut_at_a_word_boundary_to_keep_the_rule_within_its_limit() -> None:
    rule = low_items_rule(long_item_instrument(6))
    assert len(rule) <= 400
    assert "long_" not in rule
    assert "“Question 0: during this session I could say…” scored 3" in rule
    assert rule.endswith("(at or below item threshold 7)")


def test_too_many_low_items_for_their_words_to_fit_are_counted() -> None:
    rule = low_items_rule(long_item_instrument(30))
    assert len(rule) <= 400
    assert rule.startswith("“Question 0")
    assert re.search(r" and \d+ more items \(at or below item threshold 7\)$", rule)


def test_low_items_with_different_thresholds_each_name_their_own() -> None:
    rule = low_items_rule(long_item_instrument(2, threshold=lambda n: 5 + n))
    assert rule.count("(at or below item threshold 5)") == 1
    assert rule.count("(at or below item threshold 6)") == 1


# --- a risk question left unanswered ------------------------------------------------------------------


def phq9_without_item_9(value: float = 1) -> dict[str, float | None]:
    return {**{str(n): value for n in range(1, 9)}, "9": None}


def test_a_phq_9_with_item_9_left_blank_asks_the_therapist_to_ask_about_it() -> None:
    entry = check_in(PHQ9, phq9_without_item_9())
    assert entry.score.prorated  # the total is made up over the blank…
    (alert,) = [a for a in client_alerts([entry], PHQ9) if a.kind is AlertKind.LOW_ITEM]
    # …but the answer to the risk question is not: it is unknown, and someone has to ask.
    assert alert.item_id == "9"
    assert alert.severity is AlertSeverity.MEDIUM
    assert alert.rule.startswith("item 9 “Thoughts that you would be better off dead")
    assert alert.rule.endswith("was left unanswered; an answer at or above 1 raises a high-severity alert")
    (evidence,) = alert.evidence
    assert evidence.label.startswith("not answered: item 9: Thoughts")
    assert evidence.value is None
    assert evidence.check_in_id == entry.id
    assert "risk procedure" in alert.suggested_next_step
    assert "was left blank" in alert.suggested_next_step
    assert "you said you'd had thoughts" not in alert.suggested_next_step


def test_a_blank_risk_question_in_a_couple_is_asked_about_alone() -> None:
    entry = check_in(PHQ9, phq9_without_item_9())
    alerts = case_alerts({1: [entry]}, PHQ9, shared_case=True)
    (alert,) = [a for a in alerts if a.kind is AlertKind.LOW_ITEM]
    text = alert.suggested_next_step
    assert text.startswith("Follow your service's risk procedure for a risk question left unanswered.")
    assert_keeps_the_partners_answers_private(text)
    assert "was left blank" in text
    assert "you said you'd had thoughts" not in text


def test_an_answered_item_9_raises_its_own_alert_and_no_blank_question_alert() -> None:
    answered = check_in(PHQ9, {**phq9_without_item_9(), "9": 0})
    assert [a for a in client_alerts([answered], PHQ9) if a.kind is AlertKind.LOW_ITEM] == []
    worrying = check_in(PHQ9, {**phq9_without_item_9(), "9": 2})
    (alert,) = [a for a in client_alerts([worrying], PHQ9) if a.kind is AlertKind.LOW_ITEM]
    assert alert.severity is AlertSeverity.HIGH
    assert "you said you'd had thoughts" in alert.suggested_next_step


def test_a_blank_ordinary_item_raises_no_alert() -> None:
    entry = check_in(SAFETY, {"heard": 10, "safe_to_speak": 10, "goals": 10, "approach": 10, "overall": None})
    assert client_alerts([entry], SAFETY) == ()


def family(*totals: int) -> list[ScoredCheckIn]:
    return [
        check_in(SAFETY, even_answers(SAFETY, total), session=3, client_id=n)
        for n, total in enumerate(totals, start=1)
    ]


def test_a_split_in_a_family_names_how_many_clients_are_beyond_the_cutoff_not_one_partner() -> None:
    alert = split_alliance_alert(family(40, 41, 48), SAFETY)
    assert alert is not None
    assert alert.rule == (
        "the 3 clients' totals differ by up to 8 (40, 41 and 48); a difference of 5 or more is a split; "
        "2 of the 3 clients' totals (40 and 41) are ≤ cut-off 45 (possible alliance concern; "
        "provisional) and the other's (48) is not"
    )
    assert {item.label for item in alert.evidence} == {"client's check-in"}
    assert "partner" not in alert.suggested_next_step
    assert alert.suggested_next_step.startswith("The family members experienced the session differently")


def test_a_split_in_a_family_with_one_client_beyond_the_cutoff_reads_in_the_singular() -> None:
    alert = split_alliance_alert(family(40, 47, 48), SAFETY)
    assert alert is not None
    assert alert.rule.endswith(
        "1 of the 3 clients' totals (40) is ≤ cut-off 45 (possible alliance concern; provisional) "
        "and the others' (47 and 48) are not"
    )


def test_two_missed_check_ins_then_an_answer_before_the_therapist_looks_still_raise_the_alert() -> None:
    missed_then_answered = sessions([True, False, False, True])
    answered = history(SAFETY, [48, 48], client_id=1)
    found = case_alerts(
        {1: answered}, SAFETY, sessions={1: missed_then_answered}, new_after=0, latest_only=True
    )
    (alert,) = [a for a in found if a.kind is AlertKind.MISSING_CHECKINS]
    assert alert.rule == (
        "2 check-ins in a row not returned (sessions of 12 Jan 2026 and 19 Jan 2026); "
        "then the check-in of 26 Jan 2026 came back"
    )
    assert [e.label for e in alert.evidence] == ["check-in not returned"] * 2 + ["then returned"]


def test_a_run_that_ended_keeps_the_key_it_had_while_it_was_going_so_it_is_stored_once() -> None:
    (going,) = missing_checkin_alerts(1, sessions([True, False, False]))
    (ended,) = missing_checkin_alerts(1, sessions([True, False, False, True]), latest_only=False)
    assert going.key == ended.key
