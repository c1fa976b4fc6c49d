"""Check-ins on the therapist's side: issuing links (URL, copy, QR code, kiosk), the monitoring panel
(one trajectory chart per instrument with every client of the case on it, the same numbers as a table,
item detail, comments) and the alert list with acknowledge / resolve.

The case page (rendered by `routes.cases`) gets the monitoring panel through the template global
`monitoring_view`, installed by `install_template_helpers`; the panel and the alert list can also be
loaded on their own with htmx. Supervisors see everything read-only, without buttons.
"""

import base64
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Annotated, Any
from urllib.parse import urlsplit

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeenough.domain.alert import AlertStatus
from safeenough.domain.alert_record import AlertRecord
from safeenough.domain.case import Case
from safeenough.domain.checkin import ScoredCheckIn
from safeenough.domain.checkin_link import CheckInLink, LinkState
from safeenough.domain.client import Client
from safeenough.domain.instrument import Instrument, InstrumentKind, ScoringMethod, format_number
from safeenough.domain.session import Session
from safeenough.errors import InvalidInput, NotFound
from safeenough.practice import CaseDetail, CaseMonitoring, ClientTrack, IssuedLink
from safeenough.web.auth import Visitor, check_csrf, clear_session_cookie, current_visitor, read_form
from safeenough.web.context import web_context
from safeenough.web.rendering import format_date, format_datetime, is_htmx, render
from safeenough.web.routes import parse_record_id
from safeenough.web.routes.cases import case_page_response

router = APIRouter()

MAX_NOTE_LENGTH = 2_000
CLIENT_COLOURS = ("#2f5d62", "#b35c00", "#6a3f73", "#3c6e2f", "#8a1c14", "#1f4e8c")
"""One colour per client on a chart (teal, amber, plum, green, red, blue); legends name them too."""


# --- view models ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """How one client's check-in for one session stands: none, sent (open), returned (used) or expired."""

    state: str
    text: str
    kiosk: bool = False


NO_LINK = LinkStatus("none", "No check-in link yet.")


@dataclass(frozen=True, slots=True)
class IssuedView:
    """A link just issued: the full URL to hand over, and the same as a QR code."""

    session_id: int
    client_id: int
    url: str
    qr_data_uri: str
    expires_at: datetime
    kiosk: bool

    @property
    def warning(self) -> str | None:
        return link_warning(self.url)

    @property
    def opens_only_here(self) -> bool:
        """On a loopback address: a client's phone cannot open it, so no QR code is offered."""
        return is_loopback(urlsplit(self.url).hostname or "")


@dataclass(frozen=True, slots=True)
class ItemDetail:
    text: str
    score: str
    scale: str
    threshold: str | None
    flagged: bool
    answered: bool = True


@dataclass(frozen=True, slots=True)
class ClientDetail:
    """One client's latest check-in on one instrument, item by item, and what they wrote."""

    client: Client
    check_in_id: int
    session_number: int
    submitted_at: datetime
    total: str
    band: str | None
    flagged_total: bool
    items: tuple[ItemDetail, ...]
    comments: tuple[tuple[int, str], ...]
    subscales: tuple[tuple[str, str, str], ...] = ()
    """(title, score or "not scorable", highest possible) of each subscale, for instruments that have
    them (the goal, task and bond of an alliance inventory say more than its total)."""
    prorated: str | None = None
    """How the total was made up for unanswered items ("prorated: 1 question not answered"), if it was."""


@dataclass(frozen=True, slots=True)
class Cell:
    total: str | None
    check_in_id: int | None = None
    flagged: bool = False
    expected: str | None = None
    prorated: bool = False
    """The total was made up for unanswered items by the instrument's missing-item rule."""


def prorated_note(missing: int) -> str:
    """'prorated: 1 question not answered': a made-up total must not read as a full one."""
    questions = "1 question" if missing == 1 else f"{missing} questions"
    return f"prorated: {questions} not answered"


def y_axis_title(instrument: Instrument) -> str:
    """'Total (higher is better)', or 'Mean item score (lower is better)' for a mean-scored instrument:
    the chart says which way is worse without the caption."""
    what = "Mean item score" if instrument.scoring.method is ScoringMethod.MEAN else "Total"
    return f"{what} ({'higher' if instrument.higher_is_better else 'lower'} is better)"


