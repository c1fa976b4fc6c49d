from safeenough.stats.baseline import baseline, baseline_mean, chronological
from tests.stats.helpers import history, safety


def test_the_baseline_is_the_mean_of_the_first_three_check_ins() -> None:
    found = baseline(history(safety(), [48, 45, 42, 30]))
    assert found is not None
    assert found.value == 45
    assert found.check_in_ids == (1001, 1002, 1003)


def test_there_is_no_baseline_before_three_scorable_check_ins() -> None:
    assert baseline(history(safety(), [48, 45])) is None
    assert baseline_mean([1.0, 2.0]) is None


def test_history_order_comes_from_session_numbers_not_list_order() -> None:
    entries = history(safety(), [40, 44, 48])
    assert [e.total for e in chronological(list(reversed(entries)))] == [40, 44, 48]
    found = baseline(list(reversed(entries)))
    assert found is not None
    assert found.check_in_ids == (1001, 1002, 1003)
