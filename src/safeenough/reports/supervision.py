"""The case summary for clinical supervision, as a standalone HTML page and as PDF.

Rendered from a `SupervisionSummary` only, which names clients by their pseudonymous codes and carries
no display names or case title: this module never sees a client's name, so it cannot print one. Jinja
autoescaping is on (hypotheses are the therapist's free text). The alliance trend is drawn here as an
inline SVG sparkline (no scripts: the same page becomes the PDF), beside a table of the totals with
the ones beyond the cut-off marked in text, not by colour alone.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from safeenough.domain.formulation import FormulationDomain
from safeenough.domain.supervision import (
    AlliancePoint,
    AllianceTrend,
    MapSummary,
    OpenHypothesis,
    SessionRuptureRepair,
    SupervisionSummary,
)
from safeenough.reports.pdf import html_to_pdf
from safeenough.reports.render import TEMPLATES_DIR

SPARK_WIDTH = 260
SPARK_HEIGHT = 56
SPARK_PAD = 6
TABLE_CHUNK = 10
"""Sessions per row of the alliance totals table (a long case wraps onto further rows)."""


@dataclass(frozen=True, slots=True)
class SparkDot:
    x: float
    y: float
    beyond_cutoff: bool
    title: str


@dataclass(frozen=True, slots=True)
class Sparkline:
    """An SVG sparkline's geometry: line segments (a gap where a check-in could not be scored), one dot per
    scored check-in, and the cut-off as a dashed line."""

    width: int
    height: int
    segments: tuple[str, ...]
    """SVG polyline `points` strings."""
    dots: tuple[SparkDot, ...]
    cutoff_y: float | None
    low: float
    high: float
    label: str


@dataclass(frozen=True, slots=True)
class TrendView:
    trend: AllianceTrend
    sparkline: Sparkline
    rows: tuple[tuple[AlliancePoint, ...], ...]
    reading: str


@dataclass(frozen=True, slots=True)
class MapView:
    heading: str
    explored: int
    total: int
    entry_count: int
    unexplored_labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HypothesisView:
    who: str
    hypothesis: OpenHypothesis


@dataclass(frozen=True, slots=True)
class RuptureTotals:
    sessions: int
    ruptures: int
    ruptures_repaired: int
    anticipated_judgement: int
    moments_repaired: int
    check_ins: int


def render_supervision_html(summary: SupervisionSummary) -> str:
    """The case summary as a whole HTML document (stylesheet and print rules inlined, no scripts)."""
    return (
        _environment()
        .get_template("supervision.html")
        .render(
            summary=summary,
            case_heading=case_heading(summary),
            trends=tuple(trend_view(trend) for trend in summary.alliance),
            rupture_totals=rupture_totals(summary.rupture_repair),
            maps=tuple(map_view(m, summary.case_kind) for m in summary.maps),
            hypotheses=open_hypotheses(summary.maps, summary.case_kind),
        )
    )


def render_sparkline_svg(trend: AllianceTrend, who: str, width: int = 120, height: int = 30) -> str:
    """One client's alliance trend as a small inline SVG sparkline, for pages outside the summary (the
    caseload, where `who` names the client in the label read aloud). The same drawing as the summary's."""
    return str(_sparkline_template().render(spark=sparkline(trend, width, height, who)))


@cache
def _sparkline_template() -> Template:
    # compiled once: the caseload draws one sparkline per client
    return _environment().from_string(
        '{% from "_sparkline.html" import sparkline_svg %}{{ sparkline_svg(spark) }}'
    )


def render_supervision_pdf(summary: SupervisionSummary) -> bytes:
    """The case summary as PDF bytes. Raises `PdfUnavailable` when WeasyPrint or Pango is missing."""
    return html_to_pdf(render_supervision_html(summary))


# Pieces of the page -----------------------------------------------------------------------------------


def case_heading(summary: SupervisionSummary) -> str:
    """ "Couple case · C-7K2Q and C-9M3D": the case kind and the clients' codes, never their names."""
    codes = list(summary.client_codes)
    if not codes:
        listed = "no clients"
    elif len(codes) == 1:
        listed = codes[0]
    else:
        listed = ", ".join(codes[:-1]) + " and " + codes[-1]
    return f"{_capitalise(summary.case_kind)} case · {listed}"


def trend_view(trend: AllianceTrend) -> TrendView:
    points = trend.points
    return TrendView(
        trend=trend,
        sparkline=sparkline(trend),
        rows=tuple(tuple(points[i : i + TABLE_CHUNK]) for i in range(0, len(points), TABLE_CHUNK)),
        reading=trend_reading(trend),
    )