@dataclass(frozen=True, slots=True)
class TableRow:
    session_number: int
    held_on: date
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class InstrumentPanel:
    instrument: Instrument
    chart_id: str
    spec_json: Markup
    clients: tuple[Client, ...]
    rows: tuple[TableRow, ...]
    details: tuple[ClientDetail, ...]
    cutoff_text: str | None
    etr_basis: str | None

    @property
    def chart_label(self) -> str:
        who = " and ".join(client.display_name for client in self.clients)
        return (
            f"Chart of {self.instrument.title} totals by session for {who}. "
            "The same numbers are in the table below."
        )


@dataclass(frozen=True, slots=True)
class EvidenceView:
    label: str
    value: str | None
    client_name: str | None
    session_number: int | None
    check_in_id: int | None
    when: str | None


@dataclass(frozen=True, slots=True)
class AlertView:
    record: AlertRecord
    kind_label: str
    client_names: str
    instrument_title: str | None
    session_number: int | None
    evidence: tuple[EvidenceView, ...]
    status_text: str | None

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def actions(self) -> tuple[tuple[str, str], ...]:
        """(status value, button label) for the changes this alert allows."""
        return {
            AlertStatus.OPEN: (("acknowledged", "Acknowledge"), ("resolved", "Resolve")),
            AlertStatus.ACKNOWLEDGED: (("resolved", "Resolve"), ("open", "Reopen")),
            AlertStatus.RESOLVED: (("open", "Reopen"),),
        }[self.record.status]


@dataclass(frozen=True, slots=True)
class AlertGroup:
    """The active alerts raised about one session, most pressing first.

    One low check-in can break several rules at once (below the cut-off, a reliable drop, a low item, a
    comment); shown as one card with the others a click away, it reads as one event, not five."""

    session_number: int | None
    alerts: tuple[AlertView, ...]

    @property
    def first(self) -> AlertView:
        return self.alerts[0]

    @property
    def rest(self) -> tuple[AlertView, ...]:
        return self.alerts[1:]

    @property
    def rest_summary(self) -> str:
        kinds = ", ".join(dict.fromkeys(alert.kind_label.lower() for alert in self.rest))
        about = f"session {self.session_number}" if self.session_number is not None else "this case"
        more = "1 more alert" if len(self.rest) == 1 else f"{len(self.rest)} more alerts"
        return f"{more} about {about}: {kinds}"


@dataclass(slots=True)
class MonitoringView:
    case: Case
    read_only: bool
    panels: tuple[InstrumentPanel, ...]
    alerts: tuple[AlertView, ...]
    link_status: dict[tuple[int, int], LinkStatus] = field(default_factory=dict)
    alert_error: str | None = None
    alert_done: str | None = None

    @property
    def has_checkins(self) -> bool:
        return bool(self.panels)

    @property
    def active_alerts(self) -> tuple[AlertView, ...]:
        return tuple(alert for alert in self.alerts if alert.record.status is not AlertStatus.RESOLVED)

    @property
    def active_alert_groups(self) -> tuple[AlertGroup, ...]:
        """Active alerts by session, each group where its most pressing alert would be."""
        groups: dict[int | None, list[AlertView]] = {}
        for alert in self.active_alerts:
            groups.setdefault(alert.session_number, []).append(alert)
        return tuple(AlertGroup(number, tuple(alerts)) for number, alerts in groups.items())

    @property
    def resolved_alerts(self) -> tuple[AlertView, ...]:
        return tuple(alert for alert in self.alerts if alert.record.status is AlertStatus.RESOLVED)

    @property
    def open_count(self) -> int:
        return sum(1 for alert in self.alerts if alert.record.is_open)

    def status_for(self, session_id: int, client_id: int) -> LinkStatus:
        return self.link_status.get((session_id, client_id), NO_LINK)


# --- building the view ------------------------------------------------------------------------------


