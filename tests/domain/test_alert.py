import pytest

from safeenough.domain.alert import Alert, AlertKind, AlertSeverity, AlertStatus, Evidence
from safeenough.domain.validation import DomainError


def alert(**kwargs: object) -> Alert:
    fields: dict[str, object] = {
        "kind": AlertKind.SPLIT_ALLIANCE,
        "client_ids": (7, 3),
        "session_id": 12,
        "instrument_id": "safeenough-safety",
        "rule": "partners' totals differ by 9",
        "evidence": [Evidence("partner's check-in", 40, client_id=3, check_in_id=5)],
        "suggested_next_step": "Invite both partners to say how the session was.",
        "severity": AlertSeverity.MEDIUM,
    }
    fields.update(kwargs)
    return Alert(**fields)  # type: ignore[arg-type]


def test_an_alert_names_its_clients_in_a_stable_order() -> None:
    made = alert()
    assert made.client_ids == (3, 7)
    assert made.evidence[0].check_in_id == 5
    assert made.check_in_ids == (5,)


def test_an_alert_without_evidence_or_rule_or_suggestion_is_refused() -> None:
    with pytest.raises(DomainError, match="evidence"):
        alert(evidence=())
    with pytest.raises(DomainError, match="alert rule"):
        alert(rule="")
    with pytest.raises(DomainError, match="suggested next step"):
        alert(suggested_next_step=" ")
    with pytest.raises(DomainError, match="at least one client"):
        alert(client_ids=())


def test_the_key_of_an_alert_does_not_depend_on_the_order_of_partners() -> None:
    assert alert(client_ids=(3, 7)).key == alert(client_ids=(7, 3)).key


def test_alert_status_moves_forward_and_can_be_reopened() -> None:
    assert AlertStatus.OPEN.can_become(AlertStatus.ACKNOWLEDGED)
    assert AlertStatus.ACKNOWLEDGED.can_become(AlertStatus.RESOLVED)
    assert AlertStatus.RESOLVED.can_become(AlertStatus.OPEN)
    assert not AlertStatus.RESOLVED.can_become(AlertStatus.ACKNOWLEDGED)


def test_every_alert_kind_has_a_label_and_severities_sort() -> None:
    assert all(kind.label for kind in AlertKind)
    assert AlertSeverity.HIGH.rank > AlertSeverity.MEDIUM.rank > AlertSeverity.LOW.rank
