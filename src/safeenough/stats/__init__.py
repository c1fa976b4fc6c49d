"""Scoring, reliable change, baselines, expected treatment response and alert rules. Pure functions.

What the facade calls:
- `score_checkin(check_in, instrument)` → `Score`; `answer_problems(instrument, answers)` for forms;
- `client_alerts(history, instrument, reference=..., latest_only=True)`,
  `couple_alerts(histories, instrument)`, `missing_checkin_alerts(client_id, sessions)`, or all at
  once `case_alerts(histories_by_client, instrument, sessions=..., reference=...)` → `tuple[Alert, ...]`;
- `expected_response(instrument, intake, reference)` → the ETR curve and band for a chart;
- `baseline(history)`; `reliable_change_index(before, after, sd=..., reliability=...)`.
"""

from safeenough.stats.alerts import (
    MISSING_IN_A_ROW,
    case_alerts,
    client_alerts,
    couple_alerts,
    missing_checkin_alerts,
    split_alliance_alert,
)
from safeenough.stats.baseline import BASELINE_CHECKINS, Baseline, baseline, baseline_mean, chronological
from safeenough.stats.expected_response import (
    EtrPoint,
    EtrSource,
    ExpectedResponse,
    PracticeReference,
    TrackStatus,
    expected_response,
    trajectory,
)
from safeenough.stats.reliable_change import (
    is_reliable_change,
    is_reliable_deterioration,
    is_reliable_improvement,
    reliable_change_index,
    reliable_change_threshold,
)
from safeenough.stats.scoring import answer_problems, score_answers, score_checkin
from safeenough.stats.suggestions import suggest_next_step

__all__ = [
    "BASELINE_CHECKINS",
    "MISSING_IN_A_ROW",
    "Baseline",
    "EtrPoint",
    "EtrSource",
    "ExpectedResponse",
    "PracticeReference",
    "TrackStatus",
    "answer_problems",
    "baseline",
    "baseline_mean",
    "case_alerts",
    "chronological",
    "client_alerts",
    "couple_alerts",
    "expected_response",
    "is_reliable_change",
    "is_reliable_deterioration",
    "is_reliable_improvement",
    "missing_checkin_alerts",
    "reliable_change_index",
    "reliable_change_threshold",
    "score_answers",
    "score_checkin",
    "split_alliance_alert",
    "suggest_next_step",
    "trajectory",
]