def json_for_html(value: object) -> Markup:
    """JSON that is safe inside <script type="application/json">: no '<', '>' or '&' can end it early."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - escaped above for the script-data context


def _link_status(
    links: Iterable[CheckInLink], now: datetime, zone: tzinfo
) -> dict[tuple[int, int], LinkStatus]:
    """Per (session, client): returned if any link came back, else the state of the latest link."""
    by_pair: dict[tuple[int, int], list[CheckInLink]] = {}
    for link in links:
        by_pair.setdefault((link.session_id, link.client_id), []).append(link)
    found: dict[tuple[int, int], LinkStatus] = {}
    for pair, pair_links in by_pair.items():
        used = [link for link in pair_links if link.used_at is not None]
        if used:
            first = min(used, key=lambda link: link.used_at or link.created_at)
            found[pair] = LinkStatus("used", f"Returned {format_datetime(first.used_at, zone)}.", first.kiosk)
            continue
        latest = max(pair_links, key=lambda link: link.created_at)
        state = latest.state(now)
        if state is LinkState.EXPIRED:
            found[pair] = LinkStatus(
                "expired",
                f"Link expired {format_datetime(latest.expires_at, zone)}; not returned.",
                latest.kiosk,
            )
        else:
            what = "Kiosk check-in started" if latest.kiosk else "Link made, not yet answered"
            found[pair] = LinkStatus(
                "open", f"{what}; expires {format_datetime(latest.expires_at, zone)}.", latest.kiosk
            )
    return found


def _chart_spec(
    instrument: Instrument,
    tracks: Sequence[ClientTrack],
    colours: dict[int, str],
    last_session: int,
) -> dict[str, Any]:
    """A layered Vega-Lite spec: the ETR band and expected line, each client's totals, the cut-off."""
    names = [track.client.display_name for track in tracks]
    colour = {
        "field": "client",
        "type": "nominal",
        "title": "Client",
        "scale": {"domain": names, "range": [colours[track.client.id] for track in tracks]},
        "legend": {"orient": "bottom"},
    }
    # Half a session of room at each end: a first (or only) check-in would otherwise sit on the axis line,
    # under the cut-off's label, and one check-in would stretch the axis to a session not yet held.
    x = {
        "field": "session",
        "type": "quantitative",
        "title": "Session",
        "scale": {"domain": [0.5, max(1, last_session) + 0.5], "nice": False, "zero": False},
        "axis": {"tickMinStep": 1, "format": "d"},
    }
    low, high = instrument.total_range
    y_scale = {"domain": [low, high], "nice": False, "zero": False}
    y_title = y_axis_title(instrument)
    scores: list[dict[str, Any]] = []
    band: list[dict[str, Any]] = []
    for track in tracks:
        scorable = [entry for entry in track.history if entry.total is not None]
        for number, entry in enumerate(scorable, start=1):
            assert entry.total is not None
            # The tooltip shows the total as the table does: a prorated one is marked as made up.
            shown = format_number(entry.total) + (" (prorated)" if entry.score.prorated else "")
            scores.append(
                {
                    "client": track.client.display_name,
                    "session": entry.session_number,
                    "total": entry.total,
                    "shown": shown,
                }
            )
            if track.expected is not None:
                point = track.expected.point(number)
                band.append(
                    {
                        "client": track.client.display_name,
                        "session": entry.session_number,
                        "lower": point.lower,
                        "upper": point.upper,
                        "expected": point.expected,
                    }
                )
    layers: list[dict[str, Any]] = []
    if band:
        layers.append(
            {
                "data": {"values": band},
                "mark": {"type": "area", "opacity": 0.16},
                "encoding": {
                    "x": x,
                    "y": {"field": "lower", "type": "quantitative", "title": y_title, "scale": y_scale},
                    "y2": {"field": "upper"},
                    "color": {**colour, "legend": None},
                },
            }
        )
        layers.append(
            {
                "data": {"values": band},
                "mark": {"type": "line", "strokeDash": [2, 3], "strokeWidth": 1.5, "opacity": 0.8},
                "encoding": {
                    "x": x,
                    "y": {"field": "expected", "type": "quantitative", "scale": y_scale},
                    "color": {**colour, "legend": None},
                },
            }
        )
    layers.append(
        {
            "data": {"values": scores},
            "mark": {"type": "line", "point": {"filled": True, "size": 60}, "strokeWidth": 2.5},
            "encoding": {
                "x": x,
                "y": {"field": "total", "type": "quantitative", "title": y_title, "scale": y_scale},
                "color": colour,
                "tooltip": [
                    {"field": "client", "type": "nominal", "title": "Client"},
                    {"field": "session", "type": "quantitative", "title": "Session"},
                    {"field": "shown", "type": "nominal", "title": y_title.split(" (")[0]},
                ],
            },
        }
    )
    if instrument.cutoff is not None:
        cutoff = {
            "value": instrument.cutoff.value,
            "label": f"cut-off {format_number(instrument.cutoff.value)}",
        }
        layers.append(
            {
                "data": {"values": [cutoff]},
                "mark": {"type": "rule", "color": "#8a1c14", "strokeDash": [6, 4], "strokeWidth": 1.5},
                "encoding": {"y": {"field": "value", "type": "quantitative", "scale": y_scale}},
            }
        )
        layers.append(
            {
                "data": {"values": [cutoff]},
                "mark": {"type": "text", "align": "left", "dx": 4, "dy": -6, "color": "#8a1c14", "x": 0},
                "encoding": {
                    "y": {"field": "value", "type": "quantitative", "scale": y_scale},
                    "text": {"field": "label"},
                },
            }
        )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": f"{instrument.title} totals by session",
        "width": "container",
        "height": 240,
        "background": "transparent",
        "config": {
            "font": "system-ui, sans-serif",
            # As legible as the page's own text: 13 px in the text colour (Vega's default is 10 px grey).
            "axis": {
                "labelColor": "#1f2a2e",
                "titleColor": "#1f2a2e",
                "labelFontSize": 13,
                "titleFontSize": 13,
                "gridColor": "#e4e8e6",
            },
            "legend": {
                "labelColor": "#1f2a2e",
                "titleColor": "#1f2a2e",
                "labelFontSize": 13,
                "titleFontSize": 13,
            },
            "view": {"stroke": None},
        },
        "layer": layers,
    }


