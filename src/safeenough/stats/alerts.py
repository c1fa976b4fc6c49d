"""Alert rules: pure functions from a client's (or a couple's) scored check-ins to Alerts.

Every alert carries its rule in words and its evidence (check-in ids, scores, dates), so the screen
can link to the answers that raised it, and a suggested next step (`stats.suggestions`). In a couple or
family case (`shared_case`), the next step for an alert about one client keeps their answers from the
others: each client was told that only their therapist (and supervisor) reads them.

Rules, in the instrument's own direction ("worse" is lower for alliance, higher for PHQ-9/GAD-7):
- below_cutoff: the total is at or beyond the cut-off (every time, or only on crossing into it, as
  the instrument says; `CutoffAlert`);
- low_item: an item score is at or beyond its item threshold; or a high-severity item (PHQ-9 item 9)
  was left unanswered, which the missing-item rule would otherwise prorate away in silence: the
  therapist is asked to ask about it;
- reliable_drop: worse than the previous scorable check-in by at least the reliable-change value;
- below_baseline: worse than the mean of the first three scorable check-ins by at least that value
  (checked from the fourth check-in on);
- not_on_track: red against the expected treatment response (outcome and symptom measures only, as
  ETR is used for outcome measures; `stats.expected_response`);
- split_alliance (couples and families, alliance measures): the highest and lowest of the clients'
  totals for the same session differ by at least the instrument's split threshold (or its
  reliable-change value); high severity when the cut-off also lies between them. A smaller gap is no
  split, even across the cut-off: it is within measurement error, and the partner beyond the cut-off
  has their own alert. Only an instrument with
  neither a split threshold nor a reliable-change value splits on the cut-off alone. Split alliance
  predicts poorer outcome (Friedlander et al. 2018);
- missing_checkins: two (or more) check-ins in a row not returned, still going or ended by a later
  answer;
- client_comment: the free-text answer is not empty.

`latest_only=True` (the default) evaluates the newest check-in (or session), as when an answer has
just arrived; `latest_only=False` evaluates every point of the history, as for a recomputation;
`new_after=ID` evaluates every check-in with an id above ID, i.e. all that arrived since the last
evaluation (the practice evaluates when the therapist next looks, so several may have arrived, and an
alert on one must not be lost because another came after it). The same input always gives the same
alerts with the same `key`, so storage can de-duplicate.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date

from safeenough.domain.alert import Alert, AlertKind, AlertSeverity, Evidence
from safeenough.domain.checkin import ScoredCheckIn, SessionReturn
from safeenough.domain.instrument import CutoffAlert, Instrument, InstrumentKind, Item, format_number
from safeenough.errors import InvalidInput
from safeenough.stats.baseline import BASELINE_CHECKINS, chronological
from safeenough.stats.expected_response import (
    ExpectedResponse,
    PracticeReference,
    TrackStatus,
    client_expected_response,
)
from safeenough.stats.reliable_change import is_reliable_deterioration
from safeenough.stats.suggestions import suggest_next_step

MISSING_IN_A_ROW = 2

_n = format_number


def _day(held_on: date) -> str:
    return f"{held_on.day} {held_on:%b %Y}"


def _evidence(
    entry: ScoredCheckIn, label: str, value: float | None = None, item_id: str | None = None
) -> Evidence:
    return Evidence(
        label=label,
        value=entry.total if value is None and item_id is None else value,
        client_id=entry.client_id,
        check_in_id=entry.id,
        session_id=entry.session_id,
        session_number=entry.session_number,
        submitted_at=entry.submitted_at,
        item_id=item_id,
    )


def _alert(
    kind: AlertKind,
    entry: ScoredCheckIn,
    instrument: Instrument,
    rule: str,
    evidence: Iterable[Evidence],
    severity: AlertSeverity,
    item_id: str | None = None,
) -> Alert:
    return Alert(
        kind=kind,
        client_ids=(entry.client_id,),
        session_id=entry.session_id,
        instrument_id=instrument.id,
        rule=rule,
        evidence=tuple(evidence),
        suggested_next_step=suggest_next_step(kind, instrument, item_id),
        severity=severity,
        item_id=item_id,
    )


def _check_history(history: Sequence[ScoredCheckIn], instrument: Instrument) -> None:
    if len({entry.client_id for entry in history}) > 1:
        raise InvalidInput("a client's history must hold one client's check-ins only")
    wrong = {entry.check_in.instrument_id for entry in history} - {instrument.id}
    if wrong:
        raise InvalidInput(
            f"check-ins for {', '.join(sorted(wrong))} cannot be judged against {instrument.id}"
        )


# --- one client ---------------------------------------------------------------------------------------


def _comment_alert(entry: ScoredCheckIn, instrument: Instrument) -> Alert | None:
    if not entry.check_in.has_comment:
        return None
    item_id = instrument.free_text.id if instrument.free_text else None
    question = f" to “{instrument.free_text.text}”" if instrument.free_text else ""
    return _alert(
        AlertKind.CLIENT_COMMENT,
        entry,
        instrument,
        f"the client wrote an answer{question}",
        [_evidence(entry, "this check-in", item_id=item_id)],
        AlertSeverity.MEDIUM,
        item_id=item_id,
    )


_RULE_LIMIT = 400
"""`Alert.rule`'s length limit: a rule names its items in as many of their words as fit."""
_ITEM_WORDS = range(80, 23, -4)
"""How many characters of each item's words a rule tries, longest first, until the rule fits."""
_LABEL_WORDS = 190
"""An evidence label's item words, at most (labels are limited to 200 characters)."""


