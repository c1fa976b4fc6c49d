"""The therapist's own wording of a report's suggested check-ins, kept with the session."""

import threading

from safeenough.practice import Practice


def a_session_id(practice: Practice) -> int:
    with practice.store.transaction() as work:
        case_id = work.cases.all_ids()[0]
        return work.sessions.for_cases([case_id])[case_id][0].id


def test_two_saves_of_the_same_suggestion_at_once_both_succeed_and_the_later_words_are_kept(
    demo_practice: Practice,
) -> None:
    session_id = a_session_id(demo_practice)
    first_saved, second_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with demo_practice.store.transaction() as work:
                work.suggestion_edits.save(session_id, 4, suggested="As said", text="First", actor_id=1)
                first_saved.set()
                second_started.wait(5)
                threading.Event().wait(0.5)  # the second save is now waiting for this one
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    def second() -> None:
        first_saved.wait(5)
        second_started.set()
        try:
            with demo_practice.store.transaction() as work:
                work.suggestion_edits.save(session_id, 4, suggested="As said", text="Second", actor_id=1)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert errors == []
    with demo_practice.store.transaction() as work:
        [kept] = work.suggestion_edits.for_session(session_id)
    assert (kept.turn_index, kept.suggested, kept.text) == (4, "As said", "Second")