def _client_detail(instrument: Instrument, track: ClientTrack) -> ClientDetail | None:
    if not track.history:
        return None
    return checkin_detail(instrument, track.client, track.history[-1], track.history)


def checkin_detail(
    instrument: Instrument, client: Client, latest: ScoredCheckIn, history: Sequence[ScoredCheckIn] = ()
) -> ClientDetail:
    """One check-in item by item (`latest`: the latest on the case page, or the one an alert is about),
    with the comments of `history` (the latest first)."""
    items = []
    for item in instrument.items:
        score = latest.score.item_scores.get(item.id)
        answered = latest.check_in.answers.get(item.id)
        shown = "not answered" if score is None else format_number(score)
        if score is not None and answered is not None and item.reverse_scored:
            # The client's own answer first: a reverse-scored 4 of 1–5 reads as 2 otherwise.
            shown = f"{format_number(answered)}, scored {format_number(score)} (reversed)"
        items.append(
            ItemDetail(
                text=item.text,
                score=shown,
                scale=item.scale_label,
                threshold=None if item.alert_threshold is None else format_number(item.alert_threshold),
                flagged=score is not None and instrument.item_at_or_beyond_threshold(item, score),
                answered=score is not None,
            )
        )
    comments = tuple(
        (entry.session_number, entry.check_in.free_text or "")
        for entry in reversed(history or (latest,))
        if entry.check_in.has_comment
    )
    total = latest.total
    return ClientDetail(
        client=client,
        check_in_id=latest.id,
        session_number=latest.session_number,
        submitted_at=latest.submitted_at,
        total="not scorable" if total is None else format_number(total),
        band=latest.score.band,
        flagged_total=total is not None and instrument.beyond_cutoff(total),
        prorated=prorated_note(len(latest.score.missing_items)) if latest.score.prorated else None,
        items=tuple(items),
        comments=comments,
        subscales=tuple(
            (
                subscale.title,
                "not scorable" if value is None else format_number(value),
                format_number(instrument.subscale_range(subscale)[1]),
            )
            for subscale in instrument.scoring.subscales
            for value in (latest.score.subscale_scores.get(subscale.id),)
        ),
    )