def trend_reading(trend: AllianceTrend) -> str:
    """One plain sentence: the latest total, and how many check-ins were beyond the cut-off."""
    scored = [p for p in trend.points if p.total is not None]
    if not scored:
        return "No scored check-in yet."
    latest = scored[-1]
    sentence = (
        f"Latest {number(latest.total)} of {number(trend.maximum)} (session {latest.session_number}, "
        f"{day(latest.held_on)})"
    )
    if len(scored) > 1:
        first = scored[0]
        sentence += f"; first {number(first.total)} (session {first.session_number})"
    if trend.cutoff is None:
        return sentence + ". This measure has no cut-off."
    beyond = sum(p.beyond_cutoff for p in scored)
    return (
        sentence + f". Beyond the cut-off of {number(trend.cutoff)} in {beyond} of {len(scored)} check-ins."
    )


def sparkline(
    trend: AllianceTrend, width: int = SPARK_WIDTH, height: int = SPARK_HEIGHT, who: str | None = None
) -> Sparkline:
    """The trend's geometry, scaled from just below the lowest total (or the cut-off) up to the maximum.

    Points are spaced by position in the series, so every session has its place; a check-in that could
    not be scored leaves a gap in the line.
    """
    values = [p.total for p in trend.points if p.total is not None]
    high = trend.maximum
    candidates = [*values, *([trend.cutoff] if trend.cutoff is not None else [])]
    low = min(candidates) if candidates else 0.0
    span = high - low
    low = max(0.0, low - max(span * 0.15, high * 0.05)) if span > 0 else max(0.0, high - max(high * 0.2, 1.0))
    low = float(math.floor(low))
    if high <= low:
        high = low + 1.0
    pad = SPARK_PAD
    count = len(trend.points)

    def x_of(i: int) -> float:
        return width / 2 if count == 1 else pad + i * (width - 2 * pad) / (count - 1)

    def y_of(value: float) -> float:
        clamped = min(max(value, low), high)
        return pad + (high - clamped) / (high - low) * (height - 2 * pad)

    segments: list[str] = []
    current: list[str] = []
    dots: list[SparkDot] = []
    for i, point in enumerate(trend.points):
        if point.total is None:
            if len(current) > 1:
                segments.append(" ".join(current))
            current = []
            continue
        x, y = round(x_of(i), 1), round(y_of(point.total), 1)
        current.append(f"{x},{y}")
        dots.append(
            SparkDot(
                x,
                y,
                point.beyond_cutoff,
                f"Session {point.session_number}, {day(point.held_on)}: {number(point.total)}"
                + (" (beyond the cut-off)" if point.beyond_cutoff else ""),
            )
        )
    if len(current) > 1:
        segments.append(" ".join(current))
    cutoff_y = None if trend.cutoff is None else round(y_of(trend.cutoff), 1)
    label = f"{trend.instrument_title} totals for {who or trend.client_code}, session by session: " + (
        ", ".join(number(v) for v in values) if values else "none scored"
    )
    if trend.cutoff is not None:
        label += f"; cut-off {number(trend.cutoff)}"
    return Sparkline(width, height, tuple(segments), tuple(dots), cutoff_y, low, high, label)


def rupture_totals(sessions: Sequence[SessionRuptureRepair]) -> RuptureTotals:
    return RuptureTotals(
        sessions=len(sessions),
        ruptures=sum(s.ruptures for s in sessions),
        ruptures_repaired=sum(s.ruptures_repaired for s in sessions),
        anticipated_judgement=sum(s.anticipated_judgement for s in sessions),
        moments_repaired=sum(s.moments_repaired for s in sessions),
        check_ins=sum(s.check_ins for s in sessions),
    )


def map_view(summary: MapSummary, case_kind: str) -> MapView:
    explored, total = summary.coverage
    return MapView(
        heading=_map_owner(summary, case_kind),
        explored=explored,
        total=total,
        entry_count=summary.entry_count,
        unexplored_labels=tuple(domain_label(d) for d in summary.unexplored_domains),
    )


def open_hypotheses(maps: Sequence[MapSummary], case_kind: str) -> tuple[HypothesisView, ...]:
    return tuple(
        HypothesisView(_map_owner(m, case_kind), hypothesis) for m in maps for hypothesis in m.open_hypotheses
    )


def domain_label(domain: str) -> str:
    try:
        return FormulationDomain(domain).label
    except ValueError:
        return _capitalise(domain.replace("_", " "))


def _map_owner(summary: MapSummary, case_kind: str) -> str:
    if summary.client_code is not None:
        return summary.client_code
    return f"Shared ({case_kind})"


# Formatting --------------------------------------------------------------------------------------------


def day(value: date) -> str:
    """ "4 Mar 2025"."""
    return f"{value.day} {value:%b %Y}"


def number(value: float | None) -> str:
    if value is None:
        return "–"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["day"] = day
    environment.filters["number"] = number
    return environment