def _shortened(text: str, limit: int) -> str:
    """The text without its closing full stop, cut at a word boundary with "…" if longer than `limit`."""
    words = " ".join(text.split()).removesuffix(".")
    if len(words) <= limit:
        return words
    cut = words[: limit - 1]
    if words[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:—–-") + "…"


def _item_words(item: Item, limit: int) -> str:
    """An item as a therapist reads it: its words, and its number where items are known by number
    ("PHQ-9 item 9"); an id like `safe_to_speak` is ours, not theirs."""
    words = f"“{_shortened(item.text, limit)}”"
    return f"item {item.id} {words}" if item.id.isdigit() else words


def _item_label(item: Item, limit: int = _LABEL_WORDS) -> str:
    words = _shortened(item.text, limit)
    return f"item {item.id}: {words}" if item.id.isdigit() else words


def _items_rule(flagged: Sequence[tuple[Item, float]], instrument: Instrument) -> str:
    """'“I felt safe enough to say what really mattered to me” scored 5, “In this session I felt
    listened to and understood” scored 6 (at or below item threshold 7)', within `_RULE_LIMIT`."""
    direction = "at or below" if instrument.higher_is_better else "at or above"
    thresholds = {item.alert_threshold or 0 for item, _ in flagged}
    one_threshold = len(thresholds) == 1
    suffix = f" ({direction} item threshold {_n(next(iter(thresholds)))})" if one_threshold else ""

    def part(item: Item, score: float, limit: int) -> str:
        scored = f"{_item_words(item, limit)} scored {_n(score)}"
        if one_threshold:
            return scored
        return f"{scored} ({direction} item threshold {_n(item.alert_threshold or 0)})"

    for limit in _ITEM_WORDS:
        parts = [part(item, score, limit) for item, score in flagged]
        rule = ", ".join(parts) + suffix
        if len(rule) <= _RULE_LIMIT:
            return rule
    # Too many items for even a few words each: name the worst and count the rest.
    while len(parts) > 1:
        parts.pop()
        rest = len(flagged) - len(parts)
        rule = f"{', '.join(parts)} and {rest} more {'item' if rest == 1 else 'items'}{suffix}"
        if len(rule) <= _RULE_LIMIT:
            return rule
    return rule


def _item_alerts(entry: ScoredCheckIn, instrument: Instrument) -> list[Alert]:
    """One alert for the items at or beyond their threshold, led by the worst of them.

    Items flagged high severity (PHQ-9 item 9) keep an alert of their own. Folding the rest into one
    keeps the list short: a therapist who sees a stack of near-identical alerts stops looking.
    """
    flagged: list[tuple[Item, float]] = []
    for item in instrument.items:
        score = entry.score.item_scores.get(item.id)
        if score is None or item.alert_threshold is None:
            continue
        if instrument.item_at_or_beyond_threshold(item, score):
            flagged.append((item, score))
    alerts = _unanswered_alerts(entry, instrument)
    own = [(item, score) for item, score in flagged if item.alert_severity is AlertSeverity.HIGH]
    grouped = [(item, score) for item, score in flagged if item.alert_severity is not AlertSeverity.HIGH]
    for item, score in own:
        rule = _items_rule([(item, score)], instrument)
        evidence = [_evidence(entry, _item_label(item), value=score, item_id=item.id)]
        alerts.append(
            _alert(AlertKind.LOW_ITEM, entry, instrument, rule, evidence, item.alert_severity, item.id)
        )
    if grouped:
        # Worst first: lowest score for higher-is-better instruments, highest otherwise.
        grouped.sort(key=lambda pair: pair[1] if instrument.higher_is_better else -pair[1])
        worst, _ = grouped[0]
        rule = _items_rule(grouped, instrument)
        evidence = [
            _evidence(entry, _item_label(item), value=score, item_id=item.id) for item, score in grouped
        ]
        severity = max((item.alert_severity for item, _ in grouped), key=lambda level: level.rank)
        alerts.append(_alert(AlertKind.LOW_ITEM, entry, instrument, rule, evidence, severity, worst.id))
    return alerts


def _unanswered_alerts(entry: ScoredCheckIn, instrument: Instrument) -> list[Alert]:
    """An alert for each high-severity item left blank in a check-in that was answered otherwise.

    A blank risk question is not a "no": the total may be prorated over it, but whether the client has
    such thoughts is unknown until someone asks. Medium severity: nothing was said, and a blank may mean
    nothing; the suggestion asks directly."""
    if not entry.check_in.answered_item_ids:
        return []
    alerts = []
    for item in instrument.items:
        if item.alert_severity is not AlertSeverity.HIGH or item.alert_threshold is None:
            continue
        if entry.score.item_scores.get(item.id) is not None:
            continue
        direction = "at or below" if instrument.higher_is_better else "at or above"
        rule = (
            f"{_item_words(item, _ITEM_WORDS[0])} was left unanswered; an answer {direction} "
            f"{_n(item.alert_threshold)} raises a high-severity alert"
        )
        label = f"not answered: {_item_label(item, _LABEL_WORDS - 20)}"
        evidence = [_evidence(entry, label, item_id=item.id)]
        alerts.append(
            Alert(
                kind=AlertKind.LOW_ITEM,
                client_ids=(entry.client_id,),
                session_id=entry.session_id,
                instrument_id=instrument.id,
                rule=rule,
                evidence=tuple(evidence),
                suggested_next_step=suggest_next_step(
                    AlertKind.LOW_ITEM, instrument, item.id, unanswered=True
                ),
                severity=AlertSeverity.MEDIUM,
                item_id=item.id,
            )
        )
    return alerts


def _is_unanswered_item_alert(alert: Alert) -> bool:
    """An alert about an item left blank: its evidence names the item and carries no score."""
    return alert.kind is AlertKind.LOW_ITEM and all(
        e.value is None and e.item_id is not None for e in alert.evidence
    )


def _cutoff_words(instrument: Instrument) -> str:
    """'≤ cut-off 45 (possible alliance concern; provisional)' or '≥ cut-off 10 (clinical range)'."""
    cutoff = instrument.cutoff
    assert cutoff is not None
    notes = [cutoff.label] if cutoff.label != "cut-off" else []
    if cutoff.provisional:
        notes.append("provisional")
    words = f"{instrument.cutoff_symbol} cut-off {_n(cutoff.value)}"
    return f"{words} ({'; '.join(notes)})" if notes else words


def _cutoff_alert(
    entry: ScoredCheckIn, previous: ScoredCheckIn | None, instrument: Instrument
) -> Alert | None:
    cutoff = instrument.cutoff
    total = entry.total
    if cutoff is None or total is None or cutoff.alert is CutoffAlert.NEVER:
        return None
    if not instrument.beyond_cutoff(total):
        return None
    rule = f"total {_n(total)} {_cutoff_words(instrument)}"
    evidence = [_evidence(entry, "this check-in")]
    if cutoff.alert is CutoffAlert.ON_CROSSING:
        if previous is None or previous.total is None or instrument.beyond_cutoff(previous.total):
            return None
        rule += f"; the previous check-in ({_n(previous.total)}) was not"
        evidence.append(_evidence(previous, "previous check-in"))
    return _alert(AlertKind.BELOW_CUTOFF, entry, instrument, rule, evidence, AlertSeverity.MEDIUM)


def _change_words(before: float, after: float) -> str:
    verb = "fell" if after < before else "rose"
    return (
        f"{verb} from {_n(before)} to {_n(after)} ({'+' if after > before else '−'}{_n(abs(after - before))})"
    )


def _drop_alert(entry: ScoredCheckIn, previous: ScoredCheckIn | None, instrument: Instrument) -> Alert | None:
    rc = instrument.reliable_change
    if rc is None or previous is None or previous.total is None or entry.total is None:
        return None
    if not is_reliable_deterioration(instrument, previous.total, entry.total):
        return None
    rule = (
        f"total {_change_words(previous.total, entry.total)} since the previous check-in; "
        f"a change of {_n(rc.value)} or more is reliable"
    )
    evidence = [_evidence(previous, "previous check-in"), _evidence(entry, "this check-in")]
    return _alert(AlertKind.RELIABLE_DROP, entry, instrument, rule, evidence, AlertSeverity.HIGH)


def _baseline_alert(
    entry: ScoredCheckIn, scorable_before: list[ScoredCheckIn], instrument: Instrument
) -> Alert | None:
    rc = instrument.reliable_change
    if rc is None or entry.total is None or len(scorable_before) < BASELINE_CHECKINS:
        return None
    first = scorable_before[:BASELINE_CHECKINS]
    value = sum(e.total for e in first if e.total is not None) / BASELINE_CHECKINS
    worse_by = instrument.worsening(value, entry.total)
    if not is_reliable_deterioration(instrument, value, entry.total):
        return None
    rule = (
        f"total {_n(entry.total)} is {_n(worse_by)} {instrument.worse_word} than the client's baseline "
        f"{_n(value)} (mean of the first three check-ins); a change of {_n(rc.value)} or more is reliable"
    )
    evidence = [_evidence(e, f"baseline check-in {i}") for i, e in enumerate(first, start=1)]
    evidence.append(Evidence(label="baseline (mean of first three)", value=value, client_id=entry.client_id))
    evidence.append(_evidence(entry, "this check-in"))
    return _alert(AlertKind.BELOW_BASELINE, entry, instrument, rule, evidence, AlertSeverity.MEDIUM)


def _etr_alert(
    entry: ScoredCheckIn,
    number: int,
    intake: ScoredCheckIn,
    etr: ExpectedResponse | None,
    instrument: Instrument,
) -> Alert | None:
    if etr is None or entry.total is None or number < 2:
        return None
    if etr.status(number, entry.total) is not TrackStatus.NOT_ON_TRACK:
        return None
    expected = etr.point(number).expected
    curve = (
        "the provisional default curve"
        if etr.provisional
        else f"the practice's {etr.matched_clients} clients with a similar intake"
    )
    rule = (
        f"total {_n(entry.total)} at check-in {number} is {_n(etr.shortfall(number, entry.total))} "
        f"{instrument.worse_word} than the expected {_n(expected)} (expected treatment response from "
        f"{curve}); not on track at {_n(etr.margin)} or more"
    )
    evidence = [
        _evidence(intake, "intake check-in"),
        Evidence(label=f"expected at check-in {number} ({etr.source.value} curve)", value=expected),
        _evidence(entry, "this check-in"),
    ]
    return _alert(AlertKind.NOT_ON_TRACK, entry, instrument, rule, evidence, AlertSeverity.MEDIUM)


def client_alerts(
    history: Sequence[ScoredCheckIn],
    instrument: Instrument,
    *,
    reference: PracticeReference | None = None,
    latest_only: bool = True,
    new_after: int | None = None,
    shared_case: bool = False,
) -> tuple[Alert, ...]:
    """Alerts for one client's check-ins on one instrument (any order; sorted by session here).

    `reference` holds the practice's earlier clients' trajectories on this instrument for the ETR
    (leave this client out); without it, the provisional default curve is used. `shared_case`: the
    client is one of a couple or family, so the suggestions keep their answers from the others.
    """
    _check_history(history, instrument)
    entries = chronological(history)
    if not entries:
        return ()
    scorable = [entry for entry in entries if entry.total is not None]
    etr = client_expected_response(entries, instrument, reference)
    if new_after is not None:
        indices = [index for index, entry in enumerate(entries) if entry.id > new_after]
    else:
        indices = [len(entries) - 1] if latest_only else list(range(len(entries)))
    alerts: list[Alert] = []
    for index in indices:
        entry = entries[index]
        before = [e for e in entries[:index] if e.total is not None]
        previous = before[-1] if before else None
        found = [
            _cutoff_alert(entry, previous, instrument),
            *_item_alerts(entry, instrument),
            _drop_alert(entry, previous, instrument),
            _baseline_alert(entry, before, instrument),
            _etr_alert(entry, len(before) + 1, scorable[0], etr, instrument) if scorable else None,
            _comment_alert(entry, instrument),
        ]
        alerts.extend(alert for alert in found if alert is not None)
    if shared_case:
        # The rules judge one client's numbers alike in any case; only what to do next differs.
        alerts = [_kept_private(alert, instrument) for alert in alerts]
    return tuple(alerts)


def _kept_private(alert: Alert, instrument: Instrument) -> Alert:
    """The alert with the suggestion for a couple or family, which raises it with its client alone."""
    suggestion = suggest_next_step(
        alert.kind,
        instrument,
        alert.item_id,
        shared_case=True,
        unanswered=_is_unanswered_item_alert(alert),
    )
    return replace(alert, suggested_next_step=suggestion)


# --- couples ------------------------------------------------------------------------------------------


def split_alliance_alert(check_ins: Sequence[ScoredCheckIn], instrument: Instrument) -> Alert | None:
    """The split-alliance alert for one session, given each partner's check-in for it (or None).

    Symmetric: the order of the partners never changes the result.
    """
    if instrument.kind is not InstrumentKind.ALLIANCE:
        return None
    sessions = {entry.session_id for entry in check_ins}
    if len(sessions) > 1:
        raise InvalidInput("a split alliance compares partners' check-ins for the same session")
    latest: dict[int, ScoredCheckIn] = {}
    for entry in chronological(check_ins):
        if entry.total is not None and entry.check_in.instrument_id == instrument.id:
            latest[entry.client_id] = entry
    partners = [latest[client_id] for client_id in sorted(latest)]
    if len(partners) < 2:
        return None
    totals = sorted(entry.total for entry in partners if entry.total is not None)
    low, high = totals[0], totals[-1]
    reasons: list[str] = []
    severity = AlertSeverity.MEDIUM
    threshold = instrument.split_threshold or (
        instrument.reliable_change.value if instrument.reliable_change else None
    )
    if threshold is not None:
        if high - low < threshold - 1e-9:
            # A gap smaller than the split threshold is within measurement error, even where the cut-off
            # happens to lie between the partners (45 and 46): the one beyond it has an alert of their own.
            return None
        gap = (
            f"partners' totals differ by {_n(high - low)} ({_n(low)} and {_n(high)})"
            if len(totals) == 2
            else f"the {len(totals)} clients' totals differ by up to {_n(high - low)} ({_list(totals)})"
        )
        reasons.append(f"{gap}; a difference of {_n(threshold)} or more is a split")
    beyond = [instrument.beyond_cutoff(total) for total in totals]
    if instrument.cutoff is not None and any(beyond) and not all(beyond):
        worse = [t for t, b in zip(totals, beyond, strict=True) if b]
        better = [t for t, b in zip(totals, beyond, strict=True) if not b]
        reasons.append(_cutoff_between(worse, better, instrument))
        severity = AlertSeverity.HIGH
    if not reasons:
        return None
    return Alert(
        kind=AlertKind.SPLIT_ALLIANCE,
        client_ids=tuple(entry.client_id for entry in partners),
        session_id=partners[0].session_id,
        instrument_id=instrument.id,
        rule="; ".join(reasons),
        evidence=tuple(
            _evidence(entry, "partner's check-in" if len(partners) == 2 else "client's check-in")
            for entry in partners
        ),
        suggested_next_step=suggest_next_step(AlertKind.SPLIT_ALLIANCE, instrument, clients=len(partners)),
        severity=severity,
    )


def _list(values: Sequence[float]) -> str:
    """'40', '40 and 41', '40, 41 and 47'."""
    words = [_n(value) for value in values]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _cutoff_between(worse: Sequence[float], better: Sequence[float], instrument: Instrument) -> str:
    """Which totals lie beyond the cut-off and which do not, in words that fit two partners ("one
    partner's total (40) is ≤ cut-off 45 and the other's (47) is not") and a family ("2 of the 3 clients'
    totals (40 and 41) are ≤ cut-off 45 and the other's (47) is not")."""
    cutoff = _cutoff_words(instrument)
    if len(worse) + len(better) == 2:
        return f"one partner's total ({_n(worse[0])}) is {cutoff} and the other's ({_n(better[0])}) is not"
    count = len(worse) + len(better)
    if len(worse) == 1:
        beyond = f"1 of the {count} clients' totals ({_n(worse[0])}) is {cutoff}"
    else:
        beyond = f"{len(worse)} of the {count} clients' totals ({_list(worse)}) are {cutoff}"
    if len(better) == 1:
        return f"{beyond} and the other's ({_n(better[0])}) is not"
    return f"{beyond} and the others' ({_list(better)}) are not"


def couple_alerts(
    histories: Iterable[Sequence[ScoredCheckIn]],
    instrument: Instrument,
    *,
    latest_only: bool = True,
    new_after: int | None = None,
) -> tuple[Alert, ...]:
    """Split-alliance alerts for a couple (or family): each partner's history on one instrument.

    Sessions are compared where at least two partners returned a scorable check-in; `latest_only`
    looks at the most recent such session only, `new_after` at the sessions with a check-in whose id
    is above it.
    """
    by_session: dict[int, list[ScoredCheckIn]] = defaultdict(list)
    for history in histories:
        for entry in history:
            by_session[entry.session_id].append(entry)
    shared = [
        entries
        for entries in by_session.values()
        if len({e.client_id for e in entries if e.total is not None}) >= 2
    ]
    shared.sort(key=lambda entries: (max(e.session_number for e in entries), entries[0].session_id))
    if new_after is not None:
        shared = [entries for entries in shared if any(e.id > new_after for e in entries)]
    elif latest_only:
        shared = shared[-1:]
    alerts = [split_alliance_alert(entries, instrument) for entries in shared]
    return tuple(alert for alert in alerts if alert is not None)


# --- missing check-ins --------------------------------------------------------------------------------


def missing_checkin_alerts(
    client_id: int,
    sessions: Sequence[SessionReturn],
    *,
    instrument_id: str | None = None,
    latest_only: bool = True,
    shared_case: bool = False,
) -> tuple[Alert, ...]:
    """An alert for each run of `MISSING_IN_A_ROW` or more sessions whose check-in did not come back.

    The alert is keyed at the second missed session of the run, so a run that grows keeps one key, and
    a run that ended (a later check-in came back) keeps the key it had while it was going: stored once,
    it is never stored again. A run that ended says so ("…; then the check-in of 3 Mar 2026 came back").
    `latest_only` reports only a run that is still going at the last session. `shared_case`: the
    client is one of a couple or family (see `client_alerts`).
    """
    ordered = sorted(sessions, key=lambda s: (s.session_number, s.held_on, s.session_id))
    # Each run with the session whose check-in came back after it (None while it is still going).
    runs: list[tuple[list[SessionReturn], SessionReturn | None]] = []
    current: list[SessionReturn] = []
    for session in ordered:
        if session.returned:
            if len(current) >= MISSING_IN_A_ROW:
                runs.append((current, session))
            current = []
        else:
            current.append(session)
    ongoing = current if len(current) >= MISSING_IN_A_ROW else None
    if ongoing is not None:
        runs.append((ongoing, None))
    if latest_only:
        runs = [(ongoing, None)] if ongoing is not None else []
    alerts: list[Alert] = []
    for run, answered in runs:
        # Dates, not session numbers: the rule is stored, and a session entered late renumbers the rest.
        days = [_day(s.held_on) for s in run]
        joined = f"{days[0]} and {days[1]}" if len(run) == 2 else f"{days[0]}–{days[-1]}"
        rule = f"{len(run)} check-ins in a row not returned (sessions of {joined})"
        evidence = [
            Evidence(
                label="check-in not returned",
                client_id=client_id,
                session_id=s.session_id,
                session_number=s.session_number,
                held_on=s.held_on,
            )
            for s in run
        ]
        if answered is not None:
            # The run ended before anyone looked: it is still worth a question, and the therapist should
            # not think the client has stopped answering.
            rule += f"; then the check-in of {_day(answered.held_on)} came back"
            evidence.append(
                Evidence(
                    label="then returned",
                    client_id=client_id,
                    session_id=answered.session_id,
                    session_number=answered.session_number,
                    held_on=answered.held_on,
                )
            )
        alerts.append(
            Alert(
                kind=AlertKind.MISSING_CHECKINS,
                client_ids=(client_id,),
                session_id=run[MISSING_IN_A_ROW - 1].session_id,
                instrument_id=instrument_id,
                rule=rule,
                evidence=tuple(evidence),
                suggested_next_step=suggest_next_step(AlertKind.MISSING_CHECKINS, shared_case=shared_case),
                severity=AlertSeverity.LOW,
            )
        )
    return tuple(alerts)


# --- a whole case -------------------------------------------------------------------------------------


def case_alerts(
    histories: Mapping[int, Sequence[ScoredCheckIn]],
    instrument: Instrument,
    *,
    sessions: Mapping[int, Sequence[SessionReturn]] | None = None,
    reference: PracticeReference | None = None,
    latest_only: bool = True,
    new_after: int | None = None,
    shared_case: bool = False,
    session_dates: Mapping[int, date] | None = None,
) -> tuple[Alert, ...]:
    """Every rule for one case on one instrument: each client's alerts, the couple's split alliance
    (two or more clients), and missing check-ins (`sessions`: client id → sessions they attended).

    `new_after` (a check-in id) evaluates every check-in that arrived after it; missing check-ins are
    then judged over the whole history, ended runs included: two missed check-ins followed by an answer,
    all before the therapist looked, must still raise their alert (storage keeps one per run by its key).

    `shared_case`: the case has more than one client even if only one of them appears here (the other
    has returned nothing yet). Alerts about one client of such a case suggest raising it with them
    alone: their check-in was promised to be seen by the therapist only. `session_dates` (session id →
    the day it was held) puts each check-in's session date in its evidence, beside its number.

    Sorted most urgent first (severity, then kind), then by session.
    """
    shared = shared_case or len(set(histories) | set(sessions or {})) >= 2
    alerts: list[Alert] = []
    for client_id in sorted(histories):
        alerts.extend(
            client_alerts(
                histories[client_id],
                instrument,
                reference=reference,
                latest_only=latest_only,
                new_after=new_after,
                shared_case=shared,
            )
        )
    if len(histories) >= 2:
        alerts.extend(
            couple_alerts(histories.values(), instrument, latest_only=latest_only, new_after=new_after)
        )
    only_ongoing = latest_only and new_after is None
    for client_id, attended in sorted((sessions or {}).items()):
        alerts.extend(
            missing_checkin_alerts(
                client_id,
                attended,
                instrument_id=instrument.id,
                latest_only=only_ongoing,
                shared_case=shared,
            )
        )
    if session_dates:
        alerts = [_with_session_dates(alert, session_dates) for alert in alerts]
    order = list(AlertKind)
    return tuple(
        sorted(alerts, key=lambda a: (-a.severity.rank, order.index(a.kind), a.session_id, a.client_ids))
    )


def _with_session_dates(alert: Alert, held_on: Mapping[int, date]) -> Alert:
    """The alert with each check-in's session date in its evidence: a check-in may come back days after
    its session, and the screen names sessions by number and date."""
    evidence = tuple(
        replace(item, held_on=held_on[item.session_id])
        if item.held_on is None and item.session_id is not None and item.session_id in held_on
        else item
        for item in alert.evidence
    )
    return replace(alert, evidence=evidence)