def _table_rows(
    instrument: Instrument, tracks: Sequence[ClientTrack], sessions: dict[int, Session]
) -> tuple[TableRow, ...]:
    by_session: dict[int, dict[int, tuple[ScoredCheckIn, str | None]]] = {}
    for track in tracks:
        number = 0
        for entry in track.history:
            expected = None
            if entry.total is not None:
                number += 1
                if track.expected is not None:
                    point = track.expected.point(number)
                    expected = f"{format_number(point.lower)}–{format_number(point.upper)}"
            by_session.setdefault(entry.session_number, {})[track.client.id] = (entry, expected)
    rows = []
    for session_number in sorted(by_session):
        session = sessions.get(session_number)
        cells = []
        for track in tracks:
            found = by_session[session_number].get(track.client.id)
            if found is None:
                cells.append(Cell(total=None))
                continue
            entry, expected = found
            total = entry.total
            cells.append(
                Cell(
                    total="not scorable" if total is None else format_number(total),
                    check_in_id=entry.id,
                    flagged=total is not None and instrument.beyond_cutoff(total),
                    expected=expected,
                    prorated=entry.score.prorated,
                )
            )
        rows.append(
            TableRow(
                session_number=session_number,
                held_on=session.held_on if session else date.min,
                cells=tuple(cells),
            )
        )
    return tuple(rows)


def _panels(monitoring: CaseMonitoring) -> tuple[InstrumentPanel, ...]:
    sessions = {session.number: session for session in monitoring.sessions}
    # The axis ends at the last session held (on the practice's calendar), not at sessions booked ahead:
    # they have no check-in yet, and an axis running on to them reads as weeks without an answer.
    returned = [entry.session_number for track in monitoring.tracks for entry in track.history]
    last_session = max([monitoring.last_held_session or 1, *returned])
    colours = {
        client.id: CLIENT_COLOURS[index % len(CLIENT_COLOURS)]
        for index, client in enumerate(monitoring.case.clients)
    }
    by_instrument: dict[str, list[ClientTrack]] = {}
    instruments: dict[str, Instrument] = {}
    for track in monitoring.tracks:
        by_instrument.setdefault(track.instrument.id, []).append(track)
        instruments[track.instrument.id] = track.instrument
    panels = []
    for instrument_id, tracks in by_instrument.items():
        instrument = instruments[instrument_id]
        if not any(track.history for track in tracks):
            continue
        cutoff_text = None
        if instrument.cutoff is not None:
            cutoff_text = (
                f"Cut-off: {instrument.cutoff_symbol} {format_number(instrument.cutoff.value)} "
                f"({instrument.cutoff.label}{'; provisional' if instrument.cutoff.provisional else ''})."
            )
        bases = {track.expected.basis for track in tracks if track.expected is not None}
        etr_basis = None
        if bases and instrument.kind is not InstrumentKind.ALLIANCE:
            etr_basis = "Shaded band: expected treatment response. " + " ".join(sorted(bases))
        details = tuple(
            detail for detail in (_client_detail(instrument, track) for track in tracks) if detail is not None
        )
        panels.append(
            InstrumentPanel(
                instrument=instrument,
                chart_id=f"chart-{instrument.id}",
                spec_json=json_for_html(_chart_spec(instrument, tracks, colours, last_session)),
                clients=tuple(track.client for track in tracks),
                rows=_table_rows(instrument, tracks, sessions),
                details=details,
                cutoff_text=cutoff_text,
                etr_basis=etr_basis,
            )
        )
    return tuple(panels)


def _alert_views(monitoring: CaseMonitoring, visitor: Visitor, zone: tzinfo) -> tuple[AlertView, ...]:
    names = {client.id: client.display_name for client in monitoring.case.clients}
    numbers = {session.id: session.number for session in monitoring.sessions}
    titles = {instrument.id: instrument.title for instrument in monitoring.instruments}
    directions = {instrument.id: instrument.higher_is_better for instrument in monitoring.instruments}
    order = {AlertStatus.OPEN: 0, AlertStatus.ACKNOWLEDGED: 1, AlertStatus.RESOLVED: 2}
    records = sorted(
        monitoring.alerts,
        key=lambda record: (
            order[record.status],
            -record.alert.severity.rank,
            -record.created_at.timestamp(),
            -record.id,
        ),
    )
    views = []
    for record in records:
        alert = record.alert
        evidence = tuple(
            EvidenceView(
                label=item.label,
                value=None if item.value is None else format_number(item.value),
                client_name=names.get(item.client_id) if item.client_id is not None else None,
                session_number=item.session_number
                or (numbers.get(item.session_id) if item.session_id is not None else None),
                check_in_id=item.check_in_id,
                when=format_date(item.held_on)
                if item.held_on
                else (format_date(item.submitted_at.astimezone(zone).date()) if item.submitted_at else None),
            )
            for item in alert.evidence
        )
        status_text = None
        if record.status is not AlertStatus.OPEN and record.status_changed_at is not None:
            who = "you" if record.status_changed_by == visitor.clinician.id else "the case's clinician"
            changed = format_datetime(record.status_changed_at, zone)
            status_text = f"{record.status.value.capitalize()} {changed} by {who}."
        views.append(
            AlertView(
                record=record,
                kind_label=alert.kind.label_for(directions.get(alert.instrument_id or "", True)),
                client_names=" and ".join(names.get(client_id, "a client") for client_id in alert.client_ids),
                instrument_title=titles.get(alert.instrument_id) if alert.instrument_id else None,
                session_number=numbers.get(alert.session_id),
                evidence=evidence,
                status_text=status_text,
            )
        )
    return tuple(views)


def build_monitoring_view(request: Request, visitor: Visitor, case_id: int) -> MonitoringView:
    monitoring = web_context(request).practice.case_monitoring(visitor.clinician, case_id)
    zone = web_context(request).settings.zone
    return MonitoringView(
        case=monitoring.case,
        read_only=monitoring.read_only,
        panels=_panels(monitoring),
        alerts=_alert_views(monitoring, visitor, zone),
        link_status=_link_status(monitoring.links, datetime.now(UTC), zone),
    )


@dataclass(frozen=True, slots=True)
class QuestionnaireChoice:
    instrument: Instrument
    chosen: bool


@dataclass(frozen=True, slots=True)
class QuestionnairesView:
    """What the case's check-in links ask, and the choice the therapist can make."""

    asked: tuple[Instrument, ...]
    """What the case's links ask now."""
    choices: tuple[QuestionnaireChoice, ...]
    """The boxes: ticked as asked now, or as just submitted when that was refused."""
    is_default: bool
    error: str | None = None
    saved: bool = False


def build_questionnaires_view(
    request: Request,
    case: Case,
    *,
    error: str | None = None,
    saved: bool = False,
    submitted: tuple[str, ...] | None = None,
) -> QuestionnairesView:
    """What the case asks; after a refused choice, what was ticked (`submitted`), so the error and the
    boxes agree."""
    practice = web_context(request).practice
    catalogue = practice.instruments()
    asked = practice.checkin_instruments_of(case)
    ticked = submitted if submitted is not None else asked
    return QuestionnairesView(
        asked=tuple(catalogue.instruments[i] for i in asked if i in catalogue),
        choices=tuple(
            QuestionnaireChoice(instrument, instrument.id in ticked)
            for instrument in catalogue.instruments.values()
        ),
        is_default=not case.checkin_instrument_ids,
        error=error,
        saved=saved,
    )


def install_template_helpers(templates: Jinja2Templates) -> None:
    """`monitoring_view(request, visitor, case_id)` for the case page and its sessions partial, and
    `questionnaires_view(request, case)` for what its check-ins ask."""
    templates.env.globals["monitoring_view"] = build_monitoring_view
    templates.env.globals["questionnaires_view"] = build_questionnaires_view


@router.post("/cases/{case_id:id}/checkin-questionnaires")
def choose_questionnaires(
    request: Request,
    case_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    """Choose what this case's check-in links ask from now on."""
    check_csrf(visitor, form)
    practice = web_context(request).practice
    chosen = tuple(str(value) for value in form.getlist("instrument"))
    error = None
    try:
        practice.choose_checkin_instruments(visitor.clinician, case_id, chosen)
    except InvalidInput as exc:
        error = str(exc)
    if not is_htmx(request) and error is None:
        return RedirectResponse(
            f"/cases/{case_id}?questionnaires=saved#checkin-questionnaires", status_code=303
        )
    detail = practice.case_detail(visitor.clinician, case_id)
    view = build_questionnaires_view(
        request, detail.case, error=error, saved=error is None, submitted=chosen if error else None
    )
    if is_htmx(request):
        context = {"case": detail.case, "detail": detail, "questionnaires": view}
        status_code = 422 if error else 200
        return render(request, "_questionnaires.html", context, visitor=visitor, status_code=status_code)
    return case_page_response(request, visitor, case_id, status_code=422, questionnaires=view)


# --- links --------------------------------------------------------------------------------------------


def qr_data_uri(url: str) -> str:
    """The URL as a QR code: an SVG data URI (the CSP allows `img-src data:`), drawn on the server."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=4, border=2, xmldecl=False, dark="#1f2a2e", light="#ffffff"
    )
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def link_url(request: Request, issued: IssuedLink) -> str:
    """The link to hand over: on the practice's public address when one is set (never on whatever Host
    a request claims), else on the address the therapist's browser used."""
    base = web_context(request).settings.checkin_base_url or str(request.base_url).rstrip("/")
    return base + issued.path


def link_warning(url: str) -> str | None:
    """Why a client might not be able to open the link, or might open it unprotected."""
    parts = urlsplit(url)
    if is_loopback(parts.hostname or ""):
        return (
            f"This link points at this computer ({parts.hostname}), so it opens only here, not on a "
            "client's phone. Whoever runs safeenough can set SAFEENOUGH_PUBLIC_URL to the address clients "
            "reach it at."
        )
    if parts.scheme != "https":
        return (
            "This link is not encrypted (http): anyone on the way could read the client's answers. Serve "
            "safeenough over HTTPS and set SAFEENOUGH_PUBLIC_URL to its https address."
        )
    return None


def _form_int(form: FormData, name: str) -> int | None:
    value = form.get(name)
    return parse_record_id(value) if isinstance(value, str) else None


def _session_and_client(
    request: Request, visitor: Visitor, case_id: int, form: FormData
) -> tuple[Session, Client, CaseDetail]:
    """The session and attending client the form names, both of this case (else not found)."""
    detail = web_context(request).practice.case_detail(visitor.clinician, case_id)
    session_id = _form_int(form, "session_id")
    client_id = _form_int(form, "client_id")
    session = next((s for s in detail.sessions if s.id == session_id), None)
    client = next((c for c in detail.case.clients if c.id == client_id), None)
    if session is None or client is None:
        raise NotFound("There is no such session or client in this case.")
    return session, client, detail


@router.post("/cases/{case_id:id}/checkin-links")
def issue_link(
    request: Request,
    case_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    """Issue a check-in link for one attending client of one session; show its URL, copy button, QR."""
    check_csrf(visitor, form)
    session, client, detail = _session_and_client(request, visitor, case_id, form)
    practice = web_context(request).practice
    error = None
    issued_view = None
    try:
        issued = practice.issue_checkin_link(visitor.clinician, session.id, client.id)
    except InvalidInput as exc:
        error = str(exc)
    else:
        url = link_url(request, issued)
        issued_view = IssuedView(
            session_id=session.id,
            client_id=client.id,
            url=url,
            qr_data_uri=qr_data_uri(url),
            expires_at=issued.link.expires_at,
            kiosk=False,
        )
    status_code = 422 if error else 200
    if is_htmx(request):
        status = LinkStatus(
            "open",
            "Link made, not yet answered; expires "
            f"{format_datetime(issued_view.expires_at, web_context(request).settings.zone)}."
            if issued_view
            else "",
        )
        mon = build_monitoring_view(request, visitor, case_id) if error else None
        context = {
            "case": detail.case,
            "session": session,
            "client": client,
            "status": mon.status_for(session.id, client.id) if mon else status,
            "issued": issued_view,
            "link_error": error,
            "read_only": False,
        }
        return render(request, "_link.html", context, visitor=visitor, status_code=status_code)
    # Without JavaScript: the whole case page, with the new link shown in its place.
    return case_page_response(
        request,
        visitor,
        case_id,
        status_code=status_code,
        issued=issued_view,
        link_error=error,
        link_error_for=(session.id, client.id) if error else None,
    )


@router.post("/cases/{case_id:id}/kiosk")
def start_kiosk(
    request: Request,
    case_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    """Open the client's form on this device (shared-device mode): a kiosk link, straight to its form.

    The therapist's login on this device ends first, and the form replaces the case page in the same
    tab: the client holding the device can reach nothing of the app (not a partner's answers, not the
    caseload), and the therapist logs in again once the device is handed back."""
    check_csrf(visitor, form)
    session, client, _ = _session_and_client(request, visitor, case_id, form)
    practice = web_context(request).practice
    try:
        issued = practice.issue_checkin_link(visitor.clinician, session.id, client.id, kiosk=True)
    except InvalidInput as exc:
        return render(
            request,
            "error.html",
            {"title": "No check-in possible", "message": str(exc), "status_code": 422},
            visitor=visitor,
            status_code=422,
        )
    practice.end_login(visitor.login.token, why="a kiosk check-in was started on this device")
    response = RedirectResponse(issued.path, status_code=303)
    clear_session_cookie(request, response)
    return response


# --- monitoring and alerts -------------------------------------------------------------------------


@router.get("/cases/{case_id:id}/monitoring")
def monitoring_panel(
    request: Request, case_id: int, visitor: Annotated[Visitor, Depends(current_visitor)]
) -> Response:
    mon = build_monitoring_view(request, visitor, case_id)
    return render(request, "_monitoring.html", {"mon": mon, "case": mon.case}, visitor=visitor)


@router.get("/cases/{case_id:id}/checkins/{check_in_id:id}")
def checkin_answers(
    request: Request,
    case_id: int,
    check_in_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
) -> Response:
    """One check-in's answers, item by item: where an alert's evidence leads, for any check-in, not only
    the latest. Opened on request only (the sealed answers of this check-in, audited); with htmx, the
    answers alone, shown under the alert."""
    found = web_context(request).practice.checkin_answers(visitor.clinician, case_id, check_in_id)
    context = {
        "case": found.case,
        "answers": found,
        "detail": checkin_detail(found.instrument, found.client, found.entry),
        "instrument": found.instrument,
    }
    template = "_checkin_answers.html" if is_htmx(request) else "checkin_answers.html"
    return render(request, template, context, visitor=visitor)


STATUS_DONE = {
    AlertStatus.ACKNOWLEDGED: "Alert acknowledged.",
    AlertStatus.RESOLVED: "Alert resolved.",
    AlertStatus.OPEN: "Alert reopened.",
}


@router.post("/cases/{case_id:id}/alerts/{alert_id:id}")
def change_alert(
    request: Request,
    case_id: int,
    alert_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    """Acknowledge, resolve or reopen an alert, with an optional note."""
    check_csrf(visitor, form)
    practice = web_context(request).practice
    mon = build_monitoring_view(request, visitor, case_id)
    if all(alert.id != alert_id for alert in mon.alerts):
        raise NotFound("There is no such alert in this case.")
    note = str(form.get("note") or "")
    error = None
    try:
        status = AlertStatus(str(form.get("status") or ""))
    except ValueError:
        error = "Choose what to do with the alert: acknowledge, resolve or reopen."
    else:
        if len(note) > MAX_NOTE_LENGTH:
            error = f"The note is too long: at most {MAX_NOTE_LENGTH:,} characters (it has {len(note):,})."
        else:
            try:
                practice.set_alert_status(visitor.clinician, alert_id, status, note or None)
            except InvalidInput as exc:
                error = str(exc)
    if error is None and not is_htmx(request):
        return RedirectResponse(f"/cases/{case_id}#alerts", status_code=303)
    if error is None:
        mon = build_monitoring_view(request, visitor, case_id)
        mon.alert_done = STATUS_DONE[status]
    else:
        mon.alert_error = error
    return render(
        request,
        "_alerts.html",
        {"mon": mon, "case": mon.case},
        visitor=visitor,
        status_code=422 if error else 200,
    )
